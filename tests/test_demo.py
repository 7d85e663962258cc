"""The demo end to end, headless: the whole house for a short fast morning, two at once, Ctrl-C; and the watcher.

Each demo runs as `arkaden demo --headless` in a process of its own (a private Xvfb, Mosquitto, core,
button bridge, kiosk, wall display, reception, a simulated printing kiosk), and the test reads what it left
in its output folder: screenshots, slips, the database, the logs.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from arkaden_cli import watch
from arkaden_cli.demo_layout import Area, layout
from arkaden_cli.demo_run import RunFolder
from arkaden_cli.dev_broker import MosquittoBroker
from arkaden_cli.population import TRANSFERS
from host_support.site_file import load_site
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store
from queue_protocol.scan import classify_scan

from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"

pytestmark = pytest.mark.integration

NUMBER = r"[A-Z]{1,2}-\d{3}"
CLOCK = r"\d\d:\d\d  "
# Everything a wall display may print: the time, numbers, rooms, counter labels, agencies, counts and waits.
DISPLAY_LINE = re.compile(
    rf"^{CLOCK}(>>> {NUMBER}  →  Raum \S+, [^()]+?(  \(erneut\))?"
    r"|--- board: \d+ waiting ---"
    r"|    [^()]+ \d+ \(~\d+ min\)( · [^()]+ \d+ \(~\d+ min\))*"
    rf"|    at the counters: {NUMBER} \S+(, {NUMBER} \S+)*"
    r"|broker is back|lost the broker at .*|waiting for the broker at .*)$"
)
PRIVATE_MARKERS = ("Pers.", "Dolmetsch", "handover", *(note for dests in TRANSFERS.values() for _, note in dests))
WINDOWS = ("kiosk-kiosk-eingang", "display-anzeige-eg", "reception-empfang")


def _assert_public(lines: list[str], secrets: tuple[str, ...] = ()) -> None:
    for line in lines:
        assert DISPLAY_LINE.match(line), f"display printed something unexpected: {line!r}"
        for marker in (*PRIVATE_MARKERS, *secrets):
            assert marker not in line, f"private detail {marker!r} on the display: {line!r}"


def _demo_argv(out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "arkaden_cli", "demo", "--site", str(SITE), "--headless", "--out", str(out),
            "--snapshot-seconds", "2", "--seed", "3", *args]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _lines(out: str, source: str) -> list[str]:
    return [line.split("| ", 1)[1] for line in out.splitlines() if line.startswith(f"{source:<8}| ")]


def _processes_of(run: Path) -> list[str]:
    """Every process whose command line or environment names the run's folder (all the demo's children do)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if (proc / "stat").read_text().split()[2] == "Z":
                continue
        except OSError:
            continue
        if str(run) in cmdline:
            found.append(f"{proc.name}: {cmdline[:160]}")
    return found


def _x_display(out: str) -> str:
    m = re.search(r"on a private Xvfb \((:\d+)\)", out)
    assert m, out[:3000]
    return m.group(1)


