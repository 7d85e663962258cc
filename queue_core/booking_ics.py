"""Appointments in an iCalendar file (RFC 5545): each VEVENT's values keyed like the CSV columns, with its line.

Only the properties below are read; SUMMARY, DESCRIPTION, ATTENDEE, ORGANIZER and the rest are never looked at,
because they may carry names and we keep none. Line numbers count the raw lines of the file (before unfolding)
up to the event's BEGIN:VEVENT.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from icalendar import Calendar, Component

PROPERTIES = {
    "ref": "UID",
    "service": "X-ARKADEN-SERVICE",
    "slot": "DTSTART",
    "minutes": "DTEND - DTSTART",
    "language": "X-ARKADEN-LANGUAGE",
    "party_size": "X-ARKADEN-PARTY-SIZE",
    "interpreter": "X-ARKADEN-INTERPRETER",
    "step_free": "X-ARKADEN-STEP-FREE",
    "journey": "RELATED-TO",
    "status": "STATUS",
}


class CalendarError(ValueError):
    """The file is not an iCalendar file, or its events are not properly opened and closed."""


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT: where it starts, its values, which property each came from, and what is wrong with it."""

    line: int
    values: dict[str, str | datetime]
    names: dict[str, str]
    problems: dict[str, str]   # by field; "" for the event as a whole


def read_events(text: str, *, tz: tzinfo, service_ids: Collection[str]) -> list[CalendarEvent]:
    """Every VEVENT of the file in order; a floating (local) time is taken in `tz`."""
    text = text.removeprefix("\ufeff")
    begins = [n for n, raw in enumerate(text.split("\n"), 1) if raw.strip().upper() == "BEGIN:VEVENT"]
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except (ValueError, AttributeError, TypeError, KeyError) as exc:   # icalendar trips over some broken files
        raise CalendarError(f"not an iCalendar file: {exc}") from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    vevents = [e for c in calendars for e in c.walk("VEVENT")]
    if not calendars and "BEGIN:VCALENDAR" not in text.upper():
        raise CalendarError("not an iCalendar file: no BEGIN:VCALENDAR … END:VCALENDAR")
    if not calendars or len(vevents) != len(begins):
        raise CalendarError(f"{len(begins)} BEGIN:VEVENT lines but {len(vevents)} complete events: "
                            "an END:VEVENT or END:VCALENDAR is missing or misplaced")
    events = [_event(e, line, tz, service_ids) for e, line in zip(vevents, begins, strict=True)]
    return _join_parents(events)


def _texts(e: Component, prop: str) -> list[str]:
    """The distinct non-empty values of a property that may appear more than once (or hold a list)."""
    found = e.get(prop)
    items = found if isinstance(found, list) else [] if found is None else [found]
    out: list[str] = []
    for item in items:
        for value in getattr(item, "cats", [item]):   # CATEGORIES holds a list of its own
            text = str(value).strip()
            if text and text not in out:
                out.append(text)
    return out


def _event(e: Component, line: int, tz: tzinfo, service_ids: Collection[str]) -> CalendarEvent:
    values: dict[str, str | datetime] = {}
    names = dict(PROPERTIES)
    problems: dict[str, str] = {}
    for key, prop in PROPERTIES.items():
        found = _texts(e, prop) if key not in ("slot", "minutes") else []
        if len(found) > 1:
            problems[key] = f"{prop} is given {len(found)} times ({', '.join(found)}); one is needed"
        elif found:
            values[key] = found[0]
    if "status" in values:   # TENTATIVE and CONFIRMED are bookings like any other
        values["status"] = "cancelled" if str(values["status"]).upper() == "CANCELLED" else ""
    if "RRULE" in e or "RDATE" in e:
        problems[""] = "recurring appointments are not bookings (the event has an RRULE or RDATE)"
    elif "RECURRENCE-ID" in e:
        problems[""] = "a changed date of a recurring appointment is not a booking (the event has a RECURRENCE-ID)"
    if "service" not in values and "service" not in problems:
        _service_from_categories(e, service_ids, values, names, problems)
    broken: dict[str | None, str] = dict(e.errors)
    start = _when(e, "DTSTART", broken, tz, problems, "slot")
    if start is not None:
        values["slot"] = start
        _minutes(e, start, broken, tz, values, names, problems)
    return CalendarEvent(line, values, names, problems)


def _service_from_categories(e: Component, service_ids: Collection[str], values: dict[str, str | datetime],
                             names: dict[str, str], problems: dict[str, str]) -> None:
    """Without X-ARKADEN-SERVICE, the one CATEGORIES value that is a service id names the service."""
    categories = _texts(e, "CATEGORIES")
    matching = [c for c in categories if c.lower() in service_ids]
    if len(matching) == 1:
        values["service"], names["service"] = matching[0], "CATEGORIES"
    elif matching:
        problems["service"] = f"CATEGORIES name more than one service ({', '.join(matching)})"
    elif categories:
        problems["service"] = (f"X-ARKADEN-SERVICE is missing and no CATEGORIES value "
                               f"({', '.join(categories)}) is a service of the site")


def _minutes(e: Component, start: datetime, broken: dict[str | None, str], tz: tzinfo,
             values: dict[str, str | datetime], names: dict[str, str], problems: dict[str, str]) -> None:
    """The length from DTEND, else DURATION; with neither the default length applies."""
    if "DTEND" in e:
        end = _when(e, "DTEND", broken, tz, problems, "minutes")
        length = None if end is None else end - start
    elif "DURATION" in e:
        names["minutes"] = "DURATION"
        length = None if "DURATION" in broken else e.decoded("DURATION")
        if not isinstance(length, timedelta):
            problems["minutes"] = f"DURATION {str(e['DURATION'])!r} is not one length like PT30M"
            return
    else:
        return
    if length is None:
        return
    if length.total_seconds() % 60:
        problems["minutes"] = f"{names['minutes']}: the appointment lasts {length}; whole minutes only"
    else:
        values["minutes"] = str(int(length.total_seconds() // 60))


def _when(e: Component, prop: str, broken: dict[str | None, str], tz: tzinfo, problems: dict[str, str],
          key: str) -> datetime | None:
    """A DTSTART or DTEND as an aware time; a whole day, an unknown TZID or a bad value is a problem."""
    if prop not in e:
        return None
    if prop in broken:
        problems[key] = f"{prop} {str(e[prop])!r} is not a time like 20261202T093000 ({broken[prop]})"
        return None
    value = e.decoded(prop)
    tzid = getattr(e[prop], "params", {}).get("TZID")
    if isinstance(value, list):
        problems[key] = f"{prop} is given {len(value)} times; one is needed"
        return None
    if not isinstance(value, datetime):
        if isinstance(value, date):
            problems[key] = (f"{prop} {value.isoformat()} is a whole day (an all-day event), "
                             "not an appointment time")
        else:
            problems[key] = f"{prop} {str(e[prop])!r} is not a date and time"
        return None
    if value.tzinfo is None and tzid:
        problems[key] = f"{prop} has an unknown time zone TZID={tzid!r}"
        return None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value


def _join_parents(events: list[CalendarEvent]) -> list[CalendarEvent]:
    """RELATED-TO names the parent's UID (RFC 5545): an event others point to is in their journey too."""
    parents = {e.values["journey"] for e in events if "journey" in e.values}
    out = []
    for e in events:
        ref = e.values.get("ref")
        if "journey" not in e.values and isinstance(ref, str) and ref in parents:
            e = dataclasses.replace(e, values={**e.values, "journey": ref})
        out.append(e)
    return out
