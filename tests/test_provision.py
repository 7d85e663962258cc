"""`arkaden provision`: Mosquitto-compatible password hashes, file modes, re-runs that keep, rotation, revocation."""

from __future__ import annotations

import base64
import re
import shutil
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from device_link.broker_auth import load_broker_config
from provisioning import passwords

from .engine_helpers import MINI

HASH = re.compile(r"^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$")
SECRET_FILES = ("ca/ca.key", "broker/passwd", "broker/server.key")
DEVICE_SECRETS = ("password", "client.key")


def _provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arkaden_cli", "provision", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_password_hashes_match_mosquitto_passwd(tmp_path: Path) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.fail("mosquitto_passwd not found: install the Debian package 'mosquitto'", pytrace=False)
    ours = passwords.hash_password("correct horse")
    assert HASH.match(ours) and passwords.verify_password("correct horse", ours)
    assert not passwords.verify_password("wrong horse", ours) and not passwords.verify_password("x", "$6$junk")
    pwfile = tmp_path / "pw"
    subprocess.run([tool, "-c", "-b", str(pwfile), "kiosk-1", "correct horse"], check=True, timeout=30)
    user, encoded = pwfile.read_text().strip().split(":", 1)
    assert user == "kiosk-1" and HASH.match(encoded), f"mosquitto_passwd wrote another format: {encoded}"
    assert passwords.verify_password("correct horse", encoded)  # same algorithm, same encoding
    salt = base64.b64decode(encoded.split("$")[3])
    assert passwords.hash_password("correct horse", salt=salt) == encoded


