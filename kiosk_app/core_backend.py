"""The kiosk's side of the core: look-ups and check-ins over MQTT, offline tickets when the core does not answer.

A check-in waits at most ``reply_timeout_s`` (1.5 s) for the core. Without an answer (or at once when the broker
is unreachable) the kiosk issues an offline ticket from its own number block, stores it in the outbox and
prints it; a background thread hands the outbox to the core whenever the link is up, each entry with its own
stable command id, so a resend is answered by the core instead of creating a second ticket.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import BadReply, CoreLink
from host_support.sim_clock import real_now
from queue_rules.site import Site

from .backend import (
    Appointment,
    CheckInRequest,
    CheckInResult,
    JourneyStop,
    LookupResult,
    Ticket,
    TicketInfo,
    agency_of,
    rooms_of_service,
)
from .outbox import Outbox

R = TypeVar("R", bound=p.Payload)
log = logging.getLogger("arkaden.kiosk.core")
EXPIRY_S = 2            # the broker drops a check-in the core did not take within this time
FLUSH_TIMEOUT_S = 5.0   # handing in an outbox entry may wait longer: nobody stands at the kiosk for it
FLUSH_RETRY_S = 3.0


class CoreBackend:
    """The real backend: a link for requests, an ``Outbox`` for offline tickets, a thread that flushes it."""

    def __init__(self, site: Site, kiosk_id: str, link: CoreLink, outbox: Outbox, *, reply_timeout_s: float = 1.5,
                 clock: Callable[[], datetime] = real_now,
                 on_outbox: Callable[[dict[str, int]], None] | None = None):
        self.site, self.kiosk_id, self.link, self.outbox = site, kiosk_id, link, outbox
        self.kiosk = next(k for k in site.kiosks if k.id == kiosk_id)
        self.topics = link.topics
        self.reply_timeout_s = reply_timeout_s
        self.clock = clock
        self.on_outbox = on_outbox
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="kiosk-outbox", daemon=True)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._report()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=FLUSH_TIMEOUT_S + 2)

    def connected(self) -> None:
        """Call on every (re)connect of the link: hand in what waits."""
        self._wake.set()

    # --- requests --------------------------------------------------------------------------------

    def _ask(self, topic: str, command: p.Command, reply: type[R], timeout: float) -> R | None:
        """The core's answer, or None when none came in time or it does not fit the protocol (the link logs it)."""
        if not self.link.connected.is_set():
            return None  # not even the broker: do not let paho queue a command for later
        try:
            return self.link.request(topic, command, reply, timeout=timeout, expiry_s=EXPIRY_S)
        except BadReply:
            return None  # as good as no answer: the same as a reply that never came

    def _cid(self) -> str:
        return f"{self.kiosk_id}-{uuid.uuid4().hex[:12]}"

    def lookup(self, booking_code: str) -> LookupResult:
        return self._lookup(booking_code=booking_code)

    def lookup_ticket(self, token: str) -> LookupResult:
        return self._lookup(ticket_token=token)

    def _lookup(self, *, booking_code: str | None = None, ticket_token: str | None = None) -> LookupResult:
        try:
            command = p.LookupBooking(id=self._cid(), booking_code=booking_code, ticket_token=ticket_token)
        except ValidationError:
            return LookupResult("refused", error="bad_payload")  # what the core would answer
        reply = self._ask(self.topics.lookup(self.kiosk_id), command, p.LookupReply, self.reply_timeout_s)
        if reply is None:
            return LookupResult("unavailable", error="no reply from the core")
        if not reply.ok:
            return LookupResult("refused", error=reply.error.code if reply.error else "unknown")
        apps = tuple(Appointment(a.service, a.slot, a.checked_in, minutes=a.minutes, today=a.today,
                                 agency=agency_of(self.site, a.service)) for a in reply.appointments)
        return LookupResult("found", apps, _ticket_info(reply.ticket) if reply.ticket else None,
                            booking_code=reply.booking_code or "")

    def check_in(self, request: CheckInRequest) -> CheckInResult:
        cid = self._cid()
        try:
            command = _check_in(cid, request.body())
        except ValidationError:
            return CheckInResult("refused", error="bad_payload")  # what the core would answer
        reply = self._ask(self.topics.checkin(self.kiosk_id), command, p.CheckInReply, self.reply_timeout_s)
        if reply is None:
            log.warning("no usable reply from the core within %.1f s: issuing an offline ticket",
                        self.reply_timeout_s)
            return self._offline(request)
        if reply.ticket is None:  # the protocol: an ok reply always carries its ticket
            return CheckInResult("refused", error=reply.error.code if reply.error else "unknown")
        return CheckInResult("issued", _ticket(reply.ticket, cid))

    def _offline(self, request: CheckInRequest) -> CheckInResult:
        block = self.kiosk.offline_numbers
        if block is None:
            return CheckInResult("unavailable", error="the core is unreachable and this kiosk has no offline block")
        now = self.clock()
        body = {**request.body(), "issued_at": now.isoformat()}
        entry = self.outbox.issue(now.astimezone(self.site.tz).date(), block, body)
        if entry is None:
            return CheckInResult("unavailable", error="the offline number block is used up for today")
        self._report()
        self._wake.set()
        if request.concern is not None:
            service = self.site.concern(request.concern).service
            agency = self.site.agency_of_service(service)
            number, rooms_floor = f"{agency.prefix}-{entry.number:03d}", rooms_of_service(self.site, service)
            service_id, agency_id = service, agency.id
        else:  # a booked client: the service is only known to the core
            number, rooms_floor, service_id, agency_id = f"{entry.number:03d}", ((), 0), "", ""
        log.info("offline ticket %s issued (outbox entry %s)", number, entry.cid)
        return CheckInResult("issued", Ticket(number, "", service_id, agency_id, rooms_floor[0], rooms_floor[1],
                                              waiting_ahead=0, estimated_wait_min=0, issued_at=now, offline=True,
                                              print_id=entry.cid))

    # --- the outbox ------------------------------------------------------------------------------

    def _report(self) -> None:
        if self.on_outbox is not None:
            try:
                self.on_outbox(self.outbox.counts())
            except Exception:
                log.exception("outbox report failed")

    def flush_once(self) -> int:
        """Hand in pending entries while the core answers; how many were handed in."""
        done = 0
        for entry in self.outbox.pending():
            if self._stop.is_set():
                break
            try:
                command = _check_in(entry.cid, entry.payload)
            except ValidationError as exc:  # the core would refuse it the same way: kept, for reception
                self.outbox.mark_rejected(entry.cid, f"bad_payload: {exc.errors()[0]['msg']}")
                log.error("offline ticket %d cannot be handed in: %s", entry.number, exc)
                done += 1
                continue
            reply = self._ask(self.topics.checkin(self.kiosk_id), command, p.CheckInReply, FLUSH_TIMEOUT_S)
            if reply is None:
                break  # no usable answer: the entry stays pending and goes again, with the same id
            if reply.ticket is not None:  # ok
                self.outbox.mark_sent(entry.cid, reply.ticket.number)
                log.info("offline ticket %d handed to the core: %s", entry.number, reply.ticket.number)
            else:
                err = reply.error
                self.outbox.mark_rejected(entry.cid, f"{err.code if err else None}: {err.message if err else None}")
                log.error("the core refused offline ticket %d: %s", entry.number, err)
            done += 1
        if done:
            self._report()
        return done

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_RETRY_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if self.link.connected.is_set() and self.outbox.pending():
                    self.flush_once()
            except Exception:
                log.exception("handing in the outbox failed; trying again")


def _check_in(cid: str, body: dict[str, Any]) -> p.CheckIn:
    """The CheckIn command: a request's body (or an outbox entry's stored payload) with its command id."""
    return p.CheckIn.model_validate({**body, "id": cid})


def _stops(stops: list[p.JourneyStop]) -> tuple[JourneyStop, ...]:
    return tuple(JourneyStop(s.service, s.agency, s.slot, s.minutes, s.status, tuple(s.rooms), s.floor,
                             s.queued_from) for s in stops)


def _ticket(t: p.IssuedTicket, print_id: str) -> Ticket:
    return Ticket(t.number, t.token, t.service, t.agency, tuple(t.rooms), t.floor, t.waiting_ahead,
                  t.estimated_wait_min, t.issued_at, print_id=print_id, stops=_stops(t.stops),
                  queued_from=t.queued_from, see_reception=t.see_reception)


def _ticket_info(t: p.TicketInfo) -> TicketInfo:
    return TicketInfo(t.number, t.service, t.status, tuple(t.rooms), t.floor, t.waiting_ahead,
                      t.estimated_wait_min, t.counter, t.counter_room, agency=t.agency,
                      queued_from=t.queued_from, stops=_stops(t.stops))
