"""Decide and commit: what a command causes under the queue rules, then its events and reply stored together."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import queue_protocol as p
from queue_rules import codes, engine, journeys, views
from queue_rules import events as ev
from queue_rules.engine import Rejected
from queue_rules.journeys import BookedStop, Journey
from queue_rules.site import Site
from queue_rules.state import FINAL, DayState, Ticket, evolve, local_day

from .intake import Request
from .ratelimit import FailureLimiter
from .store import BookingInput, Store

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
    bookings: tuple[BookingInput, ...] = ()  # made by the command, stored with its events
    answers: tuple[tuple[str, str], ...] = ()  # (command key, reply) of other commands, settled by this one


# Looks up the first answer to a command key (the service's reply memory), for an offline ticket's `replaces`.
Answers = Callable[[str], str | None]


@dataclass(frozen=True)
class Answer:
    """A question answered from the state (a look-up): nothing to commit, nothing to remember."""

    reply: p.Payload


class StorageFailed(Exception):
    """The store did not take the events; the state in memory is ahead of it and must be rebuilt."""


class Decider:
    """Turns one parsed command into a Decision (or an Answer), or raises Rejected with the reason."""

    def __init__(self, site: Site, store: Store, *, always_open: bool, booking_limiter: FailureLimiter,
                 answers: Answers = lambda key: None):
        self.site, self.store = site, store
        self.answers = answers
        self.always_open = always_open
        self.booking_limiter = booking_limiter
        self._tokens: dict[str, str] = {}  # slip token -> ticket id, for today's state (`_by_token`)
        self._tokens_of: DayState | None = None

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
        if isinstance(command, p.DeskLookup):
            return self._desk_lookup(state, command, now)
        raise TypeError(f"no decision for {type(command).__name__}")

    # --- kiosks ------------------------------------------------------------------------------------

    def _check_in(self, state: DayState, kiosk: str, cmd: p.CheckIn, now: datetime) -> Decision:
        if cmd.issued_at is not None and local_day(cmd.issued_at, self.site.tz) < local_day(now, self.site.tz):
            raise Rejected("offline_expired", f"offline ticket {cmd.offline_number} of "
                                              f"{local_day(cmd.issued_at, self.site.tz)}: not merged into today")
        decision = self._issue(state, kiosk, cmd, now)
        return decision if cmd.replaces is None else self._replacing(state, kiosk, cmd, decision, now)

    def _replacing(self, state: DayState, kiosk: str, cmd: p.CheckIn, decision: Decision, now: datetime) -> Decision:
        """An offline ticket issued because the online check-in `replaces` got no answer in time: that check-in must
        not stand beside it. A ticket the core issued for it (the answer came too late) is cancelled; one not yet
        seen is answered `superseded` when it comes."""
        key = f"checkin:{kiosk}:{cmd.replaces}"
        first = self.answers(key)
        if first is None:
            refusal = p.CheckInReply(id=cmd.replaces or "unknown", ok=False, error=p.ErrorInfo(
                code="superseded", message=f"replaced by the offline ticket {cmd.offline_number} of this kiosk"))
            return replace(decision, answers=((key, refusal.model_dump_json(exclude_none=True)),))
        answered = p.CheckInReply.model_validate_json(first)
        phantom = self._by_token(state, answered.ticket.token) if answered.ticket is not None else None
        if phantom is None or phantom.status in FINAL:
            return decision
        log.info("offline ticket %s replaces %s of the late check-in %s", cmd.offline_number, phantom.number,
                 cmd.replaces)
        cancelled = ev.TicketCancelled(at=now, actor=f"kiosk:{kiosk}", ticket=phantom.id,
                                       reason="replaced by an offline ticket (the answer came too late)")
        return replace(decision, events=[cancelled, *decision.events])

    def _issue(self, state: DayState, kiosk: str, cmd: p.CheckIn, now: datetime) -> Decision:
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
            journey, stops, aliases = self._guarded(kiosk, now, lambda: self._open_stops(state, code, now))
            visit = _open_visit(state, aliases)
            if visit is not None:  # joined after this visit checked in: its new stops join the visit, same number
                return self._add_stops(state, visit, journey, stops, cmd, now)
            first, rest = stops[0], stops[1:]
            booking_code, slot, service_id = journey.code, first.slot, first.service
        agency = self.site.agency_of_service(service_id)
        local = now.astimezone(self.site.tz)
        if not self.always_open and cmd.offline_number is None and slot is None and not agency.is_open(local):
            raise Rejected("closed", f"{agency.name} is closed now")
        arrival = engine.Arrival(
            ticket=uuid.uuid4().hex, token=secrets.token_urlsafe(12), service=service_id, language=cmd.language,
            party_size=cmd.party_size, interpreter=cmd.interpreter, step_free=cmd.step_free,
            announce=bool(cmd.announce), booking_code=booking_code, slot=slot, offline_seq=cmd.offline_number,
            arrived_at=cmd.issued_at, kiosk=kiosk,
        )
        later: tuple[BookedStop, ...] = ()
        if slot is not None:
            later = self._later_days(journey, now)
            arrival = replace(
                arrival, slot_minutes=first.minutes, journey=journey.code,
                party_size=max(cmd.party_size, journey.party_size), interpreter=cmd.interpreter or journey.interpreter,
                step_free=cmd.step_free or journey.step_free, bookings=tuple(s.booking_id for s in stops),
                plan=tuple(ev.PlanStop(service=s.service, slot=s.slot, minutes=s.minutes, booking=s.booking_id)
                           for s in rest))
        issued = engine.check_in(state, self.site, arrival, now=now, actor=f"kiosk:{kiosk}")
        return Decision([issued], lambda: p.CheckInReply(  # the ticket exists once the event is applied
            id=cmd.id, ok=True, ticket=views.issued_ticket(state, self.site, state.tickets[issued.ticket], later)))

    def _add_stops(self, state: DayState, visit: Ticket, journey: Journey, stops: tuple[BookedStop, ...],
                   cmd: p.CheckIn, now: datetime) -> Decision:
        more = [ev.PlanStop(service=s.service, slot=s.slot, minutes=s.minutes, booking=s.booking_id) for s in stops]
        revised = ev.PlanRevised(at=now, actor=f"kiosk:{cmd.id[:20]}", ticket=visit.id,
                                 plan=_merged_plan(visit.plan, more))
        later = self._later_days(journey, now)
        return Decision([revised], lambda: p.CheckInReply(
            id=cmd.id, ok=True, ticket=views.issued_ticket(state, self.site, visit, later)))

    def _revision(self, t: Ticket, now: datetime, actor: str) -> ev.PlanRevised | None:
        """The visit's stops ahead as their bookings stand now (an agency may have moved or cancelled one since
        the check-in); None when nothing changed."""
        rows = self.store.bookings_by_id([s.booking for s in t.plan if s.booking is not None])
        if not rows:
            return None
        plan = []
        for s in t.plan:
            row = rows.get(s.booking) if s.booking is not None else None
            if row is None:
                plan.append(s)
            elif not row.cancelled:
                plan.append(ev.PlanStop(service=row.stop.service, slot=row.stop.slot, minutes=row.stop.minutes,
                                        booking=s.booking, priority=s.priority))
        plan = _merged_plan(plan, [])
        return None if plan == t.plan else ev.PlanRevised(at=now, actor=actor, ticket=t.id, plan=plan)

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

    def _journey(self, typed: str) -> Journey:
        """The journey of a typed or scanned code; a code whose check character does not fit is a typo."""
        if codes.check(typed) != "ok":
            raise Rejected("mistyped_code", "the booking code is mistyped (its check character does not fit)")
        journey = self.store.journey(codes.normalise(typed))
        if journey is None:
            raise Rejected("no_booking", "no appointment for this booking code")
        return journey

    def _open_stops(self, state: DayState, typed: str,
                    now: datetime) -> tuple[Journey, tuple[BookedStop, ...], set[str]]:
        """A journey, its stops today that no visit of today covers yet (the whole journey checks in at once),
        and the codes that lead to it."""
        journey = self._journey(typed)
        today = journey.on_day(local_day(now, self.site.tz), self.site)
        if not today:
            raise Rejected("no_booking", "no appointment today for this booking code")
        aliases = self.store.aliases(journey.code)
        used = _covered(state, aliases)
        open_ = tuple(s for s in today if not _is_covered(s, used))
        if not open_:
            raise Rejected("checked_in", "this code's appointments today are checked in already")
        return journey, open_, aliases

    def _later_days(self, journey: Journey, now: datetime) -> tuple[BookedStop, ...]:
        today = local_day(now, self.site.tz)
        return tuple(s for s in journey.stops if local_day(s.slot, self.site.tz) > today)

    def _lookup(self, state: DayState, kiosk: str, cmd: p.LookupBooking, now: datetime) -> Answer:
        if cmd.ticket_token is not None:
            ticket = self._by_token(state, cmd.ticket_token)
            if ticket is not None:
                return Answer(p.LookupReply(id=cmd.id, ok=True, ticket=self._ticket_info(state, ticket, now)))
            booked = self.store.journey_by_token(cmd.ticket_token)  # a slip of an earlier day, booked on at a desk
            if booked is None or not booked.stops:
                raise Rejected("unknown_ticket", "no ticket today for this slip")
            found = self._appointments(state, booked, now)
            return Answer(p.LookupReply(id=cmd.id, ok=True, appointments=found, booking_code=booked.code))
        code = cmd.booking_code or ""
        found = self._guarded(kiosk, now, lambda: self._appointments(state, self._journey(code), now))
        return Answer(p.LookupReply(id=cmd.id, ok=True, appointments=found))

    def _appointments(self, state: DayState, journey: Journey, now: datetime) -> list[p.Appointment]:
        """Today's appointments of a journey (checked in or not), then those of later days."""
        today = local_day(now, self.site.tz)
        used = _covered(state, self.store.aliases(journey.code))
        found = [
            p.Appointment(service=s.service, slot=s.slot, minutes=s.minutes, party_size=journey.party_size,
                          language=journey.language, checked_in=_is_covered(s, used),
                          today=local_day(s.slot, self.site.tz) == today)
            for s in journey.stops if local_day(s.slot, self.site.tz) >= today
        ]
        if not any(a.today for a in found):
            raise Rejected("no_booking", "no appointment today for this booking code")
        return found

    def _by_token(self, state: DayState, token: str) -> Ticket | None:
        """Today's ticket of a slip token. The index is rebuilt when tickets were added or the day changed (a
        phone page per waiting client asks often; a scan of every ticket per question cost the core 10 %)."""
        if self._tokens_of is not state or len(self._tokens) != len(state.tickets):
            self._tokens = {t.token: t.id for t in state.tickets.values()}
            self._tokens_of = state
        found = self._tokens.get(token)
        ticket = state.tickets.get(found) if found else None
        return ticket if ticket is not None and ticket.token == token else None

    def _ticket_info(self, state: DayState, ticket: Ticket, now: datetime) -> p.TicketInfo:
        """A ticket as a kiosk scanning its slip, or a phone or desk page, shows it: the bookings as they stand now."""
        later = self._later_days(j, now) if ticket.journey and (j := self.store.journey(ticket.journey)) else ()
        revised = self._revision(ticket, now, "lookup")
        shown = replace(ticket, plan=revised.plan) if revised else ticket
        return views.ticket_info(state, self.site, shown, later)

    def _desk_lookup(self, state: DayState, cmd: p.DeskLookup, now: datetime) -> Answer:
        """A desk page asks for a ticket's journey, or for the free slots of a service (today's rest, tomorrow)."""
        if cmd.ticket is not None:
            ticket = state.tickets.get(cmd.ticket)
            if ticket is None:
                raise Rejected("unknown_ticket", "no such ticket today")
            return Answer(p.DeskReply(id=cmd.id, ok=True, ticket=self._ticket_info(state, ticket, now)))
        service_id = cmd.free_slots or ""
        if not any(s.id == service_id for s in self.site.services):
            raise Rejected("unknown_service", f"no service {service_id!r}")
        today = local_day(now, self.site.tz)
        slots = [slot for day in (today, today + timedelta(days=1))
                 for slot in self._free_slots(service_id, day) if slot > now]
        return Answer(p.DeskReply(id=cmd.id, ok=True, slots=slots))

    def _free_slots(self, service_id: str, day: date) -> list[datetime]:
        """A service's free slots on a day, against the day's bookings that stand (what a desk may book)."""
        start = datetime.combine(day, time(), tzinfo=self.site.tz)
        booked = [(r.stop.service, r.stop.slot, r.stop.minutes) for r in self.store.bookings_between(
            start, start + timedelta(days=1)) if not r.cancelled]
        return journeys.free_slots(self.site, service_id, day, booked)

    # --- counters and reception ------------------------------------------------------------------

    def _counter(self, state: DayState, counter: str, cmd: p.CounterCommand, now: datetime) -> Decision:
        if cmd.deadline is not None and now > cmd.deadline:
            raise Rejected("expired", f"arrived {(now - cmd.deadline).total_seconds():.1f} s after its deadline")
        actor = _counter_actor(counter, cmd)
        cs = state.counters.get(counter)
        current = state.tickets.get(cs.ticket) if cs and cs.ticket else None
        revised = self._revision(current, now, actor) if current is not None and current.plan else None
        if revised is None:
            return self._counter_action(state, counter, cmd, now, [], actor)
        old = ev.PlanRevised(at=now, actor=actor, ticket=revised.ticket, plan=list(current.plan) if current else [])
        evolve(state, revised)  # decide on the stops as they stand now; put back if the command is refused
        try:
            return self._counter_action(state, counter, cmd, now, [revised], actor)
        except Rejected:
            evolve(state, old)
            raise

    def _counter_action(self, state: DayState, counter: str, cmd: p.CounterCommand, now: datetime,
                        first: list[ev.Event], actor: str) -> Decision:
        desk_booking: engine.DeskBooking | None = None
        stored: tuple[BookingInput, ...] = ()
        if cmd.action == "book":
            desk_booking, booking = self._desk_booking(state, counter, cmd, now)
            stored = (booking,)
        if cmd.action in ("transfer", "refer") and cmd.to_service is not None and not self.always_open:
            self._open_today(cmd.to_service, now)
        events = first + engine.counter_action(
            state, self.site, counter, cmd.action, now=now, actor=actor,
            to_service=cmd.to_service, note=_clean_note(cmd.note), booking=desk_booking)

        def result() -> p.CommandResult:
            cs = state.counters.get(counter)
            number = state.tickets[cs.ticket].number if cs and cs.ticket else None
            return p.CommandResult(id=cmd.id, ok=True, number=number)

        return Decision(events, result, stored)

    def _open_today(self, service_id: str, now: datetime) -> None:
        """A handover goes only to an agency that is open for the rest of today (else the client waits in vain)."""
        try:
            agency = self.site.agency_of_service(service_id)
        except KeyError:
            return  # the engine names the unknown service
        if not agency.open_later_today(now.astimezone(self.site.tz)):
            raise Rejected("closed", f"{agency.name} is not open any more today; refer with an appointment (book)")

    def _desk_booking(self, state: DayState, counter: str, cmd: p.CounterCommand,
                      now: datetime) -> tuple[engine.DeskBooking, BookingInput]:
        """Refer with appointment: the slot must be a free slot of the service, later today or tomorrow."""
        cs = state.counters.get(counter)
        t = state.tickets.get(cs.ticket) if cs and cs.ticket else None
        if t is None:
            raise Rejected("no_current_ticket", f"counter {counter} has no client at the moment")
        if cmd.slot is None or cmd.to_service is None:
            raise Rejected("missing_field", "book needs to_service and slot")
        try:
            service = self.site.service(cmd.to_service)
        except KeyError:
            raise Rejected("unknown_service", f"no service {cmd.to_service!r} at this site") from None
        day = local_day(cmd.slot, self.site.tz)
        today = local_day(now, self.site.tz)
        if cmd.slot < now or day > today + timedelta(days=1):
            raise Rejected("slot_taken", "a desk can book a slot later today or tomorrow only")
        if day != today and _clean_note(cmd.note):
            raise Rejected("note_not_kept", "a note is not kept overnight (the visit closes today); write it into "
                                            "the agency's own file")
        if cmd.slot not in self._free_slots(service.id, day):
            raise Rejected("slot_taken", f"{cmd.slot.astimezone(self.site.tz):%d.%m. %H:%M} is not a free slot of "
                                         f"{service.id}")
        minutes = journeys.slot_step_minutes(self.site, service.id)
        end = cmd.slot + timedelta(minutes=minutes)
        for s in t.plan:
            if s.slot is not None and s.slot < end and cmd.slot < s.slot + timedelta(minutes=s.minutes):
                raise Rejected("slot_taken", f"the client has an appointment at {s.service} at "
                                             f"{s.slot.astimezone(self.site.tz):%H:%M} then")
        code = t.journey or self._unused_code()
        booking = BookingInput(agency=service.agency, service=service.id, slot=cmd.slot, minutes=minutes,
                               language=t.language, party_size=t.party_size, interpreter=t.interpreter,
                               step_free=t.step_free, journey=code, token=t.token)
        return engine.DeskBooking(journey=code, slot=cmd.slot, minutes=minutes), booking

    def _unused_code(self) -> str:
        while True:
            code = codes.new_code()
            if self.store.journey(code) is None:
                return code

    def _reception(self, state: DayState, desk: str, cmd: p.ReceptionCommand, now: datetime) -> Decision:
        ticket = _find_ticket(state, cmd.ticket)
        events = engine.reception_action(
            state, self.site, ticket.id, cmd.action, now=now, actor=f"reception:{desk}:{cmd.operator}",
            to_service=cmd.to_service, priority=cmd.priority, reason=_clean_note(cmd.reason))
        return Decision(events, lambda: p.CommandResult(id=cmd.id, ok=True, number=ticket.number))


