"""A stateful property test of the whole queue service (issue 15): a real QueueService over SQLite in a temp file,
driven by hypothesis through walk-in, booked and offline check-ins (some replacing an online check-in whose answer
was lost), counter and reception commands, retries with reused ids, core restarts and clock moves across midnight
and the DST nights, and checked after every step against a small model of the rules written out here (it does not
use queue_rules.engine) and against the retained state the core publishes.

ARKADEN_MACHINE_EXAMPLES=250 runs a longer search (about 75 s; the default of 30 examples takes about 15 s).
"""

from __future__ import annotations

import atexit
import functools
import itertools
import json
import os
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_core.tables import CommandReply, EventRecord
from queue_rules.site import Site, parse_site

from .engine_helpers import DESK_WEB, MINI, Clock, book, reply_topic, unknown_code

# --- the site (tests/sites/mini.toml, a second kiosk, a desk web server), as the model knows it -------------------

KIOSKS = {"kiosk-1": (900, 949), "kiosk-2": (950, 999)}  # offline blocks
CONCERNS = {"residence": "aufenthalt", "job": "jobcenter"}
AGENCY = {"aufenthalt": ("abh", "A"), "jobcenter": ("jc", "J"), "leistung": ("jc", "J")}
SERVICES = sorted(AGENCY)
COUNTERS = {"abh-1": ("aufenthalt",), "abh-2": ("aufenthalt",), "jc-1": ("jobcenter", "leistung"),
            "jc-2": ("jobcenter",)}
ACTIONS = ["next", "next", "next", "recall", "start", "done", "no_show", "park", "transfer", "pause", "resume"]
DOUBLE_PRESS, MAX_RECALLS = timedelta(seconds=1.5), 2  # site policy
EARLY, LATE = timedelta(minutes=10), timedelta(minutes=15)  # a booked client waits from slot-10 min; late after +15
OFFLINE_MAX = timedelta(minutes=120)  # an older offline slip counts as arriving when handed in
GUESSES, GUESS_WINDOW = 10, timedelta(minutes=5)  # unknown booking codes per kiosk before it must wait
REPLY_DAYS = timedelta(hours=47)  # devices retry within two days at most (the core's reply memory)
OPEN = ("waiting", "called", "serving", "parked", "no_show")  # the reception list's rows
# queue_rules.engine.offline_arrival counts in real time since the machine found it did not (see the test below)
TOLERATE_DST_OFFLINE_BUG = False
TZ = ZoneInfo("Europe/Berlin")  # for moving the clock to a local midnight only; the model uses berlin_day()
# Start times (UTC): a winter Tuesday 09:00, the evenings before both DST nights of 2026 and an hour after each
# change (03:30 CEST, the second 02:30 CET), New Year's Eve 23:40.
STARTS = [datetime(2026, 11, 17, 8, 0, tzinfo=UTC), datetime(2026, 3, 28, 21, 30, tzinfo=UTC),
          datetime(2026, 10, 24, 20, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
          datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 12, 31, 22, 40, tzinfo=UTC)]


def machine_site() -> Site:
    text = MINI.read_text(encoding="utf-8").replace(
        "[[displays]]", '[[kiosks]]\nid = "kiosk-2"\noffline_numbers = [950, 999]\n\n[[displays]]')
    return parse_site(text + f'\n[[web]]\nid = "{DESK_WEB}"\n', "mini+kiosk-2+desk-web")


def _last_sunday(year: int, month: int) -> date:
    end = date(year, month, 31)
    return end - timedelta(days=(end.weekday() + 1) % 7)


def _dst_switches(year: int) -> tuple[datetime, datetime]:
    return (datetime.combine(_last_sunday(year, 3), time(1), tzinfo=UTC),
            datetime.combine(_last_sunday(year, 10), time(1), tzinfo=UTC))


def berlin_day(at: datetime) -> date:
    """The calendar day in Aachen by the EU rule, written out: CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on the
    last Sunday of March to 01:00 UTC on the last Sunday of October."""
    u = at.astimezone(UTC)
    start, end = _dst_switches(u.year)
    summer = start <= u < end
    return (u + timedelta(hours=2 if summer else 1)).date()


# --- the model ----------------------------------------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class MTicket:
    number: str
    agency: str
    service: str
    token: str
    order: tuple[datetime, int]  # place in line: arrival (a booked client: slot less EARLY), then issue order
    eligible_at: datetime
    priority: int = 0
    status: str = "waiting"
    counter: str | None = None
    recalls: int = 0
    booking: str | None = None


