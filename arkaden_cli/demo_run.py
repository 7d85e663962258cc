"""One demo run's folder: `.demo/run-<YYYYmmdd-HHMMSS>-<pid>/` with screens, slips, report, logs and state.

Everything a run writes is in its own folder (the broker's files, the database, the kiosk's outbox, Kivy's
settings, the private X server's cookie, the button boxes' pseudo-terminal links), so two demos in one
checkout never share a file. The folder stays after the run: it is the demo's output.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

DEMO_DIR = ".demo"
MORNING_END = dtime(12, 30)


@dataclass(frozen=True)
class Options:
    """What `arkaden demo` was asked for (arkaden_cli.tool_commands)."""

    seconds: float = 0                 # real seconds, 0: no limit
    speed: float = 60                  # simulated minutes per real minute
    until: dtime = MORNING_END         # the simulated time the demo ends at (unless run_on)
    run_on: bool = False
    out: str | None = None             # the output folder (default .demo/run-…)
    headless: bool = False             # a private Xvfb even with a screen
    db_url: str | None = None
    boxes: int = 3                     # counters whose counsellors press keys on a button box
    snapshot_seconds: float = 5.0      # real seconds between two screenshots of a window (headless)
    seed: int | None = None


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @classmethod
    def create(cls, out: str | None, *, cwd: Path | None = None, now: datetime | None = None) -> RunFolder:
        """``out`` (made if missing), or a new `.demo/run-<time>-<pid>/` under ``cwd``."""
        if out:
            root = Path(out).resolve()
        else:
            stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
            root = (cwd or Path.cwd()).resolve() / DEMO_DIR / f"run-{stamp}-{os.getpid()}"
        run = cls(root)
        for d in (run.screens, run.slips, run.report, run.logs, run.state, run.boxes):
            d.mkdir(parents=True, exist_ok=True)
        return run

    @property
    def screens(self) -> Path:
        """PNG screenshots the apps write of their windows (`<app>-<device>-<HHMMSS>.png`)."""
        return self.root / "screens"

    @property
    def slips(self) -> Path:
        """Every slip the simulated printers printed, as PNG."""
        return self.root / "slips"

    @property
    def report(self) -> Path:
        """`arkaden report` for the simulated day."""
        return self.root / "report"

    @property
    def logs(self) -> Path:
        """One log per child process, and the demo's own output (`demo.log`)."""
        return self.root / "logs"

    @property
    def state(self) -> Path:
        """Working files: the broker's config, the database, the kiosk's outbox, Kivy's settings, X11 cookies."""
        return self.root / "state"

    @property
    def boxes(self) -> Path:
        """Links to the pseudo-terminals of the simulated button boxes (`box-<id>`)."""
        return self.root / "state" / "boxes"

    def db_url(self) -> str:
        return f"sqlite:///{self.state / 'demo.db'}"

    def kivy_home(self, app: str) -> Path:
        """Kivy's settings directory for one app of this run (Kivy rewrites it at every start)."""
        return self.state / "kivy" / app

    def leftovers(self) -> list[Path]:
        """Files that must not outlive a run that stopped: sockets, pseudo-terminal links, SQLite journals."""
        found = [p for p in self.boxes.iterdir()] if self.boxes.exists() else []
        found += [p for p in self.state.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal", ".pid", ".lock"))]
        return sorted(found)
