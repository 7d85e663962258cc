"""Integration: the generated broker config, passwords, certificates and ACL in a real Mosquitto 2.0.

Every role publishes and subscribes on every topic family; the broker's MQTT v5 reason codes and what
actually arrives must match the intended matrix written out below (not derived from provisioning.acl).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from paho.mqtt.reasoncodes import ReasonCode

from device_link.broker_auth import BrokerAuth
from provisioning import pki
from provisioning.provision import Options, provision
from queue_protocol.topics import ROOT, SPECS

from .secure_broker import HOST, SecureBroker
from .security_helpers import BRIDGES, Recorder, bundle_auth, password_of, provisioned

pytestmark = pytest.mark.integration

# What each role may do, per family: (publish, subscribe), each "-" (nothing), "own" (its own device
# id or its own counter), "core" (the core's presence only) or "all". Written from the issue, by hand.
INTENDED: dict[str, dict[str, tuple[str, str]]] = {
    "core": {s.name: ("all", "all") for s in SPECS},
    "kiosk": {"checkin": ("own", "-"), "lookup": ("own", "-"), "counter_cmd": ("-", "-"),
              "reception_cmd": ("-", "-"), "desk_lookup": ("-", "-"), "reply": ("-", "own"), "call": ("-", "all"),
              "board": ("-", "all"), "queue": ("-", "all"), "counter_state": ("-", "all"), "tickets": ("-", "-"),
              "event": ("-", "-"), "error": ("-", "-"), "presence": ("own", "core")},
    "display": {"checkin": ("-", "-"), "lookup": ("-", "-"), "counter_cmd": ("-", "-"), "reception_cmd": ("-", "-"),
                "desk_lookup": ("-", "-"), "reply": ("-", "-"), "call": ("-", "all"), "board": ("-", "all"),
                "queue": ("-", "all"), "counter_state": ("-", "all"), "tickets": ("-", "-"), "event": ("-", "-"),
                "error": ("-", "-"), "presence": ("own", "-")},
    "button_box": {"checkin": ("-", "-"), "lookup": ("-", "-"), "counter_cmd": ("own", "-"),
                   "reception_cmd": ("-", "-"), "desk_lookup": ("-", "-"), "reply": ("-", "own"), "call": ("-", "-"),
                   "board": ("-", "-"), "queue": ("-", "-"), "counter_state": ("-", "own"), "tickets": ("-", "-"),
                   "event": ("-", "-"), "error": ("-", "-"), "presence": ("own", "core")},
    "reception": {s.name: ("-", "all") for s in SPECS}
    | {"reception_cmd": ("own", "all"), "presence": ("own", "all")},
    # `arkaden web`: commands for every counter (it checks itself which desk may use which); the waiting list
    # and audit events it shows; look-ups and desk questions as itself; no check-ins, reception actions, errors
    "web": {"checkin": ("-", "-"), "lookup": ("own", "-"), "counter_cmd": ("all", "-"), "reception_cmd": ("-", "-"),
            "desk_lookup": ("own", "-"), "reply": ("-", "own"), "call": ("-", "all"), "board": ("-", "all"),
            "queue": ("-", "all"), "counter_state": ("-", "all"), "tickets": ("-", "all"), "event": ("-", "all"),
            "error": ("-", "-"), "presence": ("own", "core")},
}
INTENDED["bridge"] = INTENDED["button_box"]  # for each of its boxes, what the box may do

# the client of each role under test, and what counts as its own
USERS: dict[str, tuple[str, set[str]]] = {
    "core": ("core", set()),
    "kiosk": ("kiosk-1", {"kiosk-1"}),
    "display": ("display-1", {"display-1"}),
    "button_box": ("box-abh-1", {"box-abh-1", "abh-1"}),
    "bridge": ("buttons", {"buttons", "box-abh-1", "abh-1"}),
    "reception": ("reception", {"reception"}),
    "web": ("web", {"web"}),
}
PARAMS = {
    # check-ins and look-ups are sent as {kiosk}: kiosks and web servers
    "kiosk": ["kiosk-1", "kiosk-2", "web", "web-2"], "counter": ["abh-1", "abh-2"],
    "desk": ["reception", "reception-2"], "web": ["web", "web-2"],
    "device": ["core", "kiosk-1", "kiosk-2", "display-1", "display-2", "box-abh-1", "box-abh-2", "reception",
               "buttons", "web", "web-2"],
    "service": ["aufenthalt"], "type": ["ticket_called"],
}
NOT_AUTHORIZED = 0x87


def instances() -> list[tuple[str, str | None, str]]:
    """(family, parameter, topic) for every family, with own and foreign parameter values."""
    out = []
    for spec in SPECS:
        if "{" not in spec.pattern:
            out.append((spec.name, None, f"{ROOT}/mini/{spec.pattern}"))
            continue
        placeholder = spec.pattern[spec.pattern.index("{") + 1: spec.pattern.index("}")]
        assert placeholder in PARAMS, f"no test values for {{{placeholder}}} of family {spec.name}"
        prefix = spec.pattern[: spec.pattern.index("{")]
        out += [(spec.name, v, f"{ROOT}/mini/{prefix}{v}") for v in PARAMS[placeholder]]
    return out


def expected(role: str, family: str, param: str | None, action: str) -> bool:
    assert family in INTENDED[role], f"the intended matrix has no entry for family {family!r}, role {role!r}"
    rule = INTENDED[role][family][0 if action == "publish" else 1]
    if rule == "all":
        return True
    if rule == "own":
        return param in USERS[role][1]
    if rule == "core":
        return param == "core"
    return False


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SecureBroker, Path]]:
    tmp = tmp_path_factory.mktemp("secure")
    _, out = provisioned(tmp)
    broker = SecureBroker(out, tmp / "broker")
    broker.start()
    yield broker, out
    broker.stop()


def connect(broker: SecureBroker, out: Path, role: str, name: str) -> Recorder:
    """The core logs in with its password on the loopback listener; devices with certificates over TLS."""
    user = USERS[role][0]
    if role == "core":
        rec = Recorder(name, BrokerAuth(username="core", password=password_of(out, "core")))
        rc = rec.connect(HOST, broker.local_port)
    else:
        rec = Recorder(name, bundle_auth(out, user))
        rc = rec.connect("localhost", broker.tls_port)
    assert isinstance(rc, ReasonCode) and not rc.is_failure, f"{user} could not connect: {rc}\n{broker.log()[-2000:]}"
    return rec


def test_every_family_has_an_intended_rule_for_every_role() -> None:
    for role, rules in INTENDED.items():
        assert {s.name for s in SPECS} == set(rules), f"role {role}: intended matrix and topic table differ"


def test_publish_matrix_reason_codes_and_delivery(secure: tuple[SecureBroker, Path]) -> None:
    broker, out = secure
    observer = connect(broker, out, "core", "observer")
    assert observer.subscribe(f"{ROOT}/mini/#")[0].value == 1
    wrong: list[str] = []
    results: dict[tuple[str, str], ReasonCode] = {}
    try:
        for role, (user, _) in USERS.items():
            client = connect(broker, out, role, f"pub-{user}")
            try:
                for _family, _param, topic in instances():
                    results[(role, topic)] = client.publish(topic, f"pub {user} {topic}".encode())  # type: ignore[assignment]
                sentinel = f"sentinel {user}".encode()
                client.publish(f"{ROOT}/mini/presence/{user}", sentinel)
                assert observer.wait_for_payload(sentinel), f"observer never saw {user}'s sentinel"
            finally:
                client.close()
        seen = {payload for _, payload in observer.received()}
        for role, (user, _) in USERS.items():
            for family, param, topic in instances():
                rc, want = results[(role, topic)], expected(role, family, param, "publish")
                arrived = f"pub {user} {topic}".encode() in seen
                if want and (rc.is_failure or not arrived):
                    wrong.append(f"{user} publish {topic}: should pass, got {rc} (delivered: {arrived})")
                if not want and (rc.value != NOT_AUTHORIZED or arrived):
                    wrong.append(f"{user} publish {topic}: should be refused with 0x87, got {rc} "
                                 f"(delivered: {arrived})")
    finally:
        observer.close()
    assert not wrong, "\n".join(wrong)
    assert sum(1 for r in results.values() if r.value == NOT_AUTHORIZED) > 100  # the matrix refuses a lot


def test_read_matrix_individual_and_wildcard_subscriptions(secure: tuple[SecureBroker, Path]) -> None:
    """Mosquitto 2.0 grants every SUBSCRIBE and enforces read access on delivery; both must match the matrix."""
    broker, out = secure
    clients: dict[str, tuple[Recorder, Recorder]] = {}
    wrong: list[str] = []
    granted_but_denied = 0
    try:
        for role, (user, _) in USERS.items():
            each, tree = connect(broker, out, role, f"each-{user}"), connect(broker, out, role, f"tree-{user}")
            clients[role] = (each, tree)
            for family, param, topic in instances():
                rc = each.subscribe(topic)[0]
                want = expected(role, family, param, "subscribe")
                if want and rc.is_failure:
                    wrong.append(f"{user} subscribe {topic}: refused ({rc}) but should be allowed")
                elif not want and not rc.is_failure:
                    granted_but_denied += 1  # allowed at SUBACK, filtered on delivery (checked below)
                elif not want and rc.value != NOT_AUTHORIZED:
                    wrong.append(f"{user} subscribe {topic}: unexpected {rc}")
            assert not tree.subscribe("#")[0].is_failure
        publisher = connect(broker, out, "core", "publisher")
        try:
            for _family, _param, topic in instances():
                assert not publisher.publish(topic, f"read {topic}".encode()).is_failure  # type: ignore[attr-defined]
            for sentinel_topic in (f"{ROOT}/mini/public/board", f"{ROOT}/mini/public/counter/abh-1"):
                assert not publisher.publish(sentinel_topic, b"sentinel").is_failure  # type: ignore[attr-defined]
        finally:
            publisher.close()
        for role, (user, _) in USERS.items():
            want = {topic for family, param, topic in instances() if expected(role, family, param, "subscribe")}
            for how, rec in zip(("each", "#"), clients[role], strict=True):
                assert rec.wait_for_payload(b"sentinel"), f"{user} ({how}) got no sentinel"
                got = {t for t, payload in rec.received() if payload.startswith(b"read ")}
                for topic in sorted(got - want):
                    wrong.append(f"{user} ({how}) received {topic}, which it must not read")
                for topic in sorted(want - got):
                    wrong.append(f"{user} ({how}) did not receive {topic}, which it may read")
    finally:
        for pair in clients.values():
            for rec in pair:
                rec.close()
    assert not wrong, "\n".join(wrong)
    # What Debian 12's Mosquitto 2.0.11 really does (docs/security.md says so): SUBACK grants every
    # subscription with acl_file; nothing the ACL denies is delivered.
    assert granted_but_denied > 0


def test_taking_over_the_cores_session_reveals_nothing_private(secure: tuple[SecureBroker, Path]) -> None:
    """A kiosk that connects with the core's client id gets no rights of the core (see docs/security.md)."""
    broker, out = secure
    root = f"{ROOT}/mini"
    victim = Recorder("victim", BrokerAuth(username="core", password=password_of(out, "core")),
                      client_id="arkaden-core-mini-takeover")
    assert not victim.connect(HOST, broker.local_port, persistent=True).is_failure  # type: ignore[attr-defined]
    victim.subscribe(f"{root}/#")
    victim.close()  # the session stays, with its subscription, and queues what comes meanwhile
    publisher = connect(broker, out, "core", "takeover-publisher")
    thief = Recorder("thief", bundle_auth(out, "kiosk-1"), client_id="arkaden-core-mini-takeover")
    try:
        publisher.publish(f"{root}/private/tickets", b"queued private")
        publisher.publish(f"{root}/reply/reception", b"queued reply")
        assert not thief.connect("localhost", broker.tls_port, persistent=True).is_failure  # type: ignore[attr-defined]
        thief.subscribe(f"{root}/#")
        publisher.publish(f"{root}/private/tickets", b"live private")
        publisher.publish(f"{root}/public/board", b"sentinel")
        assert thief.wait_for_payload(b"sentinel")
        got = {payload for _, payload in thief.received()}
        assert not got & {b"queued private", b"queued reply", b"live private"}, got
    finally:
        thief.close()
        publisher.close()


