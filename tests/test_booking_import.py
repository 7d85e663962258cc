"""Reading bookings from CSV and iCalendar files: good rows load, bad rows come back with line and reason."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from host_support.site_file import load_site
from queue_core.bookings import (
    BookingError,
    ImportedBooking,
    ImportResult,
    make_booking,
    read_bookings,
    read_csv,
    read_ics,
)
from queue_rules.site import Site

from .engine_helpers import mini_site

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "docs" / "examples"
BERLIN = ZoneInfo("Europe/Berlin")
HEADER = "ref,service,slot,minutes,language,party_size,interpreter,step_free,journey,status\n"


@pytest.fixture(scope="module")
def mini() -> Site:
    return mini_site()


@pytest.fixture(scope="module")
def kia() -> Site:
    return load_site(REPO / "sites" / "kia-aachen-arkaden.toml")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def reasons(result: ImportResult) -> dict[int, str]:
    return {p.line: p.reason for p in result.problems}


def by_ref(result: ImportResult) -> dict[str, ImportedBooking]:
    return {b.ref: b for b in result.bookings}


# --------------------------------------------------------------------------- CSV


def test_booking_import_csv_reads_every_column_and_fills_defaults(mini: Site) -> None:
    result = read_csv(mini, HEADER
                      + "ABH-1,aufenthalt,2026-12-02T09:30,20,ar,3,ja,x,J-7,\n"
                      + "JC-1,jobcenter,2026-12-02 10:00,,,,,,,\n")
    assert result.problems == []
    first, second = result.bookings
    assert first == ImportedBooking(line=2, ref="ABH-1", service="aufenthalt", slot=at("2026-12-02T09:30"),
                                    minutes=20, language="ar", party_size=3, interpreter=True, step_free=True,
                                    journey_ref="J-7", cancelled=False)
    assert (second.line, second.minutes, second.language, second.party_size) == (3, 30, "de", 1)
    assert (second.interpreter, second.step_free, second.journey_ref, second.cancelled) == (False, False, None, False)
    assert second.slot == at("2026-12-02T10:00") and second.slot.tzinfo == BERLIN


def test_booking_import_csv_needs_only_ref_service_and_slot(mini: Site) -> None:
    result = read_csv(mini, "slot,service,ref\n2026-12-02 09:30,Jobcenter,JC-9\n")
    assert result.problems == []
    assert result.bookings[0].service == "jobcenter" and result.bookings[0].ref == "JC-9"


@pytest.mark.parametrize(("row", "expected"), [
    ("ABH-2,nope,2026-12-02T09:30,,,,,,,", "unknown service 'nope'"),
    ("ABH-2,aufenthalt,morgen,,,,,,,", "slot 'morgen' is not a time"),
    ("ABH-2,aufenthalt,2026-12-02,,,,,,,", "slot '2026-12-02' has no time of day"),
    ("ABH-2,aufenthalt,2026-12-02T25:00,,,,,,,", "slot '2026-12-02T25:00'"),
    ("ABH-2,aufenthalt,2026-03-29T02:30,,,,,,,", "does not exist in Europe/Berlin"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,21,,,,", "party_size '21': a whole number of people from 1 to 20"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,zwei,,,,", "party_size 'zwei'"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,4,,,,,,", "minutes '4': an appointment lasts a whole number of minutes"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,uk,,,,,", "unknown language 'uk' (the site's languages: de, ar)"),
    (",aufenthalt,2026-12-02T09:30,,,,,,,", "ref is missing"),
    ("ABH-2,,2026-12-02T09:30,,,,,,,", "service is missing"),
    ("ABH-2,aufenthalt,,,,,,,,", "slot is missing"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,,vielleicht,,,", "interpreter 'vielleicht' is not yes or no"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,,,2,,", "step_free '2' is not yes or no"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,,,,,verschoben", "status 'verschoben' is not known"),
    ("ABH-2,aufenthalt,2026-12-02T09:30,,,,,,,,extra", "11 values but the first line names 10 columns"),
])
def test_booking_import_csv_bad_row_is_reported_and_the_good_ones_load(mini: Site, row: str, expected: str) -> None:
    result = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-02T09:00,,,,,,,\n" + row + "\n"
                      + "JC-1,jobcenter,2026-12-02T10:00,,,,,,,\n")
    assert [b.ref for b in result.bookings] == ["ABH-1", "JC-1"]
    assert list(reasons(result)) == [3]
    assert expected in reasons(result)[3]


def test_booking_import_csv_names_every_problem_of_a_row(mini: Site) -> None:
    result = read_csv(mini, HEADER + "ABH-1,nope,morgen,,fr,0,,,,\n")
    reason = reasons(result)[2]
    for part in ("unknown service 'nope'", "slot 'morgen'", "unknown language 'fr'", "party_size '0'"):
        assert part in reason


def test_booking_import_csv_duplicate_ref_is_a_problem_of_the_second_row(mini: Site) -> None:
    result = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-02T09:00,,,,,,,\n"
                      + "JC-1,jobcenter,2026-12-02T10:00,,,,,,,\n" + "ABH-1,aufenthalt,2026-12-02T11:00,,,,,,,\n")
    assert [b.line for b in result.bookings] == [2, 3]
    assert reasons(result) == {4: "ref 'ABH-1' appears again (first on line 2)"}
    same_agency = read_csv(mini, HEADER + "JC-1,jobcenter,2026-12-02T09:00,,,,,,,\n"
                           + "JC-1,leistung,2026-12-02T10:00,,,,,,,\n")
    assert list(reasons(same_agency)) == [3]


def test_booking_import_csv_same_ref_at_two_agencies_is_two_bookings(mini: Site) -> None:
    result = read_csv(mini, HEADER + "1001,aufenthalt,2026-12-02T09:00,,,,,,,\n"
                      + "1001,jobcenter,2026-12-02T10:00,,,,,,,\n")
    assert result.problems == [] and len(result.bookings) == 2


def test_booking_import_csv_german_excel_export_with_semicolons_and_bom(mini: Site) -> None:
    text = ("\ufeffref;service;slot;minutes;language;party_size;interpreter;step_free;journey;status\r\n"
            "ABH-1;aufenthalt;02.12.2026 09:30;30;ar;2;WAHR;FALSCH;;\r\n"
            "JC-1;jobcenter;2026-12-02 10:00;20;de;1;nein;ja;;storniert\r\n"
            ";;;;;;;;;\r\n")
    result = read_csv(mini, text)
    assert result.problems == []
    abh, jc = result.bookings
    assert abh.slot == at("2026-12-02T09:30") and abh.interpreter and not abh.step_free and abh.party_size == 2
    assert jc.step_free and jc.cancelled and not jc.interpreter


def test_booking_import_csv_sep_line_and_tabs(mini: Site) -> None:
    result = read_csv(mini, "sep=;\nref;service;slot\nABH-1;aufenthalt;2026-12-02T09:30\n")
    assert result.problems == [] and result.bookings[0].line == 3
    result = read_csv(mini, "ref\tservice\tslot\nABH-1\taufenthalt\t2026-12-02T09:30\n")
    assert result.problems == [] and result.bookings[0].ref == "ABH-1"


def test_booking_import_csv_cancelled_rows_are_bookings_marked_cancelled(mini: Site) -> None:
    result = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-02T09:30,,,,,,,cancelled\n"
                      + "ABH-2,aufenthalt,2026-12-02T10:30,,,,,,,Canceled\n"
                      + "ABH-3,aufenthalt,2026-12-02T11:30,,,,,,,booked\n")
    assert [b.cancelled for b in result.bookings] == [True, True, False]


def test_booking_import_csv_moved_slot_is_read_as_the_same_ref_with_a_new_time(mini: Site) -> None:
    before = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-02T09:30,,,,,,,\n")
    after = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-03T14:00,,,,,,,\n")
    assert before.bookings[0].ref == after.bookings[0].ref == "ABH-1"
    assert (before.bookings[0].slot, after.bookings[0].slot) == (at("2026-12-02T09:30"), at("2026-12-03T14:00"))


def test_booking_import_csv_journey_column_groups_bookings(mini: Site) -> None:
    result = read_csv(mini, HEADER + "ABH-1,aufenthalt,2026-12-02T09:00,,,,,,J-1,\n"
                      + "JC-1,jobcenter,2026-12-02T10:00,,,,,,J-1,\n" + "JC-2,leistung,2026-12-02T10:00,,,,,,,\n"
                      + "JC-3,jobcenter,2026-12-02T11:00,,,,,,J-2,\n")
    journeys = {b.ref: b.journey_ref for b in result.bookings}
    assert journeys == {"ABH-1": "J-1", "JC-1": "J-1", "JC-2": None, "JC-3": "J-2"}


def test_booking_import_csv_slot_with_offset_is_kept_as_the_same_instant(mini: Site) -> None:
    result = read_csv(mini, "ref,service,slot\nA,aufenthalt,2026-12-02T08:30Z\nB,aufenthalt,2026-07-01T09:30+02:00\n")
    a, b = result.bookings
    assert a.slot == at("2026-12-02T09:30") and a.slot.tzinfo == BERLIN
    assert b.slot == at("2026-07-01T09:30") and b.slot.utcoffset() is not None


def test_booking_import_csv_lines_count_blank_and_multiline_rows(mini: Site) -> None:
    text = 'ref,service,slot,remark\n\nA,aufenthalt,2026-12-02T09:30,"two\nlines"\nB,nope,2026-12-02T09:30,\n'
    result = read_csv(mini, text)
    assert [b.line for b in result.bookings] == [3] and list(reasons(result)) == [1, 5]


def test_booking_import_csv_unknown_column_is_reported_and_ignored(mini: Site) -> None:
    result = read_csv(mini, "ref,service,slot,sprache,name\nA,aufenthalt,2026-12-02T09:30,ar,Someone\n")
    assert len(result.bookings) == 1 and result.bookings[0].language == "de"
    assert [p.line for p in result.problems] == [1, 1]
    assert "column 'sprache' is not one of ref, service" in result.problems[0].reason
    assert "Someone" not in repr(result)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "no header line"),
    ("ref,service\nA,jobcenter\n", "missing column(s) slot"),
    ("code,service,slot\nA,jobcenter,2026-12-02T09:30\n", "missing column(s) ref"),
    ("ref,service,slot,ref\n", "ref appear more than once"),
])
def test_booking_import_csv_unreadable_file_is_a_booking_error(mini: Site, text: str, expected: str) -> None:
    with pytest.raises(BookingError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_csv(mini, text)


# --------------------------------------------------------------------------- read_bookings


def test_booking_import_file_by_suffix_and_its_whole_file_errors(mini: Site, tmp_path: Path) -> None:
    good = tmp_path / "b.CSV"
    good.write_bytes("\ufeffref;service;slot\nA;jobcenter;2026-12-02 09:30\n".encode())
    assert [b.ref for b in read_bookings(mini, good).bookings] == ["A"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ref;service;slot\nA-Ä;jobcenter;2026-12-02 09:30\n".encode("cp1252"))
    with pytest.raises(BookingError, match="latin.csv:2: not UTF-8 text \\(the character 'Ä'"):
        read_bookings(mini, latin)
    with pytest.raises(BookingError, match=r"b.xlsx: not a \.csv or \.ics file"):
        read_bookings(mini, tmp_path / "b.xlsx")
    with pytest.raises(BookingError, match="missing.ics"):
        read_bookings(mini, tmp_path / "missing.ics")
    broken = tmp_path / "broken.csv"
    broken.write_text("ref,service\n", encoding="utf-8")
    with pytest.raises(BookingError, match="broken.csv: missing column"):
        read_bookings(mini, broken)


# --------------------------------------------------------------------------- iCalendar


def ics(*events: str) -> str:
    """A calendar around events given as lines; each event starts on the line after the previous one ends."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//test//DE\n{body}END:VCALENDAR\n"


