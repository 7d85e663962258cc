"""The real reception monitor under Xvfb against a real Mosquitto and the real core: tables and actions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .conftest import XServer
from .engine_helpers import mini_site
from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "sites" / "mini.toml"


def test_reception_acts_through_the_protocol_and_the_log_says_who(
        fresh_broker: MosquittoBroker, xserver: XServer, artifacts_dir: Path, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    core = CoreRunner(QueueService(mini_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                      client_id="core-reception-test")
    core.start()
    assert core.wait_connected(10)
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    # a kiosk whose printer is out of paper, and a button box that is online
    kiosk_link = Link(mini_site(), fresh_broker.host, fresh_broker.port, lambda _: None, device_id="kiosk-1",
                      kind="kiosk")
    kiosk_link.set_presence_detail({"paper": "out", "printer_online": "yes"})
    box = Link(mini_site(), fresh_broker.host, fresh_broker.port, lambda _: None, device_id="box-abh-1",
               kind="button_box")
    box.set_presence_detail({"port": "connected"})
    out = artifacts_dir / "reception"
    out.mkdir(parents=True, exist_ok=True)
    try:
        kiosk_link.start()
        box.start()
        assert kiosk_link.connected.wait(10) and box.connected.wait(10)
        for concern in ("residence", "residence", "job"):
            assert kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern})["ok"]
        assert kiosk.call_next("abh-1") == "A-001"   # no Response Topic: only abh-1's box may ask for an answer
        proc = subprocess.run(check=False, args=[sys.executable, "-m", "tests.ui.reception_drive", str(MINI),
                                                 str(fresh_broker.port), "frau-k", str(out)],
                              cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = store.event_rows()
    finally:
        box.stop()
        kiosk_link.stop()
        kiosk.close()
        core.stop()
        store.close()
    r = json.loads((out / "reception.json").read_text())
    assert r["choosers_before"] == ["Vorrang wählen …", "Zieldienst wählen …"] and all(r["disabled_before"])
    assert r["priority"] == "Vorrang setzen J-001: erledigt"
    assert r["move"] == "Verschieben A-002: erledigt"
    assert r["return_disabled"] is True
    # the event log records each action with the desk and the operator
    by_type = {row.type: row for row in rows}
    assert by_type["priority_changed"].actor == "reception:reception:frau-k"
    assert by_type["ticket_moved"].actor == "reception:reception:frau-k"
    assert any("frau-k: A-002 an Jobcenter übergeben" in a for a in r["actions"])   # in words, not "ticket_moved"
    assert any("frau-k: Vorrang von J-001 auf 5 gesetzt" in a for a in r["actions"])
    queues = {q["service"]: q for q in r["queues"]}
    assert queues["jobcenter"]["waiting"] == 2 and queues["aufenthalt"]["waiting"] == 0
    assert r["counters"]["abh-1"][:2] == ["open", "A-001"] and r["counters"]["abh-1"][2] is not None
    assert r["devices"]["kiosk-1"][:2] == ["kiosk", True]
    assert r["devices"]["box-abh-1"][:2] == ["button_box", True]
    assert r["devices"]["display-1"][1] is None  # never seen
    assert r["devices"]["kiosk-1"][2:] == ["Papier leer", True]
    assert "Kiosk kiosk-1: Papier leer – neue Rolle einlegen" in r["alerts"]
    assert (out / "reception.png").stat().st_size > 10_000
