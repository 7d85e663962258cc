"""`arkaden kiosk --tour DIR`: every screen in every language as PNG, for translation review (no broker needed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from serial_devices.scanner import FakeScannerSource

from .backend import Appointment, FakeBackend, TicketInfo
from .printing.fake import FakeTicketPrinter
from .printing.port import PrinterStatus
from .status import DeviceStatus

TOUR_TOKEN = "tour-token-0001"


def tour_clock(site: Any) -> datetime:
    """A Tuesday 10:00 at the site: most agencies open, a few closed, so both kinds of tile show."""
    return datetime(2026, 11, 24, 10, 0, tzinfo=site.tz)


def run_tour(settings: Any, out: Path) -> int:
    from ui_common import drive

    from .app import KioskApp
    from .parts import KioskParts

    site = settings.site
    now = tour_clock(site)
    walk_in = next((c for c in site.concerns if c.walk_in), site.concerns[0])
    service = walk_in.service
    backend = FakeBackend(site, bookings={"AB12CD": [
        Appointment(service, now - timedelta(minutes=60), True), Appointment(service, now + timedelta(minutes=20),
                                                                            False)]},
        tickets={TOUR_TOKEN: TicketInfo("J-004", service, "waiting", ("2.05",), 2, 3, 12)})
    printer = FakeTicketPrinter()
    parts = KioskParts(site=site, kiosk_id=settings.kiosk.id, backend=backend, printer=printer,
                       scanner=FakeScannerSource(), status=DeviceStatus(), portrait=settings.window.height >
                       settings.window.width, clock=lambda: now)
    app = KioskApp(parts)
    shots: list[Path] = []

    async def shot(lang: str, name: str) -> None:
        index = sum(1 for s in shots if s.parent.name == lang)
        shots.append(await drive.screenshot(out / lang / f"{index:02d}-{name}.png"))

    async def at(step: str) -> None:
        await drive.wait_until(lambda: app.flow is not None and app.flow.step == step, timeout=10,
                               what=f"the {step} screen")
        await drive.frames(2)

    async def script(app: Any) -> None:
        flow = app.flow
        await shot("all", "welcome")
        for lang in site.site.languages:
            flow.reset()
            flow.choose_language(lang)
            await shot(lang, "start")
            flow.booked()
            for ch in "AB12CD":
                flow.press_key(ch)
            await shot(lang, "keypad")
            flow.submit_code()
            await at("appointments")
            await shot(lang, "appointments")
            flow.walk_in()
            await shot(lang, "concerns")
            closed = next((t for t in flow.tiles() if t.availability == "closed"), None)
            if closed is not None:
                flow.choose_concern(closed.concern)
                await shot(lang, "closed")
            only = next((t for t in flow.tiles() if t.availability == "appointment_only"), None)
            if only is not None:
                flow.choose_concern(only.concern)
                await shot(lang, "appointment-only")
            flow.walk_in()
            flow.choose_concern(walk_in.id)
            flow.set_party(3)
            flow.set_interpreter(True)
            await shot(lang, "details")
            flow.to_confirm()
            await shot(lang, "confirm")
            flow.confirm()
            await at("done")
            await shot(lang, "done")
            printer.set_status(PrinterStatus(paper="out", cover="closed", online="yes"))
            flow.reset()
            flow.choose_language(lang)
            flow.walk_in()
            flow.choose_concern(walk_in.id)
            flow.confirm()
            await at("on_screen")
            await shot(lang, "printer-fault")
            printer.set_status(PrinterStatus(paper="ok", cover="closed", online="yes"))
            flow.reset()
            flow.choose_language(lang)
            flow.scan("ARKADEN-T:" + TOUR_TOKEN)
            await at("ticket_status")
            await shot(lang, "scanned-slip")
            flow.step = "working"
            app._changed()
            await shot(lang, "working")

    drive.run_driven(app, script)
    return len(shots)
