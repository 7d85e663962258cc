"""One day's event log folded into anonymous daily figures (queue_rules.figures): visits, waits, languages, journeys.

The fold replays the day through `state.evolve`, so a ticket's stops are read exactly as the core kept them, and
counts what the report needs. A journey (a client with several matters) is counted on the day of his first
check-in; whether he finished within two days needs the next day's log too, so `tally_day` takes the journeys
seen the day before (not counted again) and the next day's tickets by journey code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from queue_rules import events as ev
from queue_rules.figures import JOURNEY_STOPS_CAP, PARTY_CAP, Figure, minutes_bin
from queue_rules.site import Site
from queue_rules.state import DayState, Ticket, TicketStatus, evolve


@dataclass(frozen=True)
class JourneyEnd:
    """How a visit with a journey code ended on its day: its stops that day, and whether all were finished."""

    stops: int
    finished: bool


@dataclass
class _Fold:
    site: Site
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    queued: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # ticket -> (callable since, kind)
    visits: Counter[str] = field(default_factory=Counter)                  # ticket -> stops queued at
    referred: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # ticket -> (from, to, back service)
    back_at: dict[str, tuple[str, str]] = field(default_factory=dict)      # ticket -> referral now being returned

    def add(self, measure: str, a: str = "", b: str = "", n: int = 1) -> None:
        self.counts[(measure, a, b)] += n

    def agency(self, service: str) -> str:
        try:
            return self.site.agency_of_service(service).id
        except KeyError:
            return f"?{service}"  # a service no longer in the site file: still counted, under its own id

    def queue(self, ticket: str, service: str, since: datetime, kind: str) -> None:
        self.add("visits", self.agency(service), kind)
        self.visits[ticket] += 1
        self.queued[ticket] = (since, kind)


def _fold(site: Site, events: Iterable[ev.Event]) -> tuple[_Fold, DayState]:
    f = _Fold(site)
    state = DayState(tz=site.tz, estimate_window=site.policy.estimate_window)
    for e in events:
        t = state.tickets.get(getattr(e, "ticket", ""))
        if isinstance(e, ev.TicketIssued):
            _issued(f, e)
        elif t is not None:
            _ticket_event(f, t, e)
        evolve(state, e)
    return f, state


def _issued(f: _Fold, e: ev.TicketIssued) -> None:
    arrived = e.arrived_at or (min(e.at, e.order_at) if e.offline else e.at)
    f.add("checkins", f"{arrived.astimezone(f.site.tz).hour:02d}")
    f.add("language", e.language)
    if e.interpreter:
        f.add("interpreter", e.language)
    f.add("party_size", str(min(e.party_size, PARTY_CAP)))
    if e.step_free:
        f.add("step_free")
    if e.offline:
        f.add("offline_tickets", e.actor)
    booked = e.slot is not None
    since = max(e.eligible_at, arrived) if booked else e.order_at
    f.queue(e.ticket, e.service, since, "booked" if booked else "walk_in")
    if e.see_reception:
        f.queued.pop(e.ticket)  # waits for reception first: queued when reception returns him


def _ticket_event(f: _Fold, t: Ticket, e: ev.Event) -> None:
    here = f.agency(t.service)
    if isinstance(e, ev.TicketCalled):
        if t.id in f.queued:
            since, kind = f.queued.pop(t.id)
            f.add(f"wait_{kind}", here, minutes_bin((e.at - since).total_seconds()))
    elif isinstance(e, ev.TicketCompleted | ev.TicketTransferred | ev.TicketReferred):
        began = t.started_at or t.called_at
        if began is not None:
            f.add("service_time", here, minutes_bin((e.at - began).total_seconds()))
        f.add("served", here)
        if isinstance(e, ev.TicketCompleted) and t.id in f.back_at:
            origin, went_to = f.back_at.pop(t.id)
            f.add("referral_returned", origin, went_to)
        if isinstance(e, ev.TicketTransferred | ev.TicketReferred):
            there = f.agency(e.to_service)
            f.add("handover", here, there)
            if e.note:
                f.add("handover_note", here, there)
            if isinstance(e, ev.TicketReferred):
                f.add("referral", here, there)
                f.referred[t.id] = (here, there, e.back_to)
            f.queue(t.id, e.to_service, e.at, "walk_in")
    elif isinstance(e, ev.TicketNoShow):
        f.add("no_shows", here)
    elif isinstance(e, ev.StopBooked):
        f.add("booked_on", here, f.agency(e.service))
    elif isinstance(e, ev.TicketAdvanced):
        there = f.agency(e.service)
        if not e.missed and t.status is not TicketStatus.WAITING:
            f.add("handover", here, there)
            if e.handover:
                f.add("handover_note", here, there)
        planned_slot = t.plan[0].slot if t.plan else None
        f.queue(t.id, e.service, max(e.at, e.eligible_at), "walk_in" if planned_slot is None else "booked")
        ref = f.referred.get(t.id)
        if ref is not None and ref[2] == e.service:
            f.back_at[t.id] = (ref[0], ref[1])
            del f.referred[t.id]
    elif isinstance(e, ev.TicketReturned) and t.stops[-1].called_at is None:
        # parked from the start (late, sent to reception): his wait begins now; a client called before and
        # brought back after a no-show is not counted a second time
        f.queued[t.id] = (e.at, "booked" if t.stops[-1].slot else "walk_in")
    elif isinstance(e, ev.TicketMoved):
        there = f.agency(e.to_service)
        if there != here:
            kind = f.queued.get(t.id, (e.at, "walk_in"))[1]
            f.add("visits", here, kind, -1)
            f.add("visits", there, kind)


def _finished(t: Ticket) -> bool:
    return t.status is TicketStatus.DONE and not t.plan and t.missed == 0


def journey_ends(site: Site, events: Iterable[ev.Event]) -> dict[str, JourneyEnd]:
    """The visits with a journey code of one day: how many stops each had and whether it finished them all."""
    f, state = _fold(site, events)
    return {t.journey: JourneyEnd(f.visits[t.id] + len(t.plan), _finished(t))
            for t in state.tickets.values() if t.journey is not None}


def tally_day(site: Site, day: date, events: Iterable[ev.Event], *, seen_before: frozenset[str] = frozenset(),
              next_day: Mapping[str, JourneyEnd] | None = None,
              later_stops: Mapping[str, tuple[int, int]] | None = None) -> list[Figure]:
    """The day's figures from its events (in log order).

    seen_before: journey codes that checked in the day before (their journey was counted then).
    next_day: `journey_ends` of the next day (None while it has not happened yet).
    later_stops: per journey code, booked stops not cancelled on the next day and after it (from the bookings).
    """
    f, state = _fold(site, events)
    after = next_day or {}
    later = later_stops or {}
    for t in state.tickets.values():
        if t.journey is not None and t.journey in seen_before:
            continue
        today = f.visits[t.id] + len(t.plan)
        tomorrow_booked, beyond = later.get(t.journey, (0, 0)) if t.journey else (0, 0)
        cont = after.get(t.journey) if t.journey else None
        tomorrow = cont.stops if cont is not None else tomorrow_booked
        stops = today + tomorrow + beyond
        if stops < 2:
            continue
        if not _finished(t) or beyond:
            outcome = "open"
        elif not tomorrow:
            outcome = "one_day"
        else:
            outcome = "two_days" if cont is not None and cont.finished else "open"
        f.add("journeys", str(min(stops, JOURNEY_STOPS_CAP)), outcome)
    return sorted(Figure(day, m, a, b, n) for (m, a, b), n in f.counts.items() if n)
