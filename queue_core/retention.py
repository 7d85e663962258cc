"""Making the daily figures from the store, reading them for a period, and the retention purge (`arkaden purge`).

A day's figures are final once the day after it is over (a journey may finish on its second day). `purge`
stores the figures of every final day not stored yet, *then* deletes the personal data older than the site's
`policy.retention_days`; a report reads stored figures where there are some and makes the rest from the log,
with the same function, so a report over a year reads the same before and after a purge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from queue_rules import events as ev
from queue_rules.device_time import device_figures
from queue_rules.figures import Figure
from queue_rules.site import Site
from queue_rules.tally import journey_ends, tally_day

from .figure_store import Purged
from .store import Store

log = logging.getLogger("arkaden.retention")


@dataclass(frozen=True)
class PeriodFigures:
    figures: list[Figure]
    days_from_figures: int
    days_from_log: int
    events: int


@dataclass(frozen=True)
class PurgeResult:
    figured: list[date]
    cut: date
    purged: Purged


class DayLogs:
    """The event log a day at a time, for days made in order: each day is read once, though a day's figures
    need the day before and after it; only the last three days are kept."""

    def __init__(self, store: Store):
        self.store = store
        self._days: dict[date, list[ev.Event]] = {}

    def events(self, day: date) -> list[ev.Event]:
        if day not in self._days:
            self._days[day] = list(self.store.events(day=day))
            for old in sorted(self._days)[:-3]:
                del self._days[old]
        return self._days[day]


def make_figures(site: Site, store: Store, day: date, logs: DayLogs | None = None) -> tuple[list[Figure], int]:
    """One day's figures from the event log, the bookings and the device log; and the number of events read."""
    logs = logs or DayLogs(store)
    events = logs.events(day)
    seen_before = frozenset(e.journey for e in logs.events(day - timedelta(days=1))
                            if isinstance(e, ev.TicketIssued) and e.journey)
    tomorrow = logs.events(day + timedelta(days=1))
    ends = journey_ends(site, tomorrow) if tomorrow else None
    codes = sorted({j for e in events if (j := getattr(e, "journey", None))})
    later = store.journey_stops_after(codes, day, site.tz)
    figures = tally_day(site, day, events, seen_before=seen_before, next_day=ends, later_stops=later)
    since = datetime.combine(day, time(), site.tz).astimezone(UTC)
    until = datetime.combine(day + timedelta(days=1), time(), site.tz).astimezone(UTC)
    figures += device_figures(site, day, store.presence_changes(since=since, until=until))
    return sorted(figures), len(events)


def final_day(today: date) -> date:
    """The last day whose figures can no longer change: the day before yesterday."""
    return today - timedelta(days=2)


def period_figures(site: Site, store: Store, first: date, last: date) -> PeriodFigures:
    """Every figure of [first, last]: stored ones, and the others made from the log now."""
    stored_days = store.figure_days(first, last)
    figures = store.stored_figures(first, last)
    made, events = 0, 0
    logs = DayLogs(store)
    for day in store.logged_days(first, last):
        if day in stored_days:
            continue
        day_figures, n = make_figures(site, store, day, logs)
        figures += day_figures
        made, events = made + 1, events + n
    return PeriodFigures(sorted(figures), len(stored_days), made, events)


def store_final_figures(site: Site, store: Store, today: date) -> list[date]:
    """Make and store the figures of every final day that has a log and no stored figures yet, oldest first."""
    first = store.first_logged_day()
    if first is None or first > final_day(today):
        return []
    done = store.figure_days(first, final_day(today))
    out = []
    logs = DayLogs(store)
    for day in store.logged_days(first, final_day(today)):
        if day not in done:
            figures, n = make_figures(site, store, day, logs)
            store.save_figures(day, figures, events=n)
            out.append(day)
    return out


def purge(site: Site, store: Store, *, today: date, retention_days: int | None = None) -> PurgeResult:
    """Store the final days' figures, then delete personal data older than the retention period."""
    keep = site.policy.retention_days if retention_days is None else retention_days
    if keep < 3:
        raise ValueError("retention_days must be at least 3: a day's figures need the day before and after it")
    figured = store_final_figures(site, store, today)
    cut = today - timedelta(days=keep)
    purged = store.delete_personal_before(cut, site.tz)
    cut_at = datetime.combine(cut, time(), site.tz).astimezone(UTC)
    purged = replace(purged, device_rows=store.drop_presence_before(cut_at))
    log.info("purge: figures stored for %d day(s); personal data before %s deleted: %s",
             len(figured), cut, purged.as_dict())
    return PurgeResult(figured, cut, purged)
