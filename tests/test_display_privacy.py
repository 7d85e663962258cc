"""Integration: everything a display-role client can read during a busy simulated morning has no personal data.

The real site, provisioned; the production broker config in a real Mosquitto; the real core; the
simulator playing kiosks and counsellors; a real kiosk, button box and reception desk adding booking
codes, handover notes, operator names and reasons. A display subscribed to `#` must get only public
topics, only public fields, and none of those strings, while reception (the positive control) sees them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import queue_protocol as p
from arkaden_cli import simulate
from arkaden_cli.population import TRANSFERS
from device_link.broker_auth import BrokerAuth
from device_link.link import Link
from host_support.site_file import load_site
from provisioning.provision import Options, provision
from queue_core.runner import CoreRunner
from queue_core.service import QueueService, utcnow
from queue_core.store import BookingInput, Store
from queue_protocol.topics import ROOT
from queue_rules.site import Site

from .engine_helpers import unknown_code
from .secure_broker import HOST, SecureBroker
from .security_helpers import Recorder, bundle_auth, password_of

pytestmark = pytest.mark.integration

SITE = Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml"
BOOKINGS = [unknown_code(100 + i) for i in range(3)]  # handed out by the fixture
NOTE = "Herr Abdullahi Warsame, Aufenthaltserlaubnis bis 03/2027, Tel. 0176 5550123"
OPERATOR = "Frau Schneider-Yilmaz"
REASON = "Klientin Mohammadi hat den Termin verschoben"
# every key a public payload may carry (written by hand: a new public field must be added here on purpose)
PUBLIC_KEYS = {"v", "service", "agency", "service_name", "waiting", "estimated_wait_min", "open_counters", "at",
               "counter", "label", "room", "status", "number", "current", "recent", "queues", "counter_label",
               "floor", "recall", "later"}
PERSONAL_KEYS = {"language", "party_size", "interpreter", "step_free", "booking_code", "booked", "note", "token",
                 "operator", "reason", "actor", "appointments", "slot", "tickets", "ticket", "data", "id"}


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[tuple[Site, Path, SecureBroker, CoreRunner]]:
    site = load_site(SITE)
    out = tmp_path / "out"
    provision(site, out, Options(broker_hosts=("localhost",)))
    broker = SecureBroker(out, tmp_path / "broker")
    broker.start()
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    now = utcnow()
    store.import_bookings([BookingInput(agency="auslaenderamt", service="aufenthaltstitel", slot=now, minutes=30,
                                        language="fa", party_size=4, ref=code, journey=code) for code in BOOKINGS])
    core_auth = BrokerAuth(username="core", password=password_of(out, "core"))
    runner = CoreRunner(QueueService(site, store, always_open=True), HOST, broker.local_port, auth=core_auth,
                        client_id="arkaden-core-privacy")
    runner.start()
    try:
        assert runner.wait_connected(15), f"core could not log in:\n{broker.log()[-2000:]}"
        yield site, out, broker, runner
    finally:
        runner.stop()
        store.close()
        broker.stop()


def _device(site: Site, out: Path, broker: SecureBroker, device: str, kind: str) -> Link:
    link = Link(site, "localhost", broker.tls_port, lambda _line: None, device_id=device, kind=kind,
                auth=bundle_auth(out, device))
    link.start()
    assert link.connected.wait(15), f"{device} could not connect over TLS:\n{broker.log()[-2000:]}"
    return link


def _keys(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield path, k
            if k != "service_name":  # keyed by UI language codes: names of services, not of people
                yield from _keys(v, f"{path}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v, path)


def test_display_reads_no_personal_data_during_a_busy_morning(
        centre: tuple[Site, Path, SecureBroker, CoreRunner]) -> None:
    site, out, broker, runner = centre
    root = f"{ROOT}/{site.site.id}"
    display = Recorder("display", bundle_auth(out, "anzeige-eg"))
    reception_watch = Recorder("reception-watch", bundle_auth(out, "empfang"))
    for rec in (display, reception_watch):
        rc = rec.connect("localhost", broker.tls_port)
        assert not getattr(rc, "is_failure", True), rc
    for topic in ("#", f"{root}/#", f"{root}/private/#", f"{root}/reply/+", f"{root}/cmd/#", f"{root}/presence/+"):
        display.subscribe(topic)  # Mosquitto 2.0 grants these; the ACL filters on delivery
    reception_watch.subscribe(f"{root}/#")

    kiosk = _device(site, out, broker, "kiosk-eingang", "kiosk")
    box = _device(site, out, broker, "box-auslaenderamt-1", "button_box")
    desk = _device(site, out, broker, "empfang", "reception")
    stop = threading.Event()
    sim_auth = BrokerAuth(username="core", password=password_of(out, "core"))  # the simulator plays every device
    stats: dict[str, int] = {}
    sim = threading.Thread(target=lambda: stats.update(simulate.run(
        site, HOST, broker.local_port, seconds=12, speed=600, stop=stop, out=lambda _l: None, seed=7,
        auth=sim_auth)))
    sim.start()
    try:
        t = kiosk.topics
        for code in BOOKINGS:
            found = kiosk.request(t.lookup("kiosk-eingang"), p.LookupBooking(id=kiosk.new_id(), booking_code=code),
                                  p.LookupReply, timeout=10)
            assert found is not None and found.ok
            reply = kiosk.request(t.checkin("kiosk-eingang"),
                                  p.CheckIn(id=kiosk.new_id(), booking_code=code, language="fa", party_size=4,
                                            interpreter=True), p.CheckInReply, timeout=10)
            assert reply and reply.ok, reply
        numbers = []
        for _ in range(3):
            reply = kiosk.request(t.checkin("kiosk-eingang"),
                                  p.CheckIn(id=kiosk.new_id(), concern="aufenthalt", language="ti", party_size=3,
                                            step_free=True), p.CheckInReply, timeout=10)
            assert reply and reply.ok, reply
            assert reply.ticket is not None
            numbers.append(reply.ticket.number)

        cmd, rec = t.counter_cmd("auslaenderamt-1"), t.reception_cmd("empfang")
        r = box.request(cmd, p.CounterCommand(id=box.new_id(), action="next"), p.CommandResult, timeout=10)
        assert r and r.ok, r
        if r.number:
            box.request(cmd, p.CounterCommand(id=box.new_id(), action="start"), p.CommandResult, timeout=10)
            r = box.request(cmd, p.CounterCommand(id=box.new_id(), action="transfer", to_service="jobcenter",
                                                  note=NOTE), p.CommandResult, timeout=10)
            assert r and r.ok, r
        for number in numbers[:2]:
            r = desk.request(rec, p.ReceptionCommand(id=desk.new_id(), action="priority", ticket=number, priority=5,
                                                     operator=OPERATOR), p.CommandResult, timeout=10)
            assert r and r.ok, r
        r = desk.request(rec, p.ReceptionCommand(id=desk.new_id(), action="cancel", ticket=numbers[2],
                                                 operator=OPERATOR, reason=REASON), p.CommandResult, timeout=10)
        assert r and r.ok, r
        sim.join(60)
    finally:
        stop.set()
        sim.join(30)
        for link in (kiosk, box, desk):
            link.stop()
    assert stats.get("checkins", 0) >= 30 and stats.get("calls", 0) >= 10, f"not a busy morning: {stats}"

    # the last state reaches both: a sentinel from the core after everything else
    runner.client.publish(f"{root}/public/board", b'{"v": 1, "sentinel": true}', qos=1)
    assert display.wait_for_payload(b'{"v": 1, "sentinel": true}', timeout=20)
    assert reception_watch.wait_for_payload(b'{"v": 1, "sentinel": true}', timeout=20)
    seen = [(topic, payload) for topic, payload in display.received() if b"sentinel" not in payload]
    private = reception_watch.received()
    display.close()
    reception_watch.close()

    # positive controls: reception saw the personal data, the display saw a busy public board
    private_blob = b"\n".join(p for _, p in private)
    tokens = {json.loads(p)["ticket"]["token"] for tp, p in private if "/reply/" in tp and b'"token"' in p}
    assert len(tokens) >= 30, "reception should have seen the check-in replies (with their tokens)"
    for secret in (NOTE, OPERATOR, REASON, *BOOKINGS):
        assert secret.encode() in private_blob, f"the morning never carried {secret!r}: the scan would prove nothing"
    calls = [p for tp, p in seen if tp == f"{root}/public/call"]
    boards = [p for tp, p in seen if tp == f"{root}/public/board"]
    assert len(calls) >= 10 and boards, f"the display saw too little: {len(calls)} calls, {len(boards)} boards"

    # the scan: topics, keys and values
    notes = {note for dests in TRANSFERS.values() for _, note in dests}
    forbidden = {NOTE, OPERATOR, REASON, *BOOKINGS, *tokens, *notes}
    ticket_ids = {json.loads(p)["data"].get("ticket") for tp, p in private if "/private/event/" in tp}
    forbidden |= {tid for tid in ticket_ids if tid}
    leaks = []
    for topic, payload in seen:
        if not topic.startswith(f"{root}/public/"):
            leaks.append(f"{topic}: a display must only read public topics")
            continue
        data = json.loads(payload)
        for where, key in _keys(data):
            if key in PERSONAL_KEYS or key not in PUBLIC_KEYS:
                leaks.append(f"{topic}: field {where}.{key}")
        text = payload.decode()
        leaks += [f"{topic}: contains {s[:30]!r}" for s in forbidden if s in text]
    assert len(seen) > 50
    assert not leaks, "\n".join(sorted(set(leaks))[:40])
