"""The real wall display under Xvfb against a real Mosquitto and the real core: calls, boot, reconnect, memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .conftest import XServer
from .engine_helpers import mini_site
from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "sites" / "mini.toml"


def _wait_file(path: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"display exited early ({proc.returncode}) before {path.name}:\n{err[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            _out, err = proc.communicate()
            pytest.fail(f"timed out waiting for {path.name}:\n{err[-3000:]}")
        time.sleep(0.1)


def test_display_call_through_the_core_is_shown_and_survives_a_broker_restart(
        fresh_broker: MosquittoBroker, xserver: XServer, artifacts_dir: Path, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(mini_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                      client_id="core-display-test")
    core.start()
    assert core.wait_connected(10)
    out = artifacts_dir / "display"
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("stage-*"):
        stale.unlink()
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    proc = None
    try:
        for concern in ("residence", "residence", "job"):
            assert kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern})["ok"]
        assert kiosk.request(kiosk.topics.counter_cmd("abh-1"), {"action": "next"})["number"] == "A-001"
        proc = subprocess.Popen([sys.executable, "-m", "tests.ui.display_drive", "call", str(MINI), "display-1",
                                 str(fresh_broker.port), str(out)], cwd=REPO, env=xserver.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_file(out / "stage-called", proc)
        fresh_broker.stop()
        _wait_file(out / "stage-offline", proc)
        fresh_broker.start()
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        kiosk.close()
        core.stop()
        store.close()
    r = json.loads((out / "display-call.json").read_text())
    assert r["boot"]["current"] == ["A-001"]                    # retained board at boot
    assert r["reply"]["ok"] and r["reply"]["number"] == "A-002"
    assert r["first_row"] == {"number": "A-002", "room": "Raum E.01", "counter": "Schalter 2", "agency": "ABH",
                              "bright": True}
    assert r["called"]["current"] == ["A-002", "A-001"]
    assert r["called"]["queues"] == {"ABH": "0", "JC": "1"}
    assert r["called"]["sounds_done"] >= 1 and r["called"]["sound_overlaps"] == 0
    assert r["after_highlight"]["bright"] == []
    assert r["offline"]["connected"] is False and "Keine Verbindung" in r["offline"]["status"]
    assert r["recovered"]["connected"] is True and r["recovered"]["current"] == ["A-002", "A-001"]
    assert len(r["called"]["frame_ms"]) >= 1
    # the screenshots show the highlighted first row (signal yellow) and the hint bar
    for name in ("display-call-de.png", "display-call-ar.png"):
        img = Image.open(out / name).convert("RGB")
        assert img.size == (1920, 1080)
        assert img.getpixel((60, 230)) == (0xff, 0xd2, 0x1f), f"{name}: first row is not highlighted"


def test_display_memory_widgets_and_timers_stay_flat_over_2000_calls(
        broker: MosquittoBroker, xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "display"
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "tests.ui.display_drive", "memory", str(MINI),
                                             "display-1", str(broker.port), str(out), "2000"],
                          cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads((out / "display-memory.json").read_text())
    before, after = r["before"], r["after"]
    assert after["calls_received"] - before["calls_received"] == 2000
    assert after["widgets"] == before["widgets"]
    assert after["clock_events"] == before["clock_events"]
    assert after["sound_overlaps"] == 0
    assert len(after["current"]) == 4 and len(after["recent"]) == 6