GOOD_EVENT = """UID:abh-1@example.org
DTSTAMP:20261120T100000Z
DTSTART;TZID=Europe/Berlin:20261202T093000
DTEND;TZID=Europe/Berlin:20261202T095000
X-ARKADEN-SERVICE:aufenthalt"""


def test_booking_import_ics_reads_the_properties(mini: Site) -> None:
    result = read_ics(mini, ics(GOOD_EVENT + """
SUMMARY:Termin Frau Beispiel
DESCRIPTION:Telefon 0241 000000
ATTENDEE;CN=Beispiel:mailto:someone@example.org
X-ARKADEN-LANGUAGE:ar
X-ARKADEN-PARTY-SIZE:3
X-ARKADEN-INTERPRETER:TRUE
X-ARKADEN-STEP-FREE:yes
STATUS:CONFIRMED"""))
    assert result.problems == []
    assert result.bookings == [ImportedBooking(
        line=4, ref="abh-1@example.org", service="aufenthalt", slot=at("2026-12-02T09:30"), minutes=20,
        language="ar", party_size=3, interpreter=True, step_free=True, journey_ref=None, cancelled=False)]
    assert "Beispiel" not in repr(result) and "0241" not in repr(result)


def test_booking_import_ics_utc_floating_duration_and_default_length(mini: Site) -> None:
    result = read_ics(mini, ics(
        "UID:a\nDTSTART:20261202T083000Z\nDURATION:PT45M\nX-ARKADEN-SERVICE:jobcenter",
        "UID:b\nDTSTART:20261202T110000\nX-ARKADEN-SERVICE:jobcenter",
        "UID:c\nDTSTART:20261202T120000\nDTEND:20261202T133000\nX-ARKADEN-SERVICE:jobcenter"))
    assert result.problems == []
    a, b, c = result.bookings
    assert (a.slot, a.minutes, a.slot.tzinfo) == (at("2026-12-02T09:30"), 45, BERLIN)
    assert (b.slot, b.minutes) == (at("2026-12-02T11:00"), 30)
    assert (c.slot, c.minutes) == (at("2026-12-02T12:00"), 90)


