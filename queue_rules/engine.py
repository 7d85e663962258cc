"""The queue engine: pure decisions from (state, command, now) to events, plus ordering and wait estimates.

Nothing here does I/O or keeps a clock: the caller passes `now`, random ids and tokens, and
applies the returned events with `state.evolve`. A refused command raises `Rejected`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from queue_protocol import CounterAction, ReceptionAction
from queue_rules import events as ev
from queue_rules.journeys import timing
from queue_rules.site import Site
from queue_rules.state import ACTIVE, CounterStatus, DayState, Ticket, TicketStatus, local_day, plan_with_booking


class Rejected(Exception):
    """A command that cannot be carried out; `code` is stable, `message` says why in plain words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Arrival:
    """A check-in, already resolved to a service (and a booking, if any) by the service layer."""

    ticket: str
    token: str
    service: str
    language: str
    party_size: int = 1
    interpreter: bool = False
    step_free: bool = False
    announce: bool = False  # the client asked to hear his calls in his language too
    priority: int = 0
    booking_code: str | None = None
    slot: datetime | None = None
    slot_minutes: int = 0
    offline_seq: int | None = None  # a number the kiosk issued from its own block while the core was away
    arrived_at: datetime | None = None  # when that offline ticket was really issued (the kiosk's clock)
    kiosk: str | None = None  # the kiosk that sent the check-in; an offline number must be from its block
    journey: str | None = None  # the booking code of a journey ...
    bookings: tuple[int, ...] = ()  # ... the bookings checked in (the first is `service` at `slot`) ...
    plan: tuple[ev.PlanStop, ...] = ()  # ... and today's stops after the first


CLOCK_SKEW = timedelta(minutes=2)  # a kiosk's clock may run this much ahead of the core's


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:03d}"


def next_seq(state: DayState, site: Site, agency: str, now: datetime) -> int:
    """The agency's next daily number, skipping kiosks' offline blocks; restarts each local day."""
    last = state.last_seq.get(agency, 0) if state.day == local_day(now, state.tz) else 0
    seq = last + 1
    moved = True
    while moved:
        moved = False
        for first, final in site.reserved_numbers():
            if first <= seq <= final:
                seq, moved = final + 1, True
    return seq