def test_anonymous_clients_and_wrong_passwords_are_refused(secure: tuple[SecureBroker, Path]) -> None:
    broker, out = secure
    # Mosquitto 2.0.11 answers all of these with CONNACK 0x87 "Not authorized" (not 0x86)
    cases = {
        "anonymous": None,
        "wrong password": BrokerAuth(username="core", password="not-the-password"),
        "unknown user": BrokerAuth(username="intruder", password="x"),
        "no password": BrokerAuth(username="core"),
    }
    for what, auth in cases.items():
        rec = Recorder(what.replace(" ", "-"), auth)
        try:
            rc = rec.connect(HOST, broker.local_port)
            assert isinstance(rc, ReasonCode) and rc.value == NOT_AUTHORIZED, f"{what}: {rc}"
        finally:
            rec.close()
    # a device's generated password hash is accepted by the real broker
    rec = Recorder("kiosk-pw", BrokerAuth(username="kiosk-1", password=password_of(out, "kiosk-1")))
    try:
        rc = rec.connect(HOST, broker.local_port)
        assert isinstance(rc, ReasonCode) and not rc.is_failure, rc
    finally:
        rec.close()


def _tls_refused(broker: SecureBroker, auth: BrokerAuth) -> bool:
    rec = Recorder("tls", auth)
    try:
        rc = rec.connect("localhost", broker.tls_port, timeout=5)
        return not isinstance(rc, ReasonCode) or rc.is_failure
    finally:
        rec.close()


