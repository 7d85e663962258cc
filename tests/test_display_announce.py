"""Calls spoken in the client's language, with real parts: Mosquitto, the core, the display app under Xvfb,
espeak-ng writing the WAVs and sox measuring them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .conftest import XServer
from .engine_helpers import mini_site
from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "sites" / "mini.toml"
RMS_FLOOR = 0.01   # speech and chimes are far above it; silence (or an empty WAV) is 0


def _rms(wav: Path) -> float:
    out = subprocess.run(["sox", str(wav), "-n", "stat"], capture_output=True, text=True, timeout=30, check=True)
    stats = dict(line.split(":", 1) for line in out.stderr.splitlines() if ":" in line)
    return float(stats["RMS     amplitude"])


@pytest.mark.slow
def test_display_announce_speaks_the_call_in_the_clients_language_after_german(
        fresh_broker: MosquittoBroker, xserver: XServer, artifacts_dir: Path, tmp_path: Path) -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: install the Debian package {tool} (./scripts/bootstrap.sh does)")
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(mini_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                      client_id="core-announce-test")
    core.start()
    assert core.wait_connected(10)
    out = artifacts_dir / "display" / "announce"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    try:
        for lang in ("ar", "ti"):
            reply = kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": "residence", "language": lang,
                                                                    "announce": True})
            assert reply["ok"], reply
        proc = subprocess.run(check=False, args=[sys.executable, "-m", "tests.ui.display_drive", "announce",
                                                 str(MINI), "display-1", str(fresh_broker.port), str(out)],
                              cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        kiosk.close()
        core.stop()
        store.close()
    r = json.loads((out / "display-announce.json").read_text())
    assert r["numbers"] == ["A-001", "A-002"]
    played = sorted((out / "played").iterdir())
    assert [p.name for p in played] == ["001-gong.wav", "002-speech-de.wav", "003-speech-ar.wav",   # A-001, ar
                                        "004-gong.wav", "005-speech-de.wav", "006-chime.wav", "007-speech-en.wav"]
    for wav in played:
        assert _rms(wav) > RMS_FLOOR, wav.name
    german, arabic = played[1].read_bytes(), played[2].read_bytes()
    assert german != arabic and abs(len(german) - len(arabic)) > 1000   # another text in another voice
    assert played[5].read_bytes() != played[0].read_bytes()            # the chime is not the gong
    # nothing on screen says which language was chosen
    shown = json.dumps(r["rows"]) + json.dumps(r["state"])
    assert "ar" not in {x for row in r["rows"] for x in row.values()} and "ti" not in shown.split('"')
