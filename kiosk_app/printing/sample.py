"""Sample slips from a site file, for `arkaden ticket preview`, the printer tests and the benchmark."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from queue_rules.engine import format_number
from queue_rules.site import Site

from .port import Slip


def sample_token() -> str:
    """An opaque token like the kiosk's (random; it names nobody)."""
    return secrets.token_urlsafe(16)


def sample_slip(site: Site, lang: str, *, concern_id: str | None = None, seq: int = 17,
                wait_min: int = 25, token: str | None = None, ticket_id: str | None = None,
                issued_at: datetime | None = None) -> Slip:
    """A slip for the site's first walk-in concern (or ``concern_id``) as the kiosk would print it."""
    concern = site.concern(concern_id) if concern_id else next(c for c in site.concerns if c.walk_in)
    agency = site.agency_of_service(concern.service)
    rooms = []
    for counter in site.counters:
        if concern.service in counter.services:
            room = site.room(counter.room)
            if room not in rooms:
                rooms.append(room)
    floor = rooms[0].floor if rooms else 0
    return Slip(
        ticket_id=ticket_id or secrets.token_hex(8),
        number=format_number(agency.prefix, seq),
        token=token or sample_token(),
        lang=lang,
        concern=concern.title.get(lang) or concern.title["de"],
        concern_de=concern.title["de"],
        rooms=tuple(r.number for r in rooms if r.floor == floor),
        floor=floor,
        directions=rooms[0].directions.get(lang, "") if rooms else "",
        directions_de=rooms[0].directions.get("de", "") if rooms else "",
        estimated_wait_min=wait_min,
        issued_at=issued_at or datetime(2026, 11, 23, 9, 41, tzinfo=ZoneInfo(site.site.timezone)),
    )
