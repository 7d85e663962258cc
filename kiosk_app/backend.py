"""What the kiosk asks of the core (look up a code, check in), the answers, and a fake core for tours and tests."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

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

    def body(self) -> dict[str, Any]:
        """The CheckIn payload without id and version."""
        out: dict[str, Any] = {"language": self.lang, "party_size": self.party_size,
                               "interpreter": self.interpreter, "step_free": self.step_free}
        if self.concern is not None:
            out["concern"] = self.concern
        else:
            out["booking_code"] = self.booking_code
        return out


@dataclass(frozen=True)
class Ticket:
    """A ticket the kiosk can print: from the core's reply, or issued offline from the kiosk's block."""

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


@dataclass(frozen=True)
class CheckInResult:
    kind: Literal["issued", "refused", "unavailable"]
    ticket: Ticket | None = None
    error: str = ""             # the core's error code, or why nothing could be issued


@dataclass(frozen=True)
class Appointment:
    service: str
    slot: datetime
    checked_in: bool


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


@dataclass(frozen=True)
class LookupResult:
    kind: Literal["found", "refused", "unavailable"]
    appointments: tuple[Appointment, ...] = ()
    ticket: TicketInfo | None = None
    error: str = ""


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


@dataclass
class FakeBackend:
    """A core without a broker: numbers per agency, bookings given up front; for the tour and unit tests."""

    site: Site
    bookings: dict[str, list[Appointment]] = field(default_factory=dict)
    tickets: dict[str, TicketInfo] = field(default_factory=dict)
    refuse_with: str = ""          # every check-in is refused with this code (tests)
    unavailable: bool = False      # behaves like an unreachable core
    requests: list[CheckInRequest] = field(default_factory=list)
    _seq: dict[str, itertools.count[int]] = field(default_factory=dict)

    def lookup(self, booking_code: str) -> LookupResult:
        if self.unavailable:
            return LookupResult("unavailable", error="no reply")
        found = self.bookings.get(booking_code)
        return LookupResult("found", tuple(found)) if found else LookupResult("refused", error="no_booking")

    def lookup_ticket(self, token: str) -> LookupResult:
        if self.unavailable:
            return LookupResult("unavailable", error="no reply")
        info = self.tickets.get(token)
        return LookupResult("found", ticket=info) if info else LookupResult("refused", error="unknown_ticket")

    def check_in(self, request: CheckInRequest) -> CheckInResult:
        self.requests.append(request)
        if self.unavailable:
            return CheckInResult("unavailable", error="no reply")
        if self.refuse_with:
            return CheckInResult("refused", error=self.refuse_with)
        if request.concern is not None:
            service = self.site.concern(request.concern).service
        else:
            open_ = [a for a in self.bookings.get(request.booking_code or "", []) if not a.checked_in]
            if not open_:
                return CheckInResult("refused", error="no_booking")
            service = open_[0].service
            self.bookings[request.booking_code or ""] = [
                replace(a, checked_in=True) if a is open_[0] else a for a in self.bookings[request.booking_code or ""]]
        agency = self.site.agency_of_service(service)
        seq = next(self._seq.setdefault(agency.id, itertools.count(1)))
        rooms, floor = rooms_of_service(self.site, service)
        number = f"{agency.prefix}-{seq:03d}"
        ticket = Ticket(number, secrets.token_urlsafe(12), service, agency.id, rooms, floor, waiting_ahead=seq - 1,
                        estimated_wait_min=5 * (seq - 1), issued_at=datetime.now(UTC),
                        print_id=f"fake-{number}")
        self.tickets[ticket.token] = TicketInfo(number, service, "waiting", rooms, floor, seq - 1, 5 * (seq - 1))
        return CheckInResult("issued", ticket)
