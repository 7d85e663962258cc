"""A simulated kiosk that prints: the kiosk's own slip, printer and status parts, without its screens.

The simulated clients of this kiosk check in as the kiosk device (its own MQTT link, presence and Last
Will); each slip is built by the kiosk's `slip_for`, rendered and sent by the real escpos printer
(`kiosk_app.printing`) to a simulated LAN printer on a local TCP port (`TcpPrinterSimulator`, what
`arkaden ticket printer-sim` runs), which keeps every page; the demo saves each as PNG. The printer's status
(DLE EOT, polled by the print worker) goes into the kiosk's retained presence like the app's, so when the
printer runs out of paper reception sees `paper: out`, and the slip is "shown on screen" instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import queue_protocol as p
from device_link.link import BadReply, Link, Out
from kiosk_app.backend import JourneyStop, Ticket
from kiosk_app.printing.factory import open_printer
from kiosk_app.printing.port import PrinterStatus, PrintOutcome, TicketPrinter
from kiosk_app.printing.simulator import TcpPrinterSimulator
from kiosk_app.slips import slip_for
from kiosk_app.status import DeviceStatus
from queue_rules.site import Site

VERSION = "demo"


def kiosk_ticket(t: p.IssuedTicket, print_id: str) -> Ticket:
    """The kiosk's ticket from the core's answer (what its core backend makes of it)."""
    stops = tuple(JourneyStop(s.service, s.agency, s.slot, s.minutes, s.status, tuple(s.rooms), s.floor,
                              s.queued_from) for s in t.stops)
    return Ticket(t.number, t.token, t.service, t.agency, tuple(t.rooms), t.floor, t.waiting_ahead,
                  t.estimated_wait_min, t.issued_at, print_id=print_id, stops=stops, queued_from=t.queued_from,
                  see_reception=t.see_reception)


class PrintingKiosk:
    """One simulated kiosk with its printer on a simulated LAN printer; slips as PNG into ``slips``."""

    def __init__(self, site: Site, kiosk_id: str, host: str, port: int, slips: Path, out: Out,
                 clock: Callable[[], datetime]):
        self.site, self.id, self.slips, self.out = site, kiosk_id, slips, out
        kiosk = next(k for k in site.kiosks if k.id == kiosk_id)
        printer = next((pr for pr in site.printers if pr.id == kiosk.printer), None)
        self.width = printer.width_dots if printer else 576
        self.printer_sim = TcpPrinterSimulator()
        self.link = Link(site, host, port, lambda _line: None, device_id=kiosk_id, kind="kiosk", version=VERSION,
                         clock=clock)  # its presence is stamped with the demo's clock, like the apps'
        self.status = DeviceStatus(publish=self.link.set_presence_detail)
        self.printer: TicketPrinter | None = None
        self.printed = 0
        self.on_screen = 0
        self._paper = "unknown"
        self._lock = threading.Lock()

    def start(self) -> None:
        self.printer_sim.start()
        self.printer = open_printer(self.printer_sim.url, self.width)
        self.link.start()
        self.printer.start(on_status=self._on_status)

    def stop(self) -> None:
        if self.printer is not None:
            self.printer.stop()
        self.link.stop()
        self.printer_sim.stop()

    @property
    def printer_url(self) -> str:
        return self.printer_sim.url

    # --- the printer's paper (the demo's fault) ---

    def paper(self, state: str) -> None:
        """The printer runs out of paper (``out``) or is refilled (``ok``)."""
        self.printer_sim.printer.set(paper=state)

    def _on_status(self, status: PrinterStatus) -> None:
        self.status.printer(status)  # the kiosk's retained presence, as the app does it
        if status.paper != self._paper:
            was, self._paper = self._paper, status.paper
            if was != "unknown" or status.paper != "ok":
                self.out(f"printer of {self.id}: paper {status.paper} (in the kiosk's presence for reception)")

    # --- check-ins ---

    def check_in(self, checkin: p.CheckIn) -> p.CheckInReply | None:
        """Check in as this kiosk; print the slip of a ticket. The reply, or None when none came."""
        try:
            reply = self.link.request(self.link.topics.checkin(self.id), checkin, p.CheckInReply)
        except BadReply as exc:
            self.out(f"! {exc}")
            return None
        if reply is not None and reply.ok and reply.ticket is not None and self.printer is not None:
            ticket = kiosk_ticket(reply.ticket, checkin.id)
            slip = slip_for(self.site, ticket, lang=checkin.language, concern_id=checkin.concern)
            self.printer.submit(slip, lambda outcome: self._printed(outcome, ticket))
        return reply

    def _printed(self, outcome: PrintOutcome, ticket: Ticket) -> None:
        local = ticket.issued_at.astimezone(self.site.tz)
        if not outcome.printed:
            with self._lock:
                self.on_screen += 1
            self.out(f"{ticket.number}: no slip ({outcome.reason or 'printer not ready'}); the kiosk shows the "
                     "ticket and its QR code on screen instead")
            return
        device = self.printer_sim.printer
        saved = []
        with self._lock:
            while device.pages:  # taken out as saved: a long demo does not keep every slip in memory
                self.printed += 1
                path = self.slips / f"slip-{self.printed:04d}-{local:%H%M}-{ticket.number}.png"
                device.pages.pop(0).save(path)
                saved.append(path.name)
            device.received.clear()  # the raw bytes too (kept by the simulator for tests)
        if saved:
            self.out(f"{ticket.number}: slip printed by {self.id} → {', '.join(saved)}")


def morning_faults(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """When the printer runs out of paper (40 % into the morning) and when it is refilled (15 % later: at the
    default morning, 07:55 to 12:30, out at 09:45 and refilled at 10:26)."""
    out_at = start + (end - start) * 0.4
    refill = min(out_at + (end - start) * 0.15, end)
    return out_at, refill
