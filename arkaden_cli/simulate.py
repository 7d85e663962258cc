"""A simulated morning (`arkaden simulate`): kiosks and counsellors played against the core over MQTT.

`run` plays kiosks and counsellors against a running core: clients check in at the kiosks (walk-ins, and
booked journey clients with their codes shortly before their first slot), counsellors call them, serve them,
recall, mark no-shows, hand clients over to another service and refer some to another service and back
(a journey's next stop the core queues by itself; the counsellors are in arkaden_cli.demo_counsellors).
Simulated time runs on a `SimClock` (host_support.sim_clock; `speed` simulated minutes per real minute),
the same one the demo gives the core and the apps; every action prints one short line with the simulated time.

The demo adds real devices: kiosks that print (`KioskStation`, arkaden_cli.demo_kiosk: the check-in goes
out as that kiosk and its slip through a real printer) and counters whose counsellors press the keys of a
button box on a pseudo-terminal (`CounterKeys`, arkaden_cli.demo_boxes) instead of sending MQTT themselves;
and timed events such as the printer running out of paper.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any, Protocol, TypeVar

import queue_protocol as p
from arkaden_cli.common import LOST_AFTER_S, stop_event_with_signals
from arkaden_cli.demo_counsellors import Counsellors, CounterKeys, Known
from arkaden_cli.population import (
    APPOINTMENT_ONLY_TAP,
    CONCERN_WEIGHTS,
    DEFAULT_CONCERN_WEIGHT,
    People,
    arrivals_per_minute,
)
from device_link.broker_auth import BrokerAuth
from device_link.link import BadReply, Link, Out
from host_support.sim_clock import SimClock
from queue_rules.site import Site

R = TypeVar("R", bound=p.Payload)

REPLY_TIMEOUT_S = 5.0
WORKERS = 16  # requests in flight at once: kiosks and counters do not wait for each other
BACKLOG_MIN = 5.0  # arrivals more than this late (the broker was away) are skipped, not let in as one crowd


class KioskStation(Protocol):
    """A kiosk that checks its clients in as itself and prints their slips (arkaden_cli.demo_kiosk)."""

    def check_in(self, checkin: p.CheckIn) -> p.CheckInReply | None: ...


TimedEvent = tuple[datetime, str, Callable[[], None]]  # at, what (printed), what to do

# --- the simulation --------------------------------------------------------------------------------


@dataclass(order=True)
class _Job:
    at: float  # simulated minutes since the start
    seq: int
    kind: str = field(compare=False)
    counter: str | None = field(default=None, compare=False)
    code: str | None = field(default=None, compare=False)  # a journey client's booking code
    event: TimedEvent | None = field(default=None, compare=False)


class Morning:
    """Kiosks and counsellors as scheduled jobs on a simulated clock."""

    def __init__(self, site: Site, link: Link, out: Out, *, clock: SimClock, start: datetime,
                 rng: random.Random | None = None, kiosks: Mapping[str, KioskStation] | None = None,
                 boxes: Mapping[str, CounterKeys] | None = None):
        self.site, self.link, self.out = site, link, out
        self.topics = link.topics
        self.sim_clock = clock
        self.speed = max(float(clock.scale), 0.01)
        self.start = start.astimezone(site.tz)
        self.stations = dict(kiosks or {})
        self.rng = rng or random.Random()
        self.jobs: list[_Job] = []
        self.jobs_lock = threading.Lock()
        self.seq = itertools.count()
        self.tickets: dict[str, Known] = {}
        self.stats = {"checkins": 0, "journeys": 0, "calls": 0, "done": 0, "refused": 0, "no_reply": 0}
        # the kiosks that print, when there are (the demo's); else any kiosk of the site, by MQTT only
        self.kiosks = list(self.stations) or [k.id for k in site.kiosks] or ["sim-kiosk"]
        walk_in = [c for c in site.concerns if c.walk_in]
        self.concerns = walk_in
        self.concern_weights = [CONCERN_WEIGHTS.get(c.id, DEFAULT_CONCERN_WEIGHT) for c in walk_in]
        self.appointment_only = [c for c in site.concerns if not c.walk_in]
        self.people = People(site.site.languages, self.rng)
        self.desks = Counsellors(self, boxes)

    # --- clock: the shared simulated clock, in minutes since the morning's start ---

    def sim_minutes(self) -> float:
        return (self.sim_clock.now() - self.start).total_seconds() / 60.0

    def clock(self, minutes: float | None = None) -> str:
        t = self.start + timedelta(minutes=self.sim_minutes() if minutes is None else minutes)
        return t.astimezone(self.site.tz).strftime("%H:%M")

    def now_local(self) -> datetime:
        return self.sim_clock.now().astimezone(self.site.tz)

    def schedule(self, after_min: float, kind: str, counter: str | None = None, *, base: float | None = None) -> None:
        at = (self.sim_minutes() if base is None else base) + max(after_min, 0.0)
        with self.jobs_lock:
            heapq.heappush(self.jobs, _Job(at, next(self.seq), kind, counter))

    def say(self, what: str, text: str) -> None:
        self.out(f"{self.clock()}  {what:<6} {text}")

    # --- setup ---

    def plan(self, journeys: Sequence[tuple[datetime, str]] = (), events: Sequence[TimedEvent] = ()) -> None:
        self.schedule(0, "arrival", base=0.0)
        for event in events:
            heapq.heappush(self.jobs, _Job((event[0] - self.start).total_seconds() / 60, next(self.seq), "event",
                                           event=event))
        for first_slot, code in journeys:  # journey clients come 5-25 minutes before their first slot
            at = (first_slot - self.start).total_seconds() / 60 - self.rng.uniform(5, 25)
            heapq.heappush(self.jobs, _Job(max(at, 0.0), next(self.seq), "booked", code=code))
        for c in self.site.counters:  # counsellors reach their desks over the first minutes
            self.schedule(5 + self.rng.uniform(0, 8), "next", c.id, base=0.0)

    def on_public(self, topic: str, data: dict[str, Any]) -> None:
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        if parsed.spec.name == "counter_state" and parsed.param and isinstance(data.get("waiting"), int):
            self.desks.waiting_at[parsed.param] = data["waiting"]

    # --- one step ---

    def step(self, job: _Job) -> None:
        if job.kind == "event" and job.event is not None:
            self.say("event", job.event[1])
            job.event[2]()
            return
        if job.kind == "booked":
            self.booked_arrival(job.code or "")
            return
        if job.kind == "arrival":
            # the next arrival is planned from this one's time, so slow replies do not thin out the crowd;
            # after a long gap (the broker was away) from now: the crowd that could not check in went home
            base = job.at if self.sim_minutes() - job.at < BACKLOG_MIN else self.sim_minutes()
            rate = arrivals_per_minute((self.start + timedelta(minutes=base)).astimezone(self.site.tz))
            self.schedule(self.rng.expovariate(rate), "arrival", base=base)
            if base == job.at:
                self.arrival()
            return
        assert job.counter is not None
        getattr(self.desks, f"counter_{job.kind}")(job.counter)

    def new_id(self) -> str:
        return self.link.new_id()

    def request(self, topic: str, command: p.Command, reply: type[R]) -> R | None:
        try:
            return self.link.request(topic, command, reply, as_device=self._sender(topic))
        except BadReply as exc:
            self.say("!", str(exc))
            return None

    def _sender(self, topic: str) -> str | None:
        """The device the simulator plays for a command topic: the kiosk or desk in it, or for a counter its
        button box, else a web server's desk page (a site with neither cannot be simulated at that counter)."""
        parsed = self.topics.parse(topic)
        if parsed.spec.name != "counter_cmd":
            return parsed.param
        box = next((b.id for b in self.site.button_boxes if b.counter == parsed.param), None)
        return box or (self.site.web[0].id if self.site.web else None)

    def _check_in(self, kiosk: str, checkin: p.CheckIn) -> p.CheckInReply | None:
        station = self.stations.get(kiosk)
        if station is not None:
            return station.check_in(checkin)
        return self.request(self.topics.checkin(kiosk), checkin, p.CheckInReply)

    def refused(self, who: str, reply: p.CheckInReply | p.CommandResult | None, number: str | None = None) -> bool:
        """Print a refusal or a missing reply; True if the command did not go through."""
        if reply is None:
            self.stats["no_reply"] += 1
            if self.link.connected.is_set():  # without a broker, the loop says so once
                self.say("!", f"{who}: no reply from the core (is it running?)")
            return True
        if not reply.ok:
            code, message = (reply.error.code, reply.error.message) if reply.error else ("?", "")
            self.stats["refused"] += 1
            subject = f"{number} " if number else ""
            self.say("refuse", f"{subject}{who}: {code} — {message}")
            return True
        return False

    def arrival(self) -> None:
        rng = self.rng
        kiosk = rng.choice(self.kiosks)
        if self.appointment_only and rng.random() < APPOINTMENT_ONLY_TAP:
            concern = rng.choice(self.appointment_only)
        else:
            if not self.concerns:
                return
            concern = rng.choices(self.concerns, self.concern_weights)[0]
        person = self.people.walk_in(concern.id)
        language, party, interpreter = person.language, person.party_size, person.interpreter
        checkin = p.CheckIn(id=self.link.new_id(), concern=concern.id, language=language, party_size=party,
                            interpreter=interpreter)
        reply = self._check_in(kiosk, checkin)
        title = _short(concern.title.get("de", concern.id), 36)
        if self.refused(f"kiosk {kiosk}", reply):
            return
        assert reply is not None
        ticket = reply.ticket
        number = ticket.number if ticket else "?"
        self.tickets[number] = Known(concern.service, party, interpreter)
        self.stats["checkins"] += 1
        who = f"{language}, {party} Pers." + (", Dolmetsch" if interpreter else "")
        ahead = ticket.waiting_ahead if ticket else 0
        self.say("kiosk", f"{number}  {title} ({who})" + (f"  {ahead} ahead" if ahead else ""))

    def booked_arrival(self, code: str) -> None:
        kiosk = self.rng.choice(self.kiosks)
        language = self.people.language()
        reply = self._check_in(kiosk, p.CheckIn(id=self.link.new_id(), booking_code=code, language=language))
        if self.refused(f"kiosk {kiosk} (code {code})", reply):
            return
        assert reply is not None and reply.ticket is not None
        ticket = reply.ticket
        self.tickets[ticket.number] = Known(ticket.service, 1, False)
        self.stats["checkins"] += 1
        self.stats["journeys"] += 1
        stops = " → ".join(self.service_label(s.service) for s in ticket.stops) or self.service_label(
            ticket.service)
        self.say("kiosk", f"{ticket.number}  booked: {stops} ({language})")

    def service_label(self, service_id: str) -> str:
        """The agency's short name, or the service's German name where an agency has several."""
        service = self.site.service(service_id)
        agency = self.site.agency(service.agency)
        if sum(1 for s in self.site.services if s.agency == agency.id) == 1:
            return agency.short
        return _short(service.name.get("de", service_id), 40)

    # --- the loop ---

    def loop(self, stop: threading.Event, seconds: float) -> None:
        pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sim")
        try:
            self._loop(stop, seconds, pool)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self, stop: threading.Event, seconds: float, pool: ThreadPoolExecutor) -> None:
        deadline = time.monotonic() + seconds if seconds > 0 else math.inf
        lost_since: float | None = None
        said_lost = False
        while not stop.is_set() and time.monotonic() < deadline:
            if not self.link.connected.is_set():
                now = time.monotonic()
                if lost_since is None:
                    lost_since = now
                if not said_lost and now - lost_since > LOST_AFTER_S:
                    where = f"{self.link.host}:{self.link.port}"
                    if self.link.ever_connected:
                        self.say("!", f"lost the broker at {where}; retrying (nobody can check in meanwhile)")
                    else:
                        self.say("!", f"waiting for the broker at {where} …")
                    said_lost = True
                stop.wait(0.2)
                continue
            if lost_since is not None:
                if said_lost:
                    self.say("!", "broker is back; carrying on")
                lost_since, said_lost = None, False
            with self.jobs_lock:
                due = [heapq.heappop(self.jobs) for _ in range(len(self.jobs))
                       if self.jobs and self.jobs[0].at <= self.sim_minutes()]
                wait = (self.jobs[0].at - self.sim_minutes()) * 60.0 / self.speed if self.jobs else 0.1
            for job in due:
                pool.submit(self._safe_step, job)
            if not due:
                stop.wait(min(max(wait, 0.001), 0.2))

    def _safe_step(self, job: _Job) -> None:
        try:
            self.step(job)
        except Exception as exc:  # keep going whatever happens; say what it was
            self.say("!", f"{job.kind} failed: {exc!r}")
            if job.counter:
                self.desks._reset(job.counter)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


