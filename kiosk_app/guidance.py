"""Where the kiosk cannot help at once, what a client reads instead of a dead end (plain Python, no Kivy).

A closed office: which one, when it opens next (today, tomorrow or the weekday, in the client's language from
Babel) and where to go instead (reception: room and directions from the site file). An appointment-only
concern: how to get an appointment (the agency's `appointments` text) and reception. Also the wait in the
slip's own words ("a few minutes" below the slip's threshold), and where the slip comes out and the scanner is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from babel.dates import format_date

from queue_rules.site import WEEKDAYS, Agency, Site

from . import texts as T
from .concerns import concern_title, opening_hours
from .printing.texts import slip_labels

if TYPE_CHECKING:
    from .flow import Message

Side = Literal["below", "left", "right"]
SLIP_OUT = {"below": T.SLIP_BELOW, "left": T.SLIP_LEFT, "right": T.SLIP_RIGHT}
SCANNER_AT = {"below": T.SCANNER_BELOW, "left": T.SCANNER_LEFT, "right": T.SCANNER_RIGHT}


class Translator(Protocol):
    """What this module needs of `texts.Texts`: a msgid in a language, formatted (as the catalogue gives it)."""

    def raw(self, lang: str, msgid: str, **values: Any) -> str: ...


@dataclass(frozen=True)
class MessageView:
    """An explanation screen's text in the client's language, in reading order."""

    lines: tuple[str, ...]                      # paragraphs
    heading: str = ""                           # the concern, when the message is about one
    office: str = ""                            # the agency as its door sign names it (German short name)
    hours_title: str = ""
    hours: tuple[tuple[str, str], ...] = ()     # (weekday, "07:30-12:00") of the agency's week
    offer_code: bool = False


def weekday(day: date, lang: str) -> str:
    """The weekday's name in ``lang`` as it stands inside a sentence (Babel, CLDR)."""
    return str(format_date(day, "EEEE", locale=lang))


def weekday_title(day: date, lang: str) -> str:
    """The weekday's name standing alone, at the start of a table row."""
    name = str(format_date(day, "cccc", locale=lang))
    return name[:1].upper() + name[1:]


def next_opening(agency: Agency, local: datetime) -> datetime | None:
    """When the agency opens next after ``local`` (a local time), within a week; None without hours."""
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for r in sorted(agency.hours.get(WEEKDAYS[day.weekday()], []), key=lambda r: r.start):
            start = datetime.combine(day, r.start, tzinfo=local.tzinfo)
            if start > local:
                return start
    return None


def opens_again(site: Site, agency_id: str, now: datetime, lang: str, tr: Translator) -> str:
    """ "It opens again today at 14:00." / "… tomorrow at …" / "… on Thursday at …"; "" when it never does."""
    local = now.astimezone(site.tz)
    when = next_opening(site.agency(agency_id), local)
    if when is None:
        return ""
    time = when.strftime("%H:%M")   # as on the opening hours below and on the slip
    days = (when.date() - local.date()).days
    if days == 0:
        return tr.raw(lang, T.OPENS_TODAY, time=time)
    if days == 1:
        return tr.raw(lang, T.OPENS_TOMORROW, time=time)
    return tr.raw(lang, T.OPENS_ON, day=weekday(when.date(), lang), time=time)


def reception_lines(site: Site, lang: str, tr: Translator) -> tuple[str, ...]:
    """Where reception is: its room and the directions from the site file; the plain advice without a room."""
    room = site.reception_room()
    if room is None:
        return (tr.raw(lang, T.ASK_RECEPTION),)
    way = room.directions.get(lang) or room.directions.get("en") or room.directions.get("de") or ""
    helps = tr.raw(lang, T.RECEPTION_HELPS, room=room.number)
    return (f"{helps}\n{way}",) if way else (helps,)


def _hours(site: Site, agency_id: str, lang: str) -> tuple[tuple[str, str], ...]:
    monday = date(2024, 1, 1)   # a Monday: only its weekday matters
    return tuple((weekday_title(monday + timedelta(days=d.weekday), lang), d.ranges)
                 for d in opening_hours(site, agency_id))


def message_view(site: Site, message: Message, lang: str, tr: Translator, now: datetime) -> MessageView:
    """What the message screen shows (and reads aloud) for ``message``."""
    if message.concern is None:
        return MessageView(tuple(tr.raw(lang, m) for m in message.lines), offer_code=message.offer_code)
    concern = site.concern(message.concern)
    agency = site.agency_of_service(concern.service)
    heading = concern_title(concern, lang)
    office = agency.short if agency.short != heading else ""
    lines = [tr.raw(lang, m) for m in message.lines]
    if message.kind == "closed":
        again = opens_again(site, agency.id, now, lang, tr)
        if again:
            lines[-1:] = [f"{lines[-1]} {again}"] if lines else [again]
    elif message.kind == "appointment_only":
        how = agency.appointments.get(lang) or agency.appointments.get("en") or agency.appointments.get("de")
        if how:
            lines.append(f"{tr.raw(lang, T.HOW_TO_GET_APPOINTMENT)}\n{how}")
    lines.extend(reception_lines(site, lang, tr))
    hours = _hours(site, agency.id, lang) if message.kind == "closed" else ()
    return MessageView(tuple(lines), heading, office, tr.raw(lang, T.OPENING_HOURS) if hours else "", hours,
                       message.offer_code)


def wait_words(minutes: int, lang: str) -> str:
    """The estimated wait as the slip says it ("about 12 minutes", "a few minutes"): the slip's rule and words."""
    return slip_labels(lang).client.wait_minutes(minutes)


def wait_line(ahead: int, minutes: int, lang: str, tr: Translator) -> str:
    """ "Ahead of you: 3" and "Waiting time: about 15 minutes" on two lines."""
    return tr.raw(lang, T.AHEAD, n=ahead) + "\n" + tr.raw(lang, T.WAIT_IS, wait=wait_words(minutes, lang))


def slip_out(side: Side, lang: str, tr: Translator) -> str:
    return tr.raw(lang, SLIP_OUT[side])


def scanner_at(side: Side, lang: str, tr: Translator) -> str:
    return tr.raw(lang, SCANNER_AT[side])