def _covered(state: DayState, aliases: set[str]) -> tuple[set[int], set[tuple[str, datetime]]]:
    """What today's visits cover: booking ids (of any visit: ids are unique, also across joined journeys), and the
    service and slot of stops a desk booked for visits of this journey (under any of its codes)."""
    ids: set[int] = set()
    slots: set[tuple[str, datetime]] = set()
    for t in state.tickets.values():
        ids.update(t.bookings)
        ids.update(s.booking for s in t.plan if s.booking is not None)
        if t.journey in aliases:
            slots.update((s.service, s.slot) for s in t.stops if s.slot is not None)
            slots.update((s.service, s.slot) for s in t.plan if s.slot is not None)
    return ids, slots


def _open_visit(state: DayState, aliases: set[str]) -> Ticket | None:
    """Today's visit of this journey that is still going on (not done, not cancelled), if any."""
    return next((t for t in state.tickets.values() if t.journey in aliases and t.status not in FINAL), None)


def _merged_plan(plan: list[ev.PlanStop], more: list[ev.PlanStop]) -> list[ev.PlanStop]:
    """A plan with stops added: returns from referrals first, as they were, then booked stops by their slot."""
    returns = [s for s in plan if s.slot is None]
    booked = sorted((s for s in [*plan, *more] if s.slot is not None), key=lambda s: s.slot or datetime.min)
    return returns + booked


