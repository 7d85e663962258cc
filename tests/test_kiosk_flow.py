"""The kiosk's view model without a window: walk-in, booked, scanned slips, explanations, resets, printer faults."""

from __future__ import annotations

import threading
import tomllib
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from host_support.site_file import load_site
from kiosk_app import journey
from kiosk_app import texts as T
from kiosk_app.backend import Appointment, FakeBackend, JourneyStop, Ticket, TicketInfo
from kiosk_app.flow import KioskFlow
from kiosk_app.printing.fake import FakeTicketPrinter
from kiosk_app.printing.port import PrinterStatus
from kiosk_app.slips import slip_for
from queue_rules import codes
from queue_rules.site import Site

from .engine_helpers import MINI

KIA = "sites/kia-aachen-arkaden.toml"
BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)
SUNDAY_10 = datetime(2026, 11, 22, 10, 0, tzinfo=BERLIN)
CODE = "ACDE34" + codes.check_character("ACDE34")


def journey_site() -> Site:
    """The real site with documents to bring for three services (whatever the site file says about them)."""
    data = tomllib.loads(Path(KIA).read_text(encoding="utf-8"))
    docs = [{"id": "passport", "name": {"de": "Reisepass", "ar": "جواز السفر"}},
            {"id": "health-card", "name": {"de": "Gesundheitskarte", "en": "Health card"}},
            {"id": "certificates", "name": {"de": "Zeugnisse"}}]
    data["documents"] = docs
    wanted = {"jobcenter": ["passport"], "gesundheit": ["health-card", "passport"], "anerkennung": ["certificates"]}
    for service in data["services"]:
        service["documents"] = wanted.get(service["id"], [])
    return Site.model_validate(data)


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


def make(site_path: str | Path = KIA, now: datetime = TUESDAY_10, site: Site | None = None,
         **backend_kw: Any) -> tuple[KioskFlow, FakeBackend, FakeTicketPrinter, Sync]:
    site = site or load_site(site_path)
    sync = Sync()
    printer = FakeTicketPrinter()
    backend = FakeBackend(site, clock=lambda: now, **backend_kw)
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
    flow, backend, printer, sync = make(bookings={CODE: [Appointment("jobcenter", slot, False)]})
    flow.choose_language("de")
    flow.booked()
    for ch in CODE[:3]:
        flow.press_key(ch)
    flow.submit_code()
    assert flow.step == "message" and flow.message.lines == (T.CODE_TOO_SHORT,)
    flow.back()
    for ch in CODE[3:] + "X":
        flow.press_key(ch)
    assert flow.code == CODE   # at most a code's length: the eighth key does nothing
    flow.delete_key()
    flow.press_key(CODE[-1])
    assert flow.code == CODE and flow.code_shown == f"{CODE[:4]}-{CODE[4:]}"
    flow.submit_code()
    assert flow.step == "appointments" and len(flow.appointments) == 1
    flow.check_in_booked()
    sync.drain()
    assert flow.step == "done" and printer.printed[0].concern_de == "Jobcenter"
    assert backend.requests[0].booking_code == CODE


def test_kiosk_keypad_takes_only_the_code_alphabet_and_shows_it_grouped() -> None:
    flow, _, _, _ = make()
    flow.booked()
    for key in "0O1IlB5S8Z2UVo":   # look-alikes are not on the keypad, whatever a scanner or a test sends
        flow.press_key(key)
    assert flow.code == ""
    for key in "acd":
        flow.press_key(key)
    assert flow.code == "ACD" and flow.code_shown == "ACD"
    for key in "E34":
        flow.press_key(key)
    assert flow.code_shown == "ACDE-34"
    from kiosk_app.screens.keypad import KEYS

    assert KEYS == "34679ACDEFGHJKMNPQRTWXY" and sorted(KEYS) == sorted(codes.ALPHABET)


