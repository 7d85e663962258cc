"""The kiosk's seams under faults: refusals worth retrying, a core that answers late, the core's presence, and a
printer whose status read fails after the slip went out. Real Mosquitto, real core, real printer simulator where
the path matters; FakeCoreLink only for the table of refusal codes."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from device_link.mqtt_client import make_client
from kiosk_app.backend import CheckInRequest
from kiosk_app.core_backend import CoreBackend, retryable
from kiosk_app.outbox import Outbox
from kiosk_app.printing.escpos_printer import EscposTicketPrinter
from kiosk_app.printing.factory import parse_printer_url
from kiosk_app.printing.simulator import TcpPrinterSimulator
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .engine_helpers import mini_site
from .fakes import FakeCoreLink
from .printing_helpers import Outcomes, slip

SITE_ID = "mini"
WALK_IN = CheckInRequest("ar", concern="job", party_size=2)


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


class CommandSpy:
    """A plain MQTT client on the kiosk's check-in topic: records every command that reaches the broker."""

    def __init__(self, broker: MosquittoBroker, topic: str):
        self.commands: list[dict[str, Any]] = []
        self.client = make_client("spy-checkins")
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_message = lambda c, u, msg: self.commands.append(json.loads(msg.payload))
        self.client.connect(broker.host, broker.port, keepalive=30, clean_start=True)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _core(site: Any, store: Store, broker: MosquittoBroker) -> CoreRunner:
    runner = CoreRunner(QueueService(site, store, always_open=True), broker.host, broker.port,
                        client_id="core-seams-test")
    runner.start()
    assert runner.wait_connected(10)
    return runner


@contextmanager
def kiosk(broker: MosquittoBroker, outbox: Outbox, **options: Any) -> Iterator[CoreBackend]:
    """A kiosk's link and backend wired as ``kiosk_app.main.build_parts`` does: the core's presence goes to it."""
    site = mini_site()
    holder: dict[str, CoreBackend] = {}
    topics = p.Topics(SITE_ID)
    link = Link(site, broker.host, broker.port, lambda _l: None, device_id="kiosk-1", kind="kiosk",
                subscriptions=[topics.presence("core")],
                on_public=lambda topic, data: holder["b"].on_public(topic, data),
                on_connected=lambda: holder["b"].connected())
    backend = CoreBackend(site, "kiosk-1", link, outbox, **options)
    holder["b"] = backend
    link.start()
    assert link.connected.wait(10)
    backend.start()
    try:
        yield backend
    finally:
        backend.stop()
        link.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'core.db'}")
    s.migrate()
    yield s
    s.close()


# --- item 3: the core's presence -------------------------------------------------------------------------


def test_kiosk_seams_a_core_known_offline_gets_an_offline_ticket_unasked_and_its_return_hands_it_in(
        fresh_broker: MosquittoBroker, store: Store, tmp_path: Path) -> None:
    """presence/core says offline: no check-in is sent (nothing to wait 1.5 s for, nothing for `replaces`);
    presence/core online again: the outbox goes at once (the poll is 10 minutes here, so only the wake can do it)."""
    site = mini_site()
    _core(site, store, fresh_broker).stop()          # the core went away: its retained presence says offline
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    spy = CommandSpy(fresh_broker, p.Topics(SITE_ID).checkin("kiosk-1"))
    runner = None
    try:
        with kiosk(fresh_broker, outbox, poll_s=600) as backend:
            wait_until("the kiosk knows the core is offline", lambda: not backend.core_reachable())
            result = backend.check_in(WALK_IN)
            assert result.kind == "issued" and result.ticket is not None and result.ticket.offline
            assert result.ticket.number == "J-900"
            assert backend.lookup("AB12CD").kind == "unavailable"
            [entry] = outbox.all()
            assert "replaces" not in entry.payload and entry.state == "pending"
            runner = _core(site, store, fresh_broker)   # back: presence/core online
            wait_until("the outbox handed in", lambda: outbox.all()[0].state == "sent")
            assert outbox.all()[0].core_number == "J-900"
        assert [c["id"] for c in spy.commands] == [entry.cid]   # the hand-in, and no check-in before it
        assert [t.number for t in runner.service.state.tickets.values()] == ["J-900"]
    finally:
        spy.close()
        if runner is not None:
            runner.stop()
        outbox.close()


