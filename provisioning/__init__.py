"""Provisioning a site's broker and devices: passwords, a site CA with certificates, ACL and config bundles."""
