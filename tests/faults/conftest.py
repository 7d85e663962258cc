"""Fixtures of the fault scenarios: the core as its own process, a busier variant of mini.toml, measured figures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from host_support.site_file import load_site
from queue_rules.site import Site

from ..conftest import REPO_ROOT

MINI = REPO_ROOT / "tests" / "sites" / "mini.toml"
SUMMARY = Path(os.environ.get("ARKADEN_FAULTS_SUMMARY") or REPO_ROOT / "artifacts" / "faults" / "summary.json")
# the rush's size; ARKADEN_FAULTS_CHECKINS=3000 (and more counters) for a longer run
CHECKINS = int(os.environ.get("ARKADEN_FAULTS_CHECKINS", "300"))
COUNTERS_PER_AGENCY = int(os.environ.get("ARKADEN_FAULTS_COUNTERS", "20"))
RETRYING_KIOSKS = ("kiosk-1", "kiosk-2", "kiosk-3", "kiosk-4")
CALL_REPORT = pytest.StashKey[pytest.TestReport]()
REAL_KIOSKS = {"kiosk-5": (800, 849), "kiosk-6": (850, 899)}   # their offline number blocks


def rush_site_text(per_agency: int = COUNTERS_PER_AGENCY) -> str:
    """mini.toml with more kiosks (two with offline blocks) and `per_agency` counters per agency, each with a box."""
    parts = [MINI.read_text(encoding="utf-8"), "# --- added for the fault scenarios ---"]
    parts += [f'[[kiosks]]\nid = "{k}"\n' for k in RETRYING_KIOSKS[1:]]
    parts += [f'[[kiosks]]\nid = "{k}"\noffline_numbers = [{a}, {b}]\n' for k, (a, b) in REAL_KIOSKS.items()]
    for n in range(3, per_agency + 1):
        parts.append(f'[[counters]]\nid = "abh-{n}"\nroom = "e01"\nlabel = "Schalter {n}"\nservices = ["aufenthalt"]\n')
        parts.append(f'[[counters]]\nid = "jc-{n}"\nroom = "r107"\nlabel = "Platz {n}"\nservices = ["jobcenter"]\n')
    boxed = ["abh-2", "jc-1", "jc-2"] + [f"{a}-{n}" for n in range(3, per_agency + 1) for a in ("abh", "jc")]
    parts += [f'[[button_boxes]]\nid = "box-{c}"\ncounter = "{c}"\n' for c in boxed]
    return "\n".join(parts)


@pytest.fixture
def rush_site_file(tmp_path: Path) -> Path:
    path = tmp_path / "rush.toml"
    path.write_text(rush_site_text(), encoding="utf-8")
    return path


@pytest.fixture
def rush_site(rush_site_file: Path) -> Site:
    return load_site(str(rush_site_file))


class CoreProcess:
    """`python -m arkaden_cli core` as a child process that a test may kill, suspend and start again."""

    def __init__(self, site_file: Path, broker: MosquittoBroker, db_url: str, log_dir: Path):
        self.site_file, self.broker, self.db_url, self.log_dir = site_file, broker, db_url, log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int] = []

    def start(self, *extra: str) -> None:
        assert self.proc is None or self.proc.poll() is not None, "the core is still running"
        self.starts += 1
        log = (self.log_dir / f"core-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "arkaden_cli", "core", "--site", str(self.site_file), "--host", self.broker.host,
             "--port", str(self.broker.port), "--db-url", self.db_url, "--always-open", *extra],
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def restart(self, *extra: str) -> None:
        """A clean stop (SIGTERM) and a new start with these options."""
        self.stop()
        self.start(*extra)

    def wait_online(self, watcher: Any, since: float, timeout: float = 30) -> float:
        """Seconds from monotonic `since` until the core's presence said online; fails at once, with the core's
        log, if the process ended instead."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                seconds: float = watcher.first_after(watcher.topics.presence("core"), lambda m: m.get("online") is True,
                                                     since, timeout=0.25)
                return seconds
            except AssertionError:
                if self.proc is not None and self.proc.poll() is not None:
                    pytest.fail(f"the core exited with {self.proc.returncode}:\n{self.log()[-3000:]}", pytrace=False)
                if time.monotonic() > deadline:
                    pytest.fail(f"the core did not come online within {timeout} s:\n{self.log()[-3000:]}",
                                pytrace=False)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush; the broker publishes the core's Last Will."""
        assert self.proc is not None
        self.proc.kill()
        self.exit_codes.append(self.proc.wait(10))

    def stop(self) -> None:
        """SIGTERM (a clean stop that keeps the core's broker session) and wait."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGCONT)   # a suspended core would never see the SIGTERM
        self.proc.terminate()
        try:
            self.exit_codes.append(self.proc.wait(15))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_codes.append(self.proc.wait(5))

    def log(self, start: int | None = None) -> str:
        n = self.starts if start is None else start
        path = self.log_dir / f"core-{n}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- core start {n} ---\n{self.log(n)[-4000:]}" for n in range(1, self.starts + 1))


@pytest.fixture
def core_process(rush_site_file: Path, fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[CoreProcess]:
    core = CoreProcess(rush_site_file, fresh_broker, f"sqlite:///{tmp_path / 'core.db'}", tmp_path)
    yield core
    core.stop()


RECORDED: list[tuple[str, dict[str, Any]]] = []   # this run's figures, for the terminal summary


class Figures:
    """Measured figures of one scenario: printed, written under the test's tmp dir and merged into
    artifacts/faults/summary.json (one key per scenario) for the benchmark and docs/reliability.md."""

    def __init__(self, scenario: str, tmp_path: Path):
        self.scenario, self.tmp_path = scenario, tmp_path
        self.values: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self.values[key] = value

    def write(self, passed: bool) -> None:
        record = {**self.values, "passed": passed, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        text = json.dumps(record, indent=2, sort_keys=True, default=str)
        print(f"\nfault figures [{self.scenario}]:\n{text}")
        RECORDED.append((self.scenario, record))
        (self.tmp_path / f"faults-{self.scenario}.json").write_text(text + "\n", encoding="utf-8")
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        try:
            summary = json.loads(SUMMARY.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            summary = {}
        summary.setdefault("scenarios", {})[self.scenario] = record
        scenarios = summary["scenarios"].values()
        summary["passed"] = sum(1 for s in scenarios if s.get("passed"))
        summary["failed"] = sum(1 for s in scenarios if not s.get("passed"))
        SUMMARY.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


@pytest.fixture
def figures(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Figures]:
    """Figures of the calling test, written at its end with whether it passed."""
    name = request.node.name.removeprefix("test_")
    f = Figures(name, tmp_path)
    yield f
    report = request.node.stash.get(CALL_REPORT, None)
    f.write(passed=bool(report is not None and report.passed))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report  # read by the figures fixture
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The measured figures of this run's fault scenarios, after the test results."""
    if not RECORDED:
        return
    terminalreporter.section("fault scenarios: measured figures")
    keys = ("passed", "scenario_s", "messages_lost", "duplicates", "core_down_s", "broker_down_s", "core_reconnect_s",
            "client_reconnect_s", "calls_missed_while_display_reconnected", "checkins", "calls", "presses",
            "real_kiosk_offline", "phantoms_cancelled")
    for scenario, record in RECORDED:
        shown = ", ".join(f"{k}={record[k]}" for k in keys if k in record)
        terminalreporter.write_line(f"{scenario}: {shown}")
    terminalreporter.write_line(f"(all figures: {SUMMARY})")