def test_tls_listener_refuses_foreign_missing_and_revoked_certificates(
        secure: tuple[SecureBroker, Path], tmp_path: Path) -> None:
    broker, out = secure
    good = bundle_auth(out, "kiosk-1")
    assert not _tls_refused(broker, good)
    # a certificate for the same name from another CA
    other_ca = pki.new_ca("mini")
    key = pki.new_key()
    (tmp_path / "forged.key").write_bytes(pki.key_pem(key))
    (tmp_path / "forged.crt").write_bytes(pki.cert_pem(pki.issue(other_ca, key, "kiosk-1", "mini")))
    forged = BrokerAuth(ca=good.ca, cert=tmp_path / "forged.crt", key=tmp_path / "forged.key")
    assert _tls_refused(broker, forged), "a certificate from another CA was accepted"
    # no client certificate, even with the right password
    assert _tls_refused(broker, BrokerAuth(username="kiosk-1", password=password_of(out, "kiosk-1"), ca=good.ca))
    # the client refuses a broker whose certificate is not from the site CA
    (tmp_path / "other-ca.crt").write_bytes(pki.cert_pem(other_ca.cert))
    assert _tls_refused(broker, BrokerAuth(ca=tmp_path / "other-ca.crt", cert=good.cert, key=good.key))


