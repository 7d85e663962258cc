"""Booked appointments from the agencies' systems (CSV or iCalendar) or the command line, checked against the site.

Pure parsing, no database: a file becomes bookings and problems (line and reason), and the bad rows do not stop
the good ones. What an import changes in the database is the store's business (`Store.import_bookings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from queue_rules.site import Site

from .booking_csv import CsvError, read_table
from .booking_ics import CalendarError, read_events

T = TypeVar("T")
Raw = str | datetime
REF_MAX = 120   # the store's column; Outlook's UIDs are about 112 characters
YES = {"yes", "ja", "true", "wahr", "1", "x"}
NO = {"", "no", "nein", "false", "falsch", "0"}
BOOKED = {"", "booked", "confirmed"}
CANCELLED = {"cancelled", "canceled", "storniert"}
_GERMAN_TIME = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}) +(\d{1,2}):(\d{2})")
_DATE_ONLY = re.compile(r"\d{4}-?\d{2}-?\d{2}")
_NO_SLOT = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ImportedBooking:
    """One checked booking, as the agency's file gives it; the store decides what it changes."""

    line: int                 # CSV line; .ics: the raw line of its BEGIN:VEVENT; 0 from the command line
    ref: str                  # the agency's own booking id (CSV `ref`, iCalendar UID)
    service: str
    slot: datetime            # aware, in the site's time zone
    minutes: int
    language: str
    party_size: int
    interpreter: bool
    step_free: bool
    journey_ref: str | None   # bookings with the same journey reference form one journey (one code)
    cancelled: bool


@dataclass(frozen=True)
class ImportProblem:
    line: int
    reason: str               # every problem of the row, in plain words, joined by "; "
    warning: bool = False     # said, but nothing was refused (e.g. a column that is ignored)


@dataclass(frozen=True)
class ImportResult:
    bookings: list[ImportedBooking]
    problems: list[ImportProblem]


class BookingError(ValueError):
    """The whole file cannot be read (or, from make_booking, the one booking is not valid)."""


class _Bad(Exception):
    """One value of a row is wrong; the message names the column or property and the value."""


def read_bookings(site: Site, path: Path) -> ImportResult:
    """A .csv or .ics file of bookings; BookingError names the file when it cannot be read at all."""
    readers = {".csv": read_csv, ".ics": read_ics}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise BookingError(f"{path}: not a .csv or .ics file (from Excel: save as 'CSV UTF-8 (durch "
                           "Trennzeichen getrennt)')")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise BookingError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        guess = raw[exc.start:exc.start + 1].decode("cp1252", errors="replace")
        raise BookingError(f"{path}:{line}: not UTF-8 text (the character {guess!r} is in an older Windows "
                           "encoding); in Excel save as 'CSV UTF-8 (durch Trennzeichen getrennt)'") from None
    try:
        return reader(site, text)
    except BookingError as exc:
        raise BookingError(f"{path}: {exc}") from None


def read_csv(site: Site, text: str) -> ImportResult:
    """Bookings from CSV text (`,` `;` or tab; a BOM is fine); a header problem is reported on its line."""
    try:
        table = read_table(text)
    except CsvError as exc:
        raise BookingError(str(exc)) from None
    result = _collect(site, table.rows)
    header = [ImportProblem(line, reason, warning=True) for line, reason in table.problems]
    return ImportResult(result.bookings, header + result.problems)


def read_ics(site: Site, text: str) -> ImportResult:
    """Bookings from iCalendar text, one per VEVENT, at the raw line of its BEGIN:VEVENT."""
    try:
        events = read_events(text, tz=site.tz, service_ids={s.id for s in site.services})
    except CalendarError as exc:
        raise BookingError(str(exc)) from None
    return _collect(site, events)


def make_booking(site: Site, *, ref: str, service: str, slot: str | datetime, minutes: int | str = 30,
                 language: str = "de", party_size: int | str = 1, interpreter: bool = False,
                 step_free: bool = False, journey_ref: str | None = None) -> ImportedBooking:
    """One booking from the command line (`slot` local time like 2026-12-02T09:30); BookingError says what is wrong."""
    values: dict[str, Raw] = {
        "ref": ref, "service": service, "slot": slot, "minutes": str(minutes), "language": language,
        "party_size": str(party_size), "interpreter": "yes" if interpreter else "no",
        "step_free": "yes" if step_free else "no", "journey": journey_ref or "",
    }
    checked = _check(site, 0, values, {}, {})
    if isinstance(checked, ImportProblem):
        raise BookingError(checked.reason)
    return checked


# --- checking one row, whatever file it came from ------------------------------------------------------------


