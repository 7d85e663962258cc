"""One simulated clock for a demo or test run, shared by every process as a string: start, wall anchor, speed.

``2026-12-02T07:55:00+01:00@1764658500.250x60`` means: at wall time 1764658500.250 (``time.time()``, epoch
seconds) the simulated time was 07:55 on 2 December 2026, and it runs 60 times faster. Every process computes
from the same wall anchor, so the core, the simulator and all apps agree to the second, whenever each started.
Scale 0 is a frozen clock (tests). Without a spec the apps and the core use the real clock (`real_now`).
"""

from __future__ import annotations

import argparse
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_SPEC = re.compile(r"(?P<start>[^@\s]+)@(?P<anchor>\d+(?:\.\d+)?)x(?P<scale>\d+(?:\.\d+)?)")
EXAMPLE = "2026-12-02T07:55:00+01:00@1764658500.250x60"


def real_now() -> datetime:
    """The real clock, UTC (what every app and the core use without --sim-clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class SimClock:
    """At wall time ``anchor`` (epoch seconds) the simulated time was ``start``; it runs ``scale`` times faster."""

    start: datetime
    anchor: float
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError(f"simulated clock: the start {self.start.isoformat()} needs a UTC offset, "
                             "e.g. 2026-12-02T07:55:00+01:00")
        if not math.isfinite(self.anchor) or self.anchor < 0:
            raise ValueError(f"simulated clock: the wall anchor {self.anchor!r} is not epoch seconds")
        if not math.isfinite(self.scale) or self.scale < 0:
            raise ValueError(f"simulated clock: the scale {self.scale!r} must be 0 (frozen) or more")

    @classmethod
    def starting(cls, start: datetime, scale: float = 1.0, *, wall: float | None = None) -> SimClock:
        """A clock whose simulated time is ``start`` now (or at wall time ``wall``); the anchor kept to the ms."""
        anchor = time.time() if wall is None else wall
        return cls(start.replace(microsecond=0), round(anchor, 3), scale)

    def now(self) -> datetime:
        """The simulated time now, UTC."""
        return self.at(time.time())

    def at(self, wall: float) -> datetime:
        """The simulated time at wall time ``wall`` (epoch seconds), UTC."""
        return (self.start + timedelta(seconds=(wall - self.anchor) * self.scale)).astimezone(UTC)

    def spec(self) -> str:
        """The string form that `parse` reads back to an equal clock (for a child's --sim-clock)."""
        scale = repr(float(self.scale)).removesuffix(".0")
        return f"{self.start.isoformat()}@{self.anchor:.3f}x{scale}"

    @classmethod
    def parse(cls, spec: str) -> SimClock:
        """The clock of a spec such as ``2026-12-02T07:55:00+01:00@1764658500.250x60``; ValueError saying why not."""
        match = _SPEC.fullmatch(spec.strip())
        if match is None:
            raise ValueError(f"simulated clock {spec!r}: expected START@ANCHORxSCALE, e.g. {EXAMPLE} "
                             "(START local time with its UTC offset, ANCHOR epoch seconds, SCALE how much faster)")
        try:
            start = datetime.fromisoformat(match["start"])
        except ValueError:
            raise ValueError(f"simulated clock {spec!r}: {match['start']!r} is not a date and time "
                             f"such as 2026-12-02T07:55:00+01:00") from None
        if start.tzinfo is None:
            raise ValueError(f"simulated clock {spec!r}: the start {match['start']!r} needs a UTC offset, "
                             "e.g. 2026-12-02T07:55:00+01:00")
        return cls(start, float(match["anchor"]), float(match["scale"]))


def sim_clock_argument(text: str) -> SimClock:
    """``type=`` for an argparse ``--sim-clock`` option: the parse error as the option's message."""
    try:
        return SimClock.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


SIM_CLOCK_HELP = ("demo and tests only: a simulated clock START@ANCHORxSCALE shared by all processes, e.g. "
                  f"{EXAMPLE} (at wall time ANCHOR it was START, running SCALE times faster); default: the real clock")
