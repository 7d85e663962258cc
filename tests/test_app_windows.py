"""The apps in small windows under Xvfb, as the demo lays them out: exact size and place, the full screen scaled
into it, snapshots named by the simulated clock, reception's waits in simulated minutes, taps that hit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops, ImageStat

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.mqtt_client import make_client
from host_support.sim_clock import SimClock
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .conftest import XServer
from .engine_helpers import MINI, mini_site
from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")
MORNING = datetime(2026, 12, 2, 7, 55, tzinfo=BERLIN)
SMALL = "960x540+960+0"



T = TypeVar("T")

def _start(xserver: XServer, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, *argv], cwd=REPO, env=xserver.env(), stdout=out,
                                stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_for(predicate: Callable[[], T | None], procs: list[tuple[subprocess.Popen[bytes], Path]], what: str,
              timeout: float = 40) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for proc, log in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{what}: an app exited ({proc.returncode}):\n"
                                     f"{log.read_text(errors='replace')[-4000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(log.read_text(errors="replace")[-2000:] for _, log in procs)
            raise AssertionError(f"timed out waiting for {what}:\n{logs}")
        time.sleep(0.1)


def _windows(xserver: XServer) -> str:
    """Every top-level window as `xwininfo -tree` lists it: title and WxH+X+Y."""
    return subprocess.run(["xwininfo", "-root", "-tree"], env=xserver.env(), capture_output=True, text=True,
                          check=True).stdout


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0–255."""
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