@dataclass
class MCounter:
    id: str
    status: str = "closed"
    ticket: str | None = None  # a number
    called_at: datetime | None = None


Apply = Callable[[dict[str, Any]], None]  # checks the reply of an accepted command and updates the model


def _nothing() -> None:
    """An accepted command that changes nothing (a double press, pausing a paused counter)."""


@dataclass
class Model:
    """Today's tickets by number, the counters, the per-agency daily numbers; bookings and first answers to
    check-ins (by kiosk and id) outlive the day, as the store keeps them."""

    day: date | None = None
    tickets: dict[str, MTicket] = field(default_factory=dict)
    counters: dict[str, MCounter] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    issued: int = 0
    called: set[str] = field(default_factory=set)  # numbers called today
    bookings: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # code -> service, slot
    first_token: dict[str, str | None] = field(default_factory=dict)  # kiosk:id -> token, None: superseded
    failures: dict[str, list[datetime]] = field(default_factory=dict)  # unknown codes per kiosk (in memory)

    def roll(self, now: datetime) -> None:
        """At a new local day numbers restart and yesterday's visits are gone."""
        if self.day != berlin_day(now):
            self.day = berlin_day(now)
            self.tickets, self.last_seq, self.issued, self.called = {}, {}, 0, set()
            self.counters = {c: MCounter(c) for c in COUNTERS}

    # check-ins

    def _issue(self, service: str, now: datetime, order_at: datetime, eligible_at: datetime, *,
               seq: int | None = None, booking: str | None = None, cancel: MTicket | None = None,
               arrived: datetime | None = None, tolerated: datetime | None = None) -> Apply:
        agency, prefix = AGENCY[service]
        online = seq is None
        if seq is None:
            seq = self.last_seq.get(agency, 0) + 1
            for lo, hi in sorted(KIOSKS.values()):  # online numbers skip the kiosks' offline blocks
                if lo <= seq <= hi:
                    seq = hi + 1
        number, final = f"{prefix}-{seq:03d}", seq

        def apply(reply: dict[str, Any]) -> None:
            assert reply["ticket"]["number"] == number, (reply, number)
            got = datetime.fromisoformat(reply["ticket"]["issued_at"])  # the slip's time: arrival
            place = (order_at, eligible_at) if got != tolerated else (got, got)
            assert got in (arrived or now, tolerated), reply
            if cancel is not None:
                self._release(cancel, "cancelled")
            self.issued += 1
            if online:
                self.last_seq[agency] = final
            self.tickets[number] = MTicket(number, agency, service, reply["ticket"]["token"],
                                           (place[0], self.issued), place[1], booking=booking)
        return apply

    def walk_in(self, concern: str, now: datetime) -> Apply:
        return self._issue(CONCERNS[concern], now, now, now)

    def booked(self, kiosk: str, code: str, now: datetime) -> Apply:
        recent = [t for t in self.failures.get(kiosk, []) if now - t < GUESS_WINDOW]
        self.failures[kiosk] = recent
        if len(recent) >= GUESSES:
            raise Refused("rate_limited")
        found = self.bookings.get(code)
        if found is None or berlin_day(found[1]) != self.day:
            recent.append(now)
            raise Refused("no_booking")
        service, slot = found
        if any(t.booking == code for t in self.tickets.values()):
            raise Refused("checked_in")
        if now > slot + LATE:  # late: a walk-in from now
            return self._issue(service, now, now, now, booking=code)
        return self._issue(service, now, slot - EARLY, slot - EARLY, booking=code)

    def offline(self, kiosk: str, concern: str, number: int, issued_at: datetime, replaces: str | None,
                now: datetime) -> Apply:
        assert self.day is not None
        if berlin_day(issued_at) < self.day:
            raise Refused("offline_expired")
        lo, hi = KIOSKS[kiosk]
        if not lo <= number <= hi:
            raise Refused("bad_offline_number")
        service = CONCERNS[concern]
        if f"{AGENCY[service][1]}-{number:03d}" in self.tickets:
            raise Refused("number_taken")
        arrived = issued_at if now - OFFLINE_MAX <= issued_at <= now else now
        phantom = None
        if replaces is not None and (token := self.first_token.get(f"{kiosk}:{replaces}")) is not None:
            phantom = next((t for t in self.tickets.values() if t.token == token), None)
            if phantom is not None and phantom.status in ("done", "cancelled"):
                phantom = None
        # the known bug (test_an_offline_slip_of_the_dst_night_...): in the 3 h after a DST change the core may
        # count the slip from the other time; tolerated here so the machine runs on, until it is fixed
        tolerated = (now if arrived == issued_at else issued_at) if TOLERATE_DST_OFFLINE_BUG and any(
            timedelta(0) <= now - switch < timedelta(hours=3) for switch in _dst_switches(now.year)) else None
        issue = self._issue(service, now, arrived, arrived, seq=number, cancel=phantom, arrived=arrived,
                            tolerated=tolerated)

        def apply(reply: dict[str, Any]) -> None:
            issue(reply)
            if replaces is not None:
                self.first_token.setdefault(f"{kiosk}:{replaces}", None)  # a late arrival is `superseded`
        return apply

    # counters and reception

    def _release(self, t: MTicket, status: str) -> None:
        if t.counter is not None:
            c = self.counters[t.counter]
            c.ticket, c.called_at = None, None
        t.counter, t.status = None, status

    def _best(self, counter: str, now: datetime) -> MTicket | None:
        eligible = [t for t in self.tickets.values()
                    if t.status == "waiting" and t.service in COUNTERS[counter] and t.eligible_at <= now]
        return min(eligible, key=lambda t: (-t.priority, t.order), default=None)

    def counter(self, counter: str, action: str, now: datetime, to: str) -> Apply:
        c = self.counters[counter]
        cur = self.tickets[c.ticket] if c.ticket else None

        def need(*statuses: str) -> MTicket:
            if cur is None:
                raise Refused("no_current_ticket")
            if cur.status not in statuses:
                raise Refused("wrong_state")
            return cur

        do: Callable[[], None] = _nothing
        if action == "next":
            if not (cur and cur.status == "called" and c.called_at and now - c.called_at < DOUBLE_PRESS):
                def do() -> None:
                    c.status = "open"
                    if cur is not None:
                        self._release(cur, "done")
                    best = self._best(counter, now)
                    if best is not None:
                        c.ticket, c.called_at = best.number, now
                        best.status, best.counter, best.recalls = "called", counter, 0
                        self.called.add(best.number)
        elif action == "recall":
            t = need("called")
            if t.recalls >= MAX_RECALLS:
                do = partial(self._release, t, "no_show")
            else:
                def do() -> None:
                    t.recalls += 1
                    c.called_at = now
        elif action in ("start", "no_show"):
            t = need("called")
            do = partial(setattr, t, "status", "serving") if action == "start" else partial(self._release, t, "no_show")
        elif action in ("done", "park"):
            t = need("called", "serving")
            do = partial(self._release, t, "done" if action == "done" else "parked")
        elif action == "transfer":
            t = need("called", "serving")
            if to == t.service:
                raise Refused("same_service")

            def do() -> None:
                self._release(t, "waiting")
                t.service, t.recalls = to, 0
        elif action == "pause":
            if cur is not None:
                raise Refused("busy")
            if c.status != "paused":
                do = partial(setattr, c, "status", "paused")
        elif action == "resume" and c.status != "open":
            do = partial(setattr, c, "status", "open")

        def apply(reply: dict[str, Any]) -> None:
            do()
            assert reply.get("number") == c.ticket, (action, reply, c)
        return apply

    def reception(self, action: str, number: str, to: str, priority: int) -> Apply:
        t = self.tickets.get(number)
        if t is None:
            raise Refused("unknown_ticket")
        do: Callable[[], None] = _nothing
        if action == "move":
            if t.status != "waiting":
                raise Refused("wrong_state")
            do = partial(setattr, t, "service", to)
        elif action in ("priority", "cancel") and t.status in ("done", "cancelled"):
            raise Refused("wrong_state")
        elif action == "priority":
            do = partial(setattr, t, "priority", priority)
        elif action == "cancel":
            do = partial(self._release, t, "cancelled")
        elif action == "return":
            if t.status not in ("no_show", "parked"):
                raise Refused("wrong_state")

            def do() -> None:
                t.status, t.recalls = "waiting", 0

        def apply(reply: dict[str, Any]) -> None:
            do()
            assert reply["number"] == number, reply
        return apply


