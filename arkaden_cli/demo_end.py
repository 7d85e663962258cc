"""The end of a demo run: `arkaden report` for the simulated day, and what the run left in its folder."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

from arkaden_cli.common import child_env
from arkaden_cli.demo_run import RunFolder

REPORT_TIMEOUT_S = 180.0


def write_report(site_file: Path, db_url: str, day: date, run: RunFolder, hurry: threading.Event) -> str:
    """Run `arkaden report` for ``day`` into the run's report/ folder; one line saying how it went.

    ``hurry`` (a second Ctrl-C) stops it; a report that fails is said with its log's last lines.
    """
    log = run.logs / "report.log"
    argv = [sys.executable, "-m", "arkaden_cli", "--log-level", "WARNING", "report", "--site", str(site_file),
            "--db-url", db_url, "--from", day.isoformat(), "--to", day.isoformat(), "--out", str(run.report)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=child_env(), start_new_session=True)
        deadline = time.monotonic() + REPORT_TIMEOUT_S
        while proc.poll() is None:
            if hurry.is_set() or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return f"report: stopped before it was done (log {log})"
            time.sleep(0.1)
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(text.splitlines()[-8:])
        return f"report: `arkaden report` failed (exit {proc.returncode}); last lines of {log}:\n{tail}"
    files = sorted(p for p in run.report.rglob("*") if p.is_file())
    return f"report: {len(files)} files in {run.report}"


def screens_by_window(run: RunFolder) -> Counter[str]:
    """Screenshots per window: `<app>-<device>` → count."""
    return Counter(p.stem.rsplit("-", 1)[0] for p in run.screens.glob("*.png"))


def summary(run: RunFolder, report_line: str) -> list[str]:
    """Where the run's output is, with counts."""
    screens = screens_by_window(run)
    slips = sorted(run.slips.glob("*.png"))
    shots = ", ".join(f"{name} {n}" for name, n in sorted(screens.items())) or "none"
    lines = [
        f"output of this run: {run.root}",
        f"  screens  {run.screens}/  ({sum(screens.values())} PNG: {shots})",
        f"  slips    {run.slips}/  ({len(slips)} PNG)",
        f"  {report_line}",
        f"  logs     {run.logs}/  (one per process; demo.log is this output)",
    ]
    left = run.leftovers()
    if left:
        lines.append("  left over (should not be): " + ", ".join(str(p) for p in left))
    return lines
