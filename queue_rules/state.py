"""The queue's current state as plain data, and evolve(): how each event changes it."""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sortedcontainers import SortedList

from queue_rules import events as ev


class TicketStatus(str, enum.Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    PARKED = "parked"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


ACTIVE = (TicketStatus.CALLED, TicketStatus.SERVING)
# still part of today's visit for reception: waiting, at a counter, parked, or missed (reception may return it)
OPEN = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.PARKED,
                  TicketStatus.NO_SHOW})
FINAL = (TicketStatus.DONE, TicketStatus.CANCELLED)


class CounterStatus(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


@dataclass
class Stop:
    """One leg of a visit: a service the client waited for, and how it ended."""

    service: str
    slot: datetime | None = None      # the booked time, when this stop is a booking
    minutes: int = 0
    status: TicketStatus = TicketStatus.WAITING
    counter: str | None = None
    called_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass
class Ticket:
    """A visit: one number on one slip, with one or more stops."""

    id: str
    number: str
    seq: int
    agency: str
    token: str
    language: str
    party_size: int
    interpreter: bool
    step_free: bool
    priority: int
    booking_code: str | None
    slot: datetime | None
    arrived_at: datetime
    eligible_at: datetime
    order_at: datetime
    issue_order: int
    stops: list[Stop]
    status: TicketStatus = TicketStatus.WAITING
    counter: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    recalls: int = 0
    note: str = ""
    journey: str | None = None        # the journey's booking code
    bookings: list[int] = field(default_factory=list)      # bookings this visit covers (checked in)
    plan: list[ev.PlanStop] = field(default_factory=list)  # further stops today, in order
    missed: int = 0                   # booked stops missed today (no-show)
    see_reception: bool = False       # late for the slot: waits for reception, parked
    handovers: int = 0                # warm handovers, referrals and desk bookings (the fact stays, not the note)
    announce: bool = False            # calls also spoken in `language` (the client chose it at the kiosk)

    @property
    def service(self) -> str:
        return self.stops[-1].service

    @property
    def journey_stops(self) -> int:
        """Booked stops of this visit today (behind it and ahead): two or more make it a journey of the day."""
        return sum(1 for s in self.stops if s.slot is not None) + sum(1 for s in self.plan if s.slot is not None)

    def sort_key(self) -> tuple[int, datetime, int]:
        return (-self.priority, self.order_at, self.issue_order)


@dataclass
class CounterState:
    id: str
    status: CounterStatus = CounterStatus.CLOSED
    ticket: str | None = None
    called_at: datetime | None = None
    since: datetime | None = None


@dataclass
class DayState:
    """Today's state at the site: every ticket, counter and waiting line; the fold of the day's events."""

    tz: ZoneInfo
    estimate_window: int = 10
    day: date | None = None
    tickets: dict[str, Ticket] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    durations: dict[str, deque[float]] = field(default_factory=dict)
    recent_calls: deque[tuple[str, str, datetime]] = field(default_factory=lambda: deque(maxlen=20))
    issued: int = 0
    waiting_ids: dict[str, SortedList] = field(default_factory=dict)  # service -> [(sort_key, ticket id)]
    journey_waiting: dict[str, set[str]] = field(default_factory=dict)  # service -> waiting ids with stops ahead
    open_ids: set[str] = field(default_factory=set)  # tickets still open (OPEN): reception's list reads these only

    def counter(self, counter_id: str) -> CounterState:
        state = self.counters.get(counter_id)
        if state is None:
            state = self.counters[counter_id] = CounterState(counter_id)
        return state

    def waiting(self, service: str | None = None) -> list[Ticket]:
        """Waiting tickets (of one service, or all), best first."""
        services = [service] if service is not None else list(self.waiting_ids)
        found = [self.tickets[i] for s in services for _, i in self.waiting_ids.get(s, ())]
        return sorted(found, key=Ticket.sort_key)

    def ahead_of(self, t: Ticket) -> int:
        """How many waiting clients of the ticket's service come before it."""
        return int(self.waiting_ids.get(t.service, SortedList()).bisect_left((t.sort_key(), t.id)))

    def waiting_count(self, service: str) -> int:
        return len(self.waiting_ids.get(service, ()))

    def set_status(self, t: Ticket, status: TicketStatus) -> None:
        """The one place a ticket's status changes, so the waiting index stays right."""
        if t.status is TicketStatus.WAITING:
            self.waiting_ids[t.service].discard((t.sort_key(), t.id))
            self.journey_waiting.get(t.service, set()).discard(t.id)
        t.status = status
        if status in OPEN:
            self.open_ids.add(t.id)
        else:
            self.open_ids.discard(t.id)
        if status is TicketStatus.WAITING:
            self.waiting_ids.setdefault(t.service, SortedList()).add((t.sort_key(), t.id))
            if t.plan or t.journey_stops >= 2:
                self.journey_waiting.setdefault(t.service, set()).add(t.id)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    """The calendar day in the site's time zone (DST-safe: zoneinfo does the offsets)."""
    return at.astimezone(tz).date()


def evolve(state: DayState, event: ev.Event) -> None:
    """Apply one event to the state, in place. Events are facts: evolve never refuses one."""
    day = local_day(event.at, state.tz)
    if state.day != day:
        _roll_over(state, day)
    handler = _HANDLERS[type(event)]
    handler(state, event)


def _roll_over(state: DayState, day: date) -> None:
    """A new local day: numbers restart and yesterday's visits leave the live state (the log keeps them)."""
    state.day = day
    state.tickets.clear()
    state.waiting_ids.clear()
    state.journey_waiting.clear()
    state.open_ids.clear()
    state.last_seq.clear()
    for c in state.counters.values():
        c.status, c.ticket, c.called_at, c.since = CounterStatus.CLOSED, None, None, None
    state.recent_calls.clear()
    state.durations.clear()  # as a restarted core, which replays only today's events


def _issued(state: DayState, e: ev.TicketIssued) -> None:
    state.issued += 1
    if not e.offline:
        state.last_seq[e.agency] = max(state.last_seq.get(e.agency, 0), e.seq)
    t = state.tickets[e.ticket] = Ticket(
        id=e.ticket, number=e.number, seq=e.seq, agency=e.agency, token=e.token,
        language=e.language, party_size=e.party_size, interpreter=e.interpreter,
        step_free=e.step_free, priority=e.priority, booking_code=e.booking_code, slot=e.slot,
        arrived_at=e.arrived_at or min(e.at, e.order_at), eligible_at=e.eligible_at, order_at=e.order_at,
        issue_order=state.issued, stops=[Stop(e.service, e.slot, e.slot_minutes)], status=TicketStatus.CANCELLED,
        journey=e.journey, bookings=list(e.bookings), plan=list(e.plan), see_reception=e.see_reception,
        announce=e.announce,
    )
    state.set_status(t, TicketStatus.PARKED if e.see_reception else TicketStatus.WAITING)


def _release(state: DayState, t: Ticket, at: datetime, status: TicketStatus) -> None:
    """End the ticket's current stop at its counter, with the given status."""
    if t.counter is not None:
        c = state.counter(t.counter)
        if c.ticket == t.id:
            c.ticket, c.called_at = None, None
    stop = t.stops[-1]
    stop.status, stop.ended_at = status, at
    state.set_status(t, status)
    t.counter, t.called_at, t.started_at = None, None, None


def _called(state: DayState, e: ev.TicketCalled) -> None:
    t = state.tickets[e.ticket]
    c = state.counter(e.counter)
    c.status, c.ticket, c.called_at = CounterStatus.OPEN, t.id, e.at
    state.set_status(t, TicketStatus.CALLED)
    t.counter, t.called_at, t.started_at, t.recalls = e.counter, e.at, None, 0
    stop = t.stops[-1]
    stop.status, stop.counter, stop.called_at = TicketStatus.CALLED, e.counter, e.at
    state.recent_calls.appendleft((t.number, e.counter, e.at))


def _recalled(state: DayState, e: ev.TicketRecalled) -> None:
    t = state.tickets[e.ticket]
    t.recalls += 1
    state.counter(e.counter).called_at = e.at
    state.recent_calls.appendleft((t.number, e.counter, e.at))


def _started(state: DayState, e: ev.ServiceStarted) -> None:
    t = state.tickets[e.ticket]
    state.set_status(t, TicketStatus.SERVING)
    t.started_at = e.at
    t.stops[-1].status = TicketStatus.SERVING


def _completed(state: DayState, e: ev.TicketCompleted) -> None:
    t = state.tickets[e.ticket]
    began = t.started_at or t.called_at
    if began is not None:
        window = state.durations.setdefault(t.service, deque(maxlen=state.estimate_window))
        window.append((e.at - began).total_seconds() / 60.0)
    _release(state, t, e.at, TicketStatus.DONE)


def _no_show(state: DayState, e: ev.TicketNoShow) -> None:
    _release(state, state.tickets[e.ticket], e.at, TicketStatus.NO_SHOW)


def _parked(state: DayState, e: ev.TicketParked) -> None:
    _release(state, state.tickets[e.ticket], e.at, TicketStatus.PARKED)


def _transferred(state: DayState, e: ev.TicketTransferred) -> None:
    t = state.tickets[e.ticket]
    _release(state, t, e.at, TicketStatus.TRANSFERRED)
    t.stops.append(Stop(e.to_service))
    state.set_status(t, TicketStatus.WAITING)
    t.recalls, t.note = 0, e.note
    t.handovers += 1
    t.eligible_at = min(t.eligible_at, e.at)


def _referred(state: DayState, e: ev.TicketReferred) -> None:
    t = state.tickets[e.ticket]
    t.plan.insert(0, ev.PlanStop(service=e.back_to, priority=e.back_priority))
    _transferred(state, ev.TicketTransferred(at=e.at, actor=e.actor, ticket=e.ticket, counter=e.counter,
                                             to_service=e.to_service, note=e.note))


def _stop_booked(state: DayState, e: ev.StopBooked) -> None:
    t = state.tickets[e.ticket]
    t.journey = e.journey
    t.handovers += 1
    if e.note:
        t.note = e.note
    t.plan = plan_with_booking(t.plan, e, state.tz)


def plan_with_booking(plan: list[ev.PlanStop], e: ev.StopBooked, tz: ZoneInfo) -> list[ev.PlanStop]:
    """A visit's plan once a desk booked it into a slot: later today it goes on there (in slot order);
    a slot tomorrow is a new check-in then, and today's plan stays as it is."""
    if local_day(e.slot, tz) != local_day(e.at, tz):
        return list(plan)
    at = next((i for i, s in enumerate(plan) if s.slot is not None and s.slot > e.slot), len(plan))
    return [*plan[:at], ev.PlanStop(service=e.service, slot=e.slot, minutes=e.minutes), *plan[at:]]


def _advanced(state: DayState, e: ev.TicketAdvanced) -> None:
    t = state.tickets[e.ticket]
    if t.status is TicketStatus.WAITING:
        state.set_status(t, TicketStatus.DONE)  # leaves its index before the sort key changes
    planned = t.plan.pop(0) if t.plan else None
    t.stops.append(Stop(e.service, planned.slot if planned else None, planned.minutes if planned else 0))
    t.priority, t.eligible_at, t.order_at = e.priority, e.eligible_at, e.order_at
    t.recalls, t.missed = 0, t.missed + (1 if e.missed else 0)
    if e.note:
        t.note = e.note
    if e.handover:
        t.handovers += 1
    state.set_status(t, TicketStatus.WAITING)


def _plan_revised(state: DayState, e: ev.PlanRevised) -> None:
    t = state.tickets[e.ticket]
    old = t.status
    state.set_status(t, TicketStatus.CANCELLED)  # re-indexed: whether it has stops ahead may have changed
    t.plan = list(e.plan)
    state.set_status(t, old)


def _returned(state: DayState, e: ev.TicketReturned) -> None:
    t = state.tickets[e.ticket]
    t.stops.append(Stop(t.service))
    t.see_reception = False
    state.set_status(t, TicketStatus.WAITING)
    t.recalls = 0


def _moved(state: DayState, e: ev.TicketMoved) -> None:
    t = state.tickets[e.ticket]
    state.set_status(t, TicketStatus.CANCELLED)  # leaves the old service's index
    t.stops[-1].service = e.to_service
    t.stops[-1].status = TicketStatus.WAITING
    state.set_status(t, TicketStatus.WAITING)


def _cancelled(state: DayState, e: ev.TicketCancelled) -> None:
    _release(state, state.tickets[e.ticket], e.at, TicketStatus.CANCELLED)


def _priority(state: DayState, e: ev.PriorityChanged) -> None:
    t = state.tickets[e.ticket]
    old = t.status
    state.set_status(t, TicketStatus.CANCELLED)  # re-sorted under its new priority
    t.priority = e.priority
    state.set_status(t, old)


def _opened(state: DayState, e: ev.CounterOpened) -> None:
    c = state.counter(e.counter)
    c.status, c.since = CounterStatus.OPEN, e.at


def _paused(state: DayState, e: ev.CounterPaused) -> None:
    c = state.counter(e.counter)
    c.status, c.since = CounterStatus.PAUSED, e.at


# each handler takes its own event type: the table is keyed by it
_HANDLERS: dict[type[ev.Event], Callable[[DayState, Any], None]] = {
    ev.TicketIssued: _issued,
    ev.TicketCalled: _called,
    ev.TicketRecalled: _recalled,
    ev.ServiceStarted: _started,
    ev.TicketCompleted: _completed,
    ev.TicketNoShow: _no_show,
    ev.TicketParked: _parked,
    ev.TicketTransferred: _transferred,
    ev.TicketReferred: _referred,
    ev.StopBooked: _stop_booked,
    ev.TicketAdvanced: _advanced,
    ev.PlanRevised: _plan_revised,
    ev.TicketReturned: _returned,
    ev.TicketMoved: _moved,
    ev.TicketCancelled: _cancelled,
    ev.PriorityChanged: _priority,
    ev.CounterOpened: _opened,
    ev.CounterPaused: _paused,
}
