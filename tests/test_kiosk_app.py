"""The real kiosk app under Xvfb against a real Mosquitto and a real core: walk-in and booked check-ins in German
and Arabic, a scanned slip, a printer fault reported to reception, the inactivity reset, and the offline path."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .conftest import XServer
from .engine_helpers import MINI, book, mini_site

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def core(fresh_broker: MosquittoBroker, tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    runner = CoreRunner(QueueService(mini_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                        client_id=f"core-{tmp_path.name}")
    runner.start()
    assert runner.wait_connected(10), "core did not connect to the broker"
    yield runner
    runner.stop()
    store.close()


def _config(tmp_path: Path, broker: MosquittoBroker, scenario: str, shots: Path, **extra: object) -> Path:
    cfg = {"site": str(MINI), "kiosk": "kiosk-1", "host": broker.host, "port": broker.port,
           "data_dir": str(tmp_path / "kiosk-data"), "shots": str(shots), "scenario": scenario,
           "result": str(tmp_path / "result.json"), "sync": str(tmp_path), **extra}
    path = tmp_path / "kiosk.json"
    path.write_text(json.dumps(cfg))
    return path


def _start(xserver: XServer, cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "tests.ui.kiosk_driver", str(cfg)], cwd=REPO,
                                env=xserver.env(ARKADEN_LOG_LEVEL="INFO"), stdout=out, stderr=subprocess.STDOUT)


def _finish(proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, f"kiosk driver failed ({proc.returncode}):\n{text[-5000:]}"


def test_kiosk_app_checks_in_walk_in_and_booked_clients_in_german_and_arabic(
        xserver: XServer, core: CoreRunner, fresh_broker: MosquittoBroker, tmp_path: Path,
        artifacts_dir: Path) -> None:
    site = mini_site()
    now = datetime.now(site.tz)
    slot = max(now - timedelta(minutes=5), now.replace(hour=0, minute=1))
    code_de = book(core.service.store, site, "jobcenter", slot)   # codes typed on the keypad of their alphabet
    code_ar = book(core.service.store, site, "aufenthalt", slot, language="ar")
    shots = artifacts_dir / "kiosk"
    cfg = _config(tmp_path, fresh_broker, "online", shots, code_de=code_de, code_ar=code_ar)
    log = tmp_path / "kiosk.log"
    _finish(_start(xserver, cfg, log), log)
    r = json.loads((tmp_path / "result.json").read_text())

    assert r["walkin_de"]["step"] == "done" and r["walkin_de"]["number"] == "J-001"
    assert r["walkin_de"]["number_label"] == "J-001" and r["walkin_de"]["rooms"] == ["1.07"]
    assert r["walkin_ar"]["number"] == "A-001" and r["walkin_ar"]["slip_concern"] == "الإقامة"
    assert r["walkin_ar"]["slip_directions"] == "الطابق الأرضي، يسارًا"
    assert r["booked_de"]["number"] == "J-002" and r["booked_ar"]["number"] == "A-002"
    assert r["scanned"]["number"] == "J-001" and r["scanned"]["label"] == "J-001"
    assert r["fault_ar"]["step"] == "on_screen" and r["fault_ar"]["number"] == "J-003"
    assert r["presence_s"] < 5
    assert r["smallest_target"][0] >= 90, r["smallest_target"]
    assert r["after_timeout"] == {"lang": "de", "concern": None}
    assert r["printed"] == ["J-001", "A-001", "J-002", "A-002"]   # the fault's ticket was shown, not printed

    tickets = {t.number: t for t in core.service.state.tickets.values()}
    assert sorted(tickets) == ["A-001", "A-002", "J-001", "J-002", "J-003"]   # the scan issued nothing
    assert tickets["J-001"].language == "de" and tickets["J-001"].party_size == 2 and tickets["J-001"].interpreter
    assert tickets["A-001"].language == "ar" and tickets["A-001"].party_size == 3
    assert tickets["J-002"].booking_code == code_de and tickets["A-002"].booking_code == code_ar
    # the ticket on screen carries the slip's QR code, readable by a scanner
    import zxingcpp
    from PIL import Image

    codes = zxingcpp.read_barcodes(Image.open(shots / "printer-fault-ar-on_screen.png").convert("L"))
    assert [c.text for c in codes] == [f"ARKADEN-T:{r['fault_ar']['token']}"]
    for name in ("walkin-de-done", "walkin-ar-concerns", "walkin-ar-done", "booked-ar-appointments",
                 "printer-fault-ar-on_screen", "scanned-slip-de"):
        assert (shots / f"{name}.png").is_file()


def test_kiosk_app_issues_offline_tickets_and_hands_them_in_exactly_once(
        xserver: XServer, core: CoreRunner, fresh_broker: MosquittoBroker, tmp_path: Path,
        artifacts_dir: Path) -> None:
    shots = artifacts_dir / "kiosk"
    cfg = _config(tmp_path, fresh_broker, "offline", shots)
    log = tmp_path / "kiosk.log"
    proc = _start(xserver, cfg, log)
    try:
        _wait_file(tmp_path / "connected", proc, log)
        fresh_broker.stop()
        (tmp_path / "connected.go").write_text("1")
        _wait_file(tmp_path / "issued", proc, log)
        fresh_broker.start()
        (tmp_path / "issued.go").write_text("1")
        _finish(proc, log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    r = json.loads((tmp_path / "result.json").read_text())
    assert r["offline_1"]["offline"] and r["offline_1"]["number"] == "J-900"
    assert r["offline_2"]["offline"] and r["offline_2"]["number"] == "A-901"
    assert r["outbox_while_down"]["pending"] == 2
    assert r["outbox_after"] == {"pending": 0, "sent": 2, "rejected": 0}
    assert [e["core_number"] for e in r["entries"]] == ["J-900", "A-901"]
    assert r["online_after"]["number"] == "J-001" and not r["online_after"]["offline"]
    assert r["printed"] == ["J-900", "A-901", "J-001"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(core.service.state.tickets) < 3:
        time.sleep(0.05)
    numbers = sorted(t.number for t in core.service.state.tickets.values())
    assert numbers == ["A-901", "J-001", "J-900"]   # each offline ticket exactly once
    offline = next(t for t in core.service.state.tickets.values() if t.number == "J-900")
    assert offline.language == "de" and offline.party_size == 2


def _wait_file(path: Path, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"kiosk driver ended early:\n{log.read_text(errors='replace')[-5000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"kiosk driver did not reach {path.name}:\n{log.read_text(errors='replace')[-5000:]}")
        time.sleep(0.05)


def _loudness(wav: Path) -> float:
    """sox's RMS amplitude of a WAV (0: silence)."""
    out = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, timeout=30, check=True)
    rms = next(line for line in out.stderr.splitlines() if line.startswith("RMS     amplitude"))
    return float(rms.split(":")[1])


