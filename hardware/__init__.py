"""Devices on the desks and at the kiosks: call-button boxes, scanners, and their health."""
