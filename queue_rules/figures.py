"""Anonymous daily figures: what the committee report needs, and all that survives the retention purge.

A figure is one count for one local day: `Figure(day, measure, a, b, n)`. What `a`, `b` and `n` mean depends on
the measure (`MEASURES`). Times are kept as histograms of whole minutes (a wait of 12 min 59 s counts as 12), so
days add up to any period and medians and percentiles over a year need no personal data. No figure names a
client, a ticket, a booking code, a note, or a counsellor: counts are per agency, hour, language or device.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, order=True)
class Figure:
    day: date
    measure: str
    a: str = ""
    b: str = ""
    n: int = 0


@dataclass(frozen=True)
class Measure:
    a: str
    b: str
    n: str
    clients: bool = True  # n counts clients (or their visits): a cell under 5 is suppressed in the report


HISTOGRAM_CAP_MINUTES = 600  # a wait or a service time of 10 hours or more is counted as 600
PARTY_CAP = 6                # parties of six or more are counted as 6 ("6+")
JOURNEY_STOPS_CAP = 6        # journeys with six or more stops are counted as 6 ("6+")

MEASURES: dict[str, Measure] = {
    "checkins": Measure("local hour of the check-in, 00-23", "", "check-ins (numbers issued)"),
    "visits": Measure("agency id", "walk_in | booked", "stops queued at the agency: check-ins, handovers, "
                      "referrals and journeys' next stops"),
    "served": Measure("agency id", "", "stops finished (done, or handed on from the desk)"),
    "no_shows": Measure("agency id", "", "stops ended as a no-show"),
    "wait_walk_in": Measure("agency id", "whole minutes from queued to first call", "walk-in stops"),
    "wait_booked": Measure("agency id", "whole minutes from callable (slot less early window, or arrival if "
                           "later) to first call", "booked stops"),
    "service_time": Measure("agency id", "whole minutes from call (or start) to the end of the stop", "stops"),
    "language": Measure("language chosen (site language code)", "", "check-ins"),
    "interpreter": Measure("language chosen", "", "check-ins asking for an interpreter"),
    "party_size": Measure("party size, 1-6 (6 = six or more)", "", "check-ins"),
    "step_free": Measure("", "", "check-ins asking for a step-free way"),
    "journeys": Measure("stops of the journey, 2-6 (6 = six or more)", "one_day | two_days | open",
                        "clients with several matters, counted on the day of their first check-in"),
    "handover": Measure("from agency id", "to agency id", "visits handed on with the same number (transfer or "
                        "the journey's next stop)"),
    "handover_note": Measure("from agency id", "to agency id", "of those, with a counsellor's note"),
    "referral": Measure("from agency id", "to agency id", "referrals with return"),
    "referral_returned": Measure("from agency id", "to agency id", "of those, served back at the first agency"),
    "booked_on": Measure("from agency id", "to agency id", "appointments booked at a desk (refer with appointment)"),
    "offline_tickets": Measure("kiosk id", "", "numbers a kiosk issued while the core was away"),
    "device_down": Measure("device kind", "device id", "minutes offline during opening hours, while the core ran",
                           clients=False),
    "device_outages": Measure("device kind", "device id", "stretches offline that overlapped opening hours "
                              "(counted on the first such day)", clients=False),
    "paper_out": Measure("device kind", "device id", "minutes a printer reported paper out during opening hours",
                         clients=False),
}


def minutes_bin(seconds: float) -> str:
    """The histogram bin of a duration: whole minutes, floored, 0 … HISTOGRAM_CAP_MINUTES."""
    return str(min(max(int(seconds // 60), 0), HISTOGRAM_CAP_MINUTES))


def combine(figures: Iterable[Figure]) -> list[Figure]:
    """Add up rows with the same day, measure and keys (drops zero counts), sorted."""
    total: dict[tuple[date, str, str, str], int] = {}
    for f in figures:
        key = (f.day, f.measure, f.a, f.b)
        total[key] = total.get(key, 0) + f.n
    return sorted(Figure(d, m, a, b, n) for (d, m, a, b), n in total.items() if n)
