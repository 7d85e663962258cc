"""The queue service: turns incoming MQTT commands into stored events and the messages to publish.

It knows nothing of sockets: `handle()` takes an `Incoming` and returns `Publication`s; the MQTT runner
(`core_runner.py`) feeds it from one worker thread. Order per command: parse, de-duplicate, decide,
commit to the store, apply to the in-memory state, then publish. Retained state is coalesced and only
produced by `flush_state()`, so a burst of check-ins updates the board once.
"""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import queue_protocol as p
from queue_rules import engine, views
from queue_rules import events as ev
from queue_rules.engine import Rejected
from queue_rules.site import Site
from queue_rules.state import QueueState, Ticket, evolve, local_day

from .ratelimit import FailureLimiter
from .store import Store

log = logging.getLogger("arkaden.core")
T = TypeVar("T")

# Booking codes are short: a kiosk may get this many unknown codes wrong per window, then it must wait.
BOOKING_FAILURES_PER_KIOSK = 10
BOOKING_FAILURE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    response_topic: str | None = None
    correlation: bytes | None = None


@dataclass(frozen=True)
class Publication:
    topic: str
    payload: bytes
    retain: bool = False
    correlation: bytes | None = None


@dataclass
class _Dirty:
    services: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    board: bool = False
    tickets: bool = False

    def any(self) -> bool:
        return bool(self.services or self.counters or self.board or self.tickets)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class QueueService:
    def __init__(
        self, site: Site, store: Store, *, clock: Callable[[], datetime] = utcnow,
        always_open: bool = False, reply_cache_size: int = 20_000,
        booking_limiter: FailureLimiter | None = None,
    ):
        self.site = site
        self.store = store
        self.clock = clock
        self.always_open = always_open
        self.topics = p.Topics(site.site.id)
        self.stats: Counter[str] = Counter()
        self._replies: OrderedDict[str, str] = OrderedDict()
        self._reply_cache_size = reply_cache_size
        self._dirty = _Dirty()
        self._stale = False
        self._kiosk_ids = {k.id for k in site.kiosks}
        self._desk_ids = {d.id for d in site.reception}
        self.booking_limiter = booking_limiter or FailureLimiter(BOOKING_FAILURES_PER_KIOSK, BOOKING_FAILURE_WINDOW)
        self.state = self._rebuild()

    # --- state -----------------------------------------------------------------------------------

    def _rebuild(self) -> QueueState:
        """Today's state, replayed from the event log."""
        state = QueueState(tz=self.site.tz, estimate_window=self.site.policy.estimate_window)
        # Replies older than two days are still in the store, but no device retries that long.
        self._stored_keys = self.store.reply_keys_since(self.clock() - timedelta(days=2))
        count = 0
        for e in self.store.events(day=local_day(self.clock(), self.site.tz)):
            evolve(state, e)
            count += 1
        log.info("state rebuilt from %d events of today", count)
        self.mark_all_dirty()
        return state

    def _try_rebuild(self) -> bool:
        """After a storage failure memory may hold unstored changes: refuse everything until rebuilt."""
        try:
            self.state = self._rebuild()
        except Exception as exc:  # the database is still away
            log.error("state rebuild failed, refusing commands until storage is back: %s", exc)
            self._stale = True
            return False
        self._stale = False
        return True

    def roll_over_if_new_day(self) -> None:
        """At local midnight yesterday's visits leave the board, before any command of the new day is decided."""
        today = local_day(self.clock(), self.site.tz)
        if self.state.day is not None and self.state.day != today:
            log.info("a new day (%s): numbers restart, yesterday's open visits leave the board", today)
            self._try_rebuild()

    def _known_device(self, family: str, device: str) -> bool:
        if family in ("checkin", "lookup"):
            return device in self._kiosk_ids
        if family == "reception_cmd":
            return device in self._desk_ids
        return True  # counters are checked by the engine, with its own error

    def mark_all_dirty(self) -> None:
        self._dirty = _Dirty({s.id for s in self.site.services}, {c.id for c in self.site.counters}, True, True)

    # --- entry point -----------------------------------------------------------------------------

    def handle(self, msg: Incoming) -> list[Publication]:
        """Process one message. Never raises: bad input becomes an error reply and event."""
        self.stats["received"] += 1
        try:
            parsed = self.topics.parse(msg.topic)
        except p.TopicError as exc:
            return self._refuse(msg, None, "unknown_topic", str(exc))
        handler = self._HANDLERS.get(parsed.spec.name)
        if handler is None:
            return self._refuse(msg, None, "not_a_command", f"{msg.topic} is not a command topic")
        model = parsed.spec.payloads[0]
        try:
            command = p.parse_payload(model, msg.payload)
        except p.ProtocolError as exc:
            return self._refuse(msg, exc.command_id, exc.code, exc.message)
        except Exception as exc:  # anything the parser did not foresee is still just bad input
            return self._refuse(msg, None, "bad_payload", f"unreadable payload ({type(exc).__name__})")
        assert parsed.param is not None
        if not self._known_device(parsed.spec.name, parsed.param):
            return self._refuse(msg, command.id, "unknown_device",  # type: ignore[attr-defined]
                                f"{parsed.param[:40]!r} is not configured at this site")
        self.roll_over_if_new_day()
        if self._stale and not self._try_rebuild():
            return self._refuse(msg, command.id, "storage", "storage is unavailable; nothing was changed")  # type: ignore[attr-defined]
        key = f"{parsed.spec.name}:{parsed.param}:{command.id}"  # type: ignore[attr-defined]
        try:
            previous = self._known_reply(key)
            if previous is not None:
                self.stats["duplicates"] += 1
                return self._reply(msg, previous.encode())
            return handler(self, parsed.param, command, msg, key)
        except Rejected as exc:
            return self._refuse(msg, command.id, exc.code, exc.message)  # type: ignore[attr-defined]
        except Exception:  # a bug: say so, keep the stored truth, rebuild memory from it
            log.exception("internal error on %s", msg.topic)
            self.stats["internal_errors"] += 1
            self._try_rebuild()
            return self._refuse(msg, getattr(command, "id", None), "internal", "internal error; nothing was changed")

    # --- commands --------------------------------------------------------------------------------

    def _check_in(self, kiosk: str, cmd: p.CheckIn, msg: Incoming, key: str) -> list[Publication]:
        now = self.clock()
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
            booking = self._guarded(kiosk, now, lambda: self._next_booking(cmd.booking_code or "", now))
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
        issued = engine.check_in(self.state, self.site, arrival, now=now, actor=f"kiosk:{kiosk}")
        ticket_of = lambda: self.state.tickets[issued.ticket]  # noqa: E731 - exists only after commit
        return self._commit([issued], msg, key, lambda: p.CheckInReply(
            id=cmd.id, ok=True, ticket=views.issued_ticket(self.state, self.site, ticket_of())))

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

    def _next_booking(self, code: str, now: datetime):  # type: ignore[no-untyped-def]
        taken = {(t.service, t.slot) for t in self.state.tickets.values() if t.booking_code == code}
        for b in self._bookings_today(code, now):
            if (b.service, b.slot) not in taken:
                return b
        raise Rejected("no_booking", "no open appointment today for this booking code")

    def _bookings_today(self, code: str, now: datetime):  # type: ignore[no-untyped-def]
        local = now.astimezone(self.site.tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return self.store.bookings(code, start, start + timedelta(days=1))

    def _lookup(self, kiosk: str, cmd: p.LookupBooking, msg: Incoming, key: str) -> list[Publication]:
        now = self.clock()
        if cmd.ticket_token is not None:
            ticket = next((t for t in self.state.tickets.values() if t.token == cmd.ticket_token), None)
            if ticket is None:
                raise Rejected("unknown_ticket", "no ticket today for this slip")
            self.stats["lookups"] += 1
            info = views.ticket_info(self.state, self.site, ticket)
            return self._reply(msg, p.LookupReply(id=cmd.id, ok=True, ticket=info).to_bytes())
        assert cmd.booking_code is not None
        code = cmd.booking_code
        found = self._guarded(kiosk, now, lambda: self._appointments(code, now))
        self.stats["lookups"] += 1
        return self._reply(msg, p.LookupReply(id=cmd.id, ok=True, appointments=found).to_bytes())

    def _appointments(self, code: str, now: datetime) -> list[p.Appointment]:
        taken = {(t.service, t.slot) for t in self.state.tickets.values() if t.booking_code == code}
        found = [
            p.Appointment(service=b.service, slot=b.slot, party_size=b.party_size, language=b.language,
                          checked_in=(b.service, b.slot) in taken)
            for b in self._bookings_today(code, now)
        ]
        if not found:
            raise Rejected("no_booking", "no appointment today for this booking code")
        return found

    def _counter(self, counter: str, cmd: p.CounterCommand, msg: Incoming, key: str) -> list[Publication]:
        events = engine.counter_action(self.state, self.site, counter, cmd.action, now=self.clock(),
                                       actor=f"counter:{counter}", to_service=cmd.to_service, note=cmd.note)

        def result() -> p.CommandResult:
            cs = self.state.counters.get(counter)
            number = self.state.tickets[cs.ticket].number if cs and cs.ticket else None
            return p.CommandResult(id=cmd.id, ok=True, number=number)

        return self._commit(events, msg, key, result)

    def _reception(self, desk: str, cmd: p.ReceptionCommand, msg: Incoming, key: str) -> list[Publication]:
        ticket = self._find_ticket(cmd.ticket)
        events = engine.reception_action(
            self.state, self.site, ticket.id, cmd.action, now=self.clock(), actor=f"reception:{desk}:{cmd.operator}",
            to_service=cmd.to_service, priority=cmd.priority, reason=cmd.reason)
        return self._commit(events, msg, key, lambda: p.CommandResult(id=cmd.id, ok=True, number=ticket.number))

    def _find_ticket(self, ref: str) -> Ticket:
        t = self.state.tickets.get(ref)
        if t is None:
            t = next((x for x in self.state.tickets.values() if x.number == ref), None)
        if t is None:
            raise Rejected("unknown_ticket", f"no ticket {ref!r} today")
        return t

    _HANDLERS: dict[str, Callable] = {  # type: ignore[type-arg]
        "checkin": _check_in, "lookup": _lookup, "counter_cmd": _counter, "reception_cmd": _reception,
    }

    # --- commit and publish ----------------------------------------------------------------------

    def _commit(self, events: list[ev.Event], msg: Incoming, key: str,
                make_reply: Callable[[], p.Payload]) -> list[Publication]:
        """Apply, store events and reply in one transaction, then publish: what is published is stored."""
        if events:
            seqs, reply = self._apply_and_store(events, key, make_reply)
        else:  # nothing changed (e.g. a double press): answer, and answer a retry the same way, also after a restart
            seqs, reply = [], make_reply().model_dump_json(exclude_none=True)
            try:
                self.store.save_reply(key, reply)
            except Exception as exc:  # the answer still stands in memory
                log.error("could not store the reply to %s: %s", key[:160], exc)
            self._remember(key, reply)
        out = self._reply(msg, reply.encode())
        for seq, e in zip(seqs, events):
            out.extend(self._event_publications(seq, e))
        self.stats["commands_ok"] += 1
        return out

    def _apply_and_store(self, events: list[ev.Event], key: str,
                         make_reply: Callable[[], p.Payload]) -> tuple[list[int], str]:
        # The reply describes the state after the events, so memory changes first; if the commit
        # then fails, memory is rebuilt from the store and the command is refused.
        for e in events:
            if isinstance(e, ev.TicketMoved):  # the old service's queue changes too, and is forgotten after evolve
                self._dirty.services.add(self.state.tickets[e.ticket].service)
            evolve(self.state, e)
        reply = make_reply().model_dump_json(exclude_none=True)
        try:
            seqs = self.store.append(events, tz_day=local_day(events[0].at, self.site.tz),
                                     command_key=key, reply=reply)
        except Exception as exc:
            log.error("could not store events, command refused: %s", exc)
            self.stats["store_errors"] += 1
            self._try_rebuild()
            raise Rejected("storage", "the command could not be stored; nothing was changed") from None
        self._remember(key, reply)
        for e in events:
            self._mark(e)
        return seqs, reply

    def _remember(self, key: str, reply: str) -> None:
        self._replies[key] = reply
        self._stored_keys.add(key)
        if len(self._stored_keys) > 200_000:  # a core that runs for months: keep only recent days
            self._stored_keys = self.store.reply_keys_since(self.clock() - timedelta(days=2))
        if len(self._replies) > self._reply_cache_size:
            self._replies.popitem(last=False)

    def _known_reply(self, key: str) -> str | None:
        cached = self._replies.get(key)
        if cached is not None:
            return cached
        return self.store.reply_for(key) if key in self._stored_keys else None

    def _mark(self, e: ev.Event) -> None:
        d = self._dirty
        d.tickets = d.board = True
        ticket = self.state.tickets.get(getattr(e, "ticket", ""))
        if ticket is not None:
            d.services.update(s.service for s in ticket.stops[-2:])
            d.counters.update(s.counter for s in ticket.stops[-2:] if s.counter)
        counter = getattr(e, "counter", None)
        if counter:
            d.counters.add(counter)
            d.services.update(self.site.counter(counter).services)
        # counters whose waiting count changed
        for c in self.site.counters:
            if d.services.intersection(c.services):
                d.counters.add(c.id)

    def _event_publications(self, seq: int, e: ev.Event) -> list[Publication]:
        audit = p.AuditEvent(seq=seq, type=e.type, at=e.at, actor=e.actor,
                             data=e.model_dump(mode="json", exclude={"type", "at", "actor"}))
        out = [Publication(self.topics.event(e.type), audit.to_bytes())]
        if isinstance(e, (ev.TicketCalled, ev.TicketRecalled)):
            t = self.state.tickets[e.ticket]
            call = views.ticket_called(self.site, t, e.counter, e.at, recall=isinstance(e, ev.TicketRecalled))
            out.append(Publication(self.topics.call(), call.to_bytes()))
        return out

    def _reply(self, msg: Incoming, payload: bytes) -> list[Publication]:
        """Answer on the requester's Response Topic, but only if it is one of this site's reply topics."""
        if msg.response_topic is None or not _reply_topic_ok(self.topics, msg.response_topic):
            return []
        return [Publication(msg.response_topic, payload, correlation=msg.correlation)]

    def _refuse(self, msg: Incoming, command_id: str | None, code: str, message: str) -> list[Publication]:
        self.stats[f"rejected_{code}"] += 1
        self.stats["rejected"] += 1
        log.warning("refused %s: %s: %s", msg.topic[:200], code, message)
        now = self.clock()
        rejected = p.CommandRejected(command_id=command_id, topic=msg.topic[:200], code=code, message=message, at=now)
        out = [Publication(self.topics.error(), rejected.to_bytes())]
        if msg.response_topic is not None and _reply_topic_ok(self.topics, msg.response_topic):
            error = p.ErrorInfo(code=code, message=message)
            cid = command_id if command_id and _VALID_ID.fullmatch(command_id) else "unknown"
            reply: p.Payload
            if "/cmd/checkin/" in msg.topic:
                reply = p.CheckInReply(id=cid, ok=False, error=error)
            elif "/cmd/lookup/" in msg.topic:
                reply = p.LookupReply(id=cid, ok=False, error=error)
            else:
                reply = p.CommandResult(id=cid, ok=False, error=error)
            out.append(Publication(msg.response_topic, reply.to_bytes(), correlation=msg.correlation))
        return out

    # --- retained state ----------------------------------------------------------------------------

    def flush_state(self) -> list[Publication]:
        """Retained state changed since the last flush: queues, counters, board, reception list."""
        d, self._dirty = self._dirty, _Dirty()
        if not d.any():
            return []
        now = self.clock()
        out = []
        for service in sorted(d.services):
            out.append(Publication(self.topics.queue(service),
                                   views.queue_state(self.state, self.site, service, now).to_bytes(), retain=True))
        for counter in sorted(d.counters):
            out.append(Publication(self.topics.counter_state(counter),
                                   views.counter_state(self.state, self.site, counter, now).to_bytes(), retain=True))
        if d.board:
            out.append(Publication(self.topics.board(), views.board_state(self.state, self.site, now).to_bytes(),
                                   retain=True))
        if d.tickets:
            out.append(Publication(self.topics.tickets(), views.ticket_list(self.state, now).to_bytes(), retain=True))
        return out

_VALID_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _reply_topic_ok(topics: p.Topics, topic: str) -> bool:
    """Only answer on reply topics of this site, never on arbitrary topics a client names."""
    try:
        return topics.parse(topic).spec.name == "reply"
    except p.TopicError:
        return False