def test_kiosk_mistyped_code_is_told_at_once_without_asking_the_core() -> None:
    wrong = CODE[:-1] + next(c for c in codes.ALPHABET if c != CODE[-1])
    flow, backend, _, _ = make(bookings={CODE: [Appointment("jobcenter", TUESDAY_10, False)]})
    flow.booked()
    for ch in wrong:
        flow.press_key(ch)
    flow.submit_code()
    assert flow.step == "message" and flow.message.lines == (T.MISTYPED_CODE,)
    assert backend.lookups == [] and backend.requests == []   # nothing reached the core (no rate-limit count)
    flow.back()
    assert flow.step == "keypad" and flow.code == wrong   # back to the keypad, the code still there to correct
    flow.delete_key()
    flow.press_key(CODE[-1])
    flow.submit_code()
    assert flow.step == "appointments" and backend.lookups == [CODE]


@pytest.mark.parametrize("where", ["lookup", "check_in"])
def test_kiosk_core_reply_mistyped_code_gets_the_same_message(where: str) -> None:
    flow, backend, _, _ = make(bookings={CODE: [Appointment("jobcenter", TUESDAY_10, False)]})
    if where == "lookup":
        backend.refuse_lookups_with = "mistyped_code"
        flow.scan("ARKADEN-B:KIA-4711")    # an older code: not checked here, the core answers
    else:
        backend.refuse_with = "mistyped_code"
        flow.scan("ARKADEN-B:" + CODE)
        flow.check_in_booked()
    assert flow.step == "message" and flow.message.lines == (T.MISTYPED_CODE,) and flow.message.back_to == "keypad"


def test_kiosk_scanned_codes_may_be_longer_and_of_an_older_kind() -> None:
    flow, backend, _, _ = make()
    flow.scan("ARKADEN-B:KIA-4711-2026")
    assert backend.lookups == ["KIA-4711-2026"]


def test_kiosk_journey_checks_in_once_for_every_stop_of_today() -> None:
    site = journey_site()
    day = TUESDAY_10.replace(hour=0)
    apps = [Appointment("jobcenter", day.replace(hour=10, minute=30), False, agency="jobcenter"),
            Appointment("gesundheit", day.replace(hour=11, minute=30), False, agency="gesundheitskiosk"),
            Appointment("anerkennung", day.replace(hour=12, minute=15), False, agency="anerkennung"),
            Appointment("gesundheit", day.replace(hour=9, minute=30) + timedelta(days=1), False, today=False)]
    flow, backend, printer, sync = make(site=site, bookings={CODE: apps})
    flow.choose_language("ar")
    flow.scan("ARKADEN-B:" + CODE)
    assert flow.step == "appointments" and len(flow.appointments_today) == 3 and flow.can_check_in
    today, later = journey.appointment_views(site, flow.appointments, "ar")
    assert [(v.time, v.agency, v.rooms) for v in today] == [
        ("10:30", "الجوب سنتر", ("2.05",)), ("11:30", "كشك الصحة", ("E.14",)),   # agencies named in his language
        ("12:15", "الاعتراف بالشهادات", ("1.12",))]
    assert [(v.day.isoformat(), v.time) for v in later] == [("2026-11-25", "09:30")]
    assert today[0].title == "الجوب سنتر"
    flow.check_in_booked()
    sync.drain()
    assert flow.step == "done" and len(backend.requests) == 1
    ticket = flow.ticket
    assert ticket is not None and ticket.number == "J-001" and len(ticket.stops) == 4
    assert ticket.queued_from == TUESDAY_10.replace(hour=10, minute=15)   # the slot less the early window
    slip = printer.printed[0]
    assert slip.journey and [s.time for s in slip.stops] == ["10:30", "11:30", "12:15"]
    assert [s.current for s in slip.stops] == [True, False, False]
    assert [s.called_from for s in slip.stops] == ["", "11:15", "12:00"]
    assert slip.called_from == "10:15"
    assert [(s.day.isoformat() if s.day else None, s.tomorrow) for s in slip.later_stops] == [("2026-11-25", True)]
    assert slip.documents == tuple(journey.documents(site, ["jobcenter", "gesundheit", "anerkennung",
                                                            "gesundheit"], "ar"))
    assert slip.documents[0] == ("جواز السفر", "Reisepass") and slip.documents[1] == ("Health card", "Gesundheitskarte")
    assert not slip.see_reception
    # all of today's appointments are checked in now: the code shows them so, and offers no second check-in
    flow.reset()
    flow.scan("ARKADEN-B:" + CODE)
    assert not flow.can_check_in
    flow.check_in_booked()
    assert flow.message.lines == (T.ALREADY_CHECKED_IN, T.ASK_RECEPTION) and len(backend.requests) == 1


