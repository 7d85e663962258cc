"""Checks that the test infrastructure itself works: Mosquitto, PostgreSQL and db_url."""

from __future__ import annotations

import queue
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy

from arkaden_cli import dev_broker as broker_mod
from arkaden_cli.dev_broker import BrokerUnavailable, MosquittoBroker

pytestmark = pytest.mark.integration


def _round_trip(b: MosquittoBroker) -> None:
    """Subscribe, publish QoS 1 and receive the message back over MQTT v5."""
    events: queue.Queue[tuple[str, object]] = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_connect = lambda c, u, flags, reason, props: events.put(("connect", reason))
    client.on_subscribe = lambda c, u, mid, reasons, props: events.put(("subscribe", reasons))
    client.on_message = lambda c, u, msg: events.put(("message", msg))
    topic = f"arkaden/test/{uuid.uuid4().hex}"
    client.connect(b.host, b.port)
    client.loop_start()
    try:
        kind, reason = events.get(timeout=5)
        assert kind == "connect" and not reason.is_failure, reason  # type: ignore[attr-defined]
        client.subscribe(topic, qos=1)
        kind, reasons = events.get(timeout=5)
        assert kind == "subscribe", kind
        client.publish(topic, b"hello", qos=1)
        kind, msg = events.get(timeout=5)
        assert kind == "message"
        assert isinstance(msg, mqtt.MQTTMessage)
        assert (msg.topic, msg.payload, msg.qos) == (topic, b"hello", 1)
    finally:
        client.disconnect()
        client.loop_stop()


def test_broker_round_trip(broker: MosquittoBroker) -> None:
    assert broker.running
    _round_trip(broker)


def test_restart_keeps_port(fresh_broker: MosquittoBroker) -> None:
    port = fresh_broker.port
    fresh_broker.restart()
    assert fresh_broker.running
    assert fresh_broker.port == port
    _round_trip(fresh_broker)
    fresh_broker.stop()
    assert not fresh_broker.running


def test_missing_binary_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(broker_mod, "SBIN_DIRS", ())
    with pytest.raises(BrokerUnavailable) as info:
        MosquittoBroker(tmp_path).start()
    message = str(info.value)
    assert "apt-get install mosquitto" in message
    assert "./scripts/test" in message


def test_broken_config_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("this_is_not_an_option 1\n")
    with pytest.raises(BrokerUnavailable, match="this_is_not_an_option"):
        MosquittoBroker(tmp_path / "b", config=bad).start()


def test_postgres_server_select_1(postgres_server) -> None:  # type: ignore[no-untyped-def]
    url = postgres_server.create_database()
    assert url.startswith(f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_db_url_is_fresh_and_usable(db_url: str) -> None:
    engine = sqlalchemy.create_engine(db_url)
    try:
        assert sqlalchemy.inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            conn.execute(sqlalchemy.text("INSERT INTO probe (id) VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT count(*) FROM probe")).scalar_one() == 1
    finally:
        engine.dispose()


def test_artifacts_dir(artifacts_dir: Path) -> None:
    assert artifacts_dir.is_dir()
    assert artifacts_dir.name == "artifacts"
