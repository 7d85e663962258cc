"""The kiosk's view model without a window: walk-in, booked, scanned slips, explanations, resets, printer faults."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from host_support.site_file import load_site
from kiosk_app import texts as T
from kiosk_app.backend import Appointment, FakeBackend, TicketInfo
from kiosk_app.flow import KioskFlow
from kiosk_app.printing.fake import FakeTicketPrinter
from kiosk_app.printing.port import PrinterStatus

from .engine_helpers import MINI

KIA = "sites/kia-aachen-arkaden.toml"
BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
SUNDAY_10 = datetime(2026, 11, 22, 10, 0, tzinfo=BERLIN)


class Sync:
    """Runs "background" work at once and collects the printer's callbacks until drained."""

    def __init__(self) -> None:
        self.posted: list = []
        self.cv = threading.Condition()

    def run(self, fn, then) -> None:  # type: ignore[no-untyped-def]
        then(fn())

    def post(self, fn, *args) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.posted.append((fn, args))
            self.cv.notify_all()

    def drain(self, timeout: float = 5) -> None:
        with self.cv:
            assert self.cv.wait_for(lambda: self.posted, timeout), "the printer never answered"
            calls, self.posted[:] = list(self.posted), []
        for fn, args in calls:
            fn(*args)


def make(site_path=KIA, now=TUESDAY_10, **backend_kw):  # type: ignore[no-untyped-def]
    site = load_site(site_path)
    sync = Sync()
    printer = FakeTicketPrinter()
    backend = FakeBackend(site, **backend_kw)
    flow = KioskFlow(site, backend, printer, run=sync.run, post=sync.post, clock=lambda: now)
    return flow, backend, printer, sync


def test_kiosk_walk_in_issues_prints_and_resets() -> None:
    flow, backend, printer, sync = make()
    flow.choose_language("ar")
    flow.walk_in()
    assert flow.step == "concerns"
    flow.choose_concern("jobcenter")
    flow.set_party(9)
    flow.set_interpreter(True)
    flow.to_confirm()
    flow.confirm()
    assert flow.step == "working"
    sync.drain()
    assert flow.step == "done"
    req = backend.requests[0]
    assert (req.concern, req.lang, req.party_size, req.interpreter, req.step_free) == \
        ("jobcenter", "ar", 6, True, False)
    slip = printer.printed[0]
    assert slip.number == "J-001" and slip.rooms == ("2.05",) and slip.concern == "الجوب سنتر"
    assert slip.concern_de == "Jobcenter" and slip.directions == "الطابق الثاني، على يمين المصعد"
    assert flow.timeout_s() == flow.timeouts.done_s
    flow.reset()
    assert (flow.step, flow.lang, flow.concern, flow.ticket, flow.party) == ("welcome", "de", None, None, 1)


def test_kiosk_appointment_only_and_closed_are_explained_not_offered() -> None:
    flow, backend, _, _ = make(now=SUNDAY_10)
    flow.choose_language("de")
    tiles = {t.concern: t.availability for t in flow.tiles()}
    assert tiles["aufenthaltstitel-termin"] == "appointment_only" and tiles["jobcenter"] == "closed"
    flow.choose_concern("aufenthaltstitel-termin")
    assert flow.step == "message" and flow.message.offer_code
    assert flow.message.lines == (T.APPOINTMENT_ONLY_EXPLAINED,)
    flow.back()
    assert flow.step == "concerns"
    flow.choose_concern("jobcenter")
    assert flow.message.hours_agency == "jobcenter" and flow.message.lines == (T.CLOSED_EXPLAINED,)
    assert backend.requests == []


def test_kiosk_booked_code_lookup_and_check_in() -> None:
    slot = TUESDAY_10.replace(hour=10, minute=30)
    flow, backend, printer, sync = make(bookings={"AB12CD": [Appointment("jobcenter", slot, False)]})
    flow.choose_language("de")
    flow.booked()
    for ch in "AB1":
        flow.press_key(ch)
    flow.submit_code()
    assert flow.step == "message" and flow.message.lines == (T.CODE_TOO_SHORT,)
    flow.back()
    for ch in "2CDX":
        flow.press_key(ch)
    flow.delete_key()
    assert flow.code == "AB12CD"
    flow.submit_code()
    assert flow.step == "appointments" and len(flow.appointments) == 1
    flow.check_in_booked()
    sync.drain()
    assert flow.step == "done" and printer.printed[0].concern_de == "Jobcenter"
    assert backend.requests[0].booking_code == "AB12CD"


def test_kiosk_scans_invitation_slip_and_garbage() -> None:
    info = TicketInfo("J-004", "jobcenter", "waiting", ("2.05",), 2, 3, 12)
    flow, backend, _, _ = make(tickets={"tok-abcdefgh": info})
    flow.scan("ARKADEN-T:tok-abcdefgh")
    assert flow.step == "ticket_status" and flow.ticket_status == info
    assert backend.requests == []   # a scanned slip never issues a second ticket
    flow.reset()
    flow.scan("%%%")
    assert flow.step == "message" and flow.message.lines == (T.UNREADABLE,)
    flow.reset()
    flow.scan("NOPE1234\r\n")
    assert flow.step == "message" and flow.message.lines[0] == T.NO_BOOKING


def test_kiosk_printer_fault_shows_ticket_on_screen_and_reports_status() -> None:
    flow, _, printer, sync = make()
    seen: list[PrinterStatus] = []
    flow.on_printer_status = seen.append
    printer.set_status(PrinterStatus(paper="out", cover="closed", online="yes"))
    flow.choose_language("de")
    flow.walk_in()
    flow.choose_concern("gesundheit")
    flow.confirm()
    sync.drain()
    assert flow.step == "on_screen" and flow.ticket is not None and flow.ticket.number == "G-001"
    assert seen[-1].paper == "out" and printer.printed == []


def test_kiosk_result_after_reset_prints_but_does_not_change_screen() -> None:
    flow, _, printer, _ = make()
    held = []
    flow.run = lambda fn, then: held.append((fn, then))  # the core answers later
    flow.choose_language("de")
    flow.walk_in()
    flow.choose_concern("gesundheit")
    flow.confirm()
    flow.reset()
    posted = []
    flow.post = lambda fn, *a: posted.append((fn, a))
    fn, then = held[0]
    then(fn())
    assert flow.step == "welcome" and flow.ticket is None
    import time
    deadline = time.monotonic() + 5
    while not printer.printed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert printer.printed and printer.printed[0].number == "G-001"


@pytest.mark.parametrize("error, expected", [("closed", T.CLOSED_EXPLAINED), ("internal", T.FAILED)])
def test_kiosk_refusals_are_explained(error: str, expected: str) -> None:
    flow, _, _, _ = make(refuse_with=error)
    flow.choose_language("de")
    flow.walk_in()
    flow.choose_concern("gesundheit")
    flow.confirm()
    assert flow.step == "message" and flow.message.lines[0] == expected


def test_kiosk_unreachable_core_without_offline_ticket_says_so() -> None:
    flow, _, _, _ = make(site_path=MINI, unavailable=True)
    flow.walk_in()
    flow.choose_concern("job")
    flow.confirm()
    assert flow.message.lines == (T.FULL_OFFLINE, T.ASK_RECEPTION)
