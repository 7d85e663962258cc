"""`arkaden bench`: "faults" — the fault scenarios of tests/faults/ (the core SIGKILLed and the broker restarted
in a morning rush, midnight and the DST nights), run with pytest against real processes, and their figures
(reconnect times, messages lost, duplicates). Needs the source tree (the tests are not in the wheel)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..common import SOURCE_ROOT, child_env

SCENARIOS = SOURCE_ROOT / "tests" / "faults"


def run(quick: bool = False) -> dict[str, object]:
    """{"faults": {"passed": n, "failed": m, "scenarios": {...}}}; with --quick (the test suite runs these
    scenarios itself) or without the source tree, says why it was left out."""
    if quick:
        return {"faults": {"skipped": "--quick: tests/faults/ runs in the test suite"}}
    if not SCENARIOS.is_dir():
        return {"faults": {"skipped": f"no {SCENARIOS} (an installed wheel has no tests)"}}
    with tempfile.TemporaryDirectory(prefix="arkaden-bench-faults-") as tmp:
        summary = Path(tmp) / "summary.json"
        env = {**child_env(), "ARKADEN_FAULTS_SUMMARY": str(summary)}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")]))
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
                               str(Path(tmp) / "pytest"), str(SCENARIOS)], cwd=SOURCE_ROOT, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        if not summary.exists():
            return {"faults": {"passed": 0, "failed": -1, "error": done.stdout[-2000:] + done.stderr[-1000:]}}
        figures: dict[str, object] = json.loads(summary.read_text(encoding="utf-8"))
    return {"faults": figures}