def _publish_board(broker: MosquittoBroker) -> None:
    """A retained board with calls at every counter and people waiting, as the core would leave it."""
    site = mini_site()
    calls = []
    for i, counter in enumerate(site.counters):
        agency = site.agency_of_service(counter.services[0])
        room = site.room(counter.room)
        calls.append(p.BoardCall(number=f"{agency.prefix}-{i + 17:03d}", counter=counter.id,
                                 counter_label=counter.label, room=room.number, floor=room.floor,
                                 agency=agency.short, at=MORNING + timedelta(minutes=i)))
    board = p.BoardState(current=calls[:4], recent=calls[::-1], at=MORNING, queues=[
        p.BoardQueue(service=s.id, agency=s.agency, waiting=3 + i, estimated_wait_min=10 * i + 5)
        for i, s in enumerate(site.services)])
    client = make_client("board-feeder")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(p.Topics(site.site.id).board(), board.to_bytes(), qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


def test_wall_display_in_a_small_window_is_the_full_board_scaled_and_named_by_the_simulated_time(
        xserver: XServer, fresh_broker: MosquittoBroker, tmp_path: Path, artifacts_dir: Path) -> None:
    _publish_board(fresh_broker)
    frozen = SimClock(MORNING, round(time.time(), 3), 0).spec()   # scale 0: both renders show 07:55
    common = ["-m", "arkaden_cli", "display", "--site", str(MINI), "--display", "display-1", "--port",
              str(fresh_broker.port), "--sound", "off", "--hint-seconds", "1000000", "--highlight-seconds", "0",
              "--sim-clock", frozen, "--snapshot-seconds", "1"]
    small_dir, full_dir = tmp_path / "small", tmp_path / "full"
    procs = [(_start(xserver, [*common, "--window", SMALL, "--snapshot-dir", str(small_dir)], tmp_path / "s.log"),
              tmp_path / "s.log"),
             (_start(xserver, [*common, "--windowed", "--snapshot-dir", str(full_dir)], tmp_path / "f.log"),
              tmp_path / "f.log")]
    name = "display-display-1-075500.png"
    try:
        _wait_for(lambda: (small_dir / name).exists() and (full_dir / name).exists(), procs, "both snapshots")
        time.sleep(2.5)   # connected by now: the next snapshots show the same board
        windows = _windows(xserver)
        small, full = Image.open(small_dir / name), Image.open(full_dir / name)
        small.load()
        full.load()
    finally:
        for proc, _ in procs:
            _stop(proc)
    assert re.search(r'"arkaden display display-1".*\s960x540\+960\+0\s', windows), windows
    assert small.size == (960, 540) and full.size == (1920, 1080)
    out = artifacts_dir / "windows"
    out.mkdir(parents=True, exist_ok=True)
    small.save(out / "display-small.png")
    full.save(out / "display-full.png")
    # the small window shows the whole board at half size: like the full render scaled down, not a part of it
    expected = full.resize((960, 540), Image.Resampling.LANCZOS)
    scaled, cropped = _difference(small, expected), _difference(small, full.crop((0, 0, 960, 540)))
    assert scaled < 4, f"the small window differs from the full board scaled down by {scaled:.1f}"
    assert cropped > 4 * scaled, (scaled, cropped)
    # the signal-yellow rule under the header spans the width, at half its full-size height
    full_rule = [y for y in range(200) if full.convert("RGB").getpixel((960, y))[0] > 200
                 and full.convert("RGB").getpixel((960, y))[2] < 120]
    small_rule = [y for y in range(100) if small.convert("RGB").getpixel((480, y))[0] > 200
                  and small.convert("RGB").getpixel((480, y))[2] < 120]
    assert full_rule and small_rule and abs(small_rule[0] - full_rule[0] / 2) <= 1


def test_reception_in_a_small_window_counts_waits_in_simulated_minutes(
        xserver: XServer, fresh_broker: MosquittoBroker, tmp_path: Path, artifacts_dir: Path) -> None:
    sim = SimClock.starting(MORNING, 60)   # the morning started at 07:55 just now, a minute per real second
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(mini_site(), store, always_open=True, clock=sim.now), fresh_broker.host,
                      fresh_broker.port, client_id="core-window-test")
    core.start()
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    shots, result = tmp_path / "shots", tmp_path / "reception.json"
    log = tmp_path / "reception.log"
    try:
        assert core.wait_connected(10)
        checked_in = time.time()
        for concern in ("residence", "job"):
            assert kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern})["ok"]
        launched = time.time()
        proc = _start(xserver, ["-m", "tests.ui.window_drive", "reception", str(result), "--", "--site", str(MINI),
                                "--port", str(fresh_broker.port), "--window", SMALL, "--sim-clock", sim.spec(),
                                "--snapshot-dir", str(shots), "--snapshot-seconds", "1"], log)
        try:
            proc.wait(60)
        finally:
            _stop(proc)
        ended = time.time()
        assert proc.returncode == 0, log.read_text(errors="replace")[-4000:]
    finally:
        kiosk.close()
        core.stop()
        store.close()
    r = json.loads(result.read_text())
    assert r["window"]["size"] == [960, 540] and r["window"]["root"] == "ScaledRoot" and r["window"]["scale"] == 0.5
    assert r["window"]["title"] == "arkaden reception reception"
    # a simulated minute per real second since the check-in: minutes, not 0 (real clock before 07:55) or 720
    assert set(r["waited"]) == {"A-001", "J-001"}
    for number, waited in r["waited"].items():
        minutes = int(waited.removesuffix(" min"))
        assert 2 <= minutes <= ended - checked_in + 1, (number, waited)
    # the table on screen (re-drawn every 5 real seconds: up to 5 simulated minutes behind) says so too
    shown = {row[0]: int(row[4].removesuffix(" min")) for row in r["shown"]}
    assert all(1 <= shown[n] <= int(w.removesuffix(" min")) for n, w in r["waited"].items()), (shown, r["waited"])
    # snapshots: 960×540, named by the simulated local time while the app ran
    earliest = sim.at(launched).astimezone(BERLIN).strftime("%H%M%S")
    latest = sim.at(ended).astimezone(BERLIN).strftime("%H%M%S")
    assert len(r["snapshots"]) >= 2
    for name in r["snapshots"]:
        stamp = re.fullmatch(r"reception-reception-(\d{6})\.png", name)
        assert stamp and earliest <= stamp[1] <= latest, (name, earliest, latest)
        with Image.open(shots / name) as img:
            assert img.size == (960, 540)
    last = Image.open(shots / r["snapshots"][-1]).convert("RGB")
    (artifacts_dir / "windows").mkdir(parents=True, exist_ok=True)
    last.save(artifacts_dir / "windows" / "reception-small.png")
    # laid out at 1920×1080 and halved: the tickets panel (white) starts at the left edge's panel margin and the
    # title band runs across the top; nothing is blank
    assert last.getextrema()[0][0] < 80 and ImageStat.Stat(last).stddev[0] > 20