def test_rotating_a_device_revokes_its_old_certificate(tmp_path: Path) -> None:
    site, out = provisioned(tmp_path)
    old = tmp_path / "old"
    shutil.copytree(out / "devices" / "kiosk-1", old)
    provision(site, out, Options(broker_hosts=("localhost",), bridges=BRIDGES, rotate=frozenset({"kiosk-1"})))
    broker = SecureBroker(out, tmp_path / "broker")
    broker.start()
    try:
        stale = BrokerAuth(ca=old / "ca.crt", cert=old / "client.crt", key=old / "client.key")
        assert _tls_refused(broker, stale), "a rotated (revoked) certificate was accepted"
        assert not _tls_refused(broker, bundle_auth(out, "kiosk-1"))
        assert not _tls_refused(broker, bundle_auth(out, "kiosk-2"))  # the others are untouched
        old_pw = (old / "password").read_text().strip()
        rec = Recorder("old-pw", BrokerAuth(username="kiosk-1", password=old_pw))
        try:
            rc = rec.connect(HOST, broker.local_port)
            assert isinstance(rc, ReasonCode) and rc.is_failure, "the rotated password still works"
        finally:
            rec.close()
    finally:
        broker.stop()


def test_optional_websockets_listener_uses_tls_and_passwords(tmp_path: Path) -> None:
    _, out = provisioned(tmp_path)
    broker = SecureBroker(out, tmp_path / "broker", websockets=True)
    broker.start()
    try:
        assert broker.ws_port is not None
        ca = out / "broker" / "ca.crt"
        for password, ok in ((password_of(out, "reception"), True), ("wrong", False)):
            rec = Recorder("ws", BrokerAuth(username="reception", password=password, ca=ca), websockets=True)
            try:
                rc = rec.connect("localhost", broker.ws_port)
                assert isinstance(rc, ReasonCode) and rc.is_failure != ok, f"websockets, ok={ok}: {rc}"
            finally:
                rec.close()
    finally:
        broker.stop()