# --- item 1: refusals worth retrying -------------------------------------------------------------------


def test_kiosk_seams_a_storage_refusal_keeps_the_offline_ticket_and_the_backoff_hands_it_in(
        fresh_broker: MosquittoBroker, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core's database fails once while the outbox hands in (a database restart): the core answers `storage`;
    the entry stays pending and goes again after the backoff (the poll is 10 minutes here), once."""
    site = mini_site()
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    issued_at = datetime.now(UTC)
    outbox.issue(issued_at.astimezone(site.tz).date(), (900, 999),
                 {**WALK_IN.body(), "issued_at": issued_at.isoformat()})
    original, failed = store.append, []

    def restarting(*args: Any, **kwargs: Any) -> list[int]:
        if not failed:
            failed.append(True)
            raise sa.exc.OperationalError("INSERT INTO event_log", {}, Exception("the database system is starting up"))
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "append", restarting)
    runner = _core(site, store, fresh_broker)
    try:
        with kiosk(fresh_broker, outbox, poll_s=600, backoff_first_s=0.2):
            wait_until("the outbox handed in", lambda: outbox.all()[0].state != "pending")
        [entry] = outbox.all()
        assert failed == [True]
        assert (entry.state, entry.core_number, entry.error) == ("sent", "J-900", None)
        assert [t.number for t in runner.service.state.tickets.values()] == ["J-900"]
    finally:
        runner.stop()
        outbox.close()


@pytest.mark.parametrize(("code", "again"), [
    ("storage", True), ("internal", True), ("rate_limited", True),
    ("offline_expired", False), ("superseded", False), ("number_taken", False), ("no_booking", False),
    ("a_code_from_a_newer_core", False),
])
def test_kiosk_seams_outbox_retries_what_the_error_table_calls_worth_retrying(
        tmp_path: Path, code: str, again: bool) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    link = FakeCoreLink(lambda topic, payload: {"ok": False, "error": {"code": code, "message": "no"}})
    backend = CoreBackend(mini_site(), "kiosk-1", link, outbox)
    try:
        assert retryable(code) is again
        if code in p.ERROR_CODES:
            assert p.ERROR_CODES[code][1] is again       # as docs/protocol.md's table says
        outbox.issue(datetime.now(UTC).date(), (900, 999), {**WALK_IN.body(), "issued_at": "2026-11-24T09:00:00Z"})
        assert backend.flush_once() == (0 if again else 1)
        [entry] = outbox.all()
        assert entry.state == ("pending" if again else "rejected") and entry.error == f"{code}: no"
        sent = len(link.requests)
        backend.flush_once()
        assert len(link.requests) == (sent + 1 if again else sent)      # a final refusal is never sent again
        assert link.requests[-1][2] == entry.cid                          # a retry keeps its command id
    finally:
        outbox.close()


# --- item 2: a core that answers late ------------------------------------------------------------------


def test_kiosk_seams_an_offline_ticket_after_a_timeout_names_the_check_in_and_the_late_answer_is_dropped(
        fresh_broker: MosquittoBroker, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The real core takes longer than the kiosk waits (a 1-2 s restart, here a slow first command): the offline
    ticket carries `replaces` = the online check-in's id; the core's late answer is logged, never returned."""
    site = mini_site()
    runner = _core(site, store, fresh_broker)
    original, slowed = runner.service.handle, threading.Event()

    def slow_first(msg: Any) -> Any:
        if "/cmd/checkin/" in msg.topic and not slowed.is_set():
            slowed.set()
            time.sleep(0.6)
        return original(msg)

    runner.service.handle = slow_first  # type: ignore[method-assign]
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    spy = CommandSpy(fresh_broker, p.Topics(SITE_ID).checkin("kiosk-1"))
    caplog.set_level(logging.WARNING, logger="arkaden.kiosk.core")
    try:
        with kiosk(fresh_broker, outbox, reply_timeout_s=0.2, poll_s=600) as backend:
            result = backend.check_in(WALK_IN)
            assert result.ticket is not None and result.ticket.offline and result.ticket.number == "J-900"
            [online_id] = [c["id"] for c in spy.commands if "offline_number" not in c]
            [entry] = outbox.all()
            assert entry.payload["replaces"] == online_id
            wait_until("the late answer is logged", lambda: any("answered check-in" in r.message
                                                                  for r in caplog.records))
            [late] = [r.getMessage() for r in caplog.records if "answered check-in" in r.message]
            assert online_id in late and "J-001" in late and "J-900" in late and "not printed" in late
            on_time = backend.check_in(CheckInRequest("de", concern="job"))   # the core is quick again
            assert on_time.ticket is not None and not on_time.ticket.offline and on_time.ticket.number == "J-002"
            online = [p.CheckIn.model_validate(c) for c in spy.commands if "offline_number" not in c]
            assert [c.replaces for c in online] == [None, None]   # an online check-in replaces nothing
    finally:
        spy.close()
        runner.stop()
        outbox.close()


def test_kiosk_seams_replaces_only_when_a_check_in_was_sent(tmp_path: Path) -> None:
    """No broker: nothing was sent, nothing to replace. Broker but no answer: the offline ticket names it."""
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    down = FakeCoreLink(online=False)
    silent = FakeCoreLink(lambda topic, payload: None)
    try:
        CoreBackend(mini_site(), "kiosk-1", down, outbox).check_in(WALK_IN)
        assert down.requests == [] and "replaces" not in outbox.all()[0].payload
        CoreBackend(mini_site(), "kiosk-1", silent, outbox, reply_timeout_s=0.05).check_in(WALK_IN)
        [(_, _, online_id)] = silent.requests
        assert outbox.all()[1].payload["replaces"] == online_id
        assert p.CheckIn.model_validate({**outbox.all()[1].payload, "id": outbox.all()[1].cid}).replaces == online_id
    finally:
        outbox.close()


# --- item 4: the printer's status read after a completed write ---------------------------------------------


def test_kiosk_seams_printer_connection_lost_after_the_whole_slip_counts_as_printed_once() -> None:
    """The TCP printer takes the whole slip (up to the cut), then the connection drops before the status read:
    printed, status unknown, and a resubmit of the same ticket is answered "already printed", not printed twice."""
    with TcpPrinterSimulator() as sim:
        original = sim.printer.feed
        dropped: list[bool] = []

        def feed(chunk: bytes) -> bytes:
            answer = original(chunk)
            if b"\x1dV" in chunk and not dropped:          # the cut: the slip is complete
                dropped.append(True)
                sim.drop_connections()
            return answer

        sim.printer.feed = feed  # type: ignore[method-assign]
        transport, defaults = parse_printer_url(sim.url)
        printer = EscposTicketPrinter(transport, 576, replace(defaults, poll_interval=0.2, job_deadline=30))
        outcomes = Outcomes()
        printer.start()
        first = slip("de")
        try:
            printer.submit(first, outcomes)
            [outcome] = outcomes.wait(1)
            printer.submit(first, outcomes)
            results = outcomes.wait(2)
        finally:
            printer.stop()
    assert dropped == [True]
    assert outcome.printed and "status afterwards is unknown" in outcome.reason, outcome.reason
    assert results[1].printed and results[1].reason == "already printed; not printed twice"
    assert bytes(sim.printer.received).count(b"\x1b@") == 1 and len(sim.printer.pages) == 1