def test_booking_import_ics_cancelled_and_categories_fall_back(mini: Site) -> None:
    result = read_ics(mini, ics(
        "UID:a\nDTSTART:20261202T090000\nSTATUS:CANCELLED\nX-ARKADEN-SERVICE:jobcenter",
        "UID:b\nDTSTART:20261202T100000\nSTATUS:TENTATIVE\nCATEGORIES:Beratung,Leistung"))
    assert result.problems == []
    assert [(b.service, b.cancelled) for b in result.bookings] == [("jobcenter", True), ("leistung", False)]


def test_booking_import_ics_related_to_forms_a_journey(mini: Site) -> None:
    shared = read_ics(mini, ics(
        "UID:a\nDTSTART:20261202T090000\nX-ARKADEN-SERVICE:aufenthalt\nRELATED-TO:J-7",
        "UID:b\nDTSTART:20261202T100000\nX-ARKADEN-SERVICE:jobcenter\nRELATED-TO:J-7",
        "UID:c\nDTSTART:20261202T110000\nX-ARKADEN-SERVICE:jobcenter"))
    assert [b.journey_ref for b in shared.bookings] == ["J-7", "J-7", None]
    parent = read_ics(mini, ics(   # RFC 5545: RELATED-TO names the parent's UID; the parent is in the journey too
        "UID:first@x\nDTSTART:20261202T090000\nX-ARKADEN-SERVICE:aufenthalt",
        "UID:second@x\nDTSTART:20261202T100000\nX-ARKADEN-SERVICE:jobcenter\nRELATED-TO;RELTYPE=PARENT:first@x"))
    assert [b.journey_ref for b in parent.bookings] == ["first@x", "first@x"]