def test_core_command_logs_in_with_its_bundle_and_serves_a_kiosk_over_tls(tmp_path: Path) -> None:
    """`arkaden core --broker-config` against the production config; a kiosk checks in over TLS."""
    import subprocess
    import sys

    import queue_protocol as p
    from device_link.link import Link

    site, out = provisioned(tmp_path)
    broker = SecureBroker(out, tmp_path / "broker")
    broker.start()
    log = (tmp_path / "core.log").open("wb")
    core = subprocess.Popen(
        [sys.executable, "-m", "arkaden_cli", "core", "--site", str(tmp_path / "site.toml"), "--always-open",
         "--broker-config", str(out / "devices" / "core" / "device.toml"), "--port", str(broker.local_port),
         "--db-url", f"sqlite:///{tmp_path / 'core.db'}"], stdout=subprocess.DEVNULL, stderr=log)
    kiosk = Link(site, "localhost", broker.tls_port, lambda _line: None, device_id="kiosk-1", kind="kiosk",
                 auth=bundle_auth(out, "kiosk-1"))
    kiosk.start()
    try:
        assert kiosk.connected.wait(15), broker.log()[-2000:]
        reply = None
        command = p.CheckIn(id="c-1", concern="residence")
        for _ in range(30):  # the core may still be starting: a request without answer is simply retried
            reply = kiosk.request(kiosk.topics.checkin("kiosk-1"), command, p.CheckInReply, timeout=1)
            if reply is not None:
                break
        assert reply is not None and reply.ok, (reply, (tmp_path / "core.log").read_text()[-2000:])
        assert reply.ticket is not None and reply.ticket.number == "A-001"
    finally:
        kiosk.stop()
        core.terminate()
        try:
            core.wait(20)
        finally:
            if core.poll() is None:
                core.kill()
                core.wait()
            log.close()
            broker.stop()


def test_web_server_serves_https_with_its_provisioned_bundle(tmp_path: Path) -> None:
    """`arkaden web` with the bundle `arkaden provision` wrote: HTTPS that the site CA vouches for, and a
    broker login over TLS with its own certificate (its health page says so only once it is connected)."""
    import ssl
    import subprocess
    import sys
    import time

    import httpx

    from arkaden_cli.dev_broker import free_port

    _, out = provisioned(tmp_path)
    broker = SecureBroker(out, tmp_path / "broker")
    broker.start()
    bundle, port = out / "devices" / "web", free_port()
    log = (tmp_path / "web.log").open("wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "arkaden_cli", "web", "--site", str(tmp_path / "site.toml"), "--device", "web",
         "--broker-config", str(bundle / "device.toml"), "--port", str(broker.tls_port),
         "--https-cert", str(bundle / "https.crt"), "--https-key", str(bundle / "https.key"),
         "--users", str(tmp_path / "users.json"), "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log)
    trusting = ssl.create_default_context(cafile=str(out / "ca" / "ca.crt"))
    try:
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and web.poll() is None:
            try:
                health = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=trusting, timeout=2)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert health is not None and health.status_code == 200 and health.text == "ok", \
            (tmp_path / "web.log").read_text(errors="replace")[-3000:] + broker.log()[-2000:]
        # a browser without the site CA refuses the certificate
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/healthz", verify=ssl.create_default_context(), timeout=5)
    finally:
        web.terminate()
        try:
            web.wait(20)
        finally:
            if web.poll() is None:
                web.kill()
                web.wait()
            log.close()
            broker.stop()