def test_kiosk_late_client_is_sent_to_reception_with_its_room() -> None:
    late = TUESDAY_10.replace(hour=9, minute=0)
    flow, backend, printer, sync = make(bookings={CODE: [Appointment("jobcenter", late, False),
                                                         Appointment("gesundheit", TUESDAY_10.replace(hour=11),
                                                                     False)]})
    backend.reception_when_late = True
    flow.scan("ARKADEN-B:" + CODE)
    flow.check_in_booked()
    sync.drain()
    assert flow.ticket is not None and flow.ticket.see_reception
    slip = printer.printed[0]
    assert slip.see_reception and slip.reception_room == "E.01"   # the room with id "empfang"
    assert journey.reception_room(load_site(MINI)) == ""            # no such room: no room named


def test_kiosk_only_later_days_means_no_check_in_today() -> None:
    tomorrow = TUESDAY_10 + timedelta(days=1)
    flow, backend, _, _ = make(bookings={CODE: [Appointment("jobcenter", tomorrow, False, today=False)]})
    flow.scan("ARKADEN-B:" + CODE)
    assert flow.step == "appointments" and flow.appointments_today == () and not flow.can_check_in
    flow.check_in_booked()
    assert flow.message.lines == (T.NO_BOOKING, T.ASK_RECEPTION) and backend.requests == []


def test_kiosk_single_booked_stop_early_is_called_from_its_time() -> None:
    ticket = Ticket("J-017", "tok-abcdefgh", "jobcenter", "jobcenter", ("2.05",), 2, 0, 0, TUESDAY_10,
                    queued_from=TUESDAY_10.replace(hour=10, minute=35))
    site = load_site(KIA)
    slip = slip_for(site, ticket, lang="de", concern_id=None)
    assert slip.called_from == "10:35" and not slip.journey and slip.documents == ()
    past = slip_for(site, replace(ticket, queued_from=TUESDAY_10), lang="de", concern_id=None)
    assert past.called_from == ""   # queued already: the wait estimate


def test_kiosk_status_scan_shows_the_current_stop_and_the_rest() -> None:
    site = load_site(KIA)
    day = TUESDAY_10.replace(hour=0)
    stops = (JourneyStop("jobcenter", "jobcenter", day.replace(hour=9), 30, "done", ("2.05",), 2),
             JourneyStop("gesundheit", "gesundheitskiosk", day.replace(hour=10, minute=40), 30, "waiting",
                         ("E.14",), 0, day.replace(hour=10, minute=25)),
             JourneyStop("anerkennung", "anerkennung", day.replace(hour=12), 30, "planned", ("1.12",), 1),
             JourneyStop("jobcenter", "jobcenter", day.replace(hour=9) + timedelta(days=1), 30, "planned",
                         ("2.05",), 2))
    info = TicketInfo("J-004", "gesundheit", "waiting", ("E.14",), 0, 0, 0, agency="gesundheitskiosk",
                      queued_from=day.replace(hour=10, minute=25), stops=stops)
    flow, _, _, _ = make(tickets={"tok-abcdefgh": info})
    flow.scan("ARKADEN-T:tok-abcdefgh")
    assert flow.step == "ticket_status" and flow.ticket_status == info
    today, later = journey.stop_views(site, info.stops, "de", TUESDAY_10)
    assert [(v.agency, v.current, v.called_from) for v in today] == [
        ("Gesundheitskiosk", True, ""), ("Anerkennungsberatung", False, "11:45")]
    assert [v.time for v in later] == ["09:00"]
    assert journey.called_from(site, info.queued_from, TUESDAY_10) == "10:25"
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


def test_kiosk_scanned_slip_of_a_visit_booked_into_today_checks_in_with_its_code() -> None:
    flow, backend, _, _ = make(bookings={CODE: [Appointment("jobcenter", TUESDAY_10, False)]})
    backend.booked_slips["tok-abcdefgh"] = CODE
    flow.scan("ARKADEN-T:tok-abcdefgh")
    assert flow.step == "appointments" and flow.code == CODE and backend.lookups == [CODE]
