"""`arkaden kiosk --tour DIR`: every screen in every language as PNG, for translation review (no broker needed).

Besides the walk-in and the scanned slip, each language checks in a journey (three stops today, one tomorrow:
keypad, appointments, ticket and the printed slip), shows the longest journey (five stops today, one tomorrow),
checks in a client too late for the slot (sent to reception, with the slip) and types a mistyped code. The walk-in
shows a closed office and an appointment-only concern (with what to do instead), the details with answers chosen
(and "call me in my language" where it is offered), and the start screen's scanner hint (as if the kiosk had a
scanner, so that its words are reviewed too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from queue_rules import codes
from queue_rules.site import Site
from serial_devices.scanner import FakeScannerSource
from ui_common.speech import FakePlayer

from .backend import Appointment, FakeBackend, JourneyStop, TicketInfo, agency_of, rooms_of_service
from .printing.fake import FakeTicketPrinter
from .printing.port import PrinterStatus
from .status import DeviceStatus

TOUR_TOKEN = "tour-token-0001"
JOURNEY_CODE = "KMNP47" + codes.check_character("KMNP47")
LATE_CODE = "TWXY36" + codes.check_character("TWXY36")
LONG_CODE = "CDEF79" + codes.check_character("CDEF79")
# the journey's stops: services that are open on the tour's Tuesday morning (and the Wednesday after)
JOURNEY = (("aufenthaltstitel", 10, 30, 0), ("jobcenter", 11, 15, 0), ("anerkennung", 12, 0, 0),
           ("gesundheit", 9, 30, 1))
# five stops today and one tomorrow: the longest list the appointments screen has to fit
LONG = (("aufenthaltstitel", 10, 30, 0), ("jobcenter", 11, 0, 0), ("anerkennung", 11, 30, 0),
        ("bank-versicherung", 12, 0, 0), ("gesundheit", 12, 30, 0), ("seiteneinstieg", 9, 30, 1))


def tour_clock(site: Any) -> datetime:
    """A Tuesday 10:00 at the site: most agencies open, a few closed, so both kinds of tile show."""
    return datetime(2026, 11, 24, 10, 0, tzinfo=site.tz)


def _known(site: Site, services: tuple[str, ...]) -> list[str]:
    """The site's services among these, else its first few (a site file of another centre)."""
    ids = [s.id for s in site.services]
    found = [s for s in services if s in ids]
    return found if len(found) == len(services) else (ids * 4)[:len(services)]


def journey_bookings(site: Site, now: datetime) -> dict[str, list[Appointment]]:
    """A journey of three stops today and one tomorrow, and a client who comes 30 minutes late."""
    services = _known(site, tuple(j[0] for j in JOURNEY))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)

    def at(service: str, h: int, m: int, days: int) -> Appointment:
        return Appointment(service, day + timedelta(days=days, hours=h, minutes=m), False, minutes=30,
                           today=days == 0, agency=agency_of(site, service))

    journey = [at(s, h, m, d) for s, (_, h, m, d) in zip(services, JOURNEY, strict=True)]
    late = [at(services[0], now.hour - 1, 30, 0), at(services[1], JOURNEY[1][1], JOURNEY[1][2], 0)]
    long = [at(s, h, m, d) for s, (_, h, m, d) in zip(_known(site, tuple(j[0] for j in LONG)), LONG, strict=True)]
    return {JOURNEY_CODE: journey, LATE_CODE: late, LONG_CODE: long}


def scanned_journey(site: Site, now: datetime) -> TicketInfo:
    """A scanned slip of a journey, waiting for its slot at the second stop; the third one and tomorrow's follow."""
    services = _known(site, tuple(j[0] for j in JOURNEY))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stops = []
    for i, (service, (_, h, m, d)) in enumerate(zip(services, JOURNEY, strict=True)):
        rooms, floor = rooms_of_service(site, service)
        slot = day + timedelta(days=d, hours=h, minutes=m)
        status = ("done", "waiting", "planned", "planned")[i]
        queued = slot - timedelta(minutes=site.early_minutes(service)) if d == 0 else None
        stops.append(JourneyStop(service, agency_of(site, service), slot, 30, status, rooms, floor, queued))
    current = stops[1]
    agency = site.agency(current.agency)
    return TicketInfo(f"{agency.prefix}-004", current.service, "waiting", current.rooms, current.floor, 3, 12,
                      agency=current.agency, queued_from=current.queued_from, stops=tuple(stops))


