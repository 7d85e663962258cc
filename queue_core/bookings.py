"""Adding booked appointments: one on the command line, or many from a CSV file with the same fields."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from queue_rules.site import Site

from .store import Booking

CSV_FIELDS = ("code", "service", "slot", "minutes", "language", "party_size")


class BookingError(ValueError):
    pass


def make_booking(site: Site, *, code: str, service: str, slot: str, minutes: int | str = 30,
                 language: str = "de", party_size: int | str = 1, where: str = "") -> Booking:
    """Check one booking against the site; `slot` is local time like 2026-11-23T09:30."""
    prefix = f"{where}: " if where else ""
    code = code.strip()
    if not (4 <= len(code) <= 32) or not code.replace("-", "").isalnum():
        raise BookingError(f"{prefix}code {code!r}: 4-32 letters, digits or '-'")
    if service not in {s.id for s in site.services}:
        raise BookingError(f"{prefix}unknown service {service!r}")
    try:
        when = datetime.fromisoformat(slot)
    except ValueError:
        raise BookingError(f"{prefix}slot {slot!r} is not a time like 2026-11-23T09:30") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=site.tz)
    try:
        minutes_i, party_i = int(minutes), int(party_size)
    except ValueError:
        raise BookingError(f"{prefix}minutes and party_size must be whole numbers") from None
    if not 1 <= party_i <= 20 or not 5 <= minutes_i <= 480:
        raise BookingError(f"{prefix}party_size must be 1-20 and minutes 5-480")
    return Booking(code=code, service=service, slot=when, slot_minutes=minutes_i, language=language,
                   party_size=party_i)


def read_csv(site: Site, path: Path) -> list[Booking]:
    """All rows or none: a bad row stops the import with its line number."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"code", "service", "slot"} - set(reader.fieldnames or [])
        if missing:
            raise BookingError(f"{path}: missing column(s) {', '.join(sorted(missing))}; "
                               f"expected {', '.join(CSV_FIELDS)}")
        out = []
        for row in reader:
            fields = {k: v for k, v in row.items() if k in CSV_FIELDS and v not in (None, "")}
            out.append(make_booking(site, where=f"{path}:{reader.line_num}", **fields))
        return out
