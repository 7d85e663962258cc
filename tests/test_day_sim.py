"""The day simulation behind the journey figures: a seeded day repeats exactly, and its figures are sound."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from arkaden_cli.day_sim import simulate_day
from host_support.site_file import load_site

SITE = Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml"


@pytest.mark.slow  # two simulated days of the whole centre, a few seconds each
def test_a_seeded_day_repeats_and_the_ordering_rule_is_the_only_difference() -> None:
    logging.getLogger("arkaden.core").setLevel(logging.ERROR)
    site = load_site(SITE)
    first = simulate_day(site, seed=4, journeys=20)
    assert simulate_day(site, seed=4, journeys=20) == first  # the same day again
    without = simulate_day(site, seed=4, journeys=20, journey_priority=False)
    assert first.journeys == without.journeys >= 5 and first.walk_ins == without.walk_ins > 30
    assert 0 < first.journey_same_day_share <= 1 and first.journey_gap_min_p50 <= first.journey_gap_min_p90
    assert first.booked_stops_missed_late <= without.booked_stops_missed_late
