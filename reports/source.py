"""Where the report's figures came from: the period, the database and how many days were read how."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class ReportSource:
    site_name: str
    first_day: date
    last_day: date
    database: str            # the database URL with any password removed
    days_from_figures: int   # days read from stored figures (their event log may already be purged)
    days_from_log: int       # days whose figures were computed from the event log just now
    events: int              # event-log rows read for those
    generated_at: datetime