# --- the machine --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A command whose answer the core stored: a retry gets the same answer (within two days)."""

    topic: str
    payload: dict[str, Any]
    reply: dict[str, Any]
    at: datetime
    any_content: bool = False  # a `superseded` answer stands for any check-in with this id


def view(svc: QueueService) -> tuple[dict[str, tuple[str, str, int, str | None]], dict[str, tuple[str, str | None]]]:
    """The service's state as the model has it: tickets by number, and each counter's status and number."""
    s = svc.state
    tickets = {t.number: (t.status.value, t.service, t.priority, t.counter) for t in s.tickets.values()}
    counters = {}
    for cid in COUNTERS:
        c = s.counters.get(cid)
        counters[cid] = ("closed", None) if c is None else (
            c.status.value, s.tickets[c.ticket].number if c.ticket else None)
    return tickets, counters


def model_view(m: Model) -> tuple[dict[str, tuple[str, str, int, str | None]], dict[str, tuple[str, str | None]]]:
    return ({t.number: (t.status, t.service, t.priority, t.counter) for t in m.tickets.values()},
            {c.id: (c.status, c.ticket) for c in m.counters.values()})


# in memory where there is a tmpfs: the store's durable commits (fsync) are not what this test is about
_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None


@functools.cache
def _migrated() -> str:
    """A folder with an empty migrated SQLite store, made once per run."""
    folder = tempfile.mkdtemp(prefix="arkaden-machine-template-", dir=_TMP)
    atexit.register(shutil.rmtree, folder, True)
    store = Store(f"sqlite:///{folder}/arkaden.db")
    store.migrate()
    store.close()
    return folder


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="arkaden-machine-", dir=_TMP)
        for name in os.listdir(_migrated()):  # a fresh copy of a migrated store (migrating anew costs 0.3 s)
            shutil.copy(os.path.join(_migrated(), name), self.dir)
        self.store = Store(f"sqlite:///{self.dir}/arkaden.db")
        self.db = sqlite3.connect(f"{self.dir}/arkaden.db")
        self.site = machine_site()
        self.topics = p.Topics(self.site.site.id)
        self.clock = Clock(STARTS[0])
        self.svc = QueueService(self.site, self.store, clock=self.clock)
        self.model = Model()
        self.model.roll(self.clock.now)
        self.ids = itertools.count(1)
        self.stored: list[Sent] = []
        self.answered: list[tuple[date, str, str]] = []  # answered check-ins: day, number, token
        self.lost: dict[str, list[str]] = {k: [] for k in KIOSKS}  # online check-ins whose answer never came
        self.unsent: list[tuple[str, str, datetime]] = []  # kiosk, id named by `replaces` before it arrived, when
        self.offline_next = {k: lo for k, (lo, _) in KIOSKS.items()}
        self.retained: dict[str, dict[str, Any]] = {}  # what the broker would hold
        self.stats: Counter[str] = Counter()

    # --- driving the service ---

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"

    def counts(self) -> tuple[int, int]:
        """Events and stored replies in the store (read beside the core's own connection)."""
        events, replies = self.db.execute(
            f"SELECT (SELECT count(*) FROM {EventRecord.__tablename__}), "
            f"(SELECT count(*) FROM {CommandReply.__tablename__})").fetchone()
        return int(events), int(replies)

    def send(self, topic: str, payload: dict[str, Any], *, changes: bool) -> dict[str, Any]:
        """One command with the sender's own reply topic; its one answer. With changes=False: that it changed
        nothing (a refusal, a retry), also not in the store; a midnight it crossed only empties the state."""
        before, counts = view(self.svc), self.counts()
        day = self.svc.state.day
        own = reply_topic(self.topics, topic)
        pubs = self.svc.handle(Incoming(topic, json.dumps({"v": 1, **payload}).encode(), own, b"corr"))
        replies = [json.loads(x.payload) for x in pubs if x.topic == own]
        assert len(replies) == 1 and all(x.correlation == b"corr" for x in pubs if x.topic == own), pubs
        reply: dict[str, Any] = replies[0]
        assert self.svc.stats["internal_errors"] == 0, (payload, reply)
        if not changes or not reply["ok"]:
            if self.svc.state.day != day and day is not None:  # rolled over: yesterday is gone, nothing else
                before = ({}, {c: ("closed", None) for c in COUNTERS})
            assert view(self.svc) == before, f"{payload} -> {reply} changed the state"
            assert {x.topic for x in pubs} <= {own, self.topics.error()}, "a refusal or retry published a change"
            assert self.counts() == counts, f"{payload} -> {reply} changed the store"
        self.stats["ok" if reply["ok"] else reply["error"]["code"]] += 1
        return reply

    def run(self, topic: str, payload: dict[str, Any], decide: Callable[[Model, datetime], Apply]) -> dict[str, Any]:
        """A new command: the model says whether it is refused (and why) or what it does; the service must agree."""
        now = self.clock.now
        self.model.roll(now)
        try:
            apply = decide(self.model, now)
        except Refused as refused:
            reply = self.send(topic, payload, changes=False)
            assert not reply["ok"] and reply["error"]["code"] == refused.code, (payload, reply, refused.code)
            return reply
        reply = self.send(topic, payload, changes=True)
        assert reply["ok"], (payload, reply)
        apply(reply)
        self.stored.append(Sent(topic, payload, reply, now))
        return reply

    def checked_in(self, kiosk: str, cid: str, reply: dict[str, Any], lost: bool) -> None:
        if reply["ok"]:
            self.model.first_token[f"{kiosk}:{cid}"] = reply["ticket"]["token"]
            self.answered.append((berlin_day(self.clock.now), reply["ticket"]["number"], reply["ticket"]["token"]))
            if lost:
                self.lost[kiosk].append(cid)

    # --- rules: kiosks ---

    @initialize(start=st.sampled_from(STARTS), crowd=st.integers(0, 6), booked=st.integers(0, 2))
    def start_at(self, start: datetime, crowd: int, booked: int) -> None:
        """The core starts at `start`, with a few clients waiting and appointments booked (the rules that add them may
        be switched off in an example: hypothesis tries subsets of rules)."""
        self.clock.now = start
        self.svc = QueueService(self.site, self.store, clock=self.clock)
        self.model = Model()
        self.model.roll(start)
        for i in range(crowd):
            self.walk_in(sorted(KIOSKS)[i % 2], sorted(CONCERNS)[i % 3 % 2], lost=i == 2)
        if crowd >= 4:  # reception lets the last one go first
            last = max(self.model.tickets.values(), key=lambda t: t.order)
            self.reception_command("priority", last.number, "jobcenter", 2)
        for i in range(booked):
            self.book_appointment(SERVICES[i], 20 * i)

    @rule(data=st.data(), kind=st.sampled_from(["walk_in", "walk_in", "walk_in", "booked", "offline", "offline"]),
          kiosk=st.sampled_from(sorted(KIOSKS)), concern=st.sampled_from(sorted(CONCERNS)), lost=st.booleans())
    def check_in(self, data: st.DataObject, kind: str, kiosk: str, concern: str, lost: bool) -> None:
        """A client at a kiosk: a walk-in, a booked client, or a slip printed offline handed in; `lost`: the kiosk
        never got the answer (it gave up waiting)."""
        if kind == "walk_in":
            self.walk_in(kiosk, concern, lost)
        elif kind == "booked":
            self.booked_check_in(data, kiosk, lost)
        else:
            self.offline_hand_in(kiosk, concern, data.draw(st.sampled_from(["next", "next", "low", "other_block"])),
                                 data.draw(st.sampled_from([0, 1, 5, 30, 90, 110, 150, 200, -1]), label="age"),
                                 data.draw(st.sampled_from([None, None, "lost", "unsent"]), label="replaces"))

    def walk_in(self, kiosk: str, concern: str, lost: bool) -> None:
        cid = self.new_id("c")
        reply = self.run(self.topics.checkin(kiosk), {"id": cid, "concern": concern},
                         lambda m, now: m.walk_in(concern, now))
        self.checked_in(kiosk, cid, reply, lost)

    @rule(service=st.sampled_from(SERVICES), minutes=st.sampled_from([-40, -5, 5, 30, 90, 24 * 60]))
    def book_appointment(self, service: str, minutes: int) -> None:
        slot = self.clock.now + timedelta(minutes=minutes)
        code = book(self.store, self.site, service, slot, ref=self.new_id("booking-"))
        self.model.bookings[code] = (service, slot)

    def booked_check_in(self, data: st.DataObject, kiosk: str, lost: bool) -> None:
        codes = list(self.model.bookings)  # in the order booked (the codes themselves are random)
        pick = data.draw(st.integers(0, len(codes)), label="booking")
        code = codes[pick] if pick < len(codes) else unknown_code(next(self.ids))
        cid = self.new_id("b")
        reply = self.run(self.topics.checkin(kiosk), {"id": cid, "booking_code": code},
                         lambda m, now: m.booked(kiosk, code, now))
        self.checked_in(kiosk, cid, reply, lost)

    def offline_hand_in(self, kiosk: str, concern: str, number: str, age: int, replaces: str | None) -> None:
        """A ticket the kiosk printed from its block while the core was away, `age` minutes ago (-1: yesterday)."""
        lo, hi = KIOSKS[kiosk]
        seq = {"next": self.offline_next[kiosk], "low": lo + next(self.ids) % 3,
               "other_block": next(b for k, (b, _) in KIOSKS.items() if k != kiosk)}[number]
        now = self.clock.now
        if age >= 0:
            issued_at = now - timedelta(minutes=age)
        else:  # half an hour before today's local midnight
            local = now.astimezone(TZ)
            issued_at = datetime.combine(local.date(), time(), tzinfo=TZ).astimezone(UTC) - timedelta(minutes=30)
        named = None
        if replaces == "lost" and self.lost[kiosk]:
            named = self.lost[kiosk][-1]
        elif replaces == "unsent":
            named = self.new_id("u")
        payload: dict[str, Any] = {"id": self.new_id("o"), "concern": concern, "offline_number": seq,
                                   "issued_at": issued_at.isoformat()}
        if named is not None:
            payload["replaces"] = named
        reply = self.run(self.topics.checkin(kiosk), payload,
                         lambda m, now: m.offline(kiosk, concern, seq, issued_at, named, now))
        if reply["ok"]:
            self.answered.append((berlin_day(now), reply["ticket"]["number"], reply["ticket"]["token"]))
            if number == "next":
                self.offline_next[kiosk] = seq + 1 if seq < hi else lo
            if named is not None and replaces == "lost":
                self.lost[kiosk].remove(named)
            elif named is not None:
                self.unsent.append((kiosk, named, now))

    def late(self) -> list[tuple[str, str, datetime]]:
        return [u for u in self.unsent if self.clock.now - u[2] < REPLY_DAYS]

    @precondition(lambda self: self.late())
    @rule(data=st.data())
    def late_check_in(self, data: st.DataObject) -> None:
        """The online check-in an offline ticket replaced arrives after all: refused, and so ever after."""
        kiosk, cid, at = data.draw(st.sampled_from(self.late()), label="late")
        self.unsent.remove((kiosk, cid, at))
        self.model.roll(self.clock.now)
        topic, payload = self.topics.checkin(kiosk), {"id": cid, "concern": "job"}
        reply = self.send(topic, payload, changes=False)
        assert not reply["ok"] and reply["error"]["code"] == "superseded", reply
        self.stored.append(Sent(topic, payload, reply, at, any_content=True))  # stored with the offline ticket

    # --- rules: counters and reception ---

    @rule(counter=st.sampled_from(sorted(COUNTERS)), action=st.sampled_from(ACTIONS), to=st.sampled_from(SERVICES),
          deadline=st.sampled_from([None, None, None, None, 30, -1]))
    def counter_command(self, counter: str, action: str, to: str, deadline: int | None) -> None:
        """A desk's command; with a deadline (seconds from now), as a desk page sends it: past it, refused."""
        payload: dict[str, Any] = {"id": self.new_id("k"), "action": action}
        if action == "transfer":
            payload |= {"to_service": to, "note": "Unterlagen liegen vor"}
        if deadline is not None:
            payload["deadline"] = (self.clock.now + timedelta(seconds=deadline)).isoformat()

        def decide(m: Model, now: datetime) -> Apply:
            if deadline is not None and deadline < 0:
                raise Refused("expired")
            return m.counter(counter, action, now, to)
        self.run(self.topics.counter_cmd(counter), payload, decide)

    @rule(data=st.data(), action=st.sampled_from(["move", "priority", "cancel", "return"]),
          to=st.sampled_from(SERVICES), priority=st.sampled_from([0, 2, 5]))
    def reception(self, data: st.DataObject, action: str, to: str, priority: int) -> None:
        numbers = sorted(self.model.tickets) or ["A-001"]
        self.reception_command(action, data.draw(st.sampled_from([*numbers, *numbers, "A-001", "J-002"]),
                                                 label="ticket"), to, priority)

    def reception_command(self, action: str, number: str, to: str, priority: int) -> None:
        payload = {"id": self.new_id("r"), "action": action, "ticket": number, "operator": "frau-k",
                   "to_service": to, "priority": priority}
        self.run(self.topics.reception_cmd("reception"), payload,
                 lambda m, now: m.reception(action, number, to, priority))

    # --- rules: retries, reused ids, restarts, the clock ---

    def recent(self) -> list[Sent]:
        return [s for s in self.stored if self.clock.now - s.at < REPLY_DAYS]

    @precondition(lambda self: self.recent())
    @rule(data=st.data(), same=st.booleans())
    def repeat(self, data: st.DataObject, same: bool) -> None:
        """The same command again (a lost answer, an outbox): the same answer, nothing changes. Or a device that
        restarted and counts its ids from 1 again: the same id with other content is refused, nothing changes."""
        sent = data.draw(st.sampled_from(self.recent()), label="repeated")
        self.model.roll(self.clock.now)
        if same:
            assert self.send(sent.topic, sent.payload, changes=False) == sent.reply
            return
        other = dict(sent.payload)
        if "/cmd/checkin/" in sent.topic:
            other["party_size"] = other.get("party_size", 1) + 1
        else:
            other["operator"] = other.get("operator", "") + "x"
        self.model.roll(self.clock.now)
        reply = self.send(sent.topic, other, changes=False)
        if sent.any_content:
            assert reply == sent.reply
        else:
            assert not reply["ok"] and reply["error"]["code"] == "id_reused", reply

    @rule()
    def restart(self) -> None:
        """The core restarts on the same store: today's state is rebuilt from the event log."""
        before, day = view(self.svc), self.svc.state.day
        self.svc = QueueService(self.site, self.store, clock=self.clock)
        self.model.roll(self.clock.now)
        self.model.failures.clear()  # the guessing limit is kept in memory only
        if day is not None and day != berlin_day(self.clock.now):  # restarted after midnight, before any command
            before = ({}, {c: ("closed", None) for c in COUNTERS})
        assert view(self.svc) == before

    @rule(seconds=st.sampled_from([0.5, 1, 2, 20, 180, 600, 2400, 3600, 9000, 25200]),
          midnight=st.sampled_from([None, None, -60, -1, 1, 30, 3600, 3 * 3600]), idle=st.booleans())
    def clock_moves(self, seconds: float, midnight: int | None, idle: bool) -> None:
        """Time passes; or to `midnight` seconds around the next local midnight (on a DST night too). With `idle`
        the runner's idle tick comes before the next command."""
        if midnight is None:
            self.clock.now += timedelta(seconds=seconds)
        else:
            local = self.clock.now.astimezone(TZ)
            at = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=TZ).astimezone(UTC)
            self.clock.now = max(self.clock.now, at + timedelta(seconds=midnight))
        if idle:
            self.idle()

    def idle(self) -> None:
        """The runner's idle tick: at midnight the board clears before any command comes."""
        self.model.roll(self.clock.now)
        self.svc.roll_over_if_new_day()

    # --- invariants ---

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert view(self.svc) == model_view(self.model)

    @invariant()
    def numbers_and_counters_are_sound(self) -> None:
        s = self.svc.state
        numbers = [(t.agency, t.seq) for t in s.tickets.values()]
        assert len(numbers) == len(set(numbers)), "a number issued twice today"
        holders = Counter(c.ticket for c in s.counters.values() if c.ticket)
        assert all(n == 1 for n in holders.values()), "a ticket at two counters"
        for c in s.counters.values():
            if c.ticket:
                t = s.tickets[c.ticket]
                assert t.status.value in ("called", "serving") and t.counter == c.id
        for t in s.tickets.values():
            if t.status.value in ("called", "serving"):
                assert t.counter is not None and s.counters[t.counter].ticket == t.id

    @invariant()
    def every_answered_check_in_exists_once(self) -> None:
        if self.svc.state.day is None or self.svc.state.day != self.model.day:
            return
        tokens = Counter(t.token for t in self.svc.state.tickets.values())
        by_token = {t.token: t.number for t in self.svc.state.tickets.values()}
        for day, number, token in self.answered:
            if day == self.model.day:
                assert tokens[token] == 1 and by_token[token] == number, (number, token)

    @invariant()
    def published_state_folds_to_the_state(self) -> None:
        for pub in self.svc.flush_state():
            assert pub.retain
            self.retained[pub.topic] = json.loads(pub.payload)
        t, m = self.topics, self.model
        waiting = Counter(x.service for x in m.tickets.values() if x.status == "waiting")
        for service in SERVICES:
            assert self.retained[t.queue(service)]["waiting"] == waiting[service] == self.svc.state.waiting_count(
                service)
        for cid, services in COUNTERS.items():
            shown = self.retained[t.counter_state(cid)]
            c = m.counters[cid]
            assert (shown["status"], shown.get("number")) == (c.status, c.ticket), (cid, shown)
            assert shown["waiting"] == sum(waiting[s] for s in services)
        board = self.retained[t.board()]
        assert {q["service"]: q["waiting"] for q in board["queues"]} == {s: waiting[s] for s in SERVICES}
        assert {(x["number"], x["counter"]) for x in board["current"]} == {
            (c.ticket, c.id) for c in m.counters.values() if c.ticket}
        assert {x["number"] for x in board["recent"]} <= m.called, "the board shows a call of another day"
        rows = self.retained[t.tickets()]
        assert sorted(r["number"] for r in rows["tickets"]) == sorted(
            x.number for x in m.tickets.values() if x.status in OPEN) and rows["more"] == 0

    def teardown(self) -> None:
        try:
            rebuilt = QueueService(self.site, self.store, clock=self.clock)
            if self.svc.state.day == berlin_day(self.clock.now):
                assert view(rebuilt) == view(self.svc)
        finally:
            self.db.close()
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            if os.environ.get("ARKADEN_MACHINE_STATS"):
                print(dict(self.stats))


