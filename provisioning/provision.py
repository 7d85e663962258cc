"""`arkaden provision`: the site CA, every account's password and certificate, the ACL, and device bundles.

Output (``OUT``)::

    ca/          ca.crt, ca.key (0600), revoked.txt       keep this directory offline and backed up
    broker/      arkaden.conf, acl, passwd (0600), ca.crt, ca.crl, server.crt, server.key (0600)
    devices/ID/  device.toml, password (0600), ca.crt, client.crt, client.key (0600)

A second run keeps every password, key and certificate that is still good and only writes what is new
or asked for with ``rotate``; a rotated or removed device's certificate goes on the revocation list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from provisioning import acl, passwords, pki
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


class ProvisionError(ValueError):
    """Provisioning cannot go on; nothing secret is in the message."""


@dataclass
class Report:
    """What a run did, per account: created, kept or rotated (never any secret)."""

    accounts: dict[str, str] = field(default_factory=dict)
    ca: str = "kept"
    server_cert: str = "kept"
    removed: list[str] = field(default_factory=list)

    def lines(self, out: Path) -> list[str]:
        rows = [f"site CA: {self.ca} ({out / 'ca' / 'ca.crt'})", f"broker certificate: {self.server_cert}"]
        rows += [f"{user:<28} {what}" for user, what in self.accounts.items()]
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
             "# Use it with `arkaden <command> --broker-config device.toml`.",
             "", "[device]", f'id = "{account.user}"', f'role = "{account.role}"', f'site = "{site.site.id}"']
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
    try:
        accounts = acl.accounts(site, opts.bridges)
    except acl.AclError as exc:
        raise ProvisionError(str(exc)) from None
    users = {a.user for a in accounts}
    unknown = sorted(opts.rotate - users)
    if unknown:
        raise ProvisionError(f"cannot rotate {', '.join(unknown)}: not an account of site {site.site.id} "
                             f"(accounts: {', '.join(sorted(users))})")
    report = Report()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
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
    for gone in sorted(p for p in devices.iterdir() if p.is_dir() and p.name not in users):
        cert = read_if_exists(gone / "client.crt")
        if cert:
            serial = pki.load_cert(cert).serial_number
            if serial not in revoked:
                revoked[serial] = (datetime.now(UTC), gone.name)
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