def test_provision_writes_secrets_0600_prints_none_and_keeps_them_on_a_rerun(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _provision("--site", str(MINI), "--out", str(out), "--broker-host", "arkaden.example")
    assert first.returncode == 0, first.stderr
    for rel in SECRET_FILES:
        assert stat.S_IMODE((out / rel).stat().st_mode) == 0o600, rel
    users = ["core", "kiosk-1", "display-1", "box-abh-1", "reception", "buttons"]
    assert sorted(p.name for p in (out / "devices").iterdir()) == sorted(users)
    secrets = []
    for user in users:
        bundle = out / "devices" / user
        assert stat.S_IMODE(bundle.stat().st_mode) == 0o700
        for name in DEVICE_SECRETS:
            assert stat.S_IMODE((bundle / name).stat().st_mode) == 0o600, f"{user}/{name}"
            secrets.append((bundle / name).read_text().strip())
        settings = load_broker_config(bundle / "device.toml")
        assert settings.device_id == user and settings.auth is not None
        if user == "core":
            assert (settings.host, settings.port) == ("127.0.0.1", 1883) and settings.auth.password
        else:
            assert (settings.host, settings.port) == ("arkaden.example", 8883)
            cert = x509.load_pem_x509_certificate(settings.auth.cert.read_bytes())  # type: ignore[union-attr]
            assert cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value == user
    secrets += [(out / rel).read_text().strip() for rel in SECRET_FILES]
    printed = first.stdout + first.stderr
    assert "kiosk-1" in printed and "PRIVATE KEY" not in printed
    for secret in secrets:  # whole secrets, and each line of keys and hash files
        assert not any(line and line in printed for line in [secret, *secret.splitlines()])
    server = x509.load_pem_x509_certificate((out / "broker" / "server.crt").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"arkaden.example", "localhost"} <= set(names.get_values_for_type(x509.DNSName))

    before = _snapshot(out)
    again = _provision("--site", str(MINI), "--out", str(out), "--broker-host", "arkaden.example")
    assert again.returncode == 0 and "created" not in again.stdout.replace("kept", "")
    after = _snapshot(out)
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert changed == ["broker/ca.crl"], changed  # only the CRL's time stamp; every secret and certificate kept


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_rotation_replaces_one_device_and_revokes_its_certificate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _provision("--site", str(MINI), "--out", str(out)).returncode == 0
    before = _snapshot(out)
    old_cert = x509.load_pem_x509_certificate(before["devices/kiosk-1/client.crt"])
    run = _provision("--site", str(MINI), "--out", str(out), "--rotate", "kiosk-1")
    assert run.returncode == 0 and "kiosk-1" in run.stdout and "rotated" in run.stdout
    after = _snapshot(out)
    changed = {k for k in before if before[k] != after.get(k)}
    assert {"devices/kiosk-1/password", "devices/kiosk-1/client.key", "devices/kiosk-1/client.crt",
            "broker/passwd", "broker/ca.crl", "ca/revoked.txt"} == changed
    crl = x509.load_pem_x509_crl(after["broker/ca.crl"])
    assert crl.get_revoked_certificate_by_serial_number(old_cert.serial_number) is not None
    new_cert = x509.load_pem_x509_certificate(after["devices/kiosk-1/client.crt"])
    assert crl.get_revoked_certificate_by_serial_number(new_cert.serial_number) is None
    assert passwords.parse_password_file(after["broker/passwd"].decode())["display-1"] == \
        passwords.parse_password_file(before["broker/passwd"].decode())["display-1"]

    bad = _provision("--site", str(MINI), "--out", str(out), "--rotate", "kiosk-9")
    assert bad.returncode == 2 and "kiosk-9" in bad.stderr and "not an account" in bad.stderr


def test_a_device_removed_from_the_site_is_revoked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _provision("--site", str(MINI), "--out", str(out)).returncode == 0
    serial = x509.load_pem_x509_certificate((out / "devices" / "display-1" / "client.crt").read_bytes()).serial_number
    smaller = tmp_path / "site.toml"
    smaller.write_text(MINI.read_text().replace('[[displays]]\nid = "display-1"\n', ""))
    run = _provision("--site", str(smaller), "--out", str(out))
    assert run.returncode == 0 and "display-1" in run.stdout and "revoked" in run.stdout
    crl = x509.load_pem_x509_crl((out / "broker" / "ca.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    assert "display-1" not in (out / "broker" / "acl").read_text()
    assert "display-1" not in passwords.parse_password_file((out / "broker" / "passwd").read_text())


def test_provision_refuses_a_broken_site_or_bridge(tmp_path: Path) -> None:
    run = _provision("--site", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "out"))
    assert run.returncode == 2 and "missing.toml" in run.stderr
    run = _provision("--site", str(MINI), "--out", str(tmp_path / "out"), "--bridge", "buttons=box-nope")
    assert run.returncode == 2 and "box-nope" in run.stderr


WEB_SITE = """
[[web]]
id = "web"
public_url = "https://Desk.Mini.Test:8443"

[[web]]
id = "web-b"
public_url = "https://[fd00::2]"
"""


def _https(out: Path, server: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate((out / "devices" / server / "https.crt").read_bytes())


def _alt_names(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.DNSName)} | \
        {str(v) for v in san.get_values_for_type(x509.IPAddress)}


def test_provision_gives_each_web_server_an_https_certificate_for_its_names(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID

    site, out = tmp_path / "site.toml", tmp_path / "out"
    site.write_text(MINI.read_text() + WEB_SITE)
    names = ("--web-name", "192.168.10.2", "--web-name", "web=arkaden-server.local")
    first = _provision("--site", str(site), "--out", str(out), *names)
    assert first.returncode == 0, first.stderr
    web = _https(out, "web")
    # the host of public_url (lower case, no port), the names for every web server, and those for this one
    assert _alt_names(web) == {"desk.mini.test", "192.168.10.2", "arkaden-server.local"}
    assert _alt_names(_https(out, "web-b")) == {"fd00::2", "192.168.10.2"}
    assert web.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    ca = x509.load_pem_x509_certificate((out / "ca" / "ca.crt").read_bytes())
    web.verify_directly_issued_by(ca)
    assert (out / "devices" / "web" / "ca.crt").read_bytes() == (out / "ca" / "ca.crt").read_bytes()
    assert web.not_valid_after_utc - web.not_valid_before_utc <= timedelta(days=825)  # what Apple devices accept
    bundle = out / "devices" / "web"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o700
    assert stat.S_IMODE((bundle / "https.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((bundle / "https.crt").stat().st_mode) == 0o644
    key = serialization.load_pem_private_key((bundle / "https.key").read_bytes(), password=None)
    assert key.public_key() == web.public_key()
    key_text = (bundle / "https.key").read_text()
    assert not any(line in first.stdout + first.stderr for line in key_text.splitlines()[1:-1])
    assert "HTTPS certificate created (desk.mini.test, 192.168.10.2, arkaden-server.local)" in first.stdout
    settings = load_broker_config(bundle / "device.toml")
    assert (settings.device_id, settings.role) == ("web", "web") and "https.crt" in (bundle / "device.toml").read_text()
    assert "user web-b" in (out / "broker" / "acl").read_text()

    before = _snapshot(out)
    assert _provision("--site", str(site), "--out", str(out), *names).returncode == 0
    assert sorted(k for k, v in _snapshot(out).items() if before[k] != v) == ["broker/ca.crl"]
    # another name: that server's certificate is issued again, the other's kept
    more = _provision("--site", str(site), "--out", str(out), *names, "--web-name", "web=kia.example.org")
    assert more.returncode == 0 and "HTTPS certificate renewed" in more.stdout, more.stdout
    after = _snapshot(out)
    assert sorted(k for k in before if before[k] != after[k]) == ["broker/ca.crl", "devices/web/https.crt",
                                                                  "devices/web/https.key"]
    assert "kia.example.org" in _alt_names(_https(out, "web"))
    # rotation: new HTTPS key and certificate too, the old one on the revocation list
    old_serial = _https(out, "web").serial_number
    rotated = _provision("--site", str(site), "--out", str(out), *names, "--web-name", "web=kia.example.org",
                         "--rotate", "web")
    assert rotated.returncode == 0, rotated.stderr
    crl = x509.load_pem_x509_crl((out / "broker" / "ca.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(old_serial) is not None
    assert _https(out, "web").serial_number != old_serial and "web (https)" in (out / "ca" / "revoked.txt").read_text()


def test_provision_refuses_web_names_it_cannot_use(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(MINI.read_text() + WEB_SITE)
    out = str(tmp_path / "out")
    for bad, message in ((["--web-name", "nope=desk.example"], "'nope' is not a web server"),
                         (["--web-name", "https://desk.example"], "neither a host name nor an IP address"),
                         (["--web-name", "web=bad_name.example"], "neither a host name nor an IP address")):
        run = _provision("--site", str(site), "--out", out, *bad)
        assert run.returncode == 2 and message in run.stderr, (bad, run.stderr)
    assert not (tmp_path / "out").exists(), "a refused name must stop the run before anything is written"
    no_url = tmp_path / "no-url.toml"
    no_url.write_text(MINI.read_text() + '\n[[web]]\nid = "web"\n')
    run = _provision("--site", str(no_url), "--out", out)
    assert run.returncode == 2 and "web server web: no name for its HTTPS certificate" in run.stderr
    assert _provision("--site", str(no_url), "--out", out, "--web-name", "10.0.0.5").returncode == 0
    assert _alt_names(_https(tmp_path / "out", "web")) == {"10.0.0.5"}
    run = _provision("--site", str(MINI), "--out", str(tmp_path / "other"), "--web-name", "desk.example")
    assert run.returncode == 2 and "has no [[web]] server" in run.stderr
