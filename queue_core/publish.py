"""Track what changed and publish: replies, refusals, audit events and calls, and the retained state, coalesced."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import queue_protocol as p
from queue_rules import events as ev
from queue_rules import views
from queue_rules.site import Site
from queue_rules.state import DayState

from .intake import Incoming

_VALID_ID = re.compile(p.COMMAND_ID_PATTERN)


@dataclass(frozen=True)
class Publication:
    """One message for the runner to publish."""

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


class ChangeTracker:
    """Which retained topics changed since the last flush, so a burst of commands updates the board once."""

    def __init__(self, site: Site, topics: p.Topics):
        self.site, self.topics = site, topics
        self._dirty = _Dirty()

    def mark_all(self) -> None:
        """Everything is republished at the next flush (after a rebuild, or a reconnect to the broker)."""
        site = self.site
        self._dirty = _Dirty({s.id for s in site.services}, {c.id for c in site.counters}, True, True)

    def before_apply(self, e: ev.Event, state: DayState) -> None:
        """A move's old service changes too, and the state forgets it once the event is applied."""
        if isinstance(e, ev.TicketMoved):
            self._dirty.services.add(state.tickets[e.ticket].service)

    def applied(self, e: ev.Event, state: DayState) -> None:
        """Note what a stored and applied event changed."""
        d = self._dirty
        d.tickets = d.board = True
        ticket = state.tickets.get(getattr(e, "ticket", ""))
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

    def pending(self) -> bool:
        """Whether a flush would publish anything."""
        return self._dirty.any()

    def flush(self, state: DayState, now: datetime) -> list[Publication]:
        """Retained state changed since the last flush: queues, counters, board, reception list."""
        d, self._dirty = self._dirty, _Dirty()
        if not d.any():
            return []
        site, topics = self.site, self.topics
        out = []
        for service in sorted(d.services):
            out.append(Publication(topics.queue(service),
                                   views.queue_state(state, site, service, now).to_bytes(), retain=True))
        for counter in sorted(d.counters):
            out.append(Publication(topics.counter_state(counter),
                                   views.counter_state(state, site, counter, now).to_bytes(), retain=True))
        if d.board:
            out.append(Publication(topics.board(), views.board_state(state, site, now).to_bytes(), retain=True))
        if d.tickets:
            out.append(Publication(topics.tickets(), views.ticket_list(state, now).to_bytes(), retain=True))
        return out


def event_publications(topics: p.Topics, site: Site, state: DayState, seq: int, e: ev.Event) -> list[Publication]:
    """A committed event for the audit topic, and the public call when it calls a number."""
    data = e.model_dump(mode="json", exclude={"type", "at", "actor"})
    if "note" in data:  # the note itself goes to nobody but the next counsellor (in the reception list)
        data["has_note"] = bool(data.pop("note"))
    audit = p.AuditEvent(seq=seq, type=e.type, at=e.at, actor=e.actor, data=data)
    out = [Publication(topics.event(e.type), audit.to_bytes())]
    if isinstance(e, (ev.TicketCalled, ev.TicketRecalled)):
        t = state.tickets[e.ticket]
        call = views.ticket_called(site, t, e.counter, e.at, recall=isinstance(e, ev.TicketRecalled))
        out.append(Publication(topics.call(), call.to_bytes()))
    return out


def reply(reply_to: str | None, correlation: bytes | None, payload: bytes) -> list[Publication]:
    """The answer, on the sending device's own reply topic (intake checked it), if it asked for one."""
    return [] if reply_to is None else [Publication(reply_to, payload, correlation=correlation)]


def refusal(topics: p.Topics, msg: Incoming, reply_to: str | None, command_id: str | None, code: str, message: str,
            now: datetime) -> list[Publication]:
    """A refused command: `CommandRejected` on the error topic, and an error reply on the sender's own reply topic
    when it asked for one. Only a readable id is repeated back (a lone surrogate could not even be serialised)."""
    cid = command_id if command_id and len(command_id) <= 64 and _VALID_ID.fullmatch(command_id) else None
    where = msg.topic[:200].encode("utf-8", "replace").decode()
    rejected = p.CommandRejected(command_id=cid, topic=where, code=code,
                                 message=message.encode("utf-8", "replace").decode(), at=now)
    out = [Publication(topics.error(), rejected.to_bytes())]
    if reply_to is not None:
        error = p.ErrorInfo(code=code, message=rejected.message)
        answer: p.Payload
        if "/cmd/checkin/" in msg.topic:
            answer = p.CheckInReply(id=cid or "unknown", ok=False, error=error)
        elif "/cmd/lookup/" in msg.topic:
            answer = p.LookupReply(id=cid or "unknown", ok=False, error=error)
        elif "/cmd/desk/" in msg.topic:
            answer = p.DeskReply(id=cid or "unknown", ok=False, error=error)
        else:
            answer = p.CommandResult(id=cid or "unknown", ok=False, error=error)
        out.append(Publication(reply_to, answer.to_bytes(), correlation=msg.correlation))
    return out
