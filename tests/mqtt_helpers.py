"""Test clients for the real broker: a request/response kiosk, a counter desk and a display that records."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections import defaultdict

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import queue_protocol as p
from device_link.mqtt_client import make_client


class Device:
    """A v5 client that can send requests and wait for the correlated reply."""

    def __init__(self, host: str, port: int, site_id: str, device_id: str):
        self.topics = p.Topics(site_id)
        self.device_id = device_id
        self.reply_topic = self.topics.reply(device_id)
        self.replies: dict[bytes, dict] = {}
        self.received: dict[str, list[dict]] = defaultdict(list)
        self.cv = threading.Condition()
        self.ids = itertools.count(1)
        self.client = make_client(f"test-{device_id}-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(host, port, keepalive=30, clean_start=True)
        self.client.loop_start()
        self.client.subscribe([(self.reply_topic, 1), (self.topics.all_public(), 1), (self.topics.error(), 1),
                               (f"{self.topics.root}/private/#", 1)])
        assert subscribed.wait(5), "subscription not acknowledged"

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        data = json.loads(msg.payload) if msg.payload else {}
        with self.cv:
            corr = getattr(msg.properties, "CorrelationData", None)
            if msg.topic == self.reply_topic and corr is not None:
                self.replies[corr] = data
            self.received[msg.topic].append(data)
            self.cv.notify_all()

    def request(self, topic: str, payload: dict, timeout: float = 5) -> dict:
        cid = f"{self.device_id}-{next(self.ids)}"
        body = {"v": 1, "id": cid, **payload}
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = cid.encode()
        self.client.publish(topic, json.dumps(body).encode(), qos=1, properties=props)
        with self.cv:
            assert self.cv.wait_for(lambda: cid.encode() in self.replies, timeout), f"no reply to {body}"
            return self.replies[cid.encode()]

    def wait_for(self, topic: str, predicate, timeout: float = 5) -> dict:  # type: ignore[no-untyped-def]
        with self.cv:
            found: list[dict] = []

            def check() -> bool:
                found[:] = [m for m in self.received[topic] if predicate(m)]
                return bool(found)

            assert self.cv.wait_for(check, timeout), f"nothing matching on {topic}: {self.received[topic][-3:]}"
            return found[-1]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
