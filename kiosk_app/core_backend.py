"""The kiosk's side of the core: look-ups and check-ins over MQTT, offline tickets when the core does not answer.

A check-in waits at most ``reply_timeout_s`` (1.5 s) for the core. Without an answer (or at once when the broker
is unreachable or the core's retained presence says it is offline) the kiosk issues an offline ticket from its
own number block, stores it in the outbox and prints it. An offline ticket issued after an online check-in went
unanswered names that check-in (``replaces``), so the core never lets both stand; the online check-in's answer,
should it still come, is logged and dropped. A background thread hands the outbox to the core whenever the link
is up and the core not known to be offline, each entry with its own stable command id, so a resend is answered
by the core instead of creating a second ticket. A refusal the protocol calls worth retrying (``storage``,
``internal``, ``rate_limited``) leaves the entry pending and is tried again with backoff; any other is final.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

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
BACKOFF_FIRST_S = 5.0   # after a refusal worth retrying: 5, 10, 20 ... seconds, capped
BACKOFF_MAX_S = 120.0
LATE_WINDOW_S = 600.0   # how long the answer to a check-in an offline ticket replaced is still recognised
CORE_ID = "core"        # the core's device id: its retained presence is presence/core


def retryable(code: str) -> bool:
    """Whether the protocol's error table calls a refusal worth retrying (storage, internal, rate_limited ...).

    An unknown code (a newer core) counts as final: logged and kept for reception, not retried for ever."""
    known = p.ERROR_CODES.get(code)
    return known is not None and known[1]


@runtime_checkable
class SendingLink(Protocol):
    """A link that can send a request and hand its answer to a callback (``device_link.link.Link``): the kiosk then
    still sees, and logs, an answer that comes after it gave up waiting."""

    def send(self, topic: str, command: p.Command, on_reply: Callable[[bytes], None], *,
             expiry_s: int | None = None) -> None: ...

    def forget(self, command_id: str) -> None: ...


class _Answer:
    """One online check-in's answer: taken if it comes in time; once the wait gave up it is refused (late)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._raw: bytes | None = None
        self._abandoned = False

    def deliver(self, raw: bytes) -> bool:
        """paho's thread; False when the kiosk stopped waiting already."""
        with self._cv:
            if self._abandoned:
                return False
            self._raw = raw
            self._cv.notify_all()
            return True

    def wait(self, timeout: float) -> bytes | None:
        with self._cv:
            self._cv.wait_for(lambda: self._raw is not None, timeout)
            if self._raw is None:
                self._abandoned = True   # from now on an answer is late: never shown, never printed
            return self._raw


