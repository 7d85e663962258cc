"""A whole simulated day at a site, in process and in simulated time: the figures a journey is worth.

Walk-ins and booked journeys arrive, counsellors call, serve, hand over and mark no-shows, all through the
real queue service and a real (SQLite) store, with the clock set by the simulation, so a day takes seconds
and a seed repeats it exactly. The figures are read back from the store's event log afterwards, not from the
simulation's own bookkeeping: the share of journeys finished the same day, the gaps journey clients wait
between two stops, the booked stops missed because an earlier stop ran late, and the walk-ins' waits.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import statistics
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_rules import codes
from queue_rules.journeys import free_slots
from queue_rules.site import Site
from queue_rules.state import DayState, Ticket, TicketStatus, evolve

from .journey_plan import day_journeys
from .population import (
    CONCERN_WEIGHTS,
    DEFAULT_CONCERN_WEIGHT,
    NO_SHOW_SHARE,
    REFER_SHARE,
    REFERRALS,
    TRANSFER_SHARE,
    TRANSFERS,
    People,
)

BOOK_ON_SHARE = 0.04    # stops after which the desk books the client into another agency tomorrow

DAY_START, DAY_END = time(7, 45), time(16, 30)


@dataclass(frozen=True)
class DayFigures:
    journeys: int
    journey_stops: int
    journey_same_day_share: float
    journey_gap_min_p50: float
    journey_gap_min_p90: float
    journey_wait_past_slot_min_p50: float
    journey_wait_past_slot_min_p90: float
    booked_stops_missed_late: int
    walk_ins: int
    walk_in_wait_min_p50: float
    walk_in_wait_min_p90: float

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


@dataclass(order=True)
class _Job:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    arg: str = field(default="", compare=False)


class Day:
    """The day's clients and counsellors as jobs on a simulated clock, driving a QueueService directly."""

    def __init__(self, site: Site, store: Store, day: date, seed: int, *, walk_in_rate: float,
                 people: bool = False):
        # separate random streams (common random numbers): who comes when, and how each client's stop goes, do
        # not depend on the order in which clients are called, so two orderings can be compared on the same day
        self.site, self.store, self.seed = site, store, seed
        self.rng = random.Random(f"{seed}-arrivals")
        self.now = datetime.combine(day, DAY_START, tzinfo=site.tz)
        self.end = datetime.combine(day, DAY_END, tzinfo=site.tz)
        self.service = QueueService(site, store, clock=lambda: self.now)
        self.topics = p.Topics(site.site.id)
        self.jobs: list[_Job] = []
        self.seq = itertools.count()
        self.ids = itertools.count(day.toordinal() * 100_000)  # command ids unique across days in one store
        self.kiosk = site.kiosks[0].id if site.kiosks else "kiosk"
        self.walk_in_rate = walk_in_rate
        self.concerns = [c for c in site.concerns if c.walk_in]
        self.weights = [CONCERN_WEIGHTS.get(c.id, DEFAULT_CONCERN_WEIGHT) for c in self.concerns]
        # people=True: walk-ins in the centre's languages, families, interpreters, step-free requests, and desks
        # that refer with return and book on into tomorrow; from streams of their own, so the arrivals stay the same
        self.people = People(site.site.languages, random.Random(f"{seed}-people")) if people else None

    def at(self, when: datetime, kind: str, arg: str = "") -> None:
        heapq.heappush(self.jobs, _Job(when, next(self.seq), kind, arg))

    def send(self, topic: str, command: p.Command) -> dict[str, object]:
        parsed = self.topics.parse(topic)   # answered on its sender's own reply topic: the simulated device's
        senders = sorted(self.service.senders.devices(parsed.spec.name, parsed.param or ""))
        reply_to = self.topics.reply(senders[0]) if senders else None
        pubs = self.service.handle(Incoming(topic, command.to_bytes(), reply_to, b"c"))
        self.service.flush_state()
        for x in pubs:
            if x.topic == reply_to:
                answer: dict[str, object] = json.loads(x.payload)
                return answer
        return {}

    def client(self, t: Ticket) -> random.Random:
        """The random stream of one client at one stop: whether he comes, how long it takes, where he goes next."""
        return random.Random(f"{self.seed}-{t.number}-{len(t.stops)}-{t.service}")

    def play(self, codes_by_first_slot: list[tuple[datetime, str]]) -> None:
        booked = random.Random(f"{self.seed}-booked")
        for slot, code in codes_by_first_slot:  # journey clients come 5-25 minutes early, one in ten late
            late = booked.random() < 0.1
            self.at(slot + timedelta(minutes=booked.uniform(16, 40) if late else -booked.uniform(5, 25)),
                    "booked", code)
        self.at(self.now, "walk_in")
        desks = random.Random(f"{self.seed}-desks")
        for c in self.site.counters:
            self.at(self.now + timedelta(minutes=desks.uniform(5, 15)), "next", c.id)
        while self.jobs and self.jobs[0].at <= self.end:
            job = heapq.heappop(self.jobs)
            self.now = max(self.now, job.at)
            getattr(self, f"_{job.kind}")(job.arg)

    def _walk_in(self, _: str) -> None:
        if self.now.time() < time(12, 30):
            self.at(self.now + timedelta(minutes=self.rng.expovariate(self.walk_in_rate)), "walk_in")
        concern = self.rng.choices(self.concerns, self.weights)[0]
        if self.people is not None and not self.site.agency_of_service(concern.service).is_open(self.now):
            open_now = [c for c in self.concerns if self.site.agency_of_service(c.service).is_open(self.now)]
            if not open_now:
                return
            concern = self.people.rng.choice(open_now)  # the kiosk shows a closed office as closed: he picks another
        checkin = p.CheckIn(id=f"w{next(self.ids)}", concern=concern.id, language="de")
        if self.people is not None:
            who = self.people.walk_in(concern.id, step_free=True)
            checkin = checkin.model_copy(update={"language": who.language, "party_size": who.party_size,
                                                 "interpreter": who.interpreter, "step_free": who.step_free})
        self.send(self.topics.checkin(self.kiosk), checkin)

    def _booked(self, code: str) -> None:
        self.send(self.topics.checkin(self.kiosk), p.CheckIn(id=f"b{next(self.ids)}", booking_code=code))

    def _counter(self, counter: str, action: p.CounterAction, *, to_service: str | None = None,
                 note: str = "") -> dict[str, object]:
        return self.send(self.topics.counter_cmd(counter), p.CounterCommand(
            id=f"c{next(self.ids)}", action=action, to_service=to_service, note=note))

    def _current(self, counter: str) -> Ticket | None:
        cs = self.service.state.counters.get(counter)
        return self.service.state.tickets.get(cs.ticket) if cs and cs.ticket else None

    def _next(self, counter: str) -> None:
        services = self.site.counter(counter).services
        agency = self.site.agency_of_service(services[0])
        waiting = sum(self.service.state.waiting_count(s) for s in services)
        if not agency.is_open(self.now) and not waiting:  # after closing time, those still waiting are served
            self.at(self.now + timedelta(minutes=10), "next", counter)
            return
        if self.people is not None and not waiting and self._current(counter) is None:
            # nobody there: the counsellor sees it on the screen and does not press (keeps long runs quick)
            self.at(self.now + timedelta(minutes=1.5), "next", counter)
            return
        self._counter(counter, "next")
        t = self._current(counter)
        if t is None:
            self.at(self.now + timedelta(minutes=1.5), "next", counter)
            return
        rng = self.client(t)
        if rng.random() < NO_SHOW_SHARE / 2:
            self.at(self.now + timedelta(minutes=3), "no_show", counter)
        else:
            minutes = self.site.service(t.service).minutes * (1 + 0.08 * (t.party_size - 1))
            served = min(max(rng.lognormvariate(math.log(minutes), 0.35), 2.0), minutes * 3)
            self.at(self.now + timedelta(minutes=1 + served), "finish", counter)

    def _no_show(self, counter: str) -> None:
        self._counter(counter, "no_show")
        self.at(self.now + timedelta(minutes=0.5), "next", counter)

    def _finish(self, counter: str) -> None:
        t = self._current(counter)
        if t is None:
            self.at(self.now + timedelta(minutes=1), "next", counter)
            return
        rng = self.client(t)
        rng.random(), rng.random()  # the draws _next made: whether he came, how long it took
        options = [dst for dst, _ in TRANSFERS.get(t.service, [])]
        if t.journey is None and options and rng.random() < TRANSFER_SHARE:
            self._counter(counter, "transfer", to_service=rng.choice(options), note="Übergabe")
        elif not (self.people is not None and t.journey is None and self._refer_or_book(counter, t)):
            self._counter(counter, "done")
        self.at(self.now + timedelta(minutes=1), "next", counter)


    def _refer_or_book(self, counter: str, t: Ticket) -> bool:
        """Now and then a desk refers with return, or books the client into another agency tomorrow."""
        assert self.people is not None
        draw = self.people.rng.random()
        if draw < REFER_SHARE and t.service in REFERRALS and not t.plan:
            to, note = REFERRALS[t.service]
            return self._counter(counter, "refer", to_service=to, note=note).get("ok") is True
        if draw > 1 - BOOK_ON_SHARE and TRANSFERS.get(t.service):
            to = self.people.rng.choice([dst for dst, _ in TRANSFERS[t.service]])
            slot = self._free_slot_tomorrow(to)
            if slot is not None:
                answer = self.send(self.topics.counter_cmd(counter), p.CounterCommand(
                    id=f"c{next(self.ids)}", action="book", to_service=to, slot=slot))  # no note: not kept overnight
                if answer.get("ok") is True:
                    self._counter(counter, "done")
                    return True
        return False

    def _free_slot_tomorrow(self, service: str) -> datetime | None:
        tomorrow = self.now.date() + timedelta(days=1)
        start = datetime.combine(tomorrow, time(), self.site.tz)
        booked = [(b.stop.service, b.stop.slot, b.stop.minutes)
                  for b in self.store.bookings_between(start, start + timedelta(days=1)) if not b.cancelled]
        slots = free_slots(self.site, service, tomorrow, booked)
        return slots[len(slots) // 3] if slots else None


def simulate_days(site: Site, store: Store, first: date, days: int, *, seed: int = 1, journeys: int = 12,
                  walk_in_rate: float = 0.25) -> list[date]:
    """Several working days (Monday to Friday) into one store, with the whole population (languages, families,
    interpreters, referrals, appointments booked at a desk for the next day): a seeded month for the report."""
    played: list[date] = []
    day = first
    while len(played) < days:
        if day.weekday() < 5:
            store.import_bookings(day_journeys(site, day, journeys, random.Random(f"{seed}-{day}-bookings"),
                                               ref_prefix=f"sim{day:%Y%m%d}"))
            first_slots = sorted((min(s.slot for s in j.stops if s.slot.astimezone(site.tz).date() == day),
                                  codes.display(j.code)) for j in store.journeys_on(day, site.tz))
            sim = Day(site, store, day, seed * 1000 + day.toordinal(), walk_in_rate=walk_in_rate, people=True)
            sim.play(first_slots)
            played.append(day)
        day += timedelta(days=1)
    return played


def simulate_day(site: Site, *, seed: int = 1, journeys: int = 40, walk_in_rate: float = 0.4,
                 journey_priority: bool = True, day: date = date(2026, 12, 2)) -> DayFigures:
    """One busy day at the site (a Wednesday), with or without the rule that calls journey clients in time."""
    if not journey_priority:
        site = site.model_copy(update={"policy": site.policy.model_copy(update={"journey_first": False})})
    with tempfile.TemporaryDirectory(prefix="arkaden-day-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'day.db'}")
        store.migrate()
        bookings = day_journeys(site, day, journeys, random.Random(f"{seed}-bookings"))
        summary = store.import_bookings(bookings)
        first = _first_slots(store, summary.journeys)
        sim = Day(site, store, day, seed, walk_in_rate=walk_in_rate)
        sim.play(first)
        figures = figures_from_log(site, store, day)
        store.close()
    return figures


def _first_slots(store: Store, journey_codes: tuple[str, ...]) -> list[tuple[datetime, str]]:
    out = []
    for code in journey_codes:
        j = store.journey(code)
        if j is not None and j.stops:
            out.append((j.stops[0].slot, codes.display(code)))
    return out


def figures_from_log(site: Site, store: Store, day: date) -> DayFigures:
    """The day's figures, replayed from the event log."""
    state = DayState(tz=site.tz, estimate_window=site.policy.estimate_window)
    for e in store.events(day=day):
        evolve(state, e)
    return _figures(site, state)


def _figures(site: Site, state: DayState) -> DayFigures:
    journeys = [t for t in state.tickets.values() if t.journey is not None and sum(
        1 for s in t.stops if s.slot is not None) + len(t.plan) >= 2]
    finished = [t for t in journeys if not t.plan and t.status is TicketStatus.DONE]
    gaps, past_slot, missed, stops = [], [], 0, 0
    for t in journeys:
        stops += len(t.stops) + len(t.plan)
        for before, after in zip(t.stops, t.stops[1:], strict=False):
            if before.ended_at is not None and after.called_at is not None:
                gaps.append((after.called_at - before.ended_at).total_seconds() / 60)
                ready = before.ended_at  # from when he could have been called: done there, and his slot is due
                if after.slot is not None:
                    ready = max(ready, after.slot - timedelta(minutes=site.early_minutes(after.service)))
                past_slot.append(max(0.0, (after.called_at - ready).total_seconds() / 60))
            if after.slot is not None and before.ended_at is not None:
                late_after = after.slot + timedelta(minutes=site.agency_of_service(after.service).bookings.late_minutes)
                if before.ended_at > late_after:
                    missed += 1
        missed += sum(1 for s in t.plan if s.slot is not None)  # never reached by the end of the day
    walk_ins = [t for t in state.tickets.values() if t.booking_code is None and t.stops[0].called_at is not None]
    waits = [(t.stops[0].called_at - t.arrived_at).total_seconds() / 60 for t in walk_ins
             if t.stops[0].called_at is not None]
    return DayFigures(
        journeys=len(journeys), journey_stops=stops,
        journey_same_day_share=round(len(finished) / len(journeys), 3) if journeys else 0.0,
        journey_gap_min_p50=_pct(gaps, 50), journey_gap_min_p90=_pct(gaps, 90),
        journey_wait_past_slot_min_p50=_pct(past_slot, 50), journey_wait_past_slot_min_p90=_pct(past_slot, 90),
        booked_stops_missed_late=missed, walk_ins=len(walk_ins),
        walk_in_wait_min_p50=_pct(waits, 50), walk_in_wait_min_p90=_pct(waits, 90),
    )


def _pct(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)



def journey_figures(site: Site, seeds: tuple[int, ...] = (1, 2, 3)) -> dict[str, float]:
    """The journey figures for `arkaden bench --json`: means over seeded busy days, with the ordering rule that
    calls a journey client in time for his next stop, and (as `..._without_rule`) without it."""
    out: dict[str, float] = {}
    for rule, suffix in ((True, ""), (False, "_without_rule")):
        days = [simulate_day(site, seed=seed, journey_priority=rule) for seed in seeds]
        mean = {k: statistics.fmean(float(getattr(d, k)) for d in days) for k in DayFigures.__dataclass_fields__}
        out[f"journey_same_day_share{suffix}"] = round(mean["journey_same_day_share"], 3)
        out[f"journey_gap_min_p50{suffix}"] = round(mean["journey_gap_min_p50"], 1)
        out[f"journey_gap_min_p90{suffix}"] = round(mean["journey_gap_min_p90"], 1)
        out[f"journey_wait_past_slot_min_p90{suffix}"] = round(mean["journey_wait_past_slot_min_p90"], 1)
        out[f"journey_booked_stops_missed_late{suffix}"] = round(mean["booked_stops_missed_late"], 1)
        out[f"walk_in_wait_min_p50{suffix}"] = round(mean["walk_in_wait_min_p50"], 1)
        out[f"walk_in_wait_min_p90{suffix}"] = round(mean["walk_in_wait_min_p90"], 1)
    return out
