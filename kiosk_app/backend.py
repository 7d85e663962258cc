"""What the kiosk asks of the core (look up a code, check in), the answers, and a fake core for tours and tests."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from host_support.sim_clock import real_now
from queue_rules.journeys import timing
from queue_rules.site import Site


@dataclass(frozen=True)
class CheckInRequest:
    """One arrival: a walk-in by concern, or a booked client by booking code."""

    lang: str
    concern: str | None = None
    booking_code: str | None = None
    party_size: int = 1
    interpreter: bool = False
    step_free: bool = False
    announce: bool = False      # the client chose to hear his calls in his language too

    def body(self) -> dict[str, Any]:
        """The CheckIn payload without id and version (an offline ticket's outbox entry keeps it as it is)."""
        out: dict[str, Any] = {"language": self.lang, "party_size": self.party_size,
                               "interpreter": self.interpreter, "step_free": self.step_free}
        if self.announce:   # only when chosen: a core from before the field refuses unknown fields
            out["announce"] = True
        if self.concern is not None:
            out["concern"] = self.concern
        else:
            out["booking_code"] = self.booking_code
        return out


@dataclass(frozen=True)
class JourneyStop:
    """One stop of a client's journey: where, when (booked) and how far it is (planned, waiting, ..., done)."""

    service: str
    agency: str
    slot: datetime | None       # None: a walk-in stop
    minutes: int
    status: str                 # planned, waiting, called, serving, done, missed, cancelled
    rooms: tuple[str, ...]
    floor: int
    queued_from: datetime | None = None   # when the client is (or will be) queued there


@dataclass(frozen=True)
class Ticket:
    """A ticket the kiosk can print: from the core's reply, or issued offline from the kiosk's block.

    A journey's ticket lists its stops (today's and later days', in order; the first is this ticket's current
    one): the same number is called at each of today's stops in turn. An offline ticket knows no stops.
    """

    number: str
    token: str
    service: str
    agency: str
    rooms: tuple[str, ...]
    floor: int
    waiting_ahead: int
    estimated_wait_min: int
    issued_at: datetime
    offline: bool = False
    print_id: str = ""          # the print job's id (the check-in's command id)
    stops: tuple[JourneyStop, ...] = ()
    queued_from: datetime | None = None   # booked: called from this time on
    see_reception: bool = False           # late for the slot: the agency asks the client to see reception first


@dataclass(frozen=True)
class CheckInResult:
    """A check-in's answer; refused with the core's error code, e.g. ``closed`` or ``mistyped_code``."""

    kind: Literal["issued", "refused", "unavailable"]
    ticket: Ticket | None = None
    error: str = ""             # the core's error code, or why nothing could be issued


@dataclass(frozen=True)
class Appointment:
    """One appointment of a booking code: today's first, then later days' (``today`` False)."""

    service: str
    slot: datetime
    checked_in: bool
    minutes: int = 30
    today: bool = True
    agency: str = ""            # the agency's id ("" when the kiosk's site file does not know the service)


@dataclass(frozen=True)
class TicketInfo:
    """A scanned slip's ticket as the core knows it now."""

    number: str
    service: str
    status: str                 # waiting, called, serving, done, no_show, parked, cancelled, transferred
    rooms: tuple[str, ...]
    floor: int
    waiting_ahead: int
    estimated_wait_min: int
    counter: str | None = None  # when called or serving: the counter's label ...
    counter_room: str | None = None  # ... and its room
    agency: str = ""
    queued_from: datetime | None = None   # waiting for a later slot: queued from then
    stops: tuple[JourneyStop, ...] = ()   # a journey: all its stops, in order


@dataclass(frozen=True)
class LookupResult:
    """A look-up's answer; refused with the core's error code, e.g. ``no_booking`` or ``mistyped_code``."""

    kind: Literal["found", "refused", "unavailable"]
    appointments: tuple[Appointment, ...] = ()
    ticket: TicketInfo | None = None
    error: str = ""
    booking_code: str = ""      # a scanned slip of a visit booked into a later day: the code to check in with


class Backend(Protocol):
    """Blocking calls, made from a worker thread; each returns within a couple of seconds."""

    def lookup(self, booking_code: str) -> LookupResult: ...

    def lookup_ticket(self, token: str) -> LookupResult: ...

    def check_in(self, request: CheckInRequest) -> CheckInResult: ...


def rooms_of_service(site: Site, service_id: str) -> tuple[tuple[str, ...], int]:
    """Room numbers of the counters that serve a service, and the first one's floor."""
    rooms: list[str] = []
    floor = 0
    for c in site.counters:
        if service_id in c.services:
            room = site.room(c.room)
            if room.number not in rooms:
                if not rooms:
                    floor = room.floor
                rooms.append(room.number)
    return tuple(rooms), floor


def agency_of(site: Site, service_id: str) -> str:
    """The agency id of a service, or "" when the site file does not know the service."""
    known = {sv.id: sv.agency for sv in site.services}
    return known.get(service_id, "")


@dataclass
class FakeBackend:
    """A core without a broker, for the tour and unit tests: numbers per agency, bookings given up front.

    A code with several appointments plays a journey as the core does: checking in checks in every open
    appointment of today under ONE number, queued at the first (from its slot less the early window, or at
    once); the ticket lists today's stops and later days'. A client later than the agency's ``late_minutes``
    is sent to reception when the agency says so (``reception_when_late`` makes every agency say so).
    """

    site: Site
    bookings: dict[str, list[Appointment]] = field(default_factory=dict)
    tickets: dict[str, TicketInfo] = field(default_factory=dict)
    refuse_with: str = ""          # every check-in is refused with this code (tests)
    unavailable: bool = False      # behaves like an unreachable core
    clock: Callable[[], datetime] = real_now
    reception_when_late: bool = False
    refuse_lookups_with: str = ""  # every booking-code look-up is refused with this code (tests)
    booked_slips: dict[str, str] = field(default_factory=dict)  # slip token -> the journey's code a desk booked
    requests: list[CheckInRequest] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)   # booking codes asked for
    _seq: dict[str, itertools.count[int]] = field(default_factory=dict)

    def lookup(self, booking_code: str) -> LookupResult:
        self.lookups.append(booking_code)
        if self.unavailable:
            return LookupResult("unavailable", error="no reply")
        if self.refuse_lookups_with:
            return LookupResult("refused", error=self.refuse_lookups_with)
        found = self.bookings.get(booking_code)
        return LookupResult("found", tuple(found)) if found else LookupResult("refused", error="no_booking")

    def lookup_ticket(self, token: str) -> LookupResult:
        if self.unavailable:
            return LookupResult("unavailable", error="no reply")
        info = self.tickets.get(token)
        if info is None and token in self.booked_slips:  # a slip of an earlier day, booked on at a desk
            return LookupResult("found", booking_code=self.booked_slips[token])
        return LookupResult("found", ticket=info) if info else LookupResult("refused", error="unknown_ticket")

    def check_in(self, request: CheckInRequest) -> CheckInResult:
        self.requests.append(request)
        if self.unavailable:
            return CheckInResult("unavailable", error="no reply")
        if self.refuse_with:
            return CheckInResult("refused", error=self.refuse_with)
        now = self.clock()
        stops: tuple[JourneyStop, ...] = ()
        queued_from: datetime | None = None
        see_reception = False
        if request.concern is not None:
            service = self.site.concern(request.concern).service
        else:
            code = request.booking_code or ""
            booked = self.bookings.get(code, [])
            open_ = sorted((a for a in booked if a.today and not a.checked_in), key=lambda a: a.slot)
            if not open_:
                return CheckInResult("refused", error="no_booking")
            first = open_[0]
            service = first.service
            self.bookings[code] = [replace(a, checked_in=True) if a in open_ else a for a in booked]
            later = sorted((a for a in booked if not a.today), key=lambda a: a.slot)
            stops = tuple(self._stop(a, now, current=a is first) for a in [*open_, *later])
            queued_from = stops[0].queued_from
            rules = self.site.agency_of_service(service).bookings
            late = timing(self.site, service, first.slot, now) == "late"
            see_reception = late and (rules.late_action == "reception" or self.reception_when_late)
        agency = self.site.agency_of_service(service)
        seq = next(self._seq.setdefault(agency.id, itertools.count(1)))
        rooms, floor = rooms_of_service(self.site, service)
        number = f"{agency.prefix}-{seq:03d}"
        ticket = Ticket(number, secrets.token_urlsafe(12), service, agency.id, rooms, floor, waiting_ahead=seq - 1,
                        estimated_wait_min=5 * (seq - 1), issued_at=now, print_id=f"fake-{number}",
                        stops=stops, queued_from=queued_from, see_reception=see_reception)
        self.tickets[ticket.token] = TicketInfo(number, service, "waiting", rooms, floor, seq - 1, 5 * (seq - 1),
                                                agency=agency.id, queued_from=queued_from, stops=stops)
        return CheckInResult("issued", ticket)

    def _stop(self, a: Appointment, now: datetime, *, current: bool) -> JourneyStop:
        rooms, floor = rooms_of_service(self.site, a.service)
        queued_from = None
        if a.today:
            due = a.slot - timedelta(minutes=self.site.early_minutes(a.service))
            queued_from = max(now, due) if current else due
        return JourneyStop(a.service, a.agency or agency_of(self.site, a.service), a.slot, a.minutes,
                           "waiting" if current else "planned", rooms, floor, queued_from)
