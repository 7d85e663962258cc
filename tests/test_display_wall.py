"""The real wall display under Xvfb against a real Mosquitto and the real core: calls, boot, reconnect, memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.runner import CoreRunner
from queue_core.service import Incoming, QueueService
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
    box = Device(fresh_broker.host, fresh_broker.port, "mini", "box-abh-1")   # a counter's command comes from its box
    proc = None
    try:
        for concern in ("residence", "residence", "job"):
            assert kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern})["ok"]
        assert box.request(box.topics.counter_cmd("abh-1"), {"action": "next"})["number"] == "A-001"
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
        box.close()
        core.stop()
        store.close()
    r = json.loads((out / "display-call.json").read_text())
    assert r["boot"]["current"] == ["A-001"]                    # retained board at boot
    assert r["reply"]["number"] == "A-002"
    assert r["first_row"] == {"number": "A-002", "room": "E.01", "counter": "Schalter 2", "agency": "ABH",
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
    assert len(after["current"]) == 3 and len(after["recent"]) == 6


MIDNIGHT_OUT = REPO / "artifacts" / "display-midnight"


def _fresh_out() -> Path:
    MIDNIGHT_OUT.mkdir(parents=True, exist_ok=True)
    for stale in [*MIDNIGHT_OUT.glob("stage-*"), *MIDNIGHT_OUT.glob("shown-*")]:
        stale.unlink()
    return MIDNIGHT_OUT


def test_display_midnight_clears_yesterdays_calls_and_a_handler_that_raises_does_not_stop_the_app(
        fresh_broker: MosquittoBroker, xserver: XServer) -> None:
    # issue 15, item 10 and "one exception in a Kivy bridge callback stops the app", in the real app under Xvfb
    from datetime import datetime, timedelta

    import queue_protocol as p
    from device_link.mqtt_client import make_client

    site = mini_site()
    out = _fresh_out()
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=site.tz)
    evening = morning - timedelta(hours=13)     # 18:00 the day before: the last board of that day, still retained
    last = [p.BoardCall(number=n, counter=c, counter_label="Schalter 1", room="E.01", floor=0, agency="ABH",
                        at=evening - timedelta(minutes=m))
            for n, c, m in (("A-099", "abh-1", 2), ("A-098", "abh-2", 9))]
    old = p.BoardState(current=last[:1], recent=last[1:], at=evening, queues=[
        p.BoardQueue(service=s.id, agency=s.agency, waiting=5, estimated_wait_min=40) for s in site.services])
    client = make_client("midnight-test")
    client.connect(fresh_broker.host, fresh_broker.port)
    client.loop_start()
    client.publish(p.Topics("mini").board(), old.to_bytes(), qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    proc = subprocess.run([sys.executable, "-m", "tests.ui.midnight_drive", "midnight", str(MINI), "display-1",
                           str(fresh_broker.port), str(out), morning.isoformat()],
                          cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads((out / "midnight.json").read_text())
    assert r["morning"]["current"] == [] and r["morning"]["recent"] == []        # last evening's board: nothing
    assert r["morning"]["queues"] == {"ABH": "0", "JC": "0"}
    assert r["evening"]["current"] == ["J-018", "A-031"] and r["evening"]["recent"] == ["A-030", "J-017"]
    assert r["after_midnight"]["current"] == [] and r["after_midnight"]["recent"] == []
    assert r["after_midnight"]["queues"] == {"ABH": "0", "JC": "0"}
    assert r["messages_over_midnight"] == 0                  # cleared by the display's own timer
    assert r["after_error"]["current"] == ["A-001"] and r["after_error"]["bridge_failures"] == 1
    assert "failed on the Kivy thread (message on arkaden/v1/mini/public/call)" in proc.stderr
    assert "RuntimeError: injected" in proc.stderr
    for name in ("before-midnight-de", "after-midnight-ar", "after-error-de"):
        assert Image.open(out / f"{name}.png").size == (1920, 1080)


OUTAGE_S = float(os.environ.get("ARKADEN_OUTAGE_S", "20"))  # paho's reconnect delay is at its 5 s cap after ~7 s:
# 20 s behaves like two minutes (ARKADEN_OUTAGE_S=120 for the full two minutes)


@pytest.mark.slow  # the broker is away for OUTAGE_S
def test_display_started_without_a_broker_and_after_an_outage_shows_the_cores_board_again(
        fresh_broker: MosquittoBroker, xserver: XServer, tmp_path: Path) -> None:
    # issue 15: "no connection" while the broker is away (also from the start), then the right board again:
    # the core restarted during the outage with a changed board, which the display must show (not its old one)
    site = mini_site()
    out = _fresh_out()
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(site, store, always_open=True), fresh_broker.host, fresh_broker.port,
                      client_id="core-outage-test")
    core.start()
    assert core.wait_connected(10)
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    box = Device(fresh_broker.host, fresh_broker.port, "mini", "box-abh-1")
    try:
        for _ in range(3):
            assert kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": "residence"})["ok"]
        assert box.request(box.topics.counter_cmd("abh-1"), {"action": "next"})["number"] == "A-001"
    finally:
        kiosk.close()
        box.close()
    fresh_broker.stop()
    proc = subprocess.Popen([sys.executable, "-m", "tests.ui.midnight_drive", "outage", str(MINI), "display-1",
                             str(fresh_broker.port), str(out)], cwd=REPO, env=xserver.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = None
    try:
        _wait_file(out / "shown-start-no-broker", proc)
        fresh_broker.start()
        (out / "stage-broker-up").write_text(str(time.monotonic()))
        _wait_file(out / "shown-first-board", proc)
        fresh_broker.stop()
        lost = time.monotonic()
        _wait_file(out / "shown-lost", proc)
        core.stop()
        # meanwhile the core's server restarts, and a counter calls the next client (taken from its store)
        offline = QueueService(site, store, always_open=True)
        topics = offline.topics
        body = json.dumps({"v": 1, "id": "outage-next", "action": "next"}).encode()
        offline.handle(Incoming(topics.counter_cmd("abh-1"), body, topics.reply("box-abh-1"), b"c"))
        assert offline.state.counters["abh-1"].ticket is not None
        second = CoreRunner(QueueService(site, store, always_open=True), fresh_broker.host, fresh_broker.port,
                            client_id="core-outage-test")
        second.start()
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - lost)))
        fresh_broker.start()
        (out / "stage-broker-back").write_text(str(time.monotonic()))
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
        if second is not None:
            second.stop()
        store.close()
    r = json.loads((out / "outage.json").read_text())
    assert r["connecting"]["status"].startswith("Verbinde")
    assert r["start_no_broker"]["connected"] is False and "Keine Verbindung" in r["start_no_broker"]["status"]
    assert r["start_no_broker"]["current"] == []
    assert r["first_board"]["current"] == ["A-001"] and r["first_board"]["status"] == ""
    assert r["lost"]["connected"] is False and "Keine Verbindung" in r["lost"]["status"]
    assert r["back"]["current"] == ["A-002"] and r["back"]["recent"] == ["A-001"] and r["back"]["status"] == ""
    assert r["back"]["queues"] == {"ABH": "1", "JC": "0"}
    # the times (measured, not asserted: speed goes to the benchmark) are in the JSON and printed
    print(f"board after the broker came: {r['first_board_s']:.1f} s at the start, "
          f"{r['back_board_s']:.1f} s after the two-minute outage")
