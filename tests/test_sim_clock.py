"""The shared simulated clock: its string form, refused specs, agreement across processes, and the places that read it
(the core's clock option, reception's waits, the kiosk's offline ticket, the wall display's clock)."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from arkaden_cli.common import clock as core_clock
from display_app.board_model import BoardModel
from display_app.reception_model import ReceptionModel
from host_support.sim_clock import SimClock, real_now, sim_clock_argument
from kiosk_app.backend import CheckInRequest
from kiosk_app.core_backend import CoreBackend
from kiosk_app.outbox import Outbox
from ui_common import app_options
from ui_common.kivy_env import Geometry

from .engine_helpers import mini_site
from .fakes import FakeCoreLink

BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2026, 12, 2, 7, 55, tzinfo=BERLIN)


def test_sim_clock_spec_round_trips_and_reads_the_documented_example() -> None:
    clock = SimClock.starting(MORNING, 60)
    assert SimClock.parse(clock.spec()) == clock
    assert SimClock.parse(clock.spec()).spec() == clock.spec()
    example = SimClock.parse("2026-12-02T07:55:00+01:00@1764658500.250x60")
    assert example == SimClock(datetime(2026, 12, 2, 7, 55, tzinfo=BERLIN), 1764658500.25, 60.0)
    assert example.spec() == "2026-12-02T07:55:00+01:00@1764658500.250x60"
    # fractional speeds and a frozen clock keep their value
    for scale in (0.0, 1.0, 2.5, 1 / 3):
        c = SimClock(MORNING, 1764658500.25, scale)
        assert SimClock.parse(c.spec()) == c


def test_sim_clock_runs_scale_times_faster_from_its_anchor_in_utc() -> None:
    clock = SimClock(MORNING, 1_000_000.0, 60)
    assert clock.at(1_000_000.0) == MORNING
    assert clock.at(1_000_010.0) == MORNING + timedelta(minutes=10)
    assert clock.at(1_000_010.0).tzinfo is UTC
    assert SimClock(MORNING, 1_000_000.0, 0).at(2_000_000.0) == MORNING   # frozen
    started = SimClock.starting(MORNING, 60)
    assert abs((started.now() - MORNING).total_seconds()) < 60   # under a real second since it started


@pytest.mark.parametrize("spec, says", [
    ("", "expected START@ANCHORxSCALE"),
    ("07:55x60", "expected START@ANCHORxSCALE"),
    ("2026-12-02T07:55:00+01:00@1764658500.250", "expected START@ANCHORxSCALE"),
    ("2026-12-02T07:55:00+01:00@1764658500.250x-2", "expected START@ANCHORxSCALE"),
    ("2026-12-02T07:55:00+01:00@yesterdayx60", "expected START@ANCHORxSCALE"),
    ("2026-12-02T07:55:00@1764658500.250x60", "needs a UTC offset"),
    ("2026-13-02T07:55:00+01:00@1764658500.250x60", "is not a date and time"),
])
def test_sim_clock_refuses_malformed_specs_saying_why(spec: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        SimClock.parse(spec)
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        sim_clock_argument(spec)


def test_sim_clock_built_at_different_moments_from_one_spec_agrees() -> None:
    spec = SimClock.starting(MORNING, 60).spec()
    early = SimClock.parse(spec)
    time.sleep(0.3)   # a process that starts later
    late = SimClock.parse(spec)
    a, b, c = early.now(), late.now(), early.now()
    assert a <= b <= c and (c - a).total_seconds() < 1   # the same simulated time (60 × a few ms apart at most)
    assert (b - MORNING).total_seconds() >= 0.3 * 60 * 0.9


def test_core_clock_option_wins_over_clock_start_and_scale() -> None:
    site = mini_site()
    sim = SimClock.starting(MORNING, 60)
    assert core_clock(site, "09:00", 2.0, real_now, sim) == sim.now
    assert core_clock(site, None, 1.0, real_now) is real_now
    old = core_clock(site, "09:00", 60.0, real_now)()   # the older options still give a day from 09:00
    nine = datetime.combine(datetime.now(site.tz).date(), datetime.min.time().replace(hour=9), site.tz)
    assert abs((old - nine).total_seconds()) < 60


def test_app_options_read_window_snapshots_and_clock() -> None:
    parser = argparse.ArgumentParser()
    app_options.add_arguments(parser)
    spec = SimClock.starting(MORNING, 60).spec()
    args = parser.parse_args(["--window", "960x540+960+0", "--sim-clock", spec, "--snapshot-dir", "/tmp/x",
                              "--snapshot-seconds", "2"])
    assert app_options.window_geometry(args) == Geometry(960, 540, 960, 0)
    settings = app_options.snapshot_settings(args)
    assert settings is not None and settings.directory == Path("/tmp/x") and settings.every_s == 2
    assert abs((app_options.clock(args)() - MORNING).total_seconds()) < 120
    plain = parser.parse_args([])
    assert app_options.clock(plain) is real_now and app_options.snapshot_settings(plain) is None
    assert app_options.window_geometry(plain) is None
    for bad in (["--window", "960x540"], ["--window", "10x10+0+0"], ["--snapshot-seconds", "0"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def _waiting_ticket(number: str, arrived: datetime) -> dict[str, object]:
    return {"id": f"t-{number}", "number": number, "service": "aufenthalt", "status": "waiting", "priority": 0,
            "arrived_at": arrived.isoformat(), "language": "ar", "party_size": 1, "interpreter": False,
            "step_free": False, "booked": False, "note": ""}


def test_reception_model_counts_waits_in_simulated_minutes() -> None:
    """A morning simulated from 07:55 at 60×: a client who checked in at 07:58 has waited 12 minutes at 08:10,
    whatever the real clock says (the real clock gave "720 min" against a simulated morning)."""
    sim = SimClock(MORNING, 1_000_000.0, 60)
    wall = [1_000_000.0 + 15 * 60 / 60]   # 15 simulated minutes after 07:55
    model = ReceptionModel(mini_site(), "reception", "frau-k", clock=lambda: sim.at(wall[0]))
    model.apply("tickets", {"v": 1, "at": MORNING.isoformat(), "tickets": [
        _waiting_ticket("A-001", MORNING + timedelta(minutes=3))]})
    assert model.now() == datetime(2026, 12, 2, 8, 10, tzinfo=BERLIN)
    assert [r["waited"] for r in model.ticket_rows(model.now())] == ["12 min"]
    assert next(q for q in model.queue_rows(model.now()) if q.service == "aufenthalt").longest_min == 12
    wall[0] += 10   # ten real seconds later: ten simulated minutes
    assert [r["waited"] for r in model.ticket_rows(model.now())] == ["22 min"]


def test_kiosk_offline_ticket_carries_the_simulated_time_and_day(tmp_path: Path) -> None:
    late_evening = datetime(2026, 12, 2, 23, 59, 30, tzinfo=BERLIN)   # the real day would be another one
    sim = SimClock(late_evening, 1_000_000.0, 0)
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    try:
        backend = CoreBackend(mini_site(), "kiosk-1", FakeCoreLink(online=False), outbox,
                              clock=lambda: sim.at(1_000_000.0))
        result = backend.check_in(CheckInRequest("de", concern="job"))
        assert result.kind == "issued" and result.ticket is not None and result.ticket.offline
        assert result.ticket.issued_at == late_evening
        (entry,) = outbox.pending()
        assert entry.day == "2026-12-02"
        assert datetime.fromisoformat(entry.payload["issued_at"]) == late_evening
    finally:
        outbox.close()


def test_wall_display_clock_shows_the_simulated_local_time() -> None:
    sim = SimClock(MORNING, 1_000_000.0, 60)
    board = BoardModel(mini_site(), "display-1")
    assert board.wall_time(sim.at(1_000_000.0 + 5 * 60 / 60)) == "08:00"
