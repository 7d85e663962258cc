"""Journeys: one client's booked stops at several agencies on one or two days, under one booking code.

Plain data and pure checks: which stops fall on a day, gaps between stops that are too short or overlap,
the free slots of a service, and how a booked client who comes early or late is queued.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from .site import Site


@dataclass(frozen=True)
class BookedStop:
    """One appointment of a journey."""

    booking_id: int
    service: str
    slot: datetime
    minutes: int
    external_ref: str | None = None


@dataclass(frozen=True)
class Journey:
    """A client's appointments under one code, in slot order, and what the centre needs to prepare."""

    code: str
    language: str
    party_size: int
    interpreter: bool
    step_free: bool
    stops: tuple[BookedStop, ...]

    def on_day(self, day: date, site: Site) -> tuple[BookedStop, ...]:
        return tuple(s for s in self.stops if s.slot.astimezone(site.tz).date() == day)

    def days(self, site: Site) -> list[date]:
        return sorted({s.slot.astimezone(site.tz).date() for s in self.stops})


@dataclass(frozen=True)
class GapProblem:
    """Two stops of a journey that follow too closely (or overlap)."""

    first: BookedStop
    second: BookedStop
    gap_minutes: int
    kind: Literal["overlap", "too_short"]


def gap_problems(site: Site, journey: Journey) -> list[GapProblem]:
    """Stops on the same day whose gap (end of one to start of the next) is negative or below the minimum."""
    out = []
    for a, b in zip(journey.stops, journey.stops[1:], strict=False):
        if a.slot.astimezone(site.tz).date() != b.slot.astimezone(site.tz).date():
            continue
        gap = math.floor((b.slot - (a.slot + timedelta(minutes=a.minutes))).total_seconds() / 60)
        if gap < 0:
            out.append(GapProblem(a, b, gap, "overlap"))
        elif gap < site.policy.journey_min_gap_minutes:
            out.append(GapProblem(a, b, gap, "too_short"))
    return out


Timing = Literal["early", "on_time", "late"]


def timing(site: Site, service: str, slot: datetime, now: datetime) -> Timing:
    """Whether a booked client arriving now is early (before the early window), on time, or late."""
    if now < slot - timedelta(minutes=site.early_minutes(service)):
        return "early"
    if now > slot + timedelta(minutes=site.agency_of_service(service).bookings.late_minutes):
        return "late"
    return "on_time"


def slot_step_minutes(site: Site, service: str) -> int:
    """Slots of a service start every typical service time, rounded up to 5 minutes."""
    return max(5, 5 * math.ceil(site.service(service).minutes / 5))


def free_slots(site: Site, service: str, day: date, booked: list[tuple[str, datetime, int]],
               after: datetime | None = None, capacity: int | None = None) -> list[datetime]:
    """Slot starts of a service on a day, within its agency's hours, that fewer bookings overlap than it has counters
    (or than `capacity`, for an agency that keeps counters free for walk-ins).

    `booked` are (service, start, minutes) of the day's bookings; those of every service that shares a counter with
    this one count (two services on one desk share its time); `after` leaves out earlier slots.
    """
    agency = site.agency_of_service(service)
    counters = [c for c in site.counters if service in c.services]
    sharing = {s for c in counters for s in c.services}
    if capacity is None:
        capacity = len(counters)
    mine = [(start, minutes) for s, start, minutes in booked if s in sharing]
    step = timedelta(minutes=slot_step_minutes(site, service))
    out = []
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    if agency.hours:
        ranges = [(r.start, datetime.combine(day, r.end, tzinfo=site.tz)) for r in agency.hours.get(weekday, [])]
    else:  # no hours configured: open all day
        ranges = [(time(), datetime.combine(day + timedelta(days=1), time(), tzinfo=site.tz))]
    for start, end in ranges:
        at = datetime.combine(day, start, tzinfo=site.tz)
        while at + step <= end:
            overlapping = sum(1 for start, minutes in mine
                              if start < at + step and at < start + timedelta(minutes=minutes))
            if overlapping < capacity and (after is None or at >= after):
                out.append(at)
            at += step
    return out