def test_booking_import_ics_moved_slot_is_the_same_uid_at_a_new_time(mini: Site) -> None:
    before = read_ics(mini, ics(GOOD_EVENT))
    after = read_ics(mini, ics(GOOD_EVENT.replace("20261202T09", "20261203T14") + "\nSEQUENCE:1"))
    assert before.bookings[0].ref == after.bookings[0].ref
    assert after.bookings[0].slot == at("2026-12-03T14:30") and after.bookings[0].minutes == 20


@pytest.mark.parametrize(("event", "expected"), [
    ("DTSTART;TZID=Europe/Berlin:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt", "UID is missing"),
    ("UID:x\nDTSTART;VALUE=DATE:20261202\nX-ARKADEN-SERVICE:aufenthalt",
     "DTSTART 2026-12-02 is a whole day (an all-day event)"),
    ("UID:x\nDTSTART:20261202T093000\nRRULE:FREQ=WEEKLY;COUNT=4\nX-ARKADEN-SERVICE:aufenthalt",
     "recurring appointments are not bookings"),
    ("UID:x\nDTSTART:20261202T093000\nRECURRENCE-ID:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt",
     "recurring appointment is not a booking"),
    ("UID:x\nDTSTART:morgen\nX-ARKADEN-SERVICE:aufenthalt", "DTSTART 'morgen' is not a time"),
    ("UID:x\nDTSTART;TZID=Mars/Olympus:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt",
     "unknown time zone TZID='Mars/Olympus'"),
    ("UID:x\nX-ARKADEN-SERVICE:aufenthalt", "DTSTART is missing"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:nope", "unknown X-ARKADEN-SERVICE 'nope'"),
    ("UID:x\nDTSTART:20261202T093000", "X-ARKADEN-SERVICE is missing"),
    ("UID:x\nDTSTART:20261202T093000\nCATEGORIES:Beratung", "no CATEGORIES value (Beratung) is a service"),
    ("UID:x\nDTSTART:20261202T093000\nCATEGORIES:jobcenter,leistung", "CATEGORIES name more than one service"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt\nX-ARKADEN-PARTY-SIZE:30",
     "X-ARKADEN-PARTY-SIZE '30': a whole number of people"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt\nX-ARKADEN-LANGUAGE:ti",
     "unknown X-ARKADEN-LANGUAGE 'ti'"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt\nX-ARKADEN-INTERPRETER:maybe",
     "X-ARKADEN-INTERPRETER 'maybe' is not yes or no"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt\nX-ARKADEN-STEP-FREE:sometimes",
     "X-ARKADEN-STEP-FREE 'sometimes' is not yes or no"),
    ("UID:x\nDTSTART:20261202T093000\nDTEND:20261202T090000\nX-ARKADEN-SERVICE:aufenthalt",
     "DTEND - DTSTART '-30': an appointment lasts"),
    ("UID:x\nDTSTART:20261202T093000\nDURATION:bald\nX-ARKADEN-SERVICE:aufenthalt", "DURATION 'bald' is not"),
    ("UID:x\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:aufenthalt\nRELATED-TO:J-1\nRELATED-TO:J-2",
     "RELATED-TO is given 2 times (J-1, J-2)"),
])
def test_booking_import_ics_bad_event_is_reported_and_the_good_ones_load(mini: Site, event: str,
                                                                          expected: str) -> None:
    result = read_ics(mini, ics(GOOD_EVENT, event, GOOD_EVENT.replace("abh-1", "abh-2")))
    assert [b.ref for b in result.bookings] == ["abh-1@example.org", "abh-2@example.org"]
    lines = len(GOOD_EVENT.splitlines()) + 2
    assert list(reasons(result)) == [4 + lines]
    assert expected in reasons(result)[4 + lines]


def test_booking_import_ics_too_long_appointment_is_a_problem(mini: Site) -> None:
    result = read_ics(mini, ics("UID:x\nDTSTART:20261202T080000\nDTEND:20261202T170000\nX-ARKADEN-SERVICE:aufenthalt"))
    assert reasons(result) == {4: "DTEND - DTSTART '540': an appointment lasts a whole number of minutes from 5 to 480"}


def test_booking_import_ics_duplicate_uid_is_a_problem_of_the_second_event(mini: Site) -> None:
    result = read_ics(mini, ics(GOOD_EVENT, GOOD_EVENT))
    assert len(result.bookings) == 1
    assert reasons(result) == {11: "UID 'abh-1@example.org' appears again (first on line 4)"}


def test_booking_import_ics_lines_count_raw_folded_lines(mini: Site) -> None:
    folded = "DESCRIPTION:a long text that an agency system\r\n  folds onto a second\r\n  and a third line"
    text = ics(GOOD_EVENT + "\n" + folded, "UID:y\nDTSTART:20261202T093000\nX-ARKADEN-SERVICE:nope")
    result = read_ics(mini, text.replace("\n", "\r\n").replace("\r\r\n", "\r\n"))
    assert result.bookings[0].line == 4
    assert list(reasons(result)) == [4 + len(GOOD_EVENT.splitlines()) + 3 + 2]


@pytest.mark.parametrize(("text", "expected"), [
    ("ref,service,slot\n", "not an iCalendar file"),
    ("", "not an iCalendar file"),
    ("BEGIN:VCARD\nVERSION:4.0\nEND:VCARD\n", "not an iCalendar file"),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nBEGIN:VEVENT\nUID:y\nEND:VEVENT\nEND:VCALENDAR\n",
     "2 BEGIN:VEVENT lines but 0 complete events"),
    ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nEND:VEVENT\n", "END:VCALENDAR is missing or misplaced"),
])
def test_booking_import_ics_unreadable_file_is_a_booking_error(mini: Site, text: str, expected: str) -> None:
    with pytest.raises(BookingError, match=expected):
        read_ics(mini, text)