class CoreBackend:
    """The real backend: a link for requests, an ``Outbox`` for offline tickets, a thread that flushes it."""

    def __init__(self, site: Site, kiosk_id: str, link: CoreLink, outbox: Outbox, *, reply_timeout_s: float = 1.5,
                 clock: Callable[[], datetime] = real_now,
                 on_outbox: Callable[[dict[str, int]], None] | None = None,
                 poll_s: float = FLUSH_RETRY_S, backoff_first_s: float = BACKOFF_FIRST_S):
        """``poll_s``: how often the flush thread looks for pending entries without being woken (a connect, the
        core coming online, a new offline ticket wake it at once); ``backoff_first_s``: the first wait after a
        refusal worth retrying (doubling up to ``BACKOFF_MAX_S``)."""
        self.site, self.kiosk_id, self.link, self.outbox = site, kiosk_id, link, outbox
        self.kiosk = next(k for k in site.kiosks if k.id == kiosk_id)
        self.topics = link.topics
        self.reply_timeout_s = reply_timeout_s
        self.clock = clock
        self.on_outbox = on_outbox
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="kiosk-outbox", daemon=True)
        self._core_online: bool | None = None   # the core's retained presence; None: not heard (yet)
        self.poll_s, self.backoff_first_s = poll_s, backoff_first_s
        self._retry_at = 0.0                    # monotonic: no hand-in before this (backoff after a refusal)
        self._backoff = backoff_first_s
        self._lock = threading.Lock()
        self._gave_up: dict[str, tuple[float, str]] = {}   # timed-out check-in id -> (monotonic, offline number)

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

    # --- the core's presence -----------------------------------------------------------------------

    @staticmethod
    def presence_topic(site: Site) -> str:
        """The core's retained presence: subscribe the link to it and pass its messages to ``on_public``."""
        return p.Topics(site.site.id).presence(CORE_ID)

    @property
    def core_presence_topic(self) -> str:
        return self.topics.presence(CORE_ID)

    def on_public(self, topic: str, data: dict[str, Any]) -> None:
        """A message on a subscribed topic (paho's thread): the core's retained presence; others are ignored."""
        if topic != self.core_presence_topic:
            return
        try:
            presence = p.DevicePresence.model_validate(data)
        except ValidationError as exc:
            log.warning("ignored a core presence that does not fit the protocol: %s", exc.errors()[0]["msg"])
            return
        if presence.device == CORE_ID:
            self.core_presence(presence.online)

    def core_presence(self, online: bool) -> None:
        """The core said it is online or offline: offline, check-ins get offline tickets without waiting for it;
        back online, the outbox is handed in at once (a backoff from before its restart is dropped)."""
        was, self._core_online = self._core_online, online
        if online and was is not True:
            log.info("the core is online: handing in the outbox")
            self._retry_at, self._backoff = 0.0, self.backoff_first_s
            self._wake.set()
        elif not online and was is not False:
            log.warning("the core is offline: check-ins get offline tickets at once")

    def core_reachable(self) -> bool:
        """Worth asking the core: the broker is there and the core has not said it is offline."""
        return self.link.connected.is_set() and self._core_online is not False

    # --- requests --------------------------------------------------------------------------------

    def _ask(self, topic: str, command: p.Command, reply: type[R], timeout: float) -> R | None:
        """The core's answer, or None when none came in time or it does not fit the protocol (the link logs it)."""
        if not self.core_reachable():
            return None  # nobody to answer: do not let paho or the broker queue a command for later
        try:
            return self.link.request(topic, command, reply, timeout=timeout, expiry_s=EXPIRY_S)
        except BadReply:
            return None  # as good as no answer: the same as a reply that never came

    def _ask_check_in(self, command: p.CheckIn) -> p.CheckInReply | None:
        """An online check-in's answer within ``reply_timeout_s``, or None; one that comes later is logged and
        dropped (``_late``): by then an offline ticket replaces this check-in."""
        link = self.link
        if not isinstance(link, SendingLink):   # a link without callbacks cannot deliver late answers at all
            return self._ask(self.topics.checkin(self.kiosk_id), command, p.CheckInReply, self.reply_timeout_s)
        answer = _Answer()
        sent_at = time.monotonic()

        def on_reply(raw: bytes) -> None:
            if not answer.deliver(raw):
                self._late(command.id, raw, time.monotonic() - sent_at)

        link.send(self.topics.checkin(self.kiosk_id), command, on_reply, expiry_s=EXPIRY_S)
        raw = answer.wait(self.reply_timeout_s)
        if raw is None:
            self._note_gave_up(command.id, "")   # the link keeps on_reply until the answer comes or _prune forgets it
            return None
        try:
            return p.CheckInReply.model_validate_json(raw)
        except ValidationError as exc:
            log.error("reply to %s does not fit CheckInReply: %s", command.id, exc)
            return None

    def _late(self, cid: str, raw: bytes, after_s: float) -> None:
        """paho's thread: the answer to a check-in the kiosk gave up on. Never shown, never printed."""
        with self._lock:
            number = self._gave_up.get(cid, (0.0, ""))[1]
        try:
            reply = p.CheckInReply.model_validate_json(raw)
            what = reply.ticket.number if reply.ticket else f"refused ({reply.error.code if reply.error else '?'})"
        except ValidationError:
            what = "an unusable reply"
        instead = (f"offline ticket {number} replaces it (the core cancels it)" if number
                   else "the kiosk had given up on it")
        log.warning("the core answered check-in %s after %.1f s with %s; %s: ignored, not shown, not printed",
                    cid, after_s, what, instead)

    def _note_gave_up(self, cid: str, offline_number: str) -> None:
        with self._lock:
            self._gave_up[cid] = (time.monotonic(), offline_number)

    def _prune(self) -> None:
        """Stop listening for answers to check-ins given up on more than ``LATE_WINDOW_S`` ago."""
        link = self.link
        cutoff = time.monotonic() - LATE_WINDOW_S
        with self._lock:
            old = [cid for cid, (at, _) in self._gave_up.items() if at < cutoff]
            for cid in old:
                del self._gave_up[cid]
        if isinstance(link, SendingLink):
            for cid in old:
                link.forget(cid)

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
        self._prune()
        cid = self._cid()
        try:
            command = _check_in(cid, request.body())
        except ValidationError:
            return CheckInResult("refused", error="bad_payload")  # what the core would answer
        if not self.core_reachable():
            log.warning("the core is %s: issuing an offline ticket at once",
                        "offline" if self.link.connected.is_set() else "out of reach (no broker)")
            return self._offline(request, replaces=None)   # nothing was sent: nothing to replace
        reply = self._ask_check_in(command)
        if reply is None:
            log.warning("no usable reply from the core within %.1f s: issuing an offline ticket that replaces %s",
                        self.reply_timeout_s, cid)
            return self._offline(request, replaces=cid)
        if not reply.ok or reply.ticket is None:  # a refusal is one, whatever else it carries
            return CheckInResult("refused", error=reply.error.code if reply.error else "unknown")
        return CheckInResult("issued", _ticket(reply.ticket, cid))

    def _offline(self, request: CheckInRequest, *, replaces: str | None) -> CheckInResult:
        """An offline ticket; ``replaces``: the online check-in sent for this client that got no answer in time."""
        block = self.kiosk.offline_numbers
        if block is None:
            return CheckInResult("unavailable", error="the core is unreachable and this kiosk has no offline block")
        now = self.clock()
        body = {**request.body(), "issued_at": now.isoformat()}
        if replaces is not None:
            body["replaces"] = replaces
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
        if replaces is not None:
            self._note_gave_up(replaces, number)
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
        """Hand in pending entries while the core answers; how many were settled (handed in or refused for good).

        A refusal worth retrying ends the round: the entry stays pending with the refusal noted, and the flush
        thread waits out a backoff (5 s, doubling up to 2 min) before the next round."""
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
            if reply.ok and reply.ticket is not None:
                self.outbox.mark_sent(entry.cid, reply.ticket.number)
                log.info("offline ticket %d handed to the core: %s", entry.number, reply.ticket.number)
                self._backoff = self.backoff_first_s
                done += 1
                continue
            err = reply.error
            code = err.code if err else "unknown"
            text = f"{code}: {err.message if err else None}"
            if retryable(code):
                self.outbox.note_refusal(entry.cid, text)
                self._retry_at = time.monotonic() + self._backoff
                log.warning("the core refused offline ticket %d for now (%s): it stays pending, next try in %.0f s",
                            entry.number, text, self._backoff)
                self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
                break
            self.outbox.mark_rejected(entry.cid, text)
            log.error("the core refused offline ticket %d for good: %s", entry.number, text)
            done += 1
        if done:
            self._report()
        return done

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            backing_off = self._retry_at - time.monotonic()
            self._wake.wait(backing_off if backing_off > 0 else self.poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            if time.monotonic() < self._retry_at:
                continue   # a new offline ticket waits out the backoff too; the core coming back ends it
            try:
                self._prune()
                if self.core_reachable() and self.outbox.pending():
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
