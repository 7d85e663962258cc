"""Faults at the day's edges, against the core process on a simulated clock (`--sim-clock`) and a real Mosquitto:
midnight with clients still waiting and yesterday's commands delivered late, and the two DST nights of 2026."""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from host_support.sim_clock import SimClock
from queue_core.store import Store
from queue_rules import events as ev
from queue_rules.site import Site

from .checks import core_problems, differences, fold, retained_state, wait_quiet
from .clients import FaultClient
from .conftest import CoreProcess, Figures

TZ = ZoneInfo("Europe/Berlin")
MARGIN_S = 10.0   # real seconds from starting the core to midnight: start-up plus the evening's check-ins
EMPTY_QUEUES = {"aufenthalt": 0, "jobcenter": 0, "leistung": 0}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, *,
          offset_h: int) -> datetime:
    """A site-local wall time with its UTC offset spelt out (so a DST test says which of two 02:10 it means)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone(timedelta(hours=offset_h)))


def waiting(board: dict[str, Any]) -> dict[str, int]:
    return {q["service"]: q["waiting"] for q in board["queues"]}


def shown(board: dict[str, Any]) -> set[str]:
    """Every number on a board: current and recent calls."""
    return {c["number"] for c in board["current"]} | {c["number"] for c in board["recent"]}


@dataclass
class Night:
    """The devices of a night: a kiosk, reception, two button boxes and a wall display, on the rush site."""

    site: Site
    broker: MosquittoBroker
    core: CoreProcess
    clients: dict[str, FaultClient] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)   # number -> the check-in that issued it
    topics: p.Topics = field(init=False)

    def __post_init__(self) -> None:
        self.topics = t = p.Topics(self.site.site.id)
        host, port = self.broker.host, self.broker.port
        self.clients["display"] = FaultClient(host, port, "mini", "display-1",
                                              [t.call(), t.board(), t.tickets(), t.presence("core")])
        for device in ("kiosk-1", "reception", "box-abh-1", "box-abh-2"):
            self.clients[device] = FaultClient(host, port, "mini", device, [t.reply(device)])

    @property
    def display(self) -> FaultClient:
        return self.clients["display"]

    def run_core(self, clock: SimClock) -> None:
        """(Re)start the core on this clock and wait for its presence."""
        since = time.monotonic()
        self.core.restart("--sim-clock", clock.spec())
        self.core.wait_online(self.display, since)

    def check_in(self, concern: str, **extra: Any) -> dict[str, Any]:
        body = {"v": 1, "id": f"kiosk-1-{len(self.bodies)}-{time.monotonic_ns()}", "concern": concern, **extra}
        reply = self.clients["kiosk-1"].ask(self.topics.checkin("kiosk-1"), body, self.topics.reply("kiosk-1"))
        assert reply["ok"], reply
        self.bodies[reply["ticket"]["number"]] = body
        return dict(reply["ticket"])

    def press(self, counter: str, action: str) -> dict[str, Any]:
        box = f"box-{counter}"
        return self.clients[box].ask(self.topics.counter_cmd(counter), {"action": action}, self.topics.reply(box))

    def board(self, predicate: Any, timeout: float = 10) -> dict[str, Any]:
        return self.display.wait_for(self.topics.board(), predicate, timeout)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def check_fold(night: Night, now: datetime) -> list[str]:
    """The core stopped cleanly: the log folds to the retained state a display gets now."""
    wait_quiet(night.display)
    night.core.stop()
    store = Store(night.core.db_url)
    try:
        state = fold(store, night.site)
    finally:
        store.close()
    return differences(state, night.site, retained_state(night.broker.host, night.broker.port, night.site), now)


def events_of(db_url: str, day: date) -> list[ev.Event]:
    store = Store(db_url)
    try:
        return list(store.events(day=day))
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.integration
def test_midnight_with_clients_waiting_and_yesterdays_commands_delivered_late(
        core_process: CoreProcess, fresh_broker: MosquittoBroker, rush_site: Site, figures: Figures) -> None:
    """On the spring DST night: five clients wait and one is called at 23:59; the core stalls (SIGSTOP) with
    yesterday's next, recall, priority, a repeated check-in and an offline ticket of 23:59 in its socket and
    resumes after midnight: nobody of yesterday is called or comes back, the board and the reception list are
    empty, numbers restart at 001. The 23-hour day keeps counting across 02:00 → 03:00 and ends at its own midnight."""
    began = time.monotonic()
    midnight = datetime(2026, 3, 29, tzinfo=TZ)
    clock = SimClock(midnight - timedelta(seconds=MARGIN_S), time.time(), 1.0)
    night = Night(rush_site, fresh_broker, core_process)
    t = night.topics
    try:
        night.run_core(clock)
        figures["core_start_s"] = round(MARGIN_S - (midnight - clock.now()).total_seconds(), 2)
        evening = [night.check_in(c) for c in ("residence", "residence", "residence", "job", "job")]
        assert [x["number"] for x in evening] == ["A-001", "A-002", "A-003", "J-001", "J-002"]
        too_slow = f"the core took too long to start: the evening's check-ins must come before midnight ({MARGIN_S} s)"
        assert all(datetime.fromisoformat(x["issued_at"]) < midnight for x in evening), too_slow
        assert night.press("abh-1", "next")["number"] == "A-001"
        night.board(lambda m: waiting(m) == {"aufenthalt": 2, "jobcenter": 2, "leistung": 0}
                    and {c["number"] for c in m["current"]} == {"A-001"})
        assert clock.now() < midnight - timedelta(seconds=0.5), too_slow

        # the core stalls just before midnight; what is sent now reaches it only after midnight
        core_process.signal(signal.SIGSTOP)
        late = {
            "next at abh-2": ("box-abh-2", t.counter_cmd("abh-2"), {"action": "next"}),
            "recall at abh-1": ("box-abh-1", t.counter_cmd("abh-1"), {"action": "recall"}),
            "priority for A-003": ("reception", t.reception_cmd("reception"),
                                   {"action": "priority", "ticket": "A-003", "priority": 5, "operator": "frau-k"}),
            "check-in of A-002 again": ("kiosk-1", t.checkin("kiosk-1"), night.bodies["A-002"]),
            "offline ticket of 23:59:50": ("kiosk-1", t.checkin("kiosk-1"), {
                "concern": "residence", "offline_number": 900, "issued_at": (midnight - timedelta(seconds=10))
                .astimezone(UTC).isoformat()}),
        }
        ids = {}
        for what, (device, topic, body) in late.items():
            full = {"v": 1, "id": f"late-{len(ids)}-{time.monotonic_ns()}", **body}
            ids[what] = full["id"]
            night.clients[device].publish(topic, full, reply_topic=t.reply(device))
        calls_before = len(night.display.messages(t.call()))
        while clock.now() < midnight + timedelta(seconds=1):
            time.sleep(0.05)
        resumed = time.monotonic()
        core_process.signal(signal.SIGCONT)
        answers = {what: night.clients[late[what][0]].wait_reply(cid, 10) for what, cid in ids.items()}
        figures["late_answers"] = {what: (a or {}).get("error", {}).get("code", "ok") if a else None
                                   for what, a in answers.items()}
        cleared = night.board(lambda m: not shown(m) and waiting(m) == EMPTY_QUEUES)
        figures["board_cleared_after_resume_s"] = round(time.monotonic() - resumed, 2)
        assert not cleared["later"]
        night.display.wait_for(t.tickets(), lambda m: m["tickets"] == [] and m["more"] == 0)

        assert all(a is not None for a in answers.values()), f"late commands unanswered: {answers}"
        assert answers["next at abh-2"].get("number") is None, answers["next at abh-2"]
        assert answers["recall at abh-1"].get("number") is None, answers["recall at abh-1"]
        assert answers["priority for A-003"]["ok"] is False, answers["priority for A-003"]
        assert answers["offline ticket of 23:59:50"]["error"]["code"] == "offline_expired"
        repeated = answers["check-in of A-002 again"]
        assert not repeated["ok"] or repeated["ticket"]["number"] == "A-002", repeated   # the first answer, or none
        assert night.display.messages(t.call())[calls_before:] == [], "a call after midnight for yesterday's client"

        morning = night.check_in("residence")
        assert morning["number"] == "A-001" and datetime.fromisoformat(morning["issued_at"]) >= midnight
        assert night.press("abh-1", "next")["number"] == "A-001"
        yesterday = {e.ticket for e in events_of(core_process.db_url, date(2026, 3, 28)) if hasattr(e, "ticket")}
        today = events_of(core_process.db_url, date(2026, 3, 29))
        assert [e.type for e in today if getattr(e, "ticket", None) in yesterday] == [], \
            "an event of the new day on one of yesterday's tickets"
        assert [e.number for e in today if isinstance(e, ev.TicketIssued)] == ["A-001"]

        # 02:00 CET is 03:00 CEST that night: still the same day, the numbers go on
        night.run_core(SimClock(local(2026, 3, 29, 3, 0, 30, offset_h=2), time.time(), 0))
        assert night.check_in("residence")["number"] == "A-002"
        night.board(lambda m: {c["number"] for c in m["current"]} == {"A-001"} and waiting(m)["aufenthalt"] == 1)
        # the 23-hour day ends at its own midnight, not 24 hours after it began
        night.run_core(SimClock(local(2026, 3, 29, 23, 59, 50, offset_h=2), time.time(), 0))
        assert night.check_in("job")["number"] == "J-001"
        assert night.check_in("residence")["number"] == "A-003"
        night.run_core(SimClock(local(2026, 3, 30, 0, 0, 10, offset_h=2), time.time(), 0))
        night.board(lambda m: not shown(m) and waiting(m) == EMPTY_QUEUES)
        assert night.check_in("residence")["number"] == "A-001"

        drift = check_fold(night, local(2026, 3, 30, 0, 0, 10, offset_h=2))
        figures.values.update(retained_topics_differing=len(drift), messages_lost=0, duplicates=0,
                              scenario_s=round(time.monotonic() - began, 1))
        assert not drift, "the log does not fold to the published state:\n" + "\n".join(drift)
        assert not core_problems(core_process.logs()), core_process.logs()
    finally:
        night.close()


@pytest.mark.slow
@pytest.mark.integration
def test_the_autumn_dst_night_orders_by_real_time_and_keeps_its_25_hours(
        core_process: CoreProcess, fresh_broker: MosquittoBroker, rush_site: Site, figures: Figures) -> None:
    """25 October 2026: a client at 02:40 CEST and one at 02:10 CET (an hour later, though the wall clock says
    earlier) are called in the order they came; at 23:30 CET, 24.5 hours into the day, the numbers still go on;
    after midnight they restart and the board holds nothing of the long day."""
    began = time.monotonic()
    night = Night(rush_site, fresh_broker, core_process)
    try:
        night.run_core(SimClock(local(2026, 10, 25, 2, 40, offset_h=2), time.time(), 0))
        first = night.check_in("residence")
        night.run_core(SimClock(local(2026, 10, 25, 2, 10, offset_h=1), time.time(), 0))
        second = night.check_in("residence")
        assert (first["number"], second["number"]) == ("A-001", "A-002")
        assert datetime.fromisoformat(first["issued_at"]) < datetime.fromisoformat(second["issued_at"])
        assert night.press("abh-1", "next")["number"] == "A-001"   # came first, though at the later wall time
        assert night.press("abh-2", "next")["number"] == "A-002"
        night.run_core(SimClock(local(2026, 10, 25, 23, 30, offset_h=1), time.time(), 0))
        assert night.check_in("residence")["number"] == "A-003"
        night.board(lambda m: {c["number"] for c in m["current"]} == {"A-001", "A-002"})
        night.run_core(SimClock(local(2026, 10, 26, 0, 0, 30, offset_h=1), time.time(), 0))
        night.board(lambda m: not shown(m) and waiting(m) == EMPTY_QUEUES)
        assert night.check_in("residence")["number"] == "A-001"
        drift = check_fold(night, local(2026, 10, 26, 0, 0, 30, offset_h=1))
        figures.values.update(retained_topics_differing=len(drift), messages_lost=0, duplicates=0,
                              scenario_s=round(time.monotonic() - began, 1))
        assert not drift, "the log does not fold to the published state:\n" + "\n".join(drift)
        assert not core_problems(core_process.logs()), core_process.logs()
    finally:
        night.close()
