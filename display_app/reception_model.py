"""The reception monitor's view model (no Kivy): queues, counters, tickets, the agency filter, actions and the log."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from pydantic import BaseModel, ValidationError

import queue_protocol as p
from host_support.sim_clock import real_now
from queue_rules.site import Site
from ui_common.languages import LANGUAGES

from . import reception_texts as T
from .reception_alerts import Alert, DeviceRow, alerts, device_rows

__all__ = ["Alert", "AgencyRow", "CounterRow", "DeviceRow", "QueueRow", "ReceptionModel", "TicketView"]
log = logging.getLogger("arkaden.reception")

MAX_ERRORS = 5          # refused commands kept as alerts
MAX_LOG = 30            # recent actions kept for the log panel
ACTIONS = ("move", "priority", "cancel", "return")


@dataclass(frozen=True)
class QueueRow:
    service: str
    name: str
    agency: str
    waiting: int
    longest_min: int | None
    estimate_min: int
    breached: bool


@dataclass(frozen=True)
class AgencyRow:
    """One agency's queues together: the filter list's row."""

    agency: str
    name: str
    waiting: int
    longest_min: int | None
    breached: bool
    selected: bool


@dataclass(frozen=True)
class CounterRow:
    counter: str
    agency: str
    label: str
    room: str
    status: str          # the protocol's word: open, paused, closed
    number: str
    serving_min: int | None


class TicketView(TypedDict):
    """One open ticket as the list shows it: every field already in words."""

    ticket: str
    number: str
    status: str
    priority: str
    waited: str
    language: str
    details: str         # service, needs and the note: the row's wrapping second part
    selected: bool


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class ReceptionModel:
    """What reception sees, fed from public, private and presence topics; `now()` is the injected ``clock``
    (UTC: the real one, or the demo's simulated one), which the rows' minutes are counted against."""

    def __init__(self, site: Site, desk: str, operator: str, *, clock: Callable[[], datetime] = real_now,
                 lang: str = "de"):
        self.site, self.desk, self.operator = site, desk, operator
        self.clock = clock
        self.t = T.Texts(lang)
        self.target = site.policy.wait_target_minutes
        self.queues: dict[str, p.QueueState] = {}
        self.counters: dict[str, p.CounterState] = {}
        self.board: p.BoardState | None = None
        self.tickets: p.TicketList | None = None
        self.presence: dict[str, p.DevicePresence] = {}
        self.errors: deque[p.CommandRejected] = deque(maxlen=MAX_ERRORS)
        self.actions: deque[tuple[str, dict[str, Any]]] = deque(maxlen=MAX_LOG)  # (msgid, fields), newest first
        self.selected: str | None = None        # ticket id
        self.agency_filter: str | None = None   # agency id: only its tickets are listed
        self.result = ""                        # what the last action came back with
        self.result_ok = True
        self.connected = False
        self._services = {s.id: s for s in site.services}
        self._numbers: dict[str, str] = {}     # ticket id -> number, also of tickets no longer open (the log)
        self._models: dict[str, type[BaseModel]] = {
            "queue": p.QueueState, "counter_state": p.CounterState, "board": p.BoardState,
            "tickets": p.TicketList, "presence": p.DevicePresence, "error": p.CommandRejected, "event": p.AuditEvent,
        }

    def now(self) -> datetime:
        """The time waits are counted to (the clock given, UTC)."""
        return self.clock()

    def set_language(self, lang: str) -> None:
        """Speak another of reception's languages (ValueError for one it has no catalogue for)."""
        self.t = T.Texts(lang)

    # --- input ---------------------------------------------------------------------------------

    def apply(self, family: str, data: dict[str, Any]) -> bool:
        """One message of a topic family (as Topics.parse names them); False when ignored."""
        model = self._models.get(family)
        if model is None:
            return False
        try:
            msg: Any = model.model_validate(data)
        except ValidationError:
            log.warning("ignoring an invalid %s message", family)
            return False
        if family == "queue":
            self.queues[msg.service] = msg
        elif family == "counter_state":
            self.counters[msg.counter] = msg
        elif family == "board":
            self.board = msg
        elif family == "tickets":
            self.tickets = msg
            if len(self._numbers) > 5000:
                self._numbers.clear()
            self._numbers.update((t.id, t.number) for t in msg.tickets)
            if self.selected and not any(t.id == self.selected for t in msg.tickets):
                self.selected = None
        elif family == "presence":
            self.presence[msg.device] = msg
        elif family == "error":
            self.errors.appendleft(msg)
        elif family == "event":
            self._log_event(msg)
        return True

    def _log_event(self, e: p.AuditEvent) -> None:
        """Reception's own actions, kept as words to say (the event's type is never shown)."""
        if not e.actor.startswith("reception:"):
            return
        fields: dict[str, Any] = {"time": e.at.astimezone(self.site.tz).strftime("%H:%M"),
                                  "who": e.actor.split(":", 2)[-1], "ticket": str(e.data.get("ticket", "")),
                                  "number": self._numbers.get(str(e.data.get("ticket", "")))}
        msgid = {"ticket_moved": T.LOG_MOVED, "priority_changed": T.LOG_PRIORITY, "ticket_cancelled": T.LOG_CANCELLED,
                 "ticket_returned": T.LOG_RETURNED}.get(e.type, T.LOG_OTHER)
        if e.type == "ticket_moved":
            fields["service"] = str(e.data.get("to_service", "?"))
        if e.type == "priority_changed":
            fields["priority"] = e.data.get("priority", "?")
        self.actions.appendleft((msgid, fields))

    def log_lines(self) -> list[str]:
        """The log, newest first, in the monitor's language now."""
        out = []
        for msgid, fields in self.actions:
            said = {**fields, "number": fields["number"] or self._number(fields["ticket"])}
            if "service" in said:
                said["service"] = self.service_name(said["service"])
            out.append(self.t(msgid, **said))
        return out

    def _number(self, ticket_id: str) -> str:
        """A ticket's number, also after it closed; "a ticket" when this monitor never saw it."""
        return self._numbers.get(ticket_id) or self.t(T.SOME_TICKET)

    # --- words ---------------------------------------------------------------------------------

    def service_name(self, service: str) -> str:
        s = self._services.get(service)
        return (s.name.get(self.t.lang) or s.name["de"]) if s else service

    def status(self, status: str) -> str:
        return self.t(T.STATUSES[status]) if status in T.STATUSES else self.t(T.UNKNOWN_STATUS)

    def minutes(self, minutes: int) -> str:
        return self.t(T.MINUTES, minutes=minutes)

    # --- rows ----------------------------------------------------------------------------------

    def queue_rows(self, now: datetime) -> list[QueueRow]:
        longest: dict[str, datetime] = {}
        for t in self.tickets.tickets if self.tickets else []:
            if t.status == "waiting":
                arrived = _aware(t.arrived_at)
                longest[t.service] = min(longest.get(t.service, arrived), arrived)
        rows = []
        for s in self.site.services:
            q = self.queues.get(s.id)
            waiting = q.waiting if q else 0
            estimate = q.estimated_wait_min if q else 0
            oldest = _minutes(longest[s.id], now) if s.id in longest else None
            breached = (oldest is not None and oldest >= self.target) or (waiting > 0 and estimate >= self.target)
            rows.append(QueueRow(s.id, self.service_name(s.id), self.agency_name(s.agency), waiting, oldest,
                                 estimate, breached))
        return rows

    def agency_rows(self, now: datetime) -> list[AgencyRow]:
        """Every agency's waiting clients and longest wait (its services together), in the site file's order."""
        by_agency: dict[str, list[QueueRow]] = {}
        for q, s in zip(self.queue_rows(now), self.site.services, strict=True):
            by_agency.setdefault(s.agency, []).append(q)
        rows = []
        for a in self.site.agencies:
            queues = by_agency.get(a.id, [])
            longest = [q.longest_min for q in queues if q.longest_min is not None]
            rows.append(AgencyRow(a.id, self.agency_name(a.id), sum(q.waiting for q in queues),
                                  max(longest) if longest else None, any(q.breached for q in queues),
                                  a.id == self.agency_filter))
        return rows

    def counter_rows(self, now: datetime) -> list[CounterRow]:
        called_at = {c.counter: c.at for c in self.board.current} if self.board else {}
        rows = []
        for c in self.site.counters:
            cs = self.counters.get(c.id)
            number = (cs.number or "") if cs else ""
            since = called_at.get(c.id)
            rows.append(CounterRow(c.id, self.site.agency_of_service(c.services[0]).short_in(self.t.lang), c.label,
                                   self.site.room(c.room).number, cs.status if cs else "closed", number,
                                   _minutes(since, now) if number and since else None))
        return rows

    def device_rows(self) -> list[DeviceRow]:
        return device_rows(self.site, self.presence, self.t)

    def alerts(self, now: datetime) -> list[Alert]:
        return alerts(self, now)

    def _agency_of(self, service: str) -> str | None:
        s = self._services.get(service)
        return s.agency if s else None

    def visible_tickets(self) -> list[p.TicketRow]:
        """The open tickets the list shows: all, or those of the filtered agency."""
        rows = self.tickets.tickets if self.tickets else []
        if self.agency_filter is None:
            return list(rows)
        return [t for t in rows if self._agency_of(t.service) == self.agency_filter]

    def ticket_rows(self, now: datetime) -> list[TicketView]:
        out = []
        for t in self.visible_tickets():
            lang = LANGUAGES[t.language] if t.language in LANGUAGES else None
            language = self.t(lang.german) if lang else t.language
            needs = [x for x, on in ((self.t(T.SEE_RECEPTION), t.see_reception),
                                     (self.t(T.MISSED, count=t.missed), t.missed > 0),
                                     (self.t(T.INTERPRETER), t.interpreter), (self.t(T.STEP_FREE), t.step_free),
                                     (self.t(T.PARTY, count=t.party_size), t.party_size > 1),
                                     (self.t(T.BOOKED), t.booked),
                                     (self.t(T.STOPS_AHEAD, count=t.journey_stops), t.journey_stops > 0)) if on]
            details = " · ".join([self.service_name(t.service), *needs])
            if t.note:
                details += "\n" + self.t(T.NOTE, note=t.note)
            out.append(TicketView(ticket=t.id, number=t.number, status=self.status(t.status),
                                  priority=str(t.priority) if t.priority else "",
                                  waited=self.minutes(_minutes(_aware(t.arrived_at), now)), language=language,
                                  details=details, selected=t.id == self.selected))
        return out

    def selected_ticket(self) -> p.TicketRow | None:
        if self.tickets is None or self.selected is None:
            return None
        return next((t for t in self.tickets.tickets if t.id == self.selected), None)

    def selected_text(self) -> str:
        t = self.selected_ticket()
        if t is None:
            return self.t(T.NONE_SELECTED)
        return self.t(T.SELECTED, number=t.number, status=self.status(t.status), service=self.service_name(t.service))

    # --- filter and actions --------------------------------------------------------------------

    def set_filter(self, agency: str | None) -> None:
        """Only this agency's tickets (None: all); a selected ticket the filter hides is let go."""
        if agency is not None:
            self.site.agency(agency)   # KeyError for an agency the site does not have
        self.agency_filter = agency
        if self.selected and not any(t.id == self.selected for t in self.visible_tickets()):
            self.selected = None

    def select(self, ticket_id: str | None) -> None:
        self.selected = ticket_id

    def allowed(self, action: str) -> bool:
        """Whether an action makes sense for the selected ticket (the core decides in the end)."""
        t = self.selected_ticket()
        if t is None:
            return False
        return {"move": t.status == "waiting", "priority": True, "cancel": True,
                "return": t.status in ("no_show", "parked")}.get(action, False)

    def action_name(self, action: str) -> str:
        return self.t(T.ACTIONS[action]) if action in T.ACTIONS else action

    def command(self, action: str, *, to_service: str | None = None, priority: int | None = None,
                reason: str = "") -> dict[str, Any]:
        """The ReceptionCommand body for the selected ticket (id added by the link); ValueError saying what is
        missing or wrong, in the monitor's language."""
        t = self.selected_ticket()
        if t is None:
            raise ValueError(self.t(T.NOTHING_SELECTED))
        body: dict[str, Any] = {"action": action, "ticket": t.id, "operator": self.operator}
        if action == "move":
            if not to_service:
                raise ValueError(self.t(T.SERVICE_MISSING))
            body["to_service"] = to_service
        if action == "priority":
            if priority is None:
                raise ValueError(self.t(T.PRIORITY_MISSING))
            body["priority"] = priority
        if reason:
            body["reason"] = reason[:200]
        try:  # refuse locally what the core would refuse
            p.ReceptionCommand.model_validate({"id": "check", **body})
        except ValidationError as exc:
            what = ", ".join(str(err["loc"][-1]) for err in exc.errors() if err.get("loc"))
            raise ValueError(self.t(T.INVALID, what=what)) from None
        return body

    def reason(self, error: p.ErrorInfo | None) -> str:
        """Why the core refused, in words (from the protocol's stable code, never its English message)."""
        if error is None:
            return self.t(T.OTHER_REASON, code="?")
        if error.code in T.REASONS:
            return self.t(T.REASONS[error.code])
        return self.t(T.OTHER_REASON, code=error.code)

    def sent(self, action: str, number: str) -> None:
        self.result, self.result_ok = self.t(T.SENT, action=self.action_name(action), number=number), True

    def failed(self, action: str, message: str) -> None:
        """A local refusal (incomplete input): nothing was sent."""
        t = self.selected_ticket()
        number = t.number if t else ""
        self.result = self.t(T.REFUSED_REPLY, action=self.action_name(action), number=number, reason=message)
        self.result_ok = False

    def took(self, action: str, number: str, reply: p.CommandResult | None) -> None:
        """Record the core's answer to an action for the status line (None: no usable answer came)."""
        name = self.action_name(action)
        if reply is None:
            self.result, self.result_ok = self.t(T.NO_REPLY, action=name, number=number), False
        elif reply.ok:
            self.result, self.result_ok = self.t(T.DONE, action=name, number=number), True
        else:
            self.result = self.t(T.REFUSED_REPLY, action=name, number=number, reason=self.reason(reply.error))
            self.result_ok = False

    def agency_name(self, agency_id: str) -> str:
        """An agency's short name in the monitor's language (the German one where the site file has none)."""
        return self.site.agency(agency_id).short_in(self.t.lang)

    def service_choices(self) -> list[tuple[str, str]]:
        """Where a ticket can be moved: (service id, "<agency>: <service>")."""
        return [(s.id, f"{self.agency_name(s.agency)}: {self.service_name(s.id)}") for s in self.site.services]

    def service_id(self, name: str) -> str | None:
        return next((sid for sid, n in self.service_choices() if n == name), None)
