"""The ticket-printer port: the slip's content, the printer's status, and the interface the kiosk prints through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

Paper = Literal["ok", "low", "out", "unknown"]
Cover = Literal["closed", "open", "unknown"]
Online = Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class SlipStop:
    """One stop of a journey on the slip: when, which agency, what for, where (client's language and German)."""

    time: str                      # the slot, "10:30"; "" for a walk-in stop
    agency: str                    # the agency's short name
    what: str                      # the service in the client's language
    what_de: str
    rooms: tuple[str, ...]
    floor: int
    directions: str = ""
    directions_de: str = ""
    current: bool = False          # the number is queued (or served) here now
    called_from: str = ""          # "11:15": the same number is called here from then on
    day: date | None = None        # a later day's stop: its date
    tomorrow: bool = False         # ... which is tomorrow


@dataclass(frozen=True)
class Slip:
    """Everything printed on one ticket slip. No name and no booking code, by construction.

    A journey's slip also lists today's stops (``stops``, the current one marked), later days' stops and the
    documents to bring; a walk-in's slip has none of them.
    """

    ticket_id: str                 # the print job's id: a retried job with the same id never prints twice
    number: str                    # e.g. "J-017"
    token: str                     # opaque ticket token, carried by the QR code
    lang: str                      # the client's language (also the interpreter language)
    concern: str                   # the concern in the client's language
    concern_de: str                # ... and in German, for the counsellor
    rooms: tuple[str, ...]         # room numbers of the counters that serve the service
    floor: int
    issued_at: datetime            # local time of issue: the core's answer, or the kiosk's (simulated) clock offline
    directions: str = ""           # the way to the room, client's language
    directions_de: str = ""
    estimated_wait_min: int = 0
    waiting_ahead: int = 0
    offline: bool = False          # issued by the kiosk while the core was unreachable
    stops: tuple[SlipStop, ...] = ()          # today's stops still ahead, in order (the current one first)
    later_stops: tuple[SlipStop, ...] = ()    # later days' stops: check in again that morning
    documents: tuple[tuple[str, str], ...] = ()   # what to bring: (client's language, German)
    called_from: str = ""          # "10:45": a booked client is called from then on (instead of the wait)
    see_reception: bool = False    # late for the slot: go to reception first
    link_base: str = ""            # the site's phone page ("https://host"): the QR code links to it, else ARKADEN-T:
    reception_room: str = ""       # the reception's room number, "" when unknown

    @property
    def journey(self) -> bool:
        """More than one stop: the slip lists them instead of one "what for, where"."""
        return len(self.stops) > 1 or bool(self.later_stops)


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said to DLE EOT. A missing or invalid answer is "unknown", never "ok"."""

    paper: Paper = "unknown"
    cover: Cover = "unknown"
    online: Online = "unknown"
    error: str = ""                # the last transport error, in words ("" when none)

    @property
    def can_print(self) -> bool:
        """Known good: online, cover closed, paper not out."""
        return self.online == "yes" and self.cover == "closed" and self.paper in ("ok", "low")

    def as_detail(self) -> dict[str, str]:
        """The presence detail a kiosk publishes for reception."""
        detail: dict[str, str] = {"paper": self.paper, "cover": self.cover, "printer_online": self.online}
        if self.error:
            detail["printer_error"] = self.error[:120]
        return detail


@dataclass(frozen=True)
class PrintOutcome:
    ticket_id: str
    printed: bool
    status: PrinterStatus
    reason: str = ""               # why not printed, in words (for logs and reception)


OnDone = Callable[[PrintOutcome], None]
OnStatus = Callable[[PrinterStatus], None]


class TicketPrinter(Protocol):
    """Prints slips on its own worker thread; never blocks the caller (the UI thread or an MQTT callback)."""

    def start(self, on_status: OnStatus | None = None) -> None:
        """Open the printer and begin polling its status; ``on_status`` gets every change (worker thread)."""

    def submit(self, slip: Slip, on_done: OnDone) -> None:
        """Queue a slip; ``on_done`` is called once, from the worker thread, when it printed or could not."""

    def status(self) -> PrinterStatus:
        """The last known status."""

    def stop(self) -> None:
        """Finish or drop queued jobs and close the printer."""