def test_kiosk_in_a_letterboxed_window_taps_hit_the_button_under_them(
        xserver: XServer, broker: MosquittoBroker, tmp_path: Path, artifacts_dir: Path) -> None:
    frozen = SimClock(MORNING, round(time.time(), 3), 0).spec()
    shots, result, log = tmp_path / "shots", tmp_path / "kiosk.json", tmp_path / "kiosk.log"
    proc = _start(xserver, ["-m", "tests.ui.window_drive", "kiosk", str(result), "--", "--site", str(MINI),
                            "--kiosk", "kiosk-1", "--port", str(broker.port), "--orientation", "landscape",
                            "--input", "mouse", "--fake-printer", "--data-dir", str(tmp_path / "data"),
                            "--window", "800x600+0+1080", "--sim-clock", frozen, "--snapshot-dir", str(shots),
                            "--snapshot-seconds", "1"], log)
    try:
        proc.wait(90)
    finally:
        _stop(proc)
    assert proc.returncode == 0, log.read_text(errors="replace")[-4000:]
    r = json.loads(result.read_text())
    assert r["window"]["size"] == [800, 600] and r["window"]["root"] == "ScaledRoot"
    assert r["letterbox"] == [0, 75]   # 1920×1080 at 800/1920: 450 px high, 75 px bars above and below
    for lang, tap in r["taps"].items():
        assert tap == {**tap, "step": "start", "lang": lang}, tap
    assert r["bar"]["step"] == "welcome"
    assert r["below_edge"]["step"] == "welcome"   # the button's edge is where the scaled window shows it
    assert r["above_edge"]["step"] == "start" and r["above_edge"]["lang"] == "ar"
    assert r["snapshots"] == ["kiosk-kiosk-1-075500.png"]
    img = Image.open(shots / r["snapshots"][0]).convert("RGB")
    (artifacts_dir / "windows").mkdir(parents=True, exist_ok=True)
    img.save(artifacts_dir / "windows" / "kiosk-letterboxed.png")
    assert img.size == (800, 600)
    bars = [img.getpixel((x, y)) for x in (5, 400, 795) for y in (3, 70, 530, 596)]
    assert len(set(bars)) == 1, bars   # the bars are the window's plain background
    assert ImageStat.Stat(img.crop((0, 80, 800, 520))).stddev[0] > 10   # the screen itself is drawn between them


def test_snapshot_writer_logs_a_failed_write_and_writes_the_next(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    from ui_common.snapshots import Frame, SnapshotWriter, snapshot_name

    assert snapshot_name("display", "anzeige-eg", MORNING, BERLIN) == "display-anzeige-eg-075500.png"
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    # two rows of 2×1 pixels as OpenGL reads them (bottom row first): red at the bottom, blue on top
    rgba = bytes([255, 0, 0, 255] * 2 + [0, 0, 255, 255] * 2)
    writer = SnapshotWriter()
    with caplog.at_level("WARNING", logger="arkaden.snapshots"):
        assert writer.offer(Frame(blocked / "x.png", (2, 2), rgba))
        deadline = time.monotonic() + 10
        while writer.failed == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.offer(Frame(tmp_path / "ok" / "y.png", (2, 2), rgba))
        writer.close()
    assert writer.failed == 1 and writer.written == 1
    assert "x.png not written" in caplog.text
    assert [p.name for p in (tmp_path / "ok").iterdir()] == ["y.png"]   # no half-written file left beside it
    with Image.open(tmp_path / "ok" / "y.png") as img:
        assert img.convert("RGB").getpixel((0, 0)) == (0, 0, 255) and img.getpixel((0, 1)) == (255, 0, 0)
