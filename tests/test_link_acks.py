"""Integration: acks and re-sends across a lost broker session, on a real Mosquitto that restarts.

A packet id names a message on one connection only. An ack for a message of an old connection must never
confirm a message of a new one, and a publish paho held through a lost connection goes out again only while
it has not expired.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from device_link.link import Link
from device_link.mqtt_client import Delivery, ManualAcks, make_client, properties

from .engine_helpers import mini_site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TOPIC = "arkaden/v1/mini/cmd/counter/abh-1"


class Subscriber:
    """A core-like client: persistent session, manual acks through ``ManualAcks``, re-subscribes on connect."""

    def __init__(self, broker: MosquittoBroker, client_id: str, *, subscribe: bool = True):
        self.got: list[tuple[bytes, Delivery]] = []
        self.cv = threading.Condition()
        self.subscribed = threading.Event()
        self.client = make_client(client_id)
        self.acks = ManualAcks(self.client)
        self._subscribe = subscribe
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.acks.new_connection()
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message
        props = properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect(broker.host, broker.port, clean_start=False, properties=props)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, rc: Any, props: Any) -> None:
        self.acks.new_connection()
        if self._subscribe:
            client.subscribe(TOPIC, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self.cv:
            self.got.append((bytes(msg.payload), self.acks.delivery(msg)))
            self.cv.notify_all()

    def wait(self, count: int, timeout: float = 10) -> list[tuple[bytes, Delivery]]:
        with self.cv:
            assert self.cv.wait_for(lambda: len(self.got) >= count, timeout), self.got
            return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _publish(broker: MosquittoBroker, payload: bytes) -> None:
    client = make_client(f"test-pub-{uuid.uuid4().hex[:6]}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        client.publish(TOPIC, payload, qos=1).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


def test_link_an_ack_of_a_lost_session_does_not_confirm_a_new_message(fresh_broker: MosquittoBroker) -> None:
    client_id = f"test-core-{uuid.uuid4().hex[:6]}"
    sub = Subscriber(fresh_broker, client_id)
    try:
        assert sub.subscribed.wait(5)
        _publish(fresh_broker, b"before")
        (_, old), = sub.wait(1)  # taken, still being worked on when the broker goes
        sub.subscribed.clear()
        fresh_broker.restart()  # the broker's sessions are gone
        assert sub.subscribed.wait(15), "the subscriber did not come back"
        _publish(fresh_broker, b"after")
        _, new = sub.wait(2)[1]
        assert new.mid == old.mid and new.epoch != old.epoch  # the same packet id, a different message
        assert not sub.acks.ack(old)  # the old message's ack: not sent, it would confirm "after"
        assert sub.acks.stale == 1
    finally:
        sub.close()  # a clean disconnect: the session (and "after", unacknowledged) stays at the broker
    again = Subscriber(fresh_broker, client_id, subscribe=False)
    try:
        payload, delivery = again.wait(1)[0]  # delivered again: nothing confirmed it
        assert payload == b"after"
        assert again.acks.ack(delivery)
    finally:
        again.close()


def test_link_a_publish_held_through_a_lost_connection_is_not_sent_once_expired(
        fresh_broker: MosquittoBroker) -> None:
    seen: list[tuple[str, dict[str, Any], int | None]] = []
    cv = threading.Condition()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with cv:
            seen.append((msg.topic, json.loads(msg.payload),
                         getattr(msg.properties, "MessageExpiryInterval", None) if msg.properties else None))
            cv.notify_all()

    watcher = make_client(f"test-watch-{uuid.uuid4().hex[:6]}")
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *a: subscribed.set()
    watcher.on_message = on_message
    watcher.connect(fresh_broker.host, fresh_broker.port)
    watcher.loop_start()
    watcher.subscribe("arkaden/v1/mini/cmd/#", qos=1)
    assert subscribed.wait(5)
    link = Link(mini_site(), fresh_broker.host, fresh_broker.port, lambda _l: None, device_id="box-abh-1",
                kind="button_box")
    try:
        # sent while there is no connection: paho holds them (as it holds one in flight when a connection breaks)
        short = p.CounterCommand(id=link.new_id(), action="next")
        long = p.CounterCommand(id=link.new_id(), action="done")
        assert link.request(TOPIC, short, p.CommandResult, timeout=0.01, expiry_s=1) is None
        assert link.request(TOPIC, long, p.CommandResult, timeout=0.01, expiry_s=60) is None
        link.publish("arkaden/v1/mini/cmd/counter/jc-1", b'{"no": "expiry"}')
        threading.Event().wait(1.3)  # the first has expired
        link.start()
        with cv:
            assert cv.wait_for(lambda: len(seen) >= 2, 10), seen
        assert link.connected.wait(5)
        link.publish("arkaden/v1/mini/cmd/counter/jc-1", b'{"last": true}')  # after everything held
        with cv:
            assert cv.wait_for(lambda: any(m.get("last") for _, m, _ in seen), 10), seen
        ids = [m.get("id") for _, m, _ in seen]
        assert short.id not in ids and ids.count(long.id) == 1 and link.dropped_expired == 1
        expiry = next(e for _, m, e in seen if m.get("id") == long.id)
        assert expiry is not None and 57 <= expiry <= 59  # the time it had left, not the full minute again
        assert {"no": "expiry"} in [m for _, m, _ in seen]
    finally:
        link.stop()
        watcher.disconnect()
        watcher.loop_stop()