class _Source(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def values(self) -> Mapping[str, Raw]: ...
    @property
    def names(self) -> Mapping[str, str]: ...
    @property
    def problems(self) -> Mapping[str, str]: ...


def _collect(site: Site, sources: Sequence[_Source]) -> ImportResult:
    """Check every row; a ref seen before in the same file (for the same agency, as the store keys them) is a
    problem of the later row."""
    bookings: list[ImportedBooking] = []
    problems: list[ImportProblem] = []
    first_line: dict[tuple[str, str], int] = {}
    agencies = {s.id: s.agency for s in site.services}
    for src in sources:
        known = dict(src.problems)
        ref = _text(src.values.get("ref", ""))
        key = (agencies.get(_text(src.values.get("service", "")).lower(), ""), ref)
        if key in first_line:
            known["ref"] = f"{src.names.get('ref', 'ref')} {ref!r} appears again (first on line {first_line[key]})"
        elif ref:
            first_line[key] = src.line
        checked = _check(site, src.line, src.values, src.names, known)
        if isinstance(checked, ImportProblem):
            problems.append(checked)
        else:
            bookings.append(checked)
    return ImportResult(bookings, problems)


def _check(site: Site, line: int, values: Mapping[str, Raw], names: Mapping[str, str],
           known: Mapping[str, str]) -> ImportedBooking | ImportProblem:
    reasons = list(known.values())

    def take(key: str, parse: Callable[[Site, str, Raw], T], fallback: T) -> T:
        if key in known:
            return fallback
        try:
            return parse(site, names.get(key, key), values.get(key, ""))
        except _Bad as bad:
            reasons.append(str(bad))
            return fallback

    booking = ImportedBooking(
        line=line,
        ref=take("ref", _ref, ""),
        service=take("service", _service, ""),
        slot=take("slot", _slot, _NO_SLOT),
        minutes=take("minutes", _minutes, 30),
        language=take("language", _language, "de"),
        party_size=take("party_size", _party_size, 1),
        interpreter=take("interpreter", _yes_no, False),
        step_free=take("step_free", _yes_no, False),
        journey_ref=take("journey", _journey, None),
        cancelled=take("status", _cancelled, False),
    )
    return ImportProblem(line, "; ".join(reasons)) if reasons else booking


def _text(raw: Raw) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def _ref(site: Site, name: str, raw: Raw) -> str:
    text = _text(raw)
    if not text:
        raise _Bad(f"{name} is missing")
    if len(text) > REF_MAX or not text.isprintable():
        raise _Bad(f"{name} {text[:40]!r}: at most {REF_MAX} printable characters")
    return text


def _service(site: Site, name: str, raw: Raw) -> str:
    text = _text(raw).lower()
    known = [s.id for s in site.services]
    if not text:
        hint = " (in Outlook: give the event a category named like the service, e.g. 'jobcenter')" \
            if name == "X-ARKADEN-SERVICE" else ""
        raise _Bad(f"{name} is missing{hint}")
    if text not in known:
        raise _Bad(f"unknown {name} {_text(raw)!r} (the site's services: {', '.join(known)})")
    return text


def _slot(site: Site, name: str, raw: Raw) -> datetime:
    if isinstance(raw, datetime):
        when = raw
    else:
        text = raw.strip()
        if not text:
            raise _Bad(f"{name} is missing")
        german = _GERMAN_TIME.fullmatch(text)   # what Excel makes of 2026-12-02 09:30: 02.12.2026 09:30
        iso = f"{german[3]}-{german[2]:0>2}-{german[1]:0>2} {german[4]:0>2}:{german[5]}" if german else text
        try:
            when = datetime.fromisoformat(iso)
        except ValueError:
            raise _Bad(f"{name} {text!r} is not a time like 2026-12-02 09:30") from None
        if _DATE_ONLY.fullmatch(iso):
            raise _Bad(f"{name} {text!r} has no time of day (like 2026-12-02 09:30)")
    if when.tzinfo is not None:
        return when.astimezone(site.tz)
    local = when.replace(tzinfo=site.tz)
    if local.astimezone(UTC).astimezone(site.tz).replace(tzinfo=None) != when:
        raise _Bad(f"{name} {when:%Y-%m-%d %H:%M} does not exist in {site.site.timezone} (the clocks go forward)")
    return local


def _whole(name: str, raw: Raw, default: int, low: int, high: int, expected: str) -> int:
    text = _text(raw)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise _Bad(f"{name} {text!r}: {expected}")
    return int(text)


def _minutes(site: Site, name: str, raw: Raw) -> int:
    return _whole(name, raw, 30, 5, 480, "an appointment lasts a whole number of minutes from 5 to 480")


def _party_size(site: Site, name: str, raw: Raw) -> int:
    return _whole(name, raw, 1, 1, 20, "a whole number of people from 1 to 20")


def _language(site: Site, name: str, raw: Raw) -> str:
    text = _text(raw).lower() or "de"
    if text not in site.site.languages:
        raise _Bad(f"unknown {name} {_text(raw)!r} (the site's languages: {', '.join(site.site.languages)})")
    return text


def _yes_no(site: Site, name: str, raw: Raw) -> bool:
    text = _text(raw).lower()
    if text not in YES | NO:
        raise _Bad(f"{name} {_text(raw)!r} is not yes or no (write yes/no, ja/nein, true/false, 1/0, x or nothing)")
    return text in YES


def _journey(site: Site, name: str, raw: Raw) -> str | None:
    text = _text(raw)
    if len(text) > REF_MAX or not text.isprintable():
        raise _Bad(f"{name} {text[:40]!r}: at most {REF_MAX} printable characters")
    return text or None


def _cancelled(site: Site, name: str, raw: Raw) -> bool:
    text = _text(raw).lower()
    if text not in BOOKED | CANCELLED:
        raise _Bad(f"{name} {_text(raw)!r} is not known (write cancelled, or leave it empty for a booking)")
    return text in CANCELLED