def offline_arrival(site: Site, issued_at: datetime | None, now: datetime) -> datetime:
    """When an offline ticket counts as arrived: the kiosk's time if plausible, else now.

    Plausible is today (local), at most `policy.offline_max_minutes` ago and not in the future beyond a
    small clock skew; anything else (a slip dated yesterday, a kiosk clock that is far off) counts as
    arriving now, so a wrong or forged time never moves a client ahead of others.
    """
    if issued_at is None:
        return now
    # in UTC: arithmetic on a local time is wall-clock arithmetic, an hour off for 3 h after a DST change
    midnight = now.astimezone(site.tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    earliest = max(midnight, now.astimezone(UTC) - timedelta(minutes=site.policy.offline_max_minutes))
    if earliest <= issued_at <= now + CLOCK_SKEW:
        return min(issued_at, now)
    return now


def check_in(state: DayState, site: Site, arrival: Arrival, *, now: datetime, actor: str) -> ev.TicketIssued:
    """Issue a ticket. Bookings become eligible a configured time before their slot."""
    try:
        service = site.service(arrival.service)
    except KeyError:
        raise Rejected("unknown_service", f"no service {arrival.service!r} at this site") from None
    if arrival.ticket in state.tickets:
        raise Rejected("duplicate_ticket", f"ticket {arrival.ticket} exists already")
    agency = site.agency(service.agency)
    arrived = now
    if arrival.offline_seq is not None:
        seq = arrival.offline_seq
        block = next((k.offline_numbers for k in site.kiosks if k.id == arrival.kiosk), None)
        if block is None or not block[0] <= seq <= block[1]:
            mine = f"its block is {block[0]}-{block[1]}" if block else "it has no offline block"
            raise Rejected("bad_offline_number", f"{seq} is not in kiosk {arrival.kiosk}'s offline block ({mine})")
        if any(t.agency == agency.id and t.seq == seq for t in state.tickets.values()):
            raise Rejected("number_taken", f"{format_number(agency.prefix, seq)} was already issued today")
        arrived = offline_arrival(site, arrival.arrived_at, now)
    else:
        seq = next_seq(state, site, agency.id, now)
    order_at = eligible_at = arrived
    priority, see_reception = arrival.priority, False
    if arrival.slot is not None:
        if timing(site, service.id, arrival.slot, now) == "late":  # the agency's rule: a walk-in, or reception
            rules = agency.bookings
            priority = max(priority, rules.late_priority)
            see_reception = rules.late_action == "reception"
        else:
            eligible_at = arrival.slot - timedelta(minutes=site.early_minutes(service.id))
            order_at = eligible_at
    return ev.TicketIssued(
        at=now, actor=actor, ticket=arrival.ticket, number=format_number(agency.prefix, seq), seq=seq,
        offline=arrival.offline_seq is not None,
        agency=agency.id, service=service.id, token=arrival.token, language=arrival.language,
        party_size=arrival.party_size, interpreter=arrival.interpreter, step_free=arrival.step_free,
        priority=priority, booking_code=arrival.booking_code, slot=arrival.slot, slot_minutes=arrival.slot_minutes,
        eligible_at=eligible_at, order_at=order_at, arrived_at=arrived, journey=arrival.journey,
        bookings=list(arrival.bookings), plan=list(arrival.plan), see_reception=see_reception,
        announce=arrival.announce,
    )


def deadline(site: Site, t: Ticket) -> datetime | None:
    """When a journey client must be called at his current stop: at its booked slot (the appointment the
    centre coordinated), and in time for his next booked stop (its slot less this service's typical time and
    the site's lead time), whichever is earlier. None for a visit that is no journey of the day."""
    if not site.policy.journey_first or (t.journey_stops < 2 and not t.plan):
        return None
    due: list[datetime] = []
    slot = t.stops[-1].slot
    if slot is not None and t.journey_stops >= 2 and t.order_at <= slot:  # not when he came too late for it
        due.append(slot)
    upcoming = t.plan[0] if t.plan else None
    if upcoming is not None and upcoming.slot is not None:
        due.append(upcoming.slot - timedelta(minutes=site.service(t.service).minutes
                                             + site.policy.journey_lead_minutes))
    return min(due) if due else None


def best_waiting(state: DayState, site: Site, services: list[str], now: datetime) -> Ticket | None:
    """The client a counter serving these services calls next, eligible ones only.

    Priority first; then a journey client whose next booked stop is close (see `deadline`), earliest deadline
    first; then everybody else in order of arrival (a booked client: slot less the early window).
    """
    best: Ticket | None = None
    urgent: tuple[tuple[int, datetime, tuple[int, datetime, int]], Ticket] | None = None
    for service in services:
        for key, ticket_id in state.waiting_ids.get(service, ()):  # sorted: the first eligible is the best
            t = state.tickets[ticket_id]
            if t.eligible_at <= now:
                if best is None or key < best.sort_key():
                    best = t
                break
        for ticket_id in state.journey_waiting.get(service, ()):
            t = state.tickets[ticket_id]
            due = deadline(site, t)
            if due is not None and due <= now and t.eligible_at <= now:
                key = (-t.priority, due, t.sort_key())
                if urgent is None or key < urgent[0]:
                    urgent = (key, t)
    if urgent is not None and (best is None or urgent[1].priority >= best.priority):
        return urgent[1]
    return best


def continue_journey(site: Site, t: Ticket, *, now: datetime, actor: str, missed: bool = False,
                     note: str = "") -> list[ev.Event]:
    """After a stop ends: queue the visit at its next planned stop, if there is one (same number, no new slip).

    A booked stop waits from its slot less the agency's early window (its place: that time); a return from a
    referral waits at once, keeping the visit's original place, with the return priority.
    """
    if not t.plan:
        return []
    nxt = t.plan[0]
    if nxt.slot is not None:
        eligible = order = nxt.slot - timedelta(minutes=site.early_minutes(nxt.service))
    else:
        eligible, order = now, t.order_at
    priority = nxt.priority if nxt.priority is not None else 0
    return [ev.TicketAdvanced(at=now, actor=actor, ticket=t.id, service=nxt.service, eligible_at=eligible,
                              order_at=order, priority=priority, missed=missed, note=note, handover=bool(note))]


@dataclass(frozen=True)
class DeskBooking:
    """A slot the service layer found free for a refer-with-appointment, under the visit's journey code."""

    journey: str
    slot: datetime
    minutes: int


def counter_action(
    state: DayState, site: Site, counter_id: str, action: CounterAction, *, now: datetime, actor: str,
    to_service: str | None = None, note: str = "", booking: DeskBooking | None = None,
) -> list[ev.Event]:
    """Decide what a counsellor's command does. Returns the events (possibly none)."""
    try:
        counter = site.counter(counter_id)
    except KeyError:
        raise Rejected("unknown_device", f"no counter {counter_id!r} at this site") from None
    c = state.counters.get(counter_id)
    current = state.tickets.get(c.ticket) if c and c.ticket else None
    status = c.status if c else CounterStatus.CLOSED
    out: list[ev.Event] = []

    def need_current(*allowed: TicketStatus) -> Ticket:
        if current is None:
            raise Rejected("no_current_ticket", f"counter {counter_id} has no client at the moment")
        if current.status not in allowed:
            names = " or ".join(a.value for a in allowed)
            raise Rejected("wrong_state", f"ticket {current.number} is {current.status.value}, not {names}")
        return current

    if action == "next":
        if (
            current is not None and current.status is TicketStatus.CALLED and c is not None
            and c.called_at is not None
            and (now - c.called_at).total_seconds() < site.policy.double_press_seconds
        ):
            return []  # a double press or a retried message: the client just called stays called
        if status is not CounterStatus.OPEN:
            out.append(ev.CounterOpened(at=now, actor=actor, counter=counter_id))
        if current is not None:
            out.append(ev.TicketCompleted(at=now, actor=actor, ticket=current.id, counter=counter_id))
            out.extend(continue_journey(site, current, now=now, actor=actor, note=note))
        chosen = best_waiting(state, site, counter.services, now)
        if chosen is not None:
            out.append(ev.TicketCalled(at=now, actor=actor, ticket=chosen.id, counter=counter_id))
        return out
    if action == "recall":
        t = need_current(TicketStatus.CALLED)
        if t.recalls >= site.policy.max_recalls:
            return [ev.TicketNoShow(at=now, actor=actor, ticket=t.id, counter=counter_id),
                    *continue_journey(site, t, now=now, actor=actor, missed=True)]
        return [ev.TicketRecalled(at=now, actor=actor, ticket=t.id, counter=counter_id)]
    if action == "start":
        t = need_current(TicketStatus.CALLED)
        return [ev.ServiceStarted(at=now, actor=actor, ticket=t.id, counter=counter_id)]
    if action == "done":
        t = need_current(*ACTIVE)
        return [ev.TicketCompleted(at=now, actor=actor, ticket=t.id, counter=counter_id),
                *continue_journey(site, t, now=now, actor=actor, note=note)]
    if action == "no_show":
        t = need_current(TicketStatus.CALLED)
        return [ev.TicketNoShow(at=now, actor=actor, ticket=t.id, counter=counter_id),
                *continue_journey(site, t, now=now, actor=actor, missed=True)]
    if action == "park":
        t = need_current(*ACTIVE)
        return [ev.TicketParked(at=now, actor=actor, ticket=t.id, counter=counter_id)]
    if action in ("transfer", "refer", "book"):
        t = need_current(*ACTIVE)
        if to_service is None:
            raise Rejected("missing_field", f"{action} needs to_service")
        try:
            site.service(to_service)
        except KeyError:
            raise Rejected("unknown_service", f"no service {to_service!r} at this site") from None
        if action == "transfer":
            if to_service == t.service:
                raise Rejected("same_service", f"ticket {t.number} is already at {to_service}")
            return [ev.TicketTransferred(at=now, actor=actor, ticket=t.id, counter=counter_id,
                                         to_service=to_service, note=note)]
        if action == "refer":
            if to_service == t.service:
                raise Rejected("same_service", f"ticket {t.number} is already at {to_service}")
            return [ev.TicketReferred(at=now, actor=actor, ticket=t.id, counter=counter_id, to_service=to_service,
                                      back_to=t.service, back_priority=site.policy.return_priority, note=note)]
        if booking is None:
            raise Rejected("missing_field", "book needs a slot")
        booked = ev.StopBooked(at=now, actor=actor, ticket=t.id, counter=counter_id, journey=booking.journey,
                               service=to_service, slot=booking.slot, minutes=booking.minutes, note=note)
        return [booked, ev.TicketCompleted(at=now, actor=actor, ticket=t.id, counter=counter_id),
                *continue_journey(site, replace(t, plan=plan_with_booking(t.plan, booked, state.tz)), now=now,
                                 actor=actor)]
    if action == "pause":
        if current is not None:
            raise Rejected("busy", f"finish ticket {current.number} before pausing")
        if status is CounterStatus.PAUSED:
            return []
        return [ev.CounterPaused(at=now, actor=actor, counter=counter_id)]
    if action == "resume":
        if status is CounterStatus.OPEN:
            return []
        return [ev.CounterOpened(at=now, actor=actor, counter=counter_id)]
    raise Rejected("unknown_action", f"unknown counter action {action!r}")


def reception_action(
    state: DayState, site: Site, ticket_id: str, action: ReceptionAction, *, now: datetime, actor: str,
    to_service: str | None = None, priority: int | None = None, reason: str = "",
) -> list[ev.Event]:
    """Decide a reception desk's action on one ticket."""
    t = state.tickets.get(ticket_id)
    if t is None:
        raise Rejected("unknown_ticket", f"no ticket {ticket_id!r} today")
    if action == "move":
        if t.status is not TicketStatus.WAITING:
            raise Rejected("wrong_state", f"ticket {t.number} is {t.status.value}; only waiting tickets move")
        if to_service is None:
            raise Rejected("missing_field", "move needs to_service")
        if to_service not in {s.id for s in site.services}:
            raise Rejected("unknown_service", f"no service {to_service!r} at this site")
        if to_service == t.service:
            return []
        return [ev.TicketMoved(at=now, actor=actor, ticket=t.id, to_service=to_service)]
    if action == "priority":
        if priority is None:
            raise Rejected("missing_field", "priority needs priority (0 to 9)")
        if not 0 <= priority <= 9:
            raise Rejected("bad_priority", "priority must be 0 (normal) to 9")
        if t.status in (TicketStatus.DONE, TicketStatus.CANCELLED):
            raise Rejected("wrong_state", f"ticket {t.number} is {t.status.value}")
        if priority == t.priority:
            return []
        return [ev.PriorityChanged(at=now, actor=actor, ticket=t.id, priority=priority)]
    if action == "cancel":
        if t.status in (TicketStatus.DONE, TicketStatus.CANCELLED):
            raise Rejected("wrong_state", f"ticket {t.number} is {t.status.value}")
        return [ev.TicketCancelled(at=now, actor=actor, ticket=t.id, reason=reason)]
    if action == "return":
        if t.status not in (TicketStatus.NO_SHOW, TicketStatus.PARKED):
            raise Rejected("wrong_state", f"ticket {t.number} is {t.status.value}, not no_show or parked")
        return [ev.TicketReturned(at=now, actor=actor, ticket=t.id)]
    raise Rejected("unknown_action", f"unknown reception action {action!r}")


def average_minutes(state: DayState, site: Site, service: str) -> float:
    """Mean of the service's recent durations, or its configured typical time before there are any."""
    recent = state.durations.get(service)
    if recent:
        return sum(recent) / len(recent)
    return site.service(service).minutes


def capacity(state: DayState, site: Site, service: str) -> float:
    """Open counters working on a service; a counter serving k services counts 1/k.

    Before any counter has opened, the configured counters count, so morning estimates are finite.
    """
    total = configured = 0.0
    for counter in site.counters:
        if service in counter.services:
            share = 1.0 / len(counter.services)
            configured += share
            c = state.counters.get(counter.id)
            if c is not None and c.status is CounterStatus.OPEN:
                total += share
    return total if total > 0 else configured


def estimate_wait_minutes(state: DayState, site: Site, service: str, ahead: int | None = None) -> int:
    """Expected minutes until a client with `ahead` people before them is called (default: a new arrival)."""
    if ahead is None:
        ahead = state.waiting_count(service)
    if ahead == 0:
        return 0
    return math.ceil(ahead * average_minutes(state, site, service) / capacity(state, site, service))