EXAMPLES = int(os.environ.get("ARKADEN_MACHINE_EXAMPLES", "30"))
ServiceMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=80, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestServiceMachine = pytest.mark.slow(ServiceMachine.TestCase)


# --- what the machine found, kept as plain examples ---------------------------------------------------------------


# found by the machine: offline_arrival subtracted offline_max_minutes from a local (Europe/Berlin) datetime,
# wall-clock arithmetic, an hour off on the DST nights
@pytest.mark.parametrize(("now", "age", "keeps_its_time"), [
    (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), 90, True),    # 03:30 CEST; issued 01:00 CET, 90 min ago (< 120)
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), 150, False),  # 02:30 CET; issued 01:00 CEST, 150 min ago (> 120)
], ids=["spring", "autumn"])
def test_an_offline_slip_of_the_dst_night_counts_from_its_real_age(tmp_path: Any, now: datetime, age: int,
                                                                   keeps_its_time: bool) -> None:
    store = Store(f"sqlite:///{tmp_path / 'arkaden.db'}")
    store.migrate()
    svc = QueueService(machine_site(), store, clock=Clock(now))
    issued = now - timedelta(minutes=age)
    assert berlin_day(issued) == berlin_day(now)  # the same local day: not expired
    body = {"v": 1, "id": "o1", "concern": "job", "offline_number": 900, "issued_at": issued.isoformat()}
    pubs = svc.handle(Incoming(svc.topics.checkin("kiosk-1"), json.dumps(body).encode(), svc.topics.reply("kiosk-1"),
                               b"c"))
    reply = json.loads(next(x.payload for x in pubs if x.topic == svc.topics.reply("kiosk-1")))
    store.close()
    assert reply["ok"], reply
    assert datetime.fromisoformat(reply["ticket"]["issued_at"]) == (issued if keeps_its_time else now)


# found by the machine: an id answered more than two days ago is new to the reply memory, but its stored answer
# still held the key: every try failed the unique constraint and was refused `storage` (retryable, so forever)
def test_an_id_older_than_the_reply_memory_is_a_new_command_not_a_storage_failure(tmp_path: Any) -> None:
    store = Store(f"sqlite:///{tmp_path / 'arkaden.db'}")
    store.migrate()
    clock = Clock(STARTS[0])
    body = json.dumps({"v": 1, "id": "c1", "concern": "job"}).encode()
    first = QueueService(machine_site(), store, clock=clock)
    topic, own = first.topics.checkin("kiosk-1"), first.topics.reply("kiosk-1")
    assert json.loads(first.handle(Incoming(topic, body, own, b"c"))[0].payload)["ok"]
    clock.now += timedelta(days=3)   # a device without a boot id in its ids, restarted, counts from 1 again
    svc = QueueService(machine_site(), store, clock=clock)
    reply = json.loads(next(x.payload for x in svc.handle(Incoming(topic, body, own, b"c")) if x.topic == own))
    store.close()
    assert reply["ok"], reply
    assert len(svc.state.tickets) == 1 and svc.stats["store_errors"] == 0