def _assert_all_gone(run: Path, out: str) -> None:
    """No process of the run alive, its X server's socket gone, no journal, link or lock in its folder.

    Call it before the test opens the run's database (an open SQLite connection has its own -wal/-shm).
    """
    deadline = time.monotonic() + 5
    while _processes_of(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_of(run), _processes_of(run)
    display = _x_display(out)
    assert not Path(f"/tmp/.X11-unix/X{display[1:]}").exists(), f"Xvfb {display} left its socket"
    assert not Path(f"/tmp/.X{display[1:]}-lock").exists(), f"Xvfb {display} left its lock"
    assert RunFolder(run).leftovers() == [], RunFolder(run).leftovers()


def _db(run: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{run / 'state' / 'demo.db'}?mode=ro", uri=True))


def _assert_screens(run: Path) -> None:
    shots = sorted((run / "screens").glob("*.png"))
    per = Counter(p.stem.rsplit("-", 1)[0] for p in shots)
    assert all(per[w] >= 2 for w in WINDOWS), per
    for name in WINDOWS:  # named by the simulated time: minutes of the morning apart, not real seconds
        stamps = sorted(p.stem.rsplit("-", 1)[1] for p in shots if p.stem.startswith(name))
        assert "060000" <= stamps[0] and stamps[-1] <= "130000", stamps
        # a loaded machine may start a window late (CI once saw the kiosk's first shot at 09:58), so only a few
        # simulated minutes are asked for: real seconds between two shots would be far less
        assert int(stamps[-1][:2]) * 60 + int(stamps[-1][2:4]) - int(stamps[0][:2]) * 60 - int(stamps[0][2:4]) >= 5
    for shot in shots:
        with Image.open(shot) as im:
            w, h = im.size
        if shot.name.startswith("kiosk-"):
            assert h > w >= 600, (shot.name, im.size)  # portrait, as the site's kiosk is
        else:
            assert w > h >= 500, (shot.name, im.size)


def _slip_tokens(run: Path) -> list[str]:
    tokens = []
    slips = sorted((run / "slips").glob("*.png"))
    for slip in slips:
        with Image.open(slip) as im:
            assert im.mode == "1" and im.width == 576 and 500 < im.height < 4000, (slip.name, im.size)
            codes = zxingcpp.read_barcodes(im)
        assert len(codes) == 1, slip.name
        scan = classify_scan(codes[0].text)
        assert scan is not None and scan.kind == "ticket", (slip.name, codes[0].text)
        tokens.append(scan.value)
    return tokens


def test_demo_plays_a_headless_morning_and_leaves_nothing_behind(tmp_path: Path) -> None:
    run = tmp_path / "run"
    proc = subprocess.run(_demo_argv(run, "--speed", "360", "--until", "09:40"), cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=150)
    out = proc.stdout
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-4000:]}\n{proc.stderr[-3000:]}"
    assert "Traceback" not in out + proc.stderr
    assert out.splitlines()[0] == f"arkaden demo: this run's output goes to {run}"
    assert f"output of this run: {run}" in out  # said at the start and at the end
    assert "the morning is over (09:40)" in out
    _assert_all_gone(run, out)

    sim, display = _lines(out, "sim"), _lines(out, "display")
    assert len([x for x in sim if re.match(rf"^{CLOCK}kiosk  {NUMBER}  .+ \([a-z]{{2,3}}, \d Pers\.", x)]) >= 20
    assert any(re.match(rf"^{CLOCK}call   {NUMBER} → .+  \[box: NEXT\]$", x) for x in sim), "no box press"
    assert any(x.startswith(tuple(f"{h:02d}:" for h in range(8, 10))) for x in sim)  # simulated, not real time
    _assert_public(display)
    assert {x.split()[2] for x in sim if "  call " in x} & {x.split()[2] for x in display if ">>> " in x}

    _assert_screens(run)

    # slips: printed through the real printer stack, each QR code a ticket the core issued
    tokens = _slip_tokens(run)
    with _db(run) as db:
        events = [json.loads(d) for (d,) in db.execute("select data from event_log order by seq")]
        box_presses = db.execute("select count(*) from command_reply where key like '%box-%'").fetchone()[0]
        paper = [p for (p,) in db.execute("select paper from device_log where device = 'kiosk-1og' order by seq")]
        core_rows = [bool(o) for (o,) in db.execute("select online from device_log where device = 'core' order by seq")]
    issued = [e for e in events if e["type"] == "ticket_issued"]
    assert len(tokens) >= 10 and set(tokens) <= {e["token"] for e in issued}
    numbers = Counter(e["number"] for e in issued)
    assert numbers and max(numbers.values()) == 1, [n for n, c in numbers.items() if c > 1]  # each number once
    ids = {e["ticket"] for e in issued}
    assert all(e["ticket"] in ids for e in events if "ticket" in e and e["type"] != "ticket_issued")
    assert sum(e["type"] == "ticket_called" for e in events) >= 10
    assert box_presses >= 3, "the button boxes' presses did not reach the core"

    # the printer ran out of paper: the slip is shown on screen, the kiosk's presence says so, then refilled
    printer = _lines(out, "printer")
    assert any("runs out of paper" in x for x in sim) and any("refills the printer" in x for x in sim)
    assert any("paper out (in the kiosk's presence" in x for x in printer), printer
    assert any("no slip (" in x and "shows the ticket" in x for x in printer), printer
    out_at = next(i for i, x in enumerate(printer) if "paper out" in x)
    assert any("slip printed" in x for x in printer[out_at:]), "no slip after the refill"
    # the core's device log has the paper going out and coming back, and the core's own start and clean stop
    assert "out" in paper and paper[-1] == "ok", paper
    assert core_rows == [True, False], core_rows

    # the day's report, in the run's folder: nothing failed, so no outage (the core stopped first)
    report_files = [p.name for p in (run / "report").rglob("*.*")]
    assert f"report: {len(report_files)} files in {run / 'report'}" in out, out[-2000:]
    assert any(name.endswith((".html", ".pdf")) for name in report_files), report_files
    devices = list(csv.DictReader((run / "report" / "csv" / "geraete.csv").read_text("utf-8-sig").splitlines(),
                                  delimiter=";"))
    assert devices and all(row["Ausfälle"] in ("0", "") for row in devices), devices
    paper_minutes = [row["Minuten ohne Papier"] for row in devices if row["Gerät"] == "drucker-1og"]
    assert paper_minutes and int(paper_minutes[0]) > 0, devices
    for log in ("core", "kiosk", "display", "reception", "buttons", "xvfb", "demo"):
        assert (run / "logs" / f"{log}.log").exists(), log