def _is_covered(stop: BookedStop, used: tuple[set[int], set[tuple[str, datetime]]]) -> bool:
    return stop.booking_id in used[0] or (stop.service, stop.slot) in used[1]


def _counter_actor(counter: str, cmd: p.CounterCommand) -> str:
    """Who acted, for the event log: the counter, and a desk page's account when one sent the command."""
    return f"counter:{counter}:{cmd.operator}" if cmd.operator else f"counter:{counter}"


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _clean_note(note: str) -> str:
    """A handover note without control characters (a newline stays) and bidi overrides, trimmed; the joiners
    Farsi and emoji need (U+200C, U+200D) stay."""
    return "".join(ch for ch in note if ch == "\n" or (ch in "\u200c\u200d") or
                   (ch.isprintable() and ch not in _BIDI_CONTROLS)).strip()


def _find_ticket(state: DayState, ref: str) -> Ticket:
    t = state.tickets.get(ref)
    if t is None:
        t = next((x for x in state.tickets.values() if x.number == ref), None)
    if t is None:
        raise Rejected("unknown_ticket", f"no ticket {ref!r} today")
    return t


def commit(store: Store, state: DayState, decision: Decision, key: str, digest: str | None, *, tz: ZoneInfo,
           before_apply: Callable[[ev.Event], None]) -> tuple[list[int], str]:
    """Apply the events, then store them with the reply in one transaction; their sequence numbers and the reply.

    The reply describes the state after the events, so memory changes first; if the store refuses, this raises
    StorageFailed and the caller rebuilds memory from the store (what is published is always what is stored).
    """
    for e in decision.events:
        before_apply(e)
        evolve(state, e)
    closed = _closed_with_notes(state, decision.events)
    reply = decision.make_reply().model_dump_json(exclude_none=True)
    try:
        seqs = store.append(decision.events, tz_day=local_day(decision.events[0].at, tz), command_key=key,
                            reply=reply, digest=digest, erase_notes_of=closed, bookings=decision.bookings,
                            answers=decision.answers)
    except Exception as exc:
        log.error("could not store events, command refused: %s", exc)
        raise StorageFailed(str(exc)) from exc
    for ticket_id in closed:
        state.tickets[ticket_id].note = ""
    return seqs, reply


def _closed_with_notes(state: DayState, events: list[ev.Event]) -> tuple[str, ...]:
    """Visits that these events closed (done with no stop ahead, or cancelled) after a handover: their notes go."""
    touched = dict.fromkeys(t for e in events if (t := getattr(e, "ticket", None)) is not None)
    return tuple(t for t in touched if (x := state.tickets.get(t)) is not None and x.status in FINAL and x.handovers)
