"""The options every Kivy app takes for demos and headless runs: --window, --snapshot-dir/-seconds, --sim-clock.

Plain argparse, no Kivy: `arkaden display|reception` (arkaden_cli) and `arkaden kiosk` (kiosk_app.main) add
them with `add_arguments` and read them back with `window_geometry`, `snapshot_settings` and `clock`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from host_support.sim_clock import SIM_CLOCK_HELP, SimClock, real_now, sim_clock_argument

from .kivy_env import WINDOW_HELP, Geometry, geometry_argument
from .snapshots import SnapshotSettings


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text}: must be more than 0 seconds")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--window", type=geometry_argument, default=None, metavar="WxH+X+Y", help=WINDOW_HELP)
    p.add_argument("--snapshot-dir", type=Path, default=None, metavar="DIR",
                   help="headless runs: write the screen as PNG to DIR every --snapshot-seconds, named "
                        "<app>-<device>-<HHMMSS>.png by the app's (simulated) local time")
    p.add_argument("--snapshot-seconds", type=_seconds, default=5.0, metavar="S",
                   help="real seconds between two snapshots (default 5)")
    p.add_argument("--sim-clock", type=sim_clock_argument, default=None, metavar="SPEC", help=SIM_CLOCK_HELP)


def window_geometry(args: argparse.Namespace) -> Geometry | None:
    geometry: Geometry | None = getattr(args, "window", None)
    return geometry


def snapshot_settings(args: argparse.Namespace) -> SnapshotSettings | None:
    directory: Path | None = getattr(args, "snapshot_dir", None)
    return SnapshotSettings(directory, args.snapshot_seconds) if directory is not None else None


def clock(args: argparse.Namespace) -> Callable[[], datetime]:
    """The time the app shows and computes with: the --sim-clock's, else the real clock (UTC)."""
    sim: SimClock | None = getattr(args, "sim_clock", None)
    return sim.now if sim is not None else real_now
