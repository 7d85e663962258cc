"""A simulated morning (`arkaden simulate`): kiosks and counsellors played against the core over MQTT.

`run` plays kiosks and counsellors against a running core: clients check in at the kiosks (walk-ins, and
booked journey clients with their codes shortly before their first slot), counsellors call them, serve them,
recall, mark no-shows, hand clients over to another service and refer some to another service and back
(a journey's next stop the core queues by itself). Simulated time
runs at `speed` simulated minutes per real minute; every action prints one short line.

"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any, TypeVar

import queue_protocol as p
from arkaden_cli.common import LOST_AFTER_S, stop_event_with_signals
from arkaden_cli.population import (
    APPOINTMENT_ONLY_TAP,
    CONCERN_WEIGHTS,
    DEFAULT_CONCERN_WEIGHT,
    DEFAULT_INTERPRETER_SHARE,
    DEFAULT_LANGUAGE_WEIGHT,
    FAMILY_CONCERNS,
    INTERPRETER_SHARE,
    LANGUAGE_WEIGHTS,
    NO_SHOW_SHARE,
    PARTY_SIZES,
    PAUSE_SHARE,
    REFER_SHARE,
    REFERRALS,
    TRANSFER_SHARE,
    TRANSFERS,
    arrivals_per_minute,
)
from device_link.broker_auth import BrokerAuth
from device_link.link import BadReply, Link, Out
from queue_rules.site import Site

R = TypeVar("R", bound=p.Payload)

REPLY_TIMEOUT_S = 5.0
WORKERS = 16  # requests in flight at once: kiosks and counters do not wait for each other

# --- the simulation --------------------------------------------------------------------------------


@dataclass
class Known:
    """What the simulation knows about a ticket it issued (never published)."""

    service: str
    party_size: int
    interpreter: bool


@dataclass(order=True)
class _Job:
    at: float  # simulated minutes since the start
    seq: int
    kind: str = field(compare=False)
    counter: str | None = field(default=None, compare=False)
    code: str | None = field(default=None, compare=False)  # a journey client's booking code


class Morning:
    """Kiosks and counsellors as scheduled jobs on a simulated clock."""

    def __init__(self, site: Site, link: Link, out: Out, *, speed: float, start: datetime,
                 rng: random.Random | None = None):
        self.site, self.link, self.out = site, link, out
        self.topics = link.topics
        self.speed = max(float(speed), 0.01)
        self.start = start
        self.rng = rng or random.Random()
        self.jobs: list[_Job] = []
        self.jobs_lock = threading.Lock()
        self.seq = itertools.count()
        self.tickets: dict[str, Known] = {}
        self.current: dict[str, str | None] = {c.id: None for c in site.counters}
        self.waiting_at: dict[str, int] = {}  # from the public counter states, like a button box shows
        self.called_at: dict[str, float] = {}
        self.stats = {"checkins": 0, "journeys": 0, "calls": 0, "done": 0, "refused": 0, "no_reply": 0}
        self.kiosks = [k.id for k in site.kiosks] or ["sim-kiosk"]
        walk_in = [c for c in site.concerns if c.walk_in]
        self.concerns = walk_in
        self.concern_weights = [CONCERN_WEIGHTS.get(c.id, DEFAULT_CONCERN_WEIGHT) for c in walk_in]
        self.appointment_only = [c for c in site.concerns if not c.walk_in]
        self.languages = list(site.site.languages)
        self.language_weights = [LANGUAGE_WEIGHTS.get(lang, DEFAULT_LANGUAGE_WEIGHT) for lang in self.languages]
        services = {s.id for s in site.services}
        self.transfers = {src: [(dst, note) for dst, note in dests if dst in services]
                          for src, dests in TRANSFERS.items() if src in services}
        # the real clock, minus the time the broker was away (the morning pauses meanwhile)
        self._t0 = time.monotonic()
        self._paused = 0.0
        self._frozen_at: float | None = None  # while the broker is away, simulated time stands still

    # --- clock ---

    def sim_minutes(self) -> float:
        now = self._frozen_at if self._frozen_at is not None else time.monotonic()
        return (now - self._t0 - self._paused) * self.speed / 60.0

    def clock(self, minutes: float | None = None) -> str:
        t = self.start + timedelta(minutes=self.sim_minutes() if minutes is None else minutes)
        return t.strftime("%H:%M")

    def now_local(self) -> datetime:
        return self.start + timedelta(minutes=self.sim_minutes())

    def schedule(self, after_min: float, kind: str, counter: str | None = None, *, base: float | None = None) -> None:
        at = (self.sim_minutes() if base is None else base) + max(after_min, 0.0)
        with self.jobs_lock:
            heapq.heappush(self.jobs, _Job(at, next(self.seq), kind, counter))

    def say(self, what: str, text: str) -> None:
        self.out(f"{self.clock()}  {what:<6} {text}")

    # --- setup ---

    def plan(self, journeys: Sequence[tuple[datetime, str]] = ()) -> None:
        self.schedule(0, "arrival")
        for first_slot, code in journeys:  # journey clients come 5-25 minutes before their first slot
            at = (first_slot - self.start).total_seconds() / 60 - self.rng.uniform(5, 25)
            heapq.heappush(self.jobs, _Job(max(at, 0.0), next(self.seq), "booked", code=code))
        for c in self.site.counters:  # counsellors reach their desks over the first minutes
            self.schedule(5 + self.rng.uniform(0, 8), "next", c.id)

    def on_public(self, topic: str, data: dict[str, Any]) -> None:
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        if parsed.spec.name == "counter_state" and parsed.param and isinstance(data.get("waiting"), int):
            self.waiting_at[parsed.param] = data["waiting"]

    # --- one step ---

    def step(self, job: _Job) -> None:
        if job.kind == "booked":
            self.booked_arrival(job.code or "")
            return
        if job.kind == "arrival":
            # the next arrival is planned from this one's time, so slow replies do not thin out the crowd
            rate = arrivals_per_minute(self.start + timedelta(minutes=job.at))
            self.schedule(self.rng.expovariate(rate), "arrival", base=job.at)
            self.arrival()
            return
        assert job.counter is not None
        getattr(self, f"counter_{job.kind}")(job.counter)

    def _request(self, topic: str, command: p.Command, reply: type[R]) -> R | None:
        try:
            return self.link.request(topic, command, reply)
        except BadReply as exc:
            self.say("!", str(exc))
            return None

    def _counter(self, counter: str, action: p.CounterAction, to_service: str | None = None,
                 note: str = "") -> p.CommandResult | None:
        command = p.CounterCommand(id=self.link.new_id(), action=action, to_service=to_service, note=note)
        return self._request(self.topics.counter_cmd(counter), command, p.CommandResult)

    def _refused(self, who: str, reply: p.CheckInReply | p.CommandResult | None, number: str | None = None) -> bool:
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
        language = rng.choices(self.languages, self.language_weights)[0]
        sizes, weights = zip(*PARTY_SIZES, strict=True)
        party = rng.choices(sizes, weights)[0]
        if concern.id in FAMILY_CONCERNS and party == 1 and rng.random() < 0.5:
            party = rng.choice((2, 3, 4, 5))
        interpreter = rng.random() < INTERPRETER_SHARE.get(language, DEFAULT_INTERPRETER_SHARE)
        checkin = p.CheckIn(id=self.link.new_id(), concern=concern.id, language=language, party_size=party,
                            interpreter=interpreter)
        reply = self._request(self.topics.checkin(kiosk), checkin, p.CheckInReply)
        title = _short(concern.title.get("de", concern.id), 36)
        if self._refused(f"kiosk {kiosk}", reply):
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
        language = self.rng.choices(self.languages, self.language_weights)[0]
        reply = self._request(self.topics.checkin(kiosk), p.CheckIn(id=self.link.new_id(), booking_code=code,
                                                                    language=language), p.CheckInReply)
        if self._refused(f"kiosk {kiosk} (code {code})", reply):
            return
        assert reply is not None and reply.ticket is not None
        ticket = reply.ticket
        self.tickets[ticket.number] = Known(ticket.service, 1, False)
        self.stats["checkins"] += 1
        self.stats["journeys"] += 1
        stops = " → ".join(self._service_label(s.service) for s in ticket.stops) or self._service_label(
            ticket.service)
        self.say("kiosk", f"{ticket.number}  booked: {stops} ({language})")

    def _where(self, counter_id: str) -> str:
        counter = self.site.counter(counter_id)
        return f"{self.site.room(counter.room).number} {counter.label}"

    def _service_label(self, service_id: str) -> str:
        """The agency's short name, or the service's German name where an agency has several."""
        service = self.site.service(service_id)
        agency = self.site.agency(service.agency)
        if sum(1 for s in self.site.services if s.agency == agency.id) == 1:
            return agency.short
        return _short(service.name.get("de", service_id), 40)

    def _service_minutes(self, counter_id: str, number: str) -> float:
        known = self.tickets.get(number)
        service = known.service if known else self.site.counter(counter_id).services[0]
        base = self.site.service(service).minutes
        if known:
            base *= 1 + 0.08 * (known.party_size - 1) + (0.2 if known.interpreter else 0)
        return min(max(self.rng.lognormvariate(math.log(base), 0.35), 2.0), base * 3)

    def counter_next(self, counter: str) -> None:
        waiting = self.waiting_at.get(counter)
        if waiting == 0 and self.current[counter] is None and counter in self.called_at:
            self.schedule(self.rng.uniform(0.5, 1.5), "next", counter)  # nobody waiting: look again soon
            return
        reply = self._counter(counter, "next")
        if self._refused(self._where(counter), reply):
            self.schedule(1 + self.rng.random(), "next", counter)
            return
        assert reply is not None
        number = reply.number
        self.called_at[counter] = self.sim_minutes()
        self.current[counter] = number
        if not number:
            self.schedule(self.rng.uniform(1, 2), "next", counter)
            return
        self.stats["calls"] += 1
        self.say("call", f"{number} → {self._where(counter)}")
        if self.rng.random() < NO_SHOW_SHARE:
            self.schedule(self.rng.uniform(2.5, 4), "recall", counter)
        else:
            self.schedule(self.rng.uniform(0.5, 2.5), "start", counter)

    def counter_recall(self, counter: str) -> None:
        number = self.current[counter]
        reply = self._counter(counter, "recall")
        if self._refused(self._where(counter), reply, number):
            self._reset(counter)
            return
        self.say("recall", f"{number} → {self._where(counter)}")
        if self.rng.random() < 0.5:
            self.schedule(self.rng.uniform(0.5, 2), "start", counter)  # the client heard it after all
        else:
            self.schedule(self.rng.uniform(2.5, 4), "no_show", counter)

    def counter_no_show(self, counter: str) -> None:
        number = self.current[counter]
        reply = self._counter(counter, "no_show")
        if not self._refused(self._where(counter), reply, number):
            self.say("noshow", f"{number}   {self._where(counter)}")
        self._reset(counter, after=self.rng.uniform(0.3, 1))

    def counter_start(self, counter: str) -> None:
        number = self.current[counter]
        reply = self._counter(counter, "start")
        if self._refused(self._where(counter), reply, number):
            self._reset(counter)
            return
        self.schedule(self._service_minutes(counter, number or ""), "finish", counter)

    def counter_finish(self, counter: str) -> None:
        number = self.current[counter] or ""
        served = self.sim_minutes() - self.called_at.get(counter, self.sim_minutes())
        known = self.tickets.get(number)
        service = known.service if known else self.site.counter(counter).services[0]
        options = self.transfers.get(service, [])
        options = [(dst, note) for dst, note in options if dst != service]
        refer_to = REFERRALS.get(service)
        if refer_to and refer_to[0] != service and self.rng.random() < REFER_SHARE:
            reply = self._counter(counter, "refer", to_service=refer_to[0], note=refer_to[1])
            if not self._refused(self._where(counter), reply, number):
                if known:
                    known.service = refer_to[0]
                self.say("refer", f"{number}  {self._where(counter)} → {self._service_label(refer_to[0])} "
                                  f"and back  „{refer_to[1]}“")
        elif options and self.rng.random() < TRANSFER_SHARE:
            dst, note = self.rng.choice(options)
            reply = self._counter(counter, "transfer", to_service=dst, note=note)
            if not self._refused(self._where(counter), reply, number):
                if known:
                    known.service = dst
                self.say("handover", f"{number}  {self._where(counter)} → {self._service_label(dst)}  „{note}“")
        else:
            reply = self._counter(counter, "done")
            if not self._refused(self._where(counter), reply, number):
                self.stats["done"] += 1
                self.say("done", f"{number}   {self._where(counter)} ({served:.0f} min)")
        self.current[counter] = None
        if self.rng.random() < PAUSE_SHARE:
            reply = self._counter(counter, "pause")
            if not self._refused(self._where(counter), reply):
                self.say("pause", f"{self._where(counter)}")
                self.schedule(self.rng.uniform(8, 15), "resume", counter)
                return
        self.schedule(self.rng.uniform(0.3, 2), "next", counter)

    def counter_resume(self, counter: str) -> None:
        reply = self._counter(counter, "resume")
        if not self._refused(self._where(counter), reply):
            self.say("resume", f"{self._where(counter)}")
        self.schedule(0, "next", counter)

    def _reset(self, counter: str, after: float | None = None) -> None:
        """After a refusal or a lost reply: forget what we thought and press next again later."""
        self.current[counter] = None
        self.schedule(after if after is not None else 1 + self.rng.random(), "next", counter)

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
                    lost_since = self._frozen_at = now
                if not said_lost and now - lost_since > LOST_AFTER_S:
                    where = f"{self.link.host}:{self.link.port}"
                    if self.link.ever_connected:
                        self.say("!", f"lost the broker at {where}; retrying (the morning pauses)")
                    else:
                        self.say("!", f"waiting for the broker at {where} …")
                    said_lost = True
                stop.wait(0.2)
                continue
            if lost_since is not None:
                self._paused += time.monotonic() - lost_since
                self._frozen_at = None
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
                self._reset(job.counter)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


MORNING_START = dtime(7, 55)


def _morning_start(site: Site) -> datetime:
    return datetime.combine(datetime.now(site.tz).date(), MORNING_START, site.tz)


def run(site: Site, host: str, port: int, *, seconds: float = 0, speed: float = 60,
        stop: threading.Event | None = None, out: Out = print, seed: int | None = None,
        auth: BrokerAuth | None = None, journeys: list[tuple[datetime, str]] | None = None) -> dict[str, int]:
    """Play a morning against the core at host:port until `seconds` pass (0: until Ctrl-C) or `stop` is set."""
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if stop is None:
        stop, restore = stop_event_with_signals()
    topics = p.Topics(site.site.id)
    link = Link(site, host, port, out, name="sim", subscriptions=[f"{topics.root}/public/counter/+"], auth=auth)
    morning = Morning(site, link, out, speed=speed, start=_morning_start(site), rng=random.Random(seed))
    link.on_public = morning.on_public
    out(f"simulating a morning at {site.site.name}: {len(site.counters)} counters, "
        f"{speed:g} simulated minutes per real minute")
    link.start()
    try:
        morning.plan(journeys or [])
        morning.loop(stop, seconds)
    finally:
        link.stop()
        restore()
    s = morning.stats
    out(f"simulation ends at {morning.clock()}: {s['checkins']} check-ins ({s['journeys']} journeys), "
        f"{s['calls']} calls, {s['done']} served, "
        f"{s['refused']} refused, {s['no_reply']} without reply")
    return s