DEPLOYMENT = Path(__file__).resolve().parents[1] / "docs" / "deployment.md"


def test_the_broker_logs_what_deployment_md_tells_the_reader_to_look_for(secure: tuple[SecureBroker, Path]) -> None:
    """The check after installing Mosquitto: the file the docs name is Debian's log, and the quoted line is in it
    at the log level the production drop-in sets."""
    import re

    broker, _ = secure
    line = next(ln for ln in DEPLOYMENT.read_text().splitlines() if "mosquitto.log" in ln and ln.startswith("tail"))
    command, _, comment = line.partition("#")
    debian = Path("/etc/mosquitto/mosquitto.conf")
    assert debian.exists(), f"{debian} missing: install the Debian package 'mosquitto'"
    log_dest = re.search(r"^log_dest file (\S+)$", debian.read_text(), flags=re.MULTILINE)
    assert log_dest is not None and command.split()[-1] == log_dest.group(1), (command, log_dest)
    quoted = re.findall(r'"([^"]+)"', comment)
    assert quoted and quoted[-1] == "Error:", comment
    wanted = quoted[0].replace("8883", str(broker.tls_port))
    assert wanted in broker.log(), f"{wanted!r} not in the broker's log:\n{broker.log()[-2000:]}"
    assert "Error:" not in broker.log()


@pytest.mark.slow  # provisions twice and starts the broker twice
def test_a_rotated_certificate_keeps_its_open_connection_until_the_broker_restarts(tmp_path: Path) -> None:
    """Why deployment.md says `restart`, not `reload`, after --rotate: Mosquitto checks a certificate only in the
    TLS handshake. A reload refuses the old certificate to new connections, but one opened before keeps its rights."""
    import signal
    import time

    site, out = provisioned(tmp_path)
    old = tmp_path / "old"
    shutil.copytree(out / "devices" / "kiosk-1", old)
    stale = BrokerAuth(ca=old / "ca.crt", cert=old / "client.crt", key=old / "client.key")
    broker = SecureBroker(out, tmp_path / "broker")
    broker.start()
    thief, observer = Recorder("stolen-kiosk", stale), None
    try:
        assert not thief.connect("localhost", broker.tls_port).is_failure  # type: ignore[attr-defined]
        observer = connect(broker, out, "core", "observer")
        observer.subscribe(f"{ROOT}/mini/presence/#")
        provision(site, out, Options(broker_hosts=("localhost",), bridges=BRIDGES, web_names=("127.0.0.1",),
                                     rotate=frozenset({"kiosk-1"})))
        assert broker._proc is not None
        broker._proc.send_signal(signal.SIGHUP)  # what `systemctl reload mosquitto` does
        deadline = time.monotonic() + 10
        while "Reloading config." not in broker.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Reloading config." in broker.log(), broker.log()[-2000:]  # the line the docs quote
        assert _tls_refused(broker, stale), "after the reload a new connection with the old certificate is refused"
        assert not thief.publish(f"{ROOT}/mini/presence/kiosk-1", b"still here").is_failure  # type: ignore[attr-defined]
        assert observer.wait_for_payload(b"still here"), "the open connection lost its rights at the reload"
        broker.stop()
        broker.start()  # `systemctl restart mosquitto`
        with thief.cv:
            assert thief.cv.wait_for(lambda: thief.disconnected, 10), "the restart must close the old connection"
        assert _tls_refused(broker, stale)
        assert not _tls_refused(broker, bundle_auth(out, "kiosk-1"))  # the new bundle works
    finally:
        for rec in (thief, observer):
            if rec is not None:
                rec.close()
        broker.stop()
