"""The reception monitor's view model (no Kivy): queues, counters, devices, alerts, tickets and the actions."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

import queue_protocol as p
from host_support.sim_clock import real_now
from queue_rules.site import Site
from ui_common.languages import LANGUAGES

log = logging.getLogger("arkaden.reception")

MAX_ERRORS = 5          # refused commands kept as alerts
ERROR_ALERT_MINUTES = 15
MAX_LOG = 30            # recent actions kept for the log panel
STATUS_DE = {"waiting": "wartet", "called": "aufgerufen", "serving": "im Gespräch", "parked": "geparkt",
             "no_show": "nicht erschienen", "open": "offen", "paused": "Pause", "closed": "geschlossen"}
PAPER_DE = {"ok": "Papier ok", "low": "Papier geht zur Neige", "out": "Papier leer", "unknown": "Papier unbekannt"}


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
class CounterRow:
    counter: str
    label: str
    room: str
    status: str
    number: str
    serving_min: int | None


@dataclass(frozen=True)
class DeviceRow:
    device: str
    kind: str
    online: bool | None       # None: never heard of
    last_seen: datetime | None
    detail: str
    problem: bool


@dataclass(frozen=True)
class Alert:
    text: str
    severe: bool


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


class ReceptionModel:
    """What reception sees, fed from public, private and presence topics; `now()` is the injected ``clock``
    (UTC: the real one, or the demo's simulated one), which the rows' minutes are counted against."""

    def __init__(self, site: Site, desk: str, operator: str, *, clock: Callable[[], datetime] = real_now):
        self.site, self.desk, self.operator = site, desk, operator
        self.clock = clock
        self.target = site.policy.wait_target_minutes
        self.queues: dict[str, p.QueueState] = {}
        self.counters: dict[str, p.CounterState] = {}
        self.board: p.BoardState | None = None
        self.tickets: p.TicketList | None = None
        self.presence: dict[str, p.DevicePresence] = {}
        self.errors: deque[p.CommandRejected] = deque(maxlen=MAX_ERRORS)
        self.actions: deque[str] = deque(maxlen=MAX_LOG)
        self.selected: str | None = None   # ticket id
        self.result = ""                   # what the last action came back with
        self.result_ok = True
        self.connected = False
        self._models: dict[str, type[BaseModel]] = {
            "queue": p.QueueState, "counter_state": p.CounterState, "board": p.BoardState,
            "tickets": p.TicketList, "presence": p.DevicePresence, "error": p.CommandRejected, "event": p.AuditEvent,
        }

    def now(self) -> datetime:
        """The time waits are counted to (the clock given, UTC)."""
        return self.clock()

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
        if not e.actor.startswith("reception:"):
            return
        who = e.actor.split(":", 2)[-1]
        number = self._number(str(e.data.get("ticket", "")))
        local = e.at.astimezone(self.site.tz).strftime("%H:%M")
        self.actions.appendleft(f"{local}  {who}: {e.type} {number}")

    def _number(self, ticket_id: str) -> str:
        if self.tickets is not None:
            for t in self.tickets.tickets:
                if t.id == ticket_id:
                    return t.number
        return ticket_id[:8]

    # --- rows ----------------------------------------------------------------------------------

    def queue_rows(self, now: datetime) -> list[QueueRow]:
        longest: dict[str, datetime] = {}
        for t in self.tickets.tickets if self.tickets else []:
            if t.status == "waiting":
                arrived = t.arrived_at if t.arrived_at.tzinfo else t.arrived_at.replace(tzinfo=UTC)
                longest[t.service] = min(longest.get(t.service, arrived), arrived)
        rows = []
        for s in self.site.services:
            q = self.queues.get(s.id)
            waiting = q.waiting if q else 0
            estimate = q.estimated_wait_min if q else 0
            oldest = _minutes(longest[s.id], now) if s.id in longest else None
            breached = (oldest is not None and oldest >= self.target) or (waiting > 0 and estimate >= self.target)
            rows.append(QueueRow(s.id, s.name["de"], self.site.agency(s.agency).short, waiting, oldest, estimate,
                                 breached))
        return rows

    def counter_rows(self, now: datetime) -> list[CounterRow]:
        called_at = {c.counter: c.at for c in self.board.current} if self.board else {}
        rows = []
        for c in self.site.counters:
            cs = self.counters.get(c.id)
            number = (cs.number or "") if cs else ""
            since = called_at.get(c.id)
            rows.append(CounterRow(c.id, c.label, self.site.room(c.room).number, cs.status if cs else "closed",
                                   number, _minutes(since, now) if number and since else None))
        return rows

    def device_rows(self) -> list[DeviceRow]:
        printer_of = {k.printer: k.id for k in self.site.kiosks if k.printer}
        rows = []
        known = self.site.device_ids()
        core = [d for d, pr in self.presence.items() if pr.kind == "core"]
        for device in [*core, *known]:
            pr = self.presence.get(device)
            kind = known.get(device, pr.kind if pr else "?")
            if kind == "printer":
                rows.append(self._printer_row(device, self.presence.get(printer_of.get(device, ""))))
                continue
            detail, problem = "", False
            if pr is not None and kind == "button_box" and pr.detail.get("port") == "missing":
                detail, problem = "Gerät nicht eingesteckt", True
            if pr is not None and kind == "kiosk" and "paper" in pr.detail:
                paper = pr.detail["paper"]
                detail, problem = PAPER_DE.get(paper, paper), paper in ("low", "out")
            online = pr.online if pr else None
            rows.append(DeviceRow(device, kind, online, pr.at if pr else None, detail, problem or online is not True))
        return rows

    def _printer_row(self, printer: str, kiosk: p.DevicePresence | None) -> DeviceRow:
        """A printer's state comes in its kiosk's presence detail (paper, cover, printer_online)."""
        if kiosk is None:
            return DeviceRow(printer, "printer", None, None, "Kiosk meldet sich nicht", True)
        d = kiosk.detail
        # the kiosk reports what DLE EOT said: "yes", "no" or "unknown" (no or garbled answer: it refuses jobs)
        reported = d.get("printer_online", "unknown")
        online = kiosk.online and reported == "yes"
        paper = d.get("paper", "unknown")
        parts = [PAPER_DE.get(paper, paper)]
        if reported == "unknown":
            parts.append("antwortet nicht")
        elif reported != "yes":
            parts.append("offline")
        if d.get("cover") == "open":
            parts.append("Deckel offen")
        if d.get("printer_error"):
            parts.append(d["printer_error"][:60])
        problem = not online or paper in ("low", "out", "unknown") or d.get("cover") != "closed"
        return DeviceRow(printer, "printer", online if reported != "unknown" else None, kiosk.at,
                         ", ".join(parts), problem)

    def alerts(self, now: datetime) -> list[Alert]:
        out = []
        for q in self.queue_rows(now):
            if q.breached:
                longest = f"{q.longest_min} min" if q.longest_min is not None else "-"
                out.append(Alert(f"{q.name}: Wartezeitziel {self.target} min überschritten (längste {longest}, "
                                 f"geschätzt {q.estimate_min} min)", True))
        for d in self.device_rows():
            if d.online is False:
                out.append(Alert(f"{d.device} ({d.kind}) offline", True))
            elif d.problem and d.detail:
                out.append(Alert(f"{d.device}: {d.detail}", True))
        for device, pr in sorted(self.presence.items()):
            rejected = pr.detail.get("outbox_rejected", "0")
            if rejected not in ("", "0"):
                out.append(Alert(f"{device}: {rejected} Offline-Ticket(s) vom Kern abgelehnt", True))
        for t in self.tickets.tickets if self.tickets else []:
            if t.see_reception and t.status == "parked":
                out.append(Alert(f"{t.number}: zu spät zum Termin, an den Empfang geschickt "
                                 "(zurück in die Warteschlange mit „Zurückholen“)", True))
            elif t.missed:
                out.append(Alert(f"{t.number}: {t.missed} Termin(e) der Reise verpasst, weiter bei "
                                 f"{self._service_name(t.service)}", False))
        for e in self.errors:
            if _minutes(e.at, now) <= ERROR_ALERT_MINUTES:
                out.append(Alert(f"abgelehnt: {e.message}", False))
        return out

    def ticket_rows(self, now: datetime) -> list[dict[str, Any]]:
        rows = []
        for t in self.tickets.tickets if self.tickets else []:
            arrived = t.arrived_at if t.arrived_at.tzinfo else t.arrived_at.replace(tzinfo=UTC)
            lang = LANGUAGES[t.language].german if t.language in LANGUAGES else t.language
            needs = [x for x, on in (("zum Empfang (verspätet)", t.see_reception),
                                     (f"{t.missed} Termin(e) verpasst", t.missed > 0),
                                     ("Dolmetsch", t.interpreter), ("stufenlos", t.step_free),
                                     (f"{t.party_size} Pers.", t.party_size > 1), ("Termin", t.booked),
                                     (f"noch {t.journey_stops} Station(en)", t.journey_stops > 0)) if on]
            rows.append({"ticket": t.id, "number": t.number, "service": self.site.service(t.service).name["de"]
                         if t.service in {s.id for s in self.site.services} else t.service,
                         "status": STATUS_DE.get(t.status, t.status), "priority": str(t.priority) if t.priority else "",
                         "waited": f"{_minutes(arrived, now)} min", "language": lang, "needs": ", ".join(needs),
                         "note": t.note, "selected": t.id == self.selected})
        return rows

    def _service_name(self, service: str) -> str:
        known = {x.id: x for x in self.site.services}
        return known[service].name["de"] if service in known else service

    def selected_ticket(self) -> p.TicketRow | None:
        if self.tickets is None or self.selected is None:
            return None
        return next((t for t in self.tickets.tickets if t.id == self.selected), None)

    # --- actions -------------------------------------------------------------------------------

    def select(self, ticket_id: str | None) -> None:
        self.selected = ticket_id

    def allowed(self, action: str) -> bool:
        """Whether an action makes sense for the selected ticket (the core decides in the end)."""
        t = self.selected_ticket()
        if t is None:
            return False
        return {"move": t.status == "waiting", "priority": True, "cancel": True,
                "return": t.status in ("no_show", "parked")}.get(action, False)

    def command(self, action: str, *, to_service: str | None = None, priority: int | None = None,
                reason: str = "") -> dict[str, Any]:
        """The ReceptionCommand body for the selected ticket (id added by the link); ValueError when incomplete."""
        t = self.selected_ticket()
        if t is None:
            raise ValueError("kein Ticket ausgewählt")
        body: dict[str, Any] = {"action": action, "ticket": t.id, "operator": self.operator}
        if action == "move":
            if not to_service:
                raise ValueError("Zieldienst fehlt")
            body["to_service"] = to_service
        if action == "priority":
            if priority is None:
                raise ValueError("Priorität fehlt")
            body["priority"] = priority
        if reason:
            body["reason"] = reason[:200]
        p.ReceptionCommand.model_validate({"id": "check", **body})  # refuse locally what the core would refuse
        return body

    def took(self, action: str, number: str, reply: p.CommandResult | None) -> None:
        """Record the core's answer to an action for the status line (None: no usable answer came)."""
        if reply is None:
            self.result, self.result_ok = f"{action} {number}: keine Antwort der Zentrale (Verbindung?)", False
        elif reply.ok:
            self.result, self.result_ok = f"{action} {number}: erledigt", True
        else:
            why = reply.error.message if reply.error else "?"
            self.result, self.result_ok = f"{action} {number}: abgelehnt – {why}", False

    def service_choices(self) -> list[tuple[str, str]]:
        return [(s.id, s.name["de"]) for s in self.site.services]

    def service_id(self, name: str) -> str | None:
        return next((sid for sid, n in self.service_choices() if n == name), None)