@pytest.mark.slow
def test_kiosk_app_reads_screens_aloud_and_calls_in_the_clients_language_when_chosen(
        xserver: XServer, core: CoreRunner, fresh_broker: MosquittoBroker, tmp_path: Path,
        artifacts_dir: Path) -> None:
    from .mqtt_helpers import Device

    recordings = tmp_path / "recordings"
    cfg = _config(tmp_path, fresh_broker, "speech", artifacts_dir / "kiosk", recordings=str(recordings),
                  play_seconds=20)
    log = tmp_path / "kiosk.log"
    _finish(_start(xserver, cfg, log), log)
    r = json.loads((tmp_path / "result.json").read_text())
    # German: read on a tap, read again on a second tap, stopped when the screen changed; no announce choice
    assert r["stopped_de"] == [True, True] and r["announce_offered_de"] is False
    assert r["announce_offered_ar"] is True and r["stopped_ar"] is True
    wavs = sorted(recordings.glob("*.wav"))
    assert [w.name.rsplit("-", 1)[-1] for w in wavs] == ["de.wav", "de.wav", "ar.wav"]
    for wav in wavs:   # espeak-ng spoke: not silence
        assert _loudness(wav) > 0.01, wav.name
    # the Arabic client chose to hear his number in his language: the CheckIn carried it, and so does his call
    number = r["announce_ar"]["number"]
    ticket = next(t for t in core.service.state.tickets.values() if t.number == number)
    assert ticket.language == "ar" and ticket.announce
    desk = Device(fresh_broker.host, fresh_broker.port, "mini", "desk-test")
    try:
        assert desk.call_next("jc-1") == number   # (jc-1 has no box in the test site: no answer asked for)
        call = desk.wait_for(desk.topics.call(), lambda m: m.get("number") == number)
        assert call["announce"] == "ar"
    finally:
        desk.close()
