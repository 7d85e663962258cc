"""The kiosk's core link against a real Mosquitto and core: replies, offline tickets when the core is silent,
and an outbox resend after a lost reply that the core answers instead of issuing a second ticket."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from kiosk_app.backend import CheckInRequest, LookupResult
from kiosk_app.core_backend import CoreBackend
from kiosk_app.outbox import Outbox
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .engine_helpers import mini_site
from .fakes import FakeCoreLink


def _link(broker: MosquittoBroker) -> Link:
    link = Link(mini_site(), broker.host, broker.port, lambda _l: None, device_id="kiosk-1", kind="kiosk")
    link.start()
    assert link.connected.wait(10)
    return link


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_kiosk_core_backend_goes_offline_when_the_core_is_silent_and_hands_in_once(
        fresh_broker: MosquittoBroker, tmp_path: Path) -> None:
    site = mini_site()
    link = _link(fresh_broker)
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    backend = CoreBackend(site, "kiosk-1", link, outbox)   # no flush thread: flush_once by hand
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    runner = None
    # the core has a session at the broker (as in production) but is down: commands would queue for it
    first = CoreRunner(QueueService(site, store, always_open=True), fresh_broker.host, fresh_broker.port,
                       client_id="core-link-test")
    first.start()
    assert first.wait_connected(10)
    first.stop()
    try:
        t0 = time.monotonic()
        result = backend.check_in(CheckInRequest("ar", concern="job", party_size=2))
        waited = time.monotonic() - t0
        assert result.kind == "issued" and result.ticket.offline and result.ticket.number == "J-900"
        assert 1.4 <= waited   # it did wait for the core first
        assert backend.lookup("AB12CD").kind == "unavailable"
        time.sleep(2.5)  # longer than the message expiry: the timed-out command must never be applied
        runner = CoreRunner(QueueService(site, store, always_open=True), fresh_broker.host, fresh_broker.port,
                            client_id="core-link-test")
        runner.start()
        assert runner.wait_connected(10)
        deadline = time.monotonic() + 15
        while backend.flush_once() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        entry = outbox.all()[0]
        assert (entry.state, entry.core_number) == ("sent", "J-900")
        # the reply was "lost": the same entry is sent again with its command id
        outbox._db.execute("UPDATE outbox SET state = 'pending', core_number = NULL")
        assert backend.flush_once() == 1
        assert outbox.all()[0].core_number == "J-900"
        assert sorted(t.number for t in runner.service.state.tickets.values()) == ["J-900"]
        t = runner.service.state.tickets[next(iter(runner.service.state.tickets))]
        assert (t.language, t.party_size) == ("ar", 2)
        # online again: a normal ticket from the core
        online = backend.check_in(CheckInRequest("de", concern="job"))
        assert online.kind == "issued" and not online.ticket.offline and online.ticket.number == "J-001"
    finally:
        if runner is not None:
            runner.stop()
        link.stop()
        outbox.close()
        store.close()


def test_kiosk_core_backend_treats_an_unusable_reply_like_no_reply(tmp_path: Path) -> None:
    """A reply that does not fit the protocol (BadReply), or an ok without a ticket: offline, as if none came."""
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    answers: list[dict | None] = [{"ticket": 42}, {"ok": True}, {"ok": True, "appointments": "x"},
                                  {"ok": True}]
    link = FakeCoreLink(lambda topic, payload: answers.pop(0))
    backend = CoreBackend(mini_site(), "kiosk-1", link, outbox)
    try:
        first = backend.check_in(CheckInRequest("de", concern="job"))
        second = backend.check_in(CheckInRequest("de", concern="job"))
        assert [r.ticket.number if r.ticket else None for r in (first, second)] == ["J-900", "J-901"]
        assert first.ticket is not None and first.ticket.offline
        assert backend.lookup("AB12CD").kind == "unavailable"
        assert backend.flush_once() == 0  # no usable answer: the entry stays and goes again, same id
        assert [e.state for e in outbox.all()] == ["pending", "pending"]
        assert link.requests[-1][2] == outbox.all()[0].cid
        # "announce" only when chosen: a core from before the field refuses unknown fields
        assert link.requests[0][1] == {"concern": "job", "language": "de", "party_size": 1, "interpreter": False,
                                       "step_free": False}
    finally:
        outbox.close()


def test_kiosk_core_backend_carries_a_journey_from_the_replies(tmp_path: Path) -> None:
    """Appointments with minutes, today and agency; a ticket with its stops, queued_from and see_reception."""
    stop = {"service": "jobcenter", "agency": "jc", "slot": "2026-11-24T10:30:00+01:00", "minutes": 20,
            "status": "waiting", "rooms": ["1.07"], "floor": 1, "queued_from": "2026-11-24T10:20:00+01:00"}
    later = {**stop, "service": "aufenthalt", "agency": "abh", "slot": "2026-11-25T09:00:00+01:00",
             "status": "planned", "rooms": ["E.01"], "floor": 0, "queued_from": None}
    replies = {
        "lookup": {"ok": True, "appointments": [
            {"service": "jobcenter", "slot": "2026-11-24T10:30:00+01:00", "minutes": 20, "party_size": 1,
             "language": "ar", "checked_in": False},
            {"service": "aufenthalt", "slot": "2026-11-25T09:00:00+01:00", "minutes": 45, "party_size": 1,
             "language": "ar", "checked_in": False, "today": False}]},
        "checkin": {"ok": True, "ticket": {
            "number": "J-004", "token": "tok-abcdefgh", "service": "jobcenter", "agency": "jc", "rooms": ["1.07"],
            "floor": 1, "waiting_ahead": 0, "estimated_wait_min": 0, "issued_at": "2026-11-24T09:05:00Z",
            "queued_from": "2026-11-24T10:20:00+01:00", "see_reception": True, "stops": [stop, later]}},
    }
    link = FakeCoreLink(lambda topic, payload: replies["lookup" if "/lookup/" in topic else "checkin"])
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    backend = CoreBackend(mini_site(), "kiosk-1", link, outbox)
    try:
        found = backend.lookup("ACDE34X")
        assert [(a.service, a.minutes, a.today, a.agency) for a in found.appointments] == [
            ("jobcenter", 20, True, "jc"), ("aufenthalt", 45, False, "abh")]
        issued = backend.check_in(CheckInRequest("ar", booking_code="ACDE34X"))
        ticket = issued.ticket
        assert ticket is not None and ticket.see_reception and ticket.queued_from is not None
        assert [(s.service, s.status, s.rooms, s.queued_from is not None) for s in ticket.stops] == [
            ("jobcenter", "waiting", ("1.07",), True), ("aufenthalt", "planned", ("E.01",), False)]
        replies["lookup"] = {"ok": False, "error": {"code": "mistyped_code", "message": "check character"}}
        assert backend.lookup("ACDE34Y") == LookupResult("refused", error="mistyped_code")
        replies["lookup"] = {"ok": True, "ticket": {
            "id": "t-4", "language": "ar", "number": "J-004",
            "service": "jobcenter", "agency": "jc", "status": "waiting", "rooms": ["1.07"],
            "floor": 1, "waiting_ahead": 2, "estimated_wait_min": 0, "queued_from": "2026-11-24T10:20:00+01:00",
            "stops": [stop, later]}}
        info = backend.lookup_ticket("tok-abcdefgh").ticket
        assert info is not None and info.agency == "jc" and len(info.stops) == 2 and info.queued_from is not None
    finally:
        outbox.close()


def test_kiosk_core_backend_offline_ticket_knows_no_stops(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    backend = CoreBackend(mini_site(), "kiosk-1", FakeCoreLink(lambda topic, payload: None), outbox,
                          reply_timeout_s=0.05)
    try:
        ticket = backend.check_in(CheckInRequest("de", booking_code="ACDE34X")).ticket
        assert ticket is not None and ticket.offline and ticket.stops == () and ticket.queued_from is None
        assert not ticket.see_reception
    finally:
        outbox.close()
