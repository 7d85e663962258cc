"""The walk-in tiles: which concerns can be chosen now, and for the others why not (appointment only, closed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from queue_rules.site import WEEKDAYS, Concern, Site

Availability = Literal["open", "appointment_only", "closed"]


@dataclass(frozen=True)
class Tile:
    concern: str
    pictogram: str
    title: str          # in the client's language (German when the site has no translation)
    title_de: str
    availability: Availability
    agency: str         # the agency's id
    subtitle: str = ""  # one line that tells look-alike tiles apart (Jobcenter / Agentur für Arbeit)


# a title's own remark that it needs an appointment, "(nur Termin)": the tile's badge says so once
_BRACKETED_END = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def tile_title(title: str, availability: Availability) -> str:
    """The title as a tile shows it: an appointment-only tile drops a closing "(…)" remark, which is what its
    badge "appointment only" says (the site file's title keeps it for slips and lists)."""
    if availability != "appointment_only":
        return title
    return _BRACKETED_END.sub("", title) or title


def concern_title(concern: Concern, lang: str) -> str:
    return concern.title.get(lang) or concern.title.get("en") or concern.title["de"]


def service_title(site: Site, service_id: str, lang: str) -> tuple[str, str]:
    """What a service is called for a client: its kiosk tile's title (translated into every site language) when
    it has one, else the service's own name; in ``lang`` and in German."""
    concern = next((c for c in site.concerns if c.service == service_id), None)
    if concern is not None:
        return concern_title(concern, lang), concern.title["de"]
    name = site.service(service_id).name
    return name.get(lang) or name.get("en") or name["de"], name["de"]


def tiles(site: Site, lang: str, now: datetime) -> list[Tile]:
    """Every concern of the site, in site order, with what a tap on it will do now."""
    local = now.astimezone(site.tz)
    out = []
    for c in site.concerns:
        agency = site.agency_of_service(c.service)
        if not c.walk_in:
            availability: Availability = "appointment_only"
        elif not agency.is_open(local):
            availability = "closed"
        else:
            availability = "open"
        subtitle = c.subtitle.get(lang) or c.subtitle.get("en") or c.subtitle.get("de") or ""
        out.append(Tile(c.id, c.pictogram, tile_title(concern_title(c, lang), availability),
                        tile_title(c.title["de"], availability), availability, agency.id, subtitle))
    return out


@dataclass(frozen=True)
class DayHours:
    weekday: int          # 0 = Monday
    ranges: str           # "07:30-12:00, 14:00-17:30"


def opening_hours(site: Site, agency_id: str) -> list[DayHours]:
    """The agency's week, Monday first, days without hours left out."""
    agency = site.agency(agency_id)
    out = []
    for i, day in enumerate(WEEKDAYS):
        ranges = agency.hours.get(day, [])
        if ranges:
            text = ", ".join(f"{r.start.strftime('%H:%M')}-{r.end.strftime('%H:%M')}" for r in ranges)
            out.append(DayHours(i, text))
    return out