def test_booking_import_ics_with_bom_and_no_events_is_empty(mini: Site) -> None:
    assert read_ics(mini, "\ufeff" + ics()) == ImportResult([], [])


# --------------------------------------------------------------------------- the examples and the command line


def test_booking_import_examples_read_without_problems_and_agree(kia: Site) -> None:
    csv_result = read_bookings(kia, EXAMPLES / "bookings.csv")
    ics_result = read_bookings(kia, EXAMPLES / "bookings.ics")
    assert csv_result.problems == [] and ics_result.problems == []
    assert len(csv_result.bookings) == len(ics_result.bookings) >= 6

    def content(b: ImportedBooking) -> tuple[object, ...]:
        return (b.service, b.slot, b.minutes, b.language, b.party_size, b.interpreter, b.step_free, b.cancelled)

    assert [content(b) for b in csv_result.bookings] == [content(b) for b in ics_result.bookings]
    for result in (csv_result, ics_result):
        bookings = result.bookings
        assert {b.slot.date() for b in bookings} == {datetime(2026, 12, 2).date()}
        journeys: dict[str, list[str]] = {}
        for b in bookings:
            if b.journey_ref:
                journeys.setdefault(b.journey_ref, []).append(b.service)
        assert list(journeys.values()) == [["aufenthaltstitel", "anerkennung", "jobcenter"]]
        assert {b.language for b in bookings if b.interpreter} >= {"ar", "uk", "ti", "fa"}
        assert sum(b.step_free for b in bookings) == 1 and sum(b.cancelled for b in bookings) == 1
        assert any(b.party_size > 1 for b in bookings)