MORNING_START = dtime(7, 55)


def morning_start(site: Site) -> datetime:
    """Today at the site, 07:55: the simulated morning's first minute (the doors open at 08:00)."""
    return datetime.combine(datetime.now(site.tz).date(), MORNING_START, site.tz)


def run(site: Site, host: str, port: int, *, seconds: float = 0, speed: float = 60,
        stop: threading.Event | None = None, out: Out = print, seed: int | None = None,
        auth: BrokerAuth | None = None, journeys: list[tuple[datetime, str]] | None = None,
        clock: SimClock | None = None, kiosks: Mapping[str, KioskStation] | None = None,
        boxes: Mapping[str, CounterKeys] | None = None, events: Sequence[TimedEvent] = ()) -> dict[str, int]:
    """Play a morning against the core at host:port until `seconds` pass (0: until Ctrl-C) or `stop` is set.

    ``clock``: the simulated clock the core and the apps follow (the demo's); without one the morning starts
    now at 07:55 and runs ``speed`` simulated minutes per real minute.
    """
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if stop is None:
        stop, restore = stop_event_with_signals()
    start = morning_start(site)
    clock = clock or SimClock.starting(start, max(float(speed), 0.01))
    topics = p.Topics(site.site.id)
    plays = [*(k.id for k in site.kiosks), *(b.id for b in site.button_boxes), *(w.id for w in site.web),
             *(d.id for d in site.reception)]
    link = Link(site, host, port, out, name="sim", subscriptions=[f"{topics.root}/public/counter/+"], auth=auth,
                speaks_for=plays)   # the core answers each command only on its sender's own reply topic
    morning = Morning(site, link, out, clock=clock, start=start, rng=random.Random(seed), kiosks=kiosks,
                      boxes=boxes)
    link.on_public = morning.on_public
    out(f"simulating a morning at {site.site.name}: {len(site.counters)} counters"
        + (f" ({len(morning.desks.boxes)} with a button box)" if morning.desks.boxes else "")
        + f", {clock.scale:g} simulated minutes per real minute")
    link.start()
    try:
        morning.plan(journeys or [], events)
        morning.loop(stop, seconds)
    finally:
        link.stop()
        restore()
    s = morning.stats
    out(f"simulation ends at {morning.clock()}: {s['checkins']} check-ins ({s['journeys']} journeys), "
        f"{s['calls']} calls, {s['done']} served, "
        f"{s['refused']} refused, {s['no_reply']} without reply")
    return s
