"""HTTPS for the browsers: each web server's certificate from the site CA, kept while it is still good.

The certificate names the host of the web server's ``public_url`` and whatever names or addresses the admin
adds (``--web-name NAME`` for every web server, ``--web-name ID=NAME`` for one); it goes with its key into the
web server's own bundle, next to its broker credentials, as ``https.crt`` and ``https.key`` (0600).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from provisioning import pki
from provisioning.files import read_if_exists, write_public, write_secret
from queue_rules.site import Site

CERT_FILE, KEY_FILE = "https.crt", "https.key"

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DNS_NAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


class WebNameError(ValueError):
    """A name that cannot go into a web server's certificate, or a --web-name for no web server."""


def check_name(name: str, source: str) -> str:
    """The name as it goes into the certificate (an IP address in its short form, a host name in lower case)."""
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    lowered = name.lower().rstrip(".")
    if len(lowered) > 253 or not _DNS_NAME.match(lowered):
        raise WebNameError(f"{source}: {name!r} is neither a host name nor an IP address")
    return lowered


def names_by_server(site: Site, extra: Sequence[str]) -> dict[str, list[str]]:
    """Each web server's certificate names: its public_url's host first, then `extra` (``NAME`` or ``ID=NAME``)."""
    out: dict[str, list[str]] = {}
    for web in site.web:
        host = urlsplit(web.public_url).hostname if web.public_url else None
        out[web.id] = [check_name(host, f"web server {web.id}: public_url")] if host else []
    for value in extra:
        server, sep, name = value.rpartition("=")
        targets = [server] if sep else list(out)
        if sep and server not in out:
            raise WebNameError(f"--web-name {value!r}: {server!r} is not a web server of site {site.site.id} "
                               f"(web servers: {', '.join(out) or 'none'})")
        if not sep and not out:
            raise WebNameError(f"--web-name {value!r}: site {site.site.id} has no [[web]] server")
        checked = check_name(name, f"--web-name {value!r}")
        for target in targets:
            out[target] = list(dict.fromkeys([*out[target], checked]))
    for server, names in out.items():
        if not names:
            raise WebNameError(f"web server {server}: no name for its HTTPS certificate; set its public_url in "
                               f"the site file or pass --web-name {server}=NAME")
    return out


def ensure_cert(ca: pki.Ca, site_id: str, server: str, bundle: Path, names: list[str], *, rotate: bool,
                revoked: dict[int, tuple[datetime, str]]) -> str:
    """Keep the bundle's HTTPS certificate if it is good for exactly `names`, else issue one; what happened."""
    key_pem, cert_pem = read_if_exists(bundle / KEY_FILE), read_if_exists(bundle / CERT_FILE)
    old = None
    if cert_pem:
        try:
            old = pki.load_cert(cert_pem)
        except ValueError:
            old = None  # unreadable: it cannot be presented either
    if old is not None and key_pem and not rotate:
        try:
            if pki.still_good(ca, old, pki.load_key(key_pem), names[0]) and \
                    sorted(pki.server_names(old)) == sorted(names):
                return "kept"
        except ValueError:
            pass
    if old is not None and rotate:
        revoked[old.serial_number] = (datetime.now(UTC), f"{server} (https)")
    key = pki.new_key()
    write_secret(bundle / KEY_FILE, pki.key_pem(key))
    write_public(bundle / CERT_FILE, pki.cert_pem(pki.issue(ca, key, names[0], site_id, server_names=names,
                                                            days=pki.HTTPS_DAYS)))
    if rotate:
        return "rotated"
    return "renewed" if cert_pem else "created"
