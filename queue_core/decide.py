"""Decide and commit: what a command causes under the queue rules, then its events and reply stored together."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import queue_protocol as p
from queue_rules import engine, views
from queue_rules import events as ev
from queue_rules.engine import Rejected
from queue_rules.site import Site
from queue_rules.state import DayState, Ticket, evolve, local_day

from .intake import Request
from .ratelimit import FailureLimiter
from .store import Booking, Store

log = logging.getLogger("arkaden.core")
T = TypeVar("T")

# Booking codes are short: a kiosk may get this many unknown codes wrong per window, then it must wait.
BOOKING_FAILURES_PER_KIOSK = 10
BOOKING_FAILURE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Decision:
    """What a command causes: the events to commit (none for e.g. a double press) and its reply, made after them."""

    events: list[ev.Event]
    make_reply: Callable[[], p.Payload]


@dataclass(frozen=True)
class Answer:
    """A question answered from the state (a look-up): nothing to commit, nothing to remember."""

    reply: p.Payload


class StorageFailed(Exception):
    """The store did not take the events; the state in memory is ahead of it and must be rebuilt."""


class Decider:
    """Turns one parsed command into a Decision (or an Answer), or raises Rejected with the reason."""

    def __init__(self, site: Site, store: Store, *, always_open: bool, booking_limiter: FailureLimiter):
        self.site, self.store = site, store
        self.always_open = always_open
        self.booking_limiter = booking_limiter

    def decide(self, state: DayState, request: Request, now: datetime) -> Decision | Answer:
        command, device = request.command, request.device
        if isinstance(command, p.CheckIn):
            return self._check_in(state, device, command, now)
        if isinstance(command, p.LookupBooking):
            return self._lookup(state, device, command, now)
        if isinstance(command, p.CounterCommand):
            return self._counter(state, device, command, now)
        if isinstance(command, p.ReceptionCommand):
            return self._reception(state, device, command, now)
        raise TypeError(f"no decision for {type(command).__name__}")

    # --- kiosks ------------------------------------------------------------------------------------

    def _check_in(self, state: DayState, kiosk: str, cmd: p.CheckIn, now: datetime) -> Decision:
        booking_code, slot, service_id = None, None, ""
        if cmd.concern is not None:
            try:
                concern = self.site.concern(cmd.concern)
            except KeyError:
                raise Rejected("unknown_concern", f"no concern {cmd.concern!r} at this site") from None
            if not concern.walk_in and cmd.offline_number is None:
                raise Rejected("appointment_only", f"{concern.title['de']}: only with an appointment")
            service_id = concern.service
        else:
            code = cmd.booking_code or ""
            booking = self._guarded(kiosk, now, lambda: self._next_booking(state, code, now))
            booking_code, slot, service_id = booking.code, booking.slot, booking.service
        agency = self.site.agency_of_service(service_id)
        local = now.astimezone(self.site.tz)
        if not self.always_open and cmd.offline_number is None and slot is None and not agency.is_open(local):
            raise Rejected("closed", f"{agency.name} is closed now")
        arrival = engine.Arrival(
            ticket=uuid.uuid4().hex, token=secrets.token_urlsafe(12), service=service_id, language=cmd.language,
            party_size=cmd.party_size, interpreter=cmd.interpreter, step_free=cmd.step_free,
            booking_code=booking_code, slot=slot, offline_seq=cmd.offline_number, arrived_at=cmd.issued_at,
            kiosk=kiosk,
        )
        issued = engine.check_in(state, self.site, arrival, now=now, actor=f"kiosk:{kiosk}")
        return Decision([issued], lambda: p.CheckInReply(  # the ticket exists once the event is applied
            id=cmd.id, ok=True, ticket=views.issued_ticket(state, self.site, state.tickets[issued.ticket])))

    def _guarded(self, kiosk: str, now: datetime, find: Callable[[], T]) -> T:
        """A booking-code look-up, refused while the kiosk has had too many unknown codes lately."""
        if self.booking_limiter.blocked(kiosk, now):
            wait = max(1, round(self.booking_limiter.retry_after(kiosk, now).total_seconds() / 60))
            raise Rejected("rate_limited", f"too many unknown booking codes at {kiosk}; try again in {wait} min")
        try:
            return find()
        except Rejected as exc:
            if exc.code == "no_booking":
                self.booking_limiter.failed(kiosk, now)
                if self.booking_limiter.blocked(kiosk, now):
                    log.warning("kiosk %s: too many unknown booking codes, look-ups paused", kiosk)
            raise

    def _next_booking(self, state: DayState, code: str, now: datetime) -> Booking:
        taken = {(t.service, t.slot) for t in state.tickets.values() if t.booking_code == code}
        for b in self._bookings_today(code, now):
            if (b.service, b.slot) not in taken:
                return b
        raise Rejected("no_booking", "no open appointment today for this booking code")

    def _bookings_today(self, code: str, now: datetime) -> list[Booking]:
        local = now.astimezone(self.site.tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return self.store.bookings(code, start, start + timedelta(days=1))

    def _lookup(self, state: DayState, kiosk: str, cmd: p.LookupBooking, now: datetime) -> Answer:
        if cmd.ticket_token is not None:
            ticket = next((t for t in state.tickets.values() if t.token == cmd.ticket_token), None)
            if ticket is None:
                raise Rejected("unknown_ticket", "no ticket today for this slip")
            return Answer(p.LookupReply(id=cmd.id, ok=True, ticket=views.ticket_info(state, self.site, ticket)))
        code = cmd.booking_code or ""
        found = self._guarded(kiosk, now, lambda: self._appointments(state, code, now))
        return Answer(p.LookupReply(id=cmd.id, ok=True, appointments=found))

    def _appointments(self, state: DayState, code: str, now: datetime) -> list[p.Appointment]:
        taken = {(t.service, t.slot) for t in state.tickets.values() if t.booking_code == code}
        found = [
            p.Appointment(service=b.service, slot=b.slot, party_size=b.party_size, language=b.language,
                          checked_in=(b.service, b.slot) in taken)
            for b in self._bookings_today(code, now)
        ]
        if not found:
            raise Rejected("no_booking", "no appointment today for this booking code")
        return found

    # --- counters and reception ------------------------------------------------------------------

    def _counter(self, state: DayState, counter: str, cmd: p.CounterCommand, now: datetime) -> Decision:
        events = engine.counter_action(state, self.site, counter, cmd.action, now=now, actor=f"counter:{counter}",
                                       to_service=cmd.to_service, note=cmd.note)

        def result() -> p.CommandResult:
            cs = state.counters.get(counter)
            number = state.tickets[cs.ticket].number if cs and cs.ticket else None
            return p.CommandResult(id=cmd.id, ok=True, number=number)

        return Decision(events, result)

    def _reception(self, state: DayState, desk: str, cmd: p.ReceptionCommand, now: datetime) -> Decision:
        ticket = _find_ticket(state, cmd.ticket)
        events = engine.reception_action(
            state, self.site, ticket.id, cmd.action, now=now, actor=f"reception:{desk}:{cmd.operator}",
            to_service=cmd.to_service, priority=cmd.priority, reason=cmd.reason)
        return Decision(events, lambda: p.CommandResult(id=cmd.id, ok=True, number=ticket.number))


def _find_ticket(state: DayState, ref: str) -> Ticket:
    t = state.tickets.get(ref)
    if t is None:
        t = next((x for x in state.tickets.values() if x.number == ref), None)
    if t is None:
        raise Rejected("unknown_ticket", f"no ticket {ref!r} today")
    return t


def commit(store: Store, state: DayState, decision: Decision, key: str, *, tz: ZoneInfo,
           before_apply: Callable[[ev.Event], None]) -> tuple[list[int], str]:
    """Apply the events, then store them with the reply in one transaction; their sequence numbers and the reply.

    The reply describes the state after the events, so memory changes first; if the store refuses, this raises
    StorageFailed and the caller rebuilds memory from the store (what is published is always what is stored).
    """
    for e in decision.events:
        before_apply(e)
        evolve(state, e)
    reply = decision.make_reply().model_dump_json(exclude_none=True)
    try:
        seqs = store.append(decision.events, tz_day=local_day(decision.events[0].at, tz), command_key=key,
                            reply=reply)
    except Exception as exc:
        log.error("could not store events, command refused: %s", exc)
        raise StorageFailed(str(exc)) from exc
    return seqs, reply
