"""Device downtime for the committee report: presence changes folded into minutes offline, outages and paper out
during one local day's opening hours (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from .figures import Figure, combine
from .site import WEEKDAYS, Site

CORE = "core"  # the core's own rows: when it was running to see the devices

Span = tuple[datetime, datetime]  # [start, end), in UTC


@dataclass(frozen=True)
class PresenceChange:
    """A device's presence as the core saw it change: a row of the core's device log."""

    at: datetime    # aware: when the core received it
    device: str
    kind: str       # kiosk, display, button_box, reception, printer, button_bridge, …
    online: bool
    paper: str      # ok | out | unknown | "" (no printer)


def day_bounds(site: Site, day: date) -> Span:
    """The local day as [midnight, next midnight) in UTC: 23 or 25 hours on DST days."""
    tz = site.tz
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def opening_spans(site: Site, day: date) -> list[Span]:
    """When the house is open that day: the union of every agency's ranges for the weekday, in UTC.

    An agency without hours counts as open all day, so then the whole day is open.
    """
    if any(not a.hours for a in site.agencies):
        return [day_bounds(site, day)]
    weekday = WEEKDAYS[day.weekday()]
    tz = site.tz
    spans = [(datetime.combine(day, r.start, tzinfo=tz).astimezone(UTC),
              datetime.combine(day, r.end, tzinfo=tz).astimezone(UTC))
             for a in site.agencies for r in a.hours.get(weekday, [])]
    return _union(spans)


def device_figures(site: Site, day: date, changes: Sequence[PresenceChange]) -> list[Figure]:
    """`device_down`, `device_outages` and `paper_out` of one local day, counting opening hours only.

    ``changes`` are the day's changes plus, per device, the last one before the day (`presence_changes`), so a
    device that was down at midnight counts from midnight; a device is counted only from its first known state
    on, and a device never seen is not counted at all. Minutes offline are rounded to whole minutes per device
    and day. An outage (a stretch offline) counts once, on the first day it overlaps opening hours: one that
    began overnight and lasted into the morning counts that morning, one that lasted three days counts on the
    first. Paper out counts while the kiosk was online and said `paper: out`, for its printer (the site's
    printer id of the kiosk, else the kiosk's own id); an offline kiosk reports nothing and is counted as down.
    Only time the core was running counts (its own start and clean stop are rows of kind "core"): a night, or the
    end of a demo, with everything switched off is nobody's outage.
    """
    start, end = day_bounds(site, day)
    printer_of = {k.id: k.printer for k in site.kiosks if k.printer}
    by_device: dict[str, list[PresenceChange]] = {}
    for c in sorted(changes, key=lambda c: c.at):  # stable: equal times keep the store's order
        by_device.setdefault(c.device, []).append(c)
    opening = _intersect(opening_spans(site, day), _watched(by_device.pop(CORE, []), start, end))
    down: dict[tuple[str, str], list[Span]] = {}
    paper_out: dict[tuple[str, str], list[Span]] = {}
    outages: dict[tuple[str, str], int] = {}
    for device, rows in sorted(by_device.items()):
        segments = _segments(rows, start, end)
        for span, state in segments:
            if not state.online:
                down.setdefault((state.kind, device), []).append(span)
            elif state.paper == "out":
                paper_out.setdefault(("printer", printer_of.get(device, device)), []).append(span)
        for run, kind, began in _offline_runs(rows, segments, start):
            if _overlap(run, opening) > 0 and not _opened_between(site, began, start, day):
                outages[(kind, device)] = outages.get((kind, device), 0) + 1
    figures = [Figure(day, "device_down", a, b, _minutes(_overlap_all(spans, opening)))
               for (a, b), spans in down.items()]
    figures += [Figure(day, "paper_out", a, b, _minutes(_overlap_all(spans, opening)))
                for (a, b), spans in paper_out.items()]
    figures += [Figure(day, "device_outages", a, b, n) for (a, b), n in outages.items()]
    return combine(figures)


# --- helpers -----------------------------------------------------------------------------------------


def _segments(rows: list[PresenceChange], start: datetime, end: datetime) -> list[tuple[Span, PresenceChange]]:
    """The day cut into stretches of one known state, from the first known state on (rows sorted by time)."""
    out: list[tuple[Span, PresenceChange]] = []
    state: PresenceChange | None = None
    t = start
    for r in rows:
        if r.at >= end:
            break
        if r.at <= start:  # before the day (or at midnight): the state the day starts with
            state = r
            continue
        if state is not None and r.at > t:
            out.append(((t, r.at), state))
        state, t = r, r.at
    if state is not None and end > t:
        out.append(((t, end), state))
    return out


def _offline_runs(rows: list[PresenceChange], segments: list[tuple[Span, PresenceChange]],
                  start: datetime) -> list[tuple[Span, str, datetime]]:
    """Each stretch offline within the day (consecutive offline segments joined), its kind, and when it began:
    for one already going on at midnight, the time of the change that took the device offline."""
    runs: list[tuple[Span, str, datetime]] = []
    for span, state in segments:
        if state.online:
            continue
        if runs and runs[-1][0][1] == span[0]:
            (run_start, _), kind, began = runs[-1]
            runs[-1] = ((run_start, span[1]), kind, began)
        else:
            runs.append((span, state.kind, span[0]))
    if runs and runs[0][0][0] == start:
        began = start
        for r in reversed([r for r in rows if r.at <= start]):
            if r.online:
                break
            began = r.at
        runs[0] = (runs[0][0], runs[0][1], began)
    return runs


def _opened_between(site: Site, began: datetime, until: datetime, day: date) -> bool:
    """Whether [began, until) overlaps the opening hours of an earlier day (`day` is the day `until` starts)."""
    if began >= until:
        return False
    first = max(began.astimezone(site.tz).date(), day - timedelta(days=8))  # 8 days hold every weekday
    d = first
    while d < day:
        if _overlap((began, until), opening_spans(site, d)) > 0:
            return True
        d += timedelta(days=1)
    return False


def _watched(core: list[PresenceChange], start: datetime, end: datetime) -> list[Span]:
    """When the core was running (its own rows in the log); without any, the whole day (an older log)."""
    if not core:
        return [(start, end)]
    return [span for span, state in _segments(core, start, end) if state.online]


def _intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """The parts of the disjoint spans `a` that lie in the disjoint spans `b`."""
    return _union([(max(s, bs), min(e, be)) for s, e in a for bs, be in b if min(e, be) > max(s, bs)])


def _union(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _overlap(span: Span, spans: list[Span]) -> float:
    """Seconds of `span` inside `spans` (disjoint)."""
    s, e = span
    return sum(max(0.0, (min(e, oe) - max(s, os)).total_seconds()) for os, oe in spans)


def _overlap_all(spans: list[Span], opening: list[Span]) -> float:
    return sum(_overlap(span, opening) for span in _union(spans))


def _minutes(seconds: float) -> int:
    """Whole minutes, rounded half up."""
    return int(seconds / 60 + 0.5)