def test_booking_import_make_booking_checks_like_a_row(mini: Site) -> None:
    b = make_booking(mini, ref="KIA-1001", service="aufenthalt", slot="2026-11-23T09:30", language="ar",
                     party_size="3", interpreter=True, journey_ref="J-1")
    assert (b.line, b.slot, b.party_size, b.interpreter, b.journey_ref, b.minutes) == (
        0, at("2026-11-23T09:30"), 3, True, "J-1", 30)
    with pytest.raises(BookingError, match="unknown service 'nope'.*slot 'morgen'"):
        make_booking(mini, ref="KIA-1", service="nope", slot="morgen")
    with pytest.raises(BookingError, match="ref is missing"):
        make_booking(mini, ref=" ", service="jobcenter", slot=at("2026-11-23T09:30"))


def test_booking_import_docs_show_the_example_file_and_every_service(kia: Site) -> None:
    docs = (REPO / "docs" / "bookings.md").read_text(encoding="utf-8")
    example = (EXAMPLES / "bookings.csv").read_text(encoding="utf-8")
    assert f"```csv\n{example}```" in docs
    for service in kia.services:
        assert f"| `{service.id}` | {kia.agency(service.agency).short} | {service.name['de']} |" in docs
    event = docs.split("```\nBEGIN:VEVENT\n", 1)[1].split("```", 1)[0]
    ics_text = (EXAMPLES / "bookings.ics").read_bytes().decode("utf-8")
    assert ("BEGIN:VEVENT\n" + event).replace("\n", "\r\n") in ics_text