def run_tour(settings: Any, out: Path) -> int:
    from ui_common import drive

    from .app import KioskApp
    from .parts import KioskParts
    from .printing.slip import render_slip

    site = settings.site
    now = tour_clock(site)
    walk_in = next((c for c in site.concerns if c.walk_in), site.concerns[0])
    backend = FakeBackend(site, bookings=journey_bookings(site, now), tickets={TOUR_TOKEN: scanned_journey(site, now)},
                          clock=lambda: now, reception_when_late=True)
    printer = FakeTicketPrinter()
    parts = KioskParts(site=site, kiosk_id=settings.kiosk.id, backend=backend, printer=printer,
                       scanner=FakeScannerSource(), status=DeviceStatus(), portrait=settings.window.height >
                       settings.window.width, clock=lambda: now, player=FakePlayer(),
                       scanner_at=settings.kiosk.scanner_at, slip_out=settings.kiosk.slip_out)
    app = KioskApp(parts)
    width = settings.printer_width if settings.printer_width in (384, 576) else 576
    shots: list[Path] = []

    def name(lang: str, what: str) -> Path:
        index = sum(1 for s in shots if s.parent.name == lang)
        return out / lang / f"{index:02d}-{what}.png"

    async def shot(lang: str, what: str) -> None:
        shots.append(await drive.screenshot(name(lang, what)))

    def slip_png(lang: str, what: str) -> None:
        path = name(lang, what)
        path.parent.mkdir(parents=True, exist_ok=True)
        render_slip(printer.printed[-1], width).save(path)
        shots.append(path)

    async def at(step: str) -> None:
        await drive.wait_until(lambda: app.flow is not None and app.flow.step == step, timeout=10,
                               what=f"the {step} screen")
        await drive.frames(2)

    async def appointments_fitted() -> None:
        await at("appointments")
        screen = app.screens.get_screen("appointments")
        await drive.wait_until(lambda: screen.fitted, timeout=10, what="the appointments to fit")
        await drive.frames(2)

    async def printed(step: str, count: int) -> None:
        await at(step)
        await drive.wait_until(lambda: len(printer.printed) >= count, timeout=10, what="the slip")
        await ticket_fitted()

    async def ticket_fitted() -> None:
        screen = app.screens.get_screen("ticket")
        await drive.wait_until(lambda: screen.fitted, timeout=10, what="the ticket to fit")
        await drive.frames(2)

    async def type_code(flow: Any, lang: str, code: str) -> None:
        """From a fresh start: the language, "I have an appointment", the code typed, submitted."""
        flow.reset()
        flow.choose_language(lang)
        flow.booked()
        for ch in code:
            flow.press_key(ch)
        flow.submit_code()

    async def check_in_and_shoot(flow: Any, lang: str, screen_name: str, slip_name: str) -> None:
        """Check in on the appointments screen; the ticket screen and the printed slip as PNGs."""
        count = len(printer.printed) + 1
        flow.check_in_booked()
        await printed("done", count)
        await drive.frames(2)
        await shot(lang, screen_name)
        slip_png(lang, slip_name)

    async def script(app: Any) -> None:
        flow = app.flow
        await shot("all", "welcome")
        for lang in site.site.languages:
            backend.bookings.update(journey_bookings(site, now))   # checking in used them up
            flow.reset()
            flow.choose_language(lang)
            await shot(lang, "start")
            flow.booked()
            for ch in JOURNEY_CODE:
                flow.press_key(ch)
            await shot(lang, "keypad")
            flow.submit_code()
            await appointments_fitted()
            await shot(lang, "appointments")
            await check_in_and_shoot(flow, lang, "journey-done", "journey-slip")
            await type_code(flow, lang, LONG_CODE)
            await appointments_fitted()
            await shot(lang, "appointments-long")
            await type_code(flow, lang, LATE_CODE)
            await appointments_fitted()
            await check_in_and_shoot(flow, lang, "late-reception", "late-slip")
            await type_code(flow, lang, JOURNEY_CODE[:-1] + next(c for c in codes.ALPHABET if c != JOURNEY_CODE[-1]))
            await at("message")
            await shot(lang, "mistyped")
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
            flow.set_announce(True)   # offered in every language but German
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
            await ticket_fitted()
            await shot(lang, "scanned-slip")
            flow.step = "working"
            app._changed()
            await shot(lang, "working")

    drive.run_driven(app, script)
    return len(shots)
