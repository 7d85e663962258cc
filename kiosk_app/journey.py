"""A journey as the client reads it: today's stops and later days', their times and rooms, what to bring.

Plain Python over the site file, shared by the screens and the slip: which stop is the current one, from when
the same number is called at a later stop, the way to each room, the documents in the client's language, and
the reception's room for a client who is late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from queue_rules.site import Room, Site

from .backend import Appointment, JourneyStop, rooms_of_service
from .concerns import service_title

ACTIVE = ("waiting", "called", "serving")   # where the client's number is queued or being served now
RECEPTION_ROOM_ID = "empfang"               # the site file does not model reception desks' rooms (yet)


@dataclass(frozen=True)
class StopView:
    """One stop as a screen or a slip shows it."""

    day: date                   # local date of the slot (today for a walk-in stop)
    time: str                   # the slot, "HH:MM"; "" for a walk-in stop
    agency: str                 # the agency's short name (a name: the same in every language)
    title: str                  # the service, in the client's language ...
    title_de: str               # ... and in German
    rooms: tuple[str, ...]
    floor: int
    directions: str = ""        # the way to the first room, client's language ...
    directions_de: str = ""     # ... and German
    current: bool = False       # the stop the number is queued at (or served) now
    called_from: str = ""       # "HH:MM": the number is called here from then on (a later stop of today)
    checked_in: bool = False    # appointments screen: this one is already checked in


def hhmm(site: Site, when: datetime) -> str:
    return when.astimezone(site.tz).strftime("%H:%M")


def local_day(site: Site, when: datetime) -> date:
    return when.astimezone(site.tz).date()


def room_by_number(site: Site, number: str) -> Room | None:
    return next((r for r in site.rooms if r.number == number), None)


def directions(site: Site, rooms: tuple[str, ...], lang: str) -> tuple[str, str]:
    """The way to the first room, in the client's language (English, then German, as fallbacks) and in German."""
    room = room_by_number(site, rooms[0]) if rooms else None
    if room is None:
        return "", ""
    d = room.directions
    return d.get(lang) or d.get("en") or d.get("de", ""), d.get("de", "")


def titles(site: Site, service_id: str, lang: str) -> tuple[str, str]:
    """What a service is called for the client and in German; its id when the site file does not know it."""
    if not any(s.id == service_id for s in site.services):
        return service_id, service_id
    return service_title(site, service_id, lang)


def agency_short(site: Site, agency_id: str, lang: str) -> str:
    """The agency's short name in the client's language (the German one where the site file has none)."""
    return next((a.short_in(lang) for a in site.agencies if a.id == agency_id), agency_id)


def _rooms_of(site: Site, service_id: str) -> tuple[tuple[str, ...], int]:
    if not any(s.id == service_id for s in site.services):
        return (), 0
    return rooms_of_service(site, service_id)


def current_index(stops: tuple[JourneyStop, ...]) -> int:
    """The stop the ticket is at now: the first queued or served one, else the first (the protocol's order)."""
    return next((i for i, s in enumerate(stops) if s.status in ACTIVE), 0)


def stop_views(site: Site, stops: tuple[JourneyStop, ...], lang: str, now: datetime
               ) -> tuple[list[StopView], list[StopView]]:
    """Today's stops still ahead (the current one first, marked) and later days' stops, each in order."""
    today_d = local_day(site, now)
    start = current_index(stops)
    today: list[StopView] = []
    later: list[StopView] = []
    for i, s in enumerate(stops):
        current = i == start
        if i < start or (not current and s.status in ("done", "missed", "cancelled")):
            continue
        day = local_day(site, s.slot) if s.slot is not None else today_d
        called_from = ""
        if not current and day == today_d:
            due = s.queued_from
            if due is None and s.slot is not None:
                due = s.slot - timedelta(minutes=_early(site, s.service))
            called_from = hhmm(site, due) if due is not None else ""
        title, title_de = titles(site, s.service, lang)
        way, way_de = directions(site, s.rooms, lang)
        view = StopView(day, hhmm(site, s.slot) if s.slot is not None else "", agency_short(site, s.agency, lang),
                        title, title_de, s.rooms, s.floor, way, way_de, current, called_from)
        (today if day <= today_d else later).append(view)
    return today, later


def _early(site: Site, service_id: str) -> int:
    if not any(s.id == service_id for s in site.services):
        return site.policy.booking_early_minutes
    return site.early_minutes(service_id)


def appointment_views(site: Site, appointments: Iterable[Appointment], lang: str
                      ) -> tuple[list[StopView], list[StopView]]:
    """A booking code's appointments: today's and later days', each in slot order."""
    today: list[StopView] = []
    later: list[StopView] = []
    for a in sorted(appointments, key=lambda a: a.slot):
        rooms, floor = _rooms_of(site, a.service)
        title, title_de = titles(site, a.service, lang)
        way, way_de = directions(site, rooms, lang)
        agency = a.agency or next((s.agency for s in site.services if s.id == a.service), "")
        view = StopView(local_day(site, a.slot), hhmm(site, a.slot), agency_short(site, agency, lang), title, title_de,
                        rooms, floor, way, way_de, checked_in=a.checked_in)
        (today if a.today else later).append(view)
    return today, later


def called_from(site: Site, queued_from: datetime | None, now: datetime) -> str:
    """ "HH:MM" when a booked client is called only from a later time than now, else "" (a wait estimate)."""
    if queued_from is None or queued_from <= now:
        return ""
    return hhmm(site, queued_from)


def documents(site: Site, services: Iterable[str], lang: str) -> list[tuple[str, str]]:
    """What to bring to these services, each once: its name in the client's language and in German."""
    known = [s for s in dict.fromkeys(services) if any(sv.id == s for sv in site.services)]
    return [(d.name.get(lang) or d.name.get("en") or d.name["de"], d.name["de"]) for d in site.documents_for(known)]


def reception_room(site: Site) -> str:
    """The room number of the reception ("E.01"), or "" when the site file has no room for it."""
    room = next((r for r in site.rooms if r.id == RECEPTION_ROOM_ID), None)
    return room.number if room is not None else ""
