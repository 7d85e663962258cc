"""`arkaden provision`: the site CA, every account's password and certificate, the ACL, and device bundles.

Output (``OUT``)::

    (OUT itself is 0700, as is every directory below it, whatever the umask)
    bridges.toml the button bridges of the last --bridge: a run without --bridge keeps them
    ca/          ca.crt, ca.key (0600), revoked.txt       keep this directory offline and backed up
    broker/      arkaden.conf, acl, passwd (0600), ca.crt, ca.crl, server.crt, server.key (0600)
    devices/ID/  device.toml, password (0600), ca.crt, client.crt, client.key (0600)
                 and for a web server https.crt, https.key (0600): its certificate for the browsers

A second run keeps every password, key and certificate that is still good and only writes what is new
or asked for with ``rotate``; a rotated or removed device's certificate goes on the revocation list.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from provisioning import acl, passwords, pki, units, web_certs
from provisioning.files import (
    INSTALLED_DIR,
    LOCAL_PORT,
    TLS_PORT,
    private_dir,
    read_if_exists,
    render_broker_conf,
    write_public,
    write_secret,
)
from queue_rules.site import Site

LOCAL_NAMES = ["localhost", "127.0.0.1"]
BRIDGES_FILE = "bridges.toml"


class ProvisionError(ValueError):
    """Provisioning cannot go on; nothing secret is in the message."""


@dataclass
class Report:
    """What a run did, per account: created, kept or rotated (never any secret)."""

    accounts: dict[str, str] = field(default_factory=dict)
    ca: str = "kept"
    server_cert: str = "kept"
    # per web server: what happened to its HTTPS certificate, and the names in it
    https: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    # where the button bridges came from, and boxes no bridge serves
    bridges: str = ""
    unbridged: list[str] = field(default_factory=list)

    def lines(self, out: Path) -> list[str]:
        rows = [f"site CA: {self.ca} ({out / 'ca' / 'ca.crt'})", f"broker certificate: {self.server_cert}"]
        if self.bridges:
            rows.append(f"button bridges: {self.bridges}")
        rows += [f"{box:<28} served by no bridge (name it in a --bridge, giving all of them)" for box in self.unbridged]
        rows += [f"{user:<28} {what}" for user, what in self.accounts.items()]
        rows += [f"{user:<28} HTTPS certificate {what}" for user, what in self.https.items()]
        rows += [f"{user:<28} no longer in the site file: certificate revoked, bundle left in place"
                 for user in self.removed]
        rows.append(f"broker files in {out / 'broker'}; device bundles in {out / 'devices'}")
        return rows


@dataclass(frozen=True)
class Options:
    broker_hosts: tuple[str, ...] = ("arkaden-server",)
    tls_port: int = TLS_PORT
    local_port: int = LOCAL_PORT
    broker_dir: str = INSTALLED_DIR
    rotate: frozenset[str] = frozenset()
    bridges: dict[str, list[str]] | None = None
    # more names or addresses for the web servers' HTTPS certificates: NAME (every web server) or ID=NAME
    web_names: tuple[str, ...] = ()


def _read_bridges(path: Path) -> dict[str, list[str]] | None:
    """The bridges a previous run was given with --bridge, or None (never given: the default bridge)."""
    raw = read_if_exists(path)
    if raw is None:
        return None
    try:
        table = tomllib.loads(raw.decode()).get("bridges")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{path}: cannot be read ({exc}); give every --bridge again or delete it") from None
    if not isinstance(table, dict) or not all(
            isinstance(v, list) and all(isinstance(b, str) for b in v) for v in table.values()):
        raise ProvisionError(f"{path}: expected a [bridges] table of ID = [\"BOX\", ...]; give every --bridge "
                             "again or delete it")
    return {str(k): list(v) for k, v in table.items()}


def _write_bridges(path: Path, bridges: dict[str, list[str]]) -> None:
    lines = ["# The button bridges of `arkaden provision --bridge ID=BOX,BOX`: a run without --bridge uses these",
             "# (a bridge left out would lose its account and certificate). Give every --bridge again to change",
             "# them; delete this file to go back to one bridge 'buttons' for all boxes.", "", "[bridges]"]
    lines += [f"{k} = [" + ", ".join(f'"{b}"' for b in v) + "]" for k, v in sorted(bridges.items())]
    write_public(path, "\n".join(lines) + "\n")


def _load_or_create_ca(site: Site, ca_dir: Path, report: Report) -> pki.Ca:
    key_pem, cert_pem = read_if_exists(ca_dir / "ca.key"), read_if_exists(ca_dir / "ca.crt")
    if key_pem and cert_pem:
        try:
            return pki.Ca(pki.load_key(key_pem), pki.load_cert(cert_pem))
        except ValueError as exc:
            raise ProvisionError(f"{ca_dir}: the site CA cannot be read ({exc}); restore it from the backup") from None
    if key_pem or cert_pem:
        raise ProvisionError(f"{ca_dir}: only one of ca.key and ca.crt is there; restore both from the backup")
    ca = pki.new_ca(site.site.id)
    write_secret(ca_dir / "ca.key", pki.key_pem(ca.key))
    write_public(ca_dir / "ca.crt", pki.cert_pem(ca.cert))
    report.ca = "created"
    return ca


def _read_revoked(path: Path) -> dict[int, tuple[datetime, str]]:
    out: dict[int, tuple[datetime, str]] = {}
    for line in (read_if_exists(path) or b"").decode().splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#"):
            out[int(parts[0], 16)] = (datetime.fromisoformat(parts[1]), " ".join(parts[2:]))
    return out


def _write_revoked(path: Path, revoked: dict[int, tuple[datetime, str]]) -> None:
    lines = ["# serial (hex)  revoked at  device"]
    lines += [f"{serial:x} {when.isoformat()} {who}" for serial, (when, who) in sorted(revoked.items())]
    write_public(path, "\n".join(lines) + "\n")


def _account_credentials(ca: pki.Ca, site: Site, account: acl.Account, bundle: Path, rotate: bool,
                         revoked: dict[int, tuple[datetime, str]]) -> tuple[str, str]:
    """(password, what happened); keeps what is good, replaces what is missing, stale or to be rotated."""
    private_dir(bundle)
    pw_path, key_path, cert_path = bundle / "password", bundle / "client.key", bundle / "client.crt"
    old_pw, old_key, old_cert = read_if_exists(pw_path), read_if_exists(key_path), read_if_exists(cert_path)
    existed = old_pw is not None or old_cert is not None
    password = None if rotate or not old_pw else old_pw.decode().strip()
    if not password:
        password = passwords.new_password()
        write_secret(pw_path, password + "\n")
    cert_ok = False
    if not rotate and old_key and old_cert:
        try:
            cert_ok = pki.still_good(ca, pki.load_cert(old_cert), pki.load_key(old_key), account.user)
        except ValueError:
            cert_ok = False
    if not cert_ok:
        if old_cert:
            try:
                revoked[pki.load_cert(old_cert).serial_number] = (datetime.now(UTC), account.user)
            except ValueError:
                pass  # unreadable: it cannot be presented either
        key = pki.new_key()
        write_secret(key_path, pki.key_pem(key))
        write_public(cert_path, pki.cert_pem(pki.issue(ca, key, account.user, site.site.id)))
    write_public(bundle / "ca.crt", pki.cert_pem(ca.cert))
    if rotate:
        return password, "rotated (password and certificate)"
    if not existed:
        return password, "created"
    return password, "kept" if cert_ok and old_pw else "renewed"


def _device_toml(site: Site, account: acl.Account, opts: Options) -> str:
    lines = [f"# arkaden device bundle for {account.user} ({account.role}) at site {site.site.id}.",
             "# Written by `arkaden provision`; password and client.key are secret (mode 0600).",
             "# Use it with `arkaden <command> --broker-config device.toml`."]
    if account.role in units.UNIT_OF_ROLE:
        lines.append(f"# Install it into {units.bundle_dir(account.role)}/ (root:{units.service_user(account.role)}, "
                     "files 0640), where its unit reads it (docs/deployment.md).")
    if account.role == "web":
        lines.append(f"# HTTPS for the browsers: {web_certs.CERT_FILE} and {web_certs.KEY_FILE} (secret) next to this "
                     f"file, for `arkaden web --https-cert {web_certs.CERT_FILE} --https-key {web_certs.KEY_FILE}`.")
    lines += ["", "[device]", f'id = "{account.user}"', f'role = "{account.role}"', f'site = "{site.site.id}"']
    if account.role == "bridge":
        lines.append("boxes = [" + ", ".join(f'"{b}"' for b in account.devices[1:]) + "]")
    lines += ["", "[broker]"]
    if account.role == "core":
        lines += ["# the core runs next to the broker: loopback listener, user and password",
                  'host = "127.0.0.1"', f"port = {opts.local_port}", f'username = "{account.user}"',
                  'password_file = "password"',
                  f"# from another machine instead: host = \"{opts.broker_hosts[0]}\", port = {opts.tls_port},",
                  '# ca = "ca.crt", cert = "client.crt", key = "client.key" (and no password)']
    else:
        lines += [f'host = "{opts.broker_hosts[0]}"', f"port = {opts.tls_port}",
                  "# on the TLS listener the certificate's CN is the user name; the password is for the",
                  "# optional websockets listener", f'username = "{account.user}"',
                  'ca = "ca.crt"', 'cert = "client.crt"', 'key = "client.key"']
    return "\n".join(lines) + "\n"


def _server_cert(ca: pki.Ca, site: Site, broker: Path, opts: Options, report: Report) -> None:
    names = list(dict.fromkeys([*opts.broker_hosts, *LOCAL_NAMES]))
    key_pem, cert_pem = read_if_exists(broker / "server.key"), read_if_exists(broker / "server.crt")
    if key_pem and cert_pem:
        try:
            cert, key = pki.load_cert(cert_pem), pki.load_key(key_pem)
            if pki.still_good(ca, cert, key, names[0]) and sorted(pki.server_names(cert)) == sorted(names):
                return
        except ValueError:
            pass
    key = pki.new_key()
    write_secret(broker / "server.key", pki.key_pem(key))
    write_public(broker / "server.crt", pki.cert_pem(pki.issue(ca, key, names[0], site.site.id, server_names=names)))
    report.server_cert = "renewed" if cert_pem else "created"


def provision(site: Site, out: Path, opts: Options = Options(), source: str = "") -> Report:
    """Create or update everything for `site` under `out`; see the module docstring for the layout."""
    if acl.missing_rules():
        raise ProvisionError(f"no access rule for {acl.missing_rules()}: add them to provisioning/acl.py")
    out = Path(out)
    bridges_path = out / BRIDGES_FILE
    remembered = _read_bridges(bridges_path)
    bridges, origin = (opts.bridges, "--bridge") if opts.bridges is not None else (remembered, str(bridges_path))
    try:
        accounts = acl.accounts(site, bridges, origin)
    except acl.AclError as exc:
        raise ProvisionError(str(exc)) from None
    users = {a.user for a in accounts}
    unknown = sorted(opts.rotate - users)
    if unknown:
        raise ProvisionError(f"cannot rotate {', '.join(unknown)}: not an account of site {site.site.id} "
                             f"(accounts: {', '.join(sorted(users))})")
    try:
        https_names = web_certs.names_by_server(site, opts.web_names)
    except web_certs.WebNameError as exc:
        raise ProvisionError(str(exc)) from None
    report = Report()
    private_dir(out)  # it holds the CA key: never what the umask makes of it
    if opts.bridges is not None and opts.bridges != remembered:
        _write_bridges(bridges_path, opts.bridges)
    if bridges is not None:
        report.bridges = ", ".join(f"{k} ({', '.join(v)})" for k, v in sorted(bridges.items())) + \
            ("" if opts.bridges is not None else f", as given before (kept in {bridges_path})")
        served = {b for v in bridges.values() for b in v}
        report.unbridged = [b.id for b in site.button_boxes if b.id not in served]
    ca = _load_or_create_ca(site, private_dir(out / "ca"), report)
    broker, devices = private_dir(out / "broker"), private_dir(out / "devices")
    revoked_path = out / "ca" / "revoked.txt"
    revoked = _read_revoked(revoked_path)
    old_hashes = passwords.parse_password_file((read_if_exists(broker / "passwd") or b"").decode())
    hashes: dict[str, str] = {}
    for account in accounts:
        bundle = devices / account.user
        password, what = _account_credentials(ca, site, account, bundle, account.user in opts.rotate, revoked)
        old = old_hashes.get(account.user)
        hashes[account.user] = old if old and passwords.verify_password(password, old) else \
            passwords.hash_password(password)
        write_public(bundle / "device.toml", _device_toml(site, account, opts))
        report.accounts[account.user] = f"{account.role:<10} {what}"
        if account.role == "web":
            names = https_names[account.user]
            done = web_certs.ensure_cert(ca, site.site.id, account.user, bundle, names,
                                         rotate=account.user in opts.rotate, revoked=revoked)
            report.https[account.user] = f"{done} ({', '.join(names)})"
    for gone in sorted(p for p in devices.iterdir() if p.is_dir() and p.name not in users):
        for name, who in (("client.crt", gone.name), (web_certs.CERT_FILE, f"{gone.name} (https)")):
            cert = read_if_exists(gone / name)
            if cert:
                serial = pki.load_cert(cert).serial_number
                if serial not in revoked:
                    revoked[serial] = (datetime.now(UTC), who)
        report.removed.append(gone.name)
    _write_revoked(revoked_path, revoked)
    _server_cert(ca, site, broker, opts, report)
    write_secret(broker / "passwd", passwords.render_password_file(hashes))
    write_public(broker / "acl", acl.render_acl(site, accounts, source))
    write_public(broker / "ca.crt", pki.cert_pem(ca.cert))
    write_public(broker / "ca.crl", pki.crl_pem(pki.crl(ca, {s: w for s, (w, _) in revoked.items()})))
    write_public(broker / "arkaden.conf", render_broker_conf(broker_dir=opts.broker_dir, local_port=opts.local_port,
                                                             tls_port=opts.tls_port))
    return report
