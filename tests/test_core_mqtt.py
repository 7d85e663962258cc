"""Integration: the core service through a real Mosquitto — a whole morning, restarts, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.runner import CoreRunner
from queue_core.service import QueueService
from queue_core.store import Store

from .engine_helpers import DESK_WEB, MINI, service_site
from .mqtt_helpers import Device

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def core(fresh_broker: MosquittoBroker, tmp_path: Path):
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    runner = CoreRunner(QueueService(service_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                        client_id=f"core-{tmp_path.name}")
    runner.start()
    assert runner.wait_connected(10), "core did not connect to the broker"
    yield runner
    runner.stop()
    store.close()


def test_a_morning_through_the_broker(core: CoreRunner, fresh_broker: MosquittoBroker) -> None:
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    desk = Device(fresh_broker.host, fresh_broker.port, "mini", DESK_WEB)   # a desk page commands any counter
    reception = Device(fresh_broker.host, fresh_broker.port, "mini", "reception")
    t = kiosk.topics
    try:
        numbers = [kiosk.request(t.checkin("kiosk-1"), {"concern": c})["ticket"]["number"]
                   for c in ("residence", "residence", "job", "residence", "job")]
        assert numbers == ["A-001", "A-002", "J-001", "A-003", "J-002"]
        # abh-1 calls A-001, serves it, hands the client over to the job centre with a note
        assert desk.request(t.counter_cmd("abh-1"), {"action": "next"})["number"] == "A-001"
        desk.wait_for(t.call(), lambda m: m["number"] == "A-001" and m["room"] == "E.01")
        desk.request(t.counter_cmd("abh-1"), {"action": "start"})
        r = desk.request(t.counter_cmd("abh-1"), {"action": "transfer", "to_service": "jobcenter",
                                                  "note": "Arbeitserlaubnis liegt vor"})
        assert r["ok"]
        # abh-2 calls A-002, who does not come: two recalls, then the third is a no-show
        assert desk.request(t.counter_cmd("abh-2"), {"action": "next"})["number"] == "A-002"
        for _ in range(2):
            desk.request(t.counter_cmd("abh-2"), {"action": "recall"})
        desk.wait_for(t.call(), lambda m: m["number"] == "A-002" and m["recall"])
        desk.request(t.counter_cmd("abh-2"), {"action": "recall"})
        # jc-1: the transferred client (arrived first) comes before J-001
        assert desk.request(t.counter_cmd("jc-1"), {"action": "next"})["number"] == "A-001"
        assert desk.request(t.counter_cmd("jc-2"), {"action": "next"})["number"] == "J-001"
        desk.request(t.counter_cmd("jc-1"), {"action": "done"})
        # reception: A-002 is back after the no-show
        r = reception.request(t.reception_cmd("reception"),
                              {"action": "return", "ticket": "A-002", "operator": "frau-k"})
        assert r["ok"]
        # the retained board shows the current calls; a display that connects now gets it at once
        late = Device(fresh_broker.host, fresh_broker.port, "mini", "display-1")
        expected = {"aufenthalt": 2, "jobcenter": 1, "leistung": 0}
        board = late.wait_for(t.board(), lambda m: {q["service"]: q["waiting"] for q in m["queues"]} == expected)
        assert {c["number"] for c in board["current"]} == {"J-001"}
        late.close()
        # the event log holds every change with who did it
        store = core.service.store
        rows = store.event_rows()
        kinds = [r.type for r in rows]
        assert kinds.count("ticket_issued") == 5 and "ticket_transferred" in kinds and "ticket_no_show" in kinds
        assert "ticket_returned" in kinds
        returned = next(r for r in rows if r.type == "ticket_returned")
        assert returned.actor == "reception:reception:frau-k"
        state = core.service.state
        assert {x.number: x.status.value for x in state.tickets.values()} == {
            "A-001": "done", "A-002": "waiting", "J-001": "called", "A-003": "waiting", "J-002": "waiting"}
    finally:
        kiosk.close()
        desk.close()
        reception.close()


def test_commands_sent_while_the_core_restarts_are_not_lost(fresh_broker: MosquittoBroker, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'core.db'}"
    store = Store(db)
    store.migrate()
    runner = CoreRunner(QueueService(service_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                        client_id="core-restart")
    runner.start()
    assert runner.wait_connected(10)
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    try:
        kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": "job"})
        runner.stop()  # a clean stop keeps the session (clean_start=False, session expiry)
        # sent while the core is away: the broker queues it in the core's session
        body = {"v": 1, "id": "while-away", "concern": "job"}
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic, props.CorrelationData = kiosk.reply_topic, b"while-away"
        kiosk.client.publish(kiosk.topics.checkin("kiosk-1"), json.dumps(body).encode(), qos=1,
                             properties=props).wait_for_publish(5)
        again = CoreRunner(QueueService(service_site(), store, always_open=True), fresh_broker.host, fresh_broker.port,
                           client_id="core-restart")
        again.start()
        assert again.wait_connected(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(again.service.state.tickets) < 2:
            time.sleep(0.05)
        assert sorted(t.number for t in again.service.state.tickets.values()) == ["J-001", "J-002"]
        again.stop()
    finally:
        kiosk.close()
        store.close()


def test_garbage_leaves_the_core_running(core: CoreRunner, fresh_broker: MosquittoBroker) -> None:
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    t = kiosk.topics
    try:
        for raw in (b"", b"\x00\xff", b"{", b'{"v":1}', b"[]" * 5000, json.dumps({"v": 99}).encode()):
            kiosk.client.publish(t.checkin("kiosk-1"), raw, qos=1)
            kiosk.client.publish(t.counter_cmd("abh-1"), raw, qos=1)
        kiosk.client.publish(f"{t.root}/cmd/unknown/x", b"{}", qos=1)
        r = kiosk.request(t.checkin("kiosk-1"), {"concern": "residence"})
        assert r["ok"] and r["ticket"]["number"] == "A-001"
        assert core.service.stats["rejected"] >= 13
        err = kiosk.wait_for(t.error(), lambda m: m["code"] == "unsupported_version")
        assert "v1" in err["message"]
    finally:
        kiosk.close()


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_core_command_line_runs_and_stops_cleanly(fresh_broker: MosquittoBroker, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "arkaden_cli", "core", "--site", str(MINI), "--port", str(fresh_broker.port),
         "--db-url", f"sqlite:///{tmp_path / 'cli.db'}", "--always-open"],
        cwd=REPO, stderr=subprocess.PIPE, text=True)
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    try:
        deadline = time.monotonic() + 15
        reply = None
        while reply is None and time.monotonic() < deadline:
            try:
                reply = kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": "job"}, timeout=1)
            except AssertionError:
                pass
        assert reply and reply["ticket"]["number"] == "J-001"
    finally:
        kiosk.close()
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "<6>arkaden.core: connected to" in err  # journald-friendly priority prefix


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_core_survives_a_broker_restart_and_republishes_the_board(
        core: CoreRunner, fresh_broker: MosquittoBroker) -> None:
    kiosk = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")
    t = kiosk.topics
    assert kiosk.request(t.checkin("kiosk-1"), {"concern": "job"})["ticket"]["number"] == "J-001"
    kiosk.close()
    fresh_broker.restart()  # the dev broker keeps nothing: retained state is gone with it
    deadline = time.monotonic() + 5
    while core.connected.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert core.wait_connected(15), "core did not reconnect after the broker came back"
    display = Device(fresh_broker.host, fresh_broker.port, "mini", "display-1")
    try:
        board = display.wait_for(t.board(), lambda m: True, timeout=10)  # republished by the core
        assert {q["service"]: q["waiting"] for q in board["queues"]}["jobcenter"] == 1
        again = Device(fresh_broker.host, fresh_broker.port, "mini", "kiosk-1")   # the kiosk reconnects too
        try:
            assert again.request(t.checkin("kiosk-1"), {"concern": "job"})["ticket"]["number"] == "J-002"
        finally:
            again.close()
    finally:
        display.close()
