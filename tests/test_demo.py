"""The demo end to end (broker, core, simulated morning, text display) and the display's privacy."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from arkaden_cli import simulate, watch
from arkaden_cli.dev_broker import MosquittoBroker
from host_support.site_file import load_site
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"

pytestmark = pytest.mark.integration

NUMBER = r"[A-Z]{1,2}-\d{3}"
# Everything a wall display may print: numbers, rooms, counter labels, agencies, counts and waits.
DISPLAY_LINE = re.compile(
    rf"^(>>> {NUMBER}  →  Raum \S+, [^()]+?(  \(erneut\))?"
    r"|--- board: \d+ waiting ---"
    r"|    [^()]+ \d+ \(~\d+ min\)( · [^()]+ \d+ \(~\d+ min\))*"
    rf"|    at the counters: {NUMBER} \S+(, {NUMBER} \S+)*"
    r"|broker is back|lost the broker at .*|waiting for the broker at .*)$"
)
PRIVATE_MARKERS = ("Pers.", "Dolmetsch", "handover", *(note for dests in simulate.TRANSFERS.values()
                                                                for _, note in dests))


def _assert_public(lines: list[str], secrets: tuple[str, ...] = ()) -> None:
    for line in lines:
        assert DISPLAY_LINE.match(line), f"display printed something unexpected: {line!r}"
        for marker in (*PRIVATE_MARKERS, *secrets):
            assert marker not in line, f"private detail {marker!r} on the display: {line!r}"


def test_demo_runs_a_morning_and_stops_cleanly(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "arkaden_cli", "demo", "--site", str(SITE), "--seconds", "8", "--speed", "600",
         "--db-url", f"sqlite:///{tmp_path / 'd.db'}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{proc.stderr[-3000:]}"
    assert time.monotonic() - started < 40
    assert (tmp_path / ".demo").is_dir() and (tmp_path / "d.db").exists()
    assert "mosquitto_sub -h 127.0.0.1 -p " in out and "arkaden/v1/kia-aachen/public/#" in out
    sim = [line.split("| ", 1)[1] for line in out.splitlines() if line.startswith("sim ")]
    display = [line.split("| ", 1)[1] for line in out.splitlines() if line.startswith("display ")]
    checkins = [x for x in sim if re.match(rf"^\d\d:\d\d  kiosk  {NUMBER}  .+ \([a-z]{{2,3}}, \d Pers\.", x)]
    calls = [x for x in sim if re.match(rf"^\d\d:\d\d  call   {NUMBER} → ", x)]
    assert len(checkins) >= 10, "\n".join(sim[:40])
    assert len(calls) >= 5, "\n".join(sim[:40])
    called = {x.split()[2] for x in calls}
    shown = {x.split()[1] for x in display if x.startswith(">>> ")}
    assert called & shown, f"the display showed none of the calls {sorted(called)[:5]}"
    assert any(x.startswith("--- board:") for x in display)
    _assert_public(display)
    assert "stopped: simulation, core and broker" in out
    assert "Traceback" not in out + proc.stderr


def test_watch_prints_only_public_information(broker: MosquittoBroker, tmp_path: Path) -> None:
    site = load_site(SITE)
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(site, store, always_open=True), broker.host, broker.port,
                      client_id=f"core-watch-{tmp_path.name}")
    core.start()
    assert core.wait_connected(10)
    lines: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch.watch, args=(site, broker.host, broker.port),
                               kwargs={"stop": stop, "out": lines.append, "board_every": 0.3}, daemon=True)
    watcher.start()
    kiosk = Device(broker.host, broker.port, site.site.id, "kiosk-eingang")
    desk = Device(broker.host, broker.port, site.site.id, "box-auslaenderamt-1")
    t = kiosk.topics
    secret_note = "VERTRAULICH Notiz 4711"
    try:
        time.sleep(0.5)  # the watcher subscribes
        r = kiosk.request(t.checkin("kiosk-eingang"), {"concern": "aufenthalt", "language": "ti", "party_size": 4,
                                                       "interpreter": True})
        assert r["ok"], r
        token = r["ticket"]["token"]
        kiosk.request(t.checkin("kiosk-eingang"), {"concern": "jobcenter", "language": "uk"})
        assert desk.request(t.counter_cmd("auslaenderamt-1"), {"action": "next"})["number"] == "A-001"
        desk.request(t.counter_cmd("auslaenderamt-1"), {"action": "recall"})
        desk.request(t.counter_cmd("auslaenderamt-1"), {"action": "start"})
        assert desk.request(t.counter_cmd("auslaenderamt-1"), {"action": "transfer", "to_service": "jobcenter",
                                                               "note": secret_note})["ok"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
                any("(erneut)" in x for x in lines) and any(x.startswith("--- board") for x in lines)):
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(5)
        kiosk.close()
        desk.close()
        core.stop()
        store.close()
    assert ">>> A-001  →  Raum E.04, Infostelle" in lines, lines
    assert ">>> A-001  →  Raum E.04, Infostelle  (erneut)" in lines, lines
    assert any(x.startswith("--- board: ") for x in lines), lines
    _assert_public(lines, secrets=(secret_note, token, "VERTRAULICH", "(ti", "(uk"))


def test_demo_without_mosquitto_says_so(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    code = (
        "import sys, arkaden_cli.dev_broker as b; b.SBIN_DIRS = (); "
        "from arkaden_cli import demo; sys.exit(demo.run(site_path=sys.argv[1], seconds=1, db_url=None, speed=60))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(SITE)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "mosquitto" in proc.stderr and "apt-get install mosquitto" in proc.stderr
