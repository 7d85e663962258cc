"""Reception's devices and alerts (no Kivy): each alert says what is wrong and what to do, in words."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import queue_protocol as p
from queue_rules.site import Site

from . import reception_texts as T

ERROR_ALERT_MINUTES = 15


@dataclass(frozen=True)
class DeviceRow:
    device: str
    kind: str
    name: str                 # how people call it: "Drucker drucker-eingang", "Tastenbox an Jobcenter · Jobcenter 1"
    online: bool | None       # None: never heard of
    last_seen: datetime | None
    problems: tuple[str, ...]  # msgids of what is wrong (each with a "what to do"), in the order to fix them
    detail: str               # the state in words (paper, ...)
    problem: bool
    error: str = ""           # a printer's own error text, as the kiosk reported it


@dataclass(frozen=True)
class Alert:
    text: str
    severe: bool


class _Breach(Protocol):   # a QueueRow, read only
    @property
    def name(self) -> str: ...

    @property
    def longest_min(self) -> int | None: ...

    @property
    def estimate_min(self) -> int: ...

    @property
    def breached(self) -> bool: ...


class AlertSource(Protocol):
    """What the alerts are made from (the ReceptionModel)."""

    site: Site
    t: T.Texts
    target: int
    presence: dict[str, p.DevicePresence]
    tickets: p.TicketList | None
    errors: deque[p.CommandRejected]

    def queue_rows(self, now: datetime) -> Sequence[_Breach]: ...

    def device_rows(self) -> list[DeviceRow]: ...

    def service_name(self, service: str) -> str: ...

    def reason(self, error: p.ErrorInfo | None) -> str: ...


def device_name(site: Site, device: str, kind: str, t: T.Texts) -> str:
    if kind == "button_box":
        box = next((b for b in site.button_boxes if b.id == device), None)
        if box is not None:
            counter = site.counter(box.counter)
            return t(T.BOX_AT, agency=site.agency_of_service(counter.services[0]).short, counter=counter.label)
    return site.staff_name(device) or t(T.DEVICE, kind=t(T.KINDS[kind]) if kind in T.KINDS else kind, device=device)


def device_rows(site: Site, presence: dict[str, p.DevicePresence], t: T.Texts) -> list[DeviceRow]:
    """Every device of the site file (and the core), with what is wrong with it."""
    printer_of = {k.printer: k.id for k in site.kiosks if k.printer}
    rows = []
    known = site.device_ids()
    core = [d for d, pr in presence.items() if pr.kind == "core"]
    for device in [*core, *known]:
        pr = presence.get(device)
        kind = known.get(device, pr.kind if pr else "?")
        name = device_name(site, device, kind, t)
        if kind == "printer":
            rows.append(_printer_row(device, name, presence.get(printer_of.get(device, "")), t))
            continue
        detail, problems = "", []
        online = pr.online if pr else None
        if online is False:
            problems.append(T.OFFLINE)
        if pr is not None and kind == "button_box" and pr.detail.get("port") == "missing":
            problems.append(T.NOT_PLUGGED)
        if pr is not None and kind == "kiosk" and "paper" in pr.detail:
            detail = t(T.PAPER.get(pr.detail["paper"], T.PAPER["unknown"]))
            if device not in printer_of.values():   # no printer of its own in the site file: the kiosk says it
                problems += {"out": [T.PAPER_OUT], "low": [T.PAPER_LOW]}.get(pr.detail["paper"], [])
        rows.append(DeviceRow(device, kind, name, online, pr.at if pr else None, tuple(problems), detail,
                              bool(problems) or online is not True))
    return rows


def _printer_row(printer: str, name: str, kiosk: p.DevicePresence | None, t: T.Texts) -> DeviceRow:
    """A printer's state comes in its kiosk's presence detail (paper, cover, printer_online)."""
    if kiosk is None:
        return DeviceRow(printer, "printer", name, None, None, (T.KIOSK_SILENT,), "", True)
    d = kiosk.detail
    # the kiosk reports what DLE EOT said: "yes", "no" or "unknown" (no or garbled answer: it refuses jobs)
    reported = d.get("printer_online", "unknown")
    paper = d.get("paper", "unknown")
    problems = []
    if not kiosk.online:
        problems.append(T.KIOSK_SILENT)
    elif reported == "unknown":
        problems.append(T.NO_ANSWER)
    elif reported != "yes":
        problems.append(T.PRINTER_OFFLINE)
    if d.get("cover") == "open":
        problems.append(T.COVER_OPEN)
    problems.append({"out": T.PAPER_OUT, "low": T.PAPER_LOW, "ok": ""}.get(paper, T.PAPER_UNKNOWN))
    error = d.get("printer_error", "")[:60]
    if error:
        problems.append(T.PRINTER_ERROR)
    problems = [x for x in problems if x]
    online = kiosk.online and reported == "yes"
    return DeviceRow(printer, "printer", name, online if reported != "unknown" else None, kiosk.at, tuple(problems),
                     t(T.PAPER.get(paper, T.PAPER["unknown"])), bool(problems), error)


def alerts(m: AlertSource, now: datetime) -> list[Alert]:
    """What needs doing, the most urgent kinds first; every text in the monitor's language."""
    t = m.t
    out = []
    for q in m.queue_rows(now):
        if q.breached and q.longest_min is not None and q.longest_min >= m.target:
            out.append(Alert(t(T.TARGET_MISSED, service=q.name, target=m.target, longest=q.longest_min,
                               estimate=q.estimate_min), True))
        elif q.breached:
            out.append(Alert(t(T.TARGET_FORECAST, service=q.name, target=m.target, estimate=q.estimate_min), True))
    for d in m.device_rows():
        for problem in d.problems:
            out.append(Alert(t(problem, device=d.name, error=d.error), problem != T.PAPER_LOW))
    kinds = m.site.device_ids()
    for device, pr in sorted(m.presence.items()):
        rejected = pr.detail.get("outbox_rejected", "0")
        if rejected not in ("", "0"):
            name = device_name(m.site, device, kinds.get(device, pr.kind), t)
            out.append(Alert(t(T.OFFLINE_REFUSED, device=name, count=rejected), True))
    late = [x.number for x in (m.tickets.tickets if m.tickets else []) if x.see_reception and x.status == "parked"]
    if late:   # one alert for all of them: the same thing to do
        out.append(Alert(t(T.LATE, number=", ".join(late)), True))
    for ticket in m.tickets.tickets if m.tickets else []:
        if ticket.see_reception and ticket.status == "parked":
            continue
        if ticket.missed:
            out.append(Alert(t(T.JOURNEY_MISSED, number=ticket.number, count=ticket.missed,
                               service=m.service_name(ticket.service)), False))
    for e in m.errors:
        if (now - e.at).total_seconds() <= ERROR_ALERT_MINUTES * 60:
            reason = m.reason(p.ErrorInfo(code=e.code, message=e.message))
            out.append(Alert(t(T.REFUSED, time=e.at.astimezone(m.site.tz).strftime("%H:%M"), reason=reason), False))
    return sorted(out, key=lambda a: not a.severe)  # stable: within severe and other, the order above