def test_demo_two_at_once_in_one_checkout_do_not_meet(tmp_path: Path) -> None:
    runs = [tmp_path / "a", tmp_path / "b"]
    procs = [subprocess.Popen(_demo_argv(r, "--speed", "180", "--until", "08:50", "--boxes", "1"), cwd=tmp_path,
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in runs]
    results = [p.communicate(timeout=150) for p in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, f"exit {proc.returncode}\n{out[-3000:]}\n{err[-2000:]}"
    outs = [out for out, _ in results]
    ports = [re.findall(r"mosquitto on 127\.0\.0\.1:(\d+)", o)[:1] for o in outs]
    assert all(ports) and ports[0] != ports[1]
    assert _x_display(outs[0]) != _x_display(outs[1])
    for run, out in zip(runs, outs, strict=True):
        assert f"database sqlite:///{run}/state/demo.db" in out
        assert list((run / "slips").glob("*.png")), out[-2000:]
        per = Counter(p.stem.rsplit("-", 1)[0] for p in (run / "screens").glob("*.png"))
        assert all(per[w] >= 1 for w in WINDOWS), per
        _assert_all_gone(run, out)


def test_demo_ctrl_c_midway_stops_every_child(tmp_path: Path) -> None:
    run = tmp_path / "run"
    proc = subprocess.Popen(_demo_argv(run, "--speed", "120", "--run-on"), cwd=tmp_path, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    stdout = proc.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(re.search(rf"call   {NUMBER} → ", x) for x in lines):
        assert proc.poll() is None, "".join(lines)[-3000:]
        time.sleep(0.2)
    children = _processes_of(run)
    assert len(children) >= 6, children  # Xvfb, core, bridge, kiosk, display, reception
    proc.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    proc.wait(timeout=60)
    reader.join(5)
    out = "".join(lines)
    assert proc.returncode == 0, out[-3000:]
    assert time.monotonic() - stopped < 30
    assert "stopping (Ctrl-C again" in out and f"output of this run: {run}" in out
    _assert_all_gone(run, out)


def test_demo_layout_puts_the_windows_side_by_side_on_any_screen() -> None:
    apps = [("kiosk", 1080, 1920), ("display", 1920, 1080), ("reception", 1920, 1080)]
    for area in (Area(0, 0, 2560, 1440), Area(0, 27, 1920, 1053), Area(0, 0, 1366, 768), Area(0, 0, 1080, 1920),
                 Area(0, 0, 3840, 1080)):
        windows = layout(apps, area)
        assert [w.name for w in windows] == ["kiosk", "display", "reception"]
        for w in windows:
            assert area.x <= w.x and w.x + w.width <= area.x + area.width, (area, w)
            assert area.y <= w.y and w.y + w.height <= area.y + area.height, (area, w)
            assert w.width * w.height >= 0.04 * area.width * area.height, (area, w)
        assert not any(a.overlaps(b) for a in windows for b in windows if a is not b), (area, windows)
        kiosk, display = windows[0], windows[1]
        assert kiosk.height > kiosk.width and display.width > display.height  # proportions kept


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
                any("(erneut)" in x for x in lines) and any("--- board" in x for x in lines)):
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join(5)
        kiosk.close()
        desk.close()
        core.stop()
        store.close()
    body = [x[7:] for x in lines]  # without the time of day
    assert ">>> A-001  →  Raum E.04, Infostelle" in body, lines
    assert ">>> A-001  →  Raum E.04, Infostelle  (erneut)" in body, lines
    assert any(x.startswith("--- board: ") for x in body), lines
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
    assert not (tmp_path / ".demo").exists()  # nothing written when it cannot start
