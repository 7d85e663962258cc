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

    def __init__(self, host: str, port: int, site_id: str, device_id: str, speaks_for: tuple[str, ...] = ()):
        """``speaks_for``: other site devices this test client may ask as (``request(as_device=…)``), since the
        core answers a command only on its sender's own reply topic (e.g. "web" for a counter's desk page)."""
        self.topics = p.Topics(site_id)
        self.device_id = device_id
        self.reply_topic = self.topics.reply(device_id)
        self.replies: dict[bytes, dict] = {}
        self.received: dict[str, list[dict]] = defaultdict(list)
        self.cv = threading.Condition()
        self.ids = itertools.count(1)
        self.boot = uuid.uuid4().hex[:6]   # ids stay unique when the same device connects again (as a device must)
        self.client = make_client(f"test-{device_id}-{self.boot}")
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(host, port, keepalive=30, clean_start=True)
        self.client.loop_start()
        self.own_replies = {self.reply_topic, *(self.topics.reply(d) for d in speaks_for)}
        self.client.subscribe([*((t, 1) for t in sorted(self.own_replies)), (self.topics.all_public(), 1),
                               (self.topics.error(), 1), (f"{self.topics.root}/private/#", 1)])
        assert subscribed.wait(5), "subscription not acknowledged"

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        data = json.loads(msg.payload) if msg.payload else {}
        with self.cv:
            corr = getattr(msg.properties, "CorrelationData", None)
            if msg.topic in self.own_replies and corr is not None:
                self.replies[corr] = data
            self.received[msg.topic].append(data)
            self.cv.notify_all()

    def request(self, topic: str, payload: dict, timeout: float = 5, as_device: str | None = None) -> dict:
        cid = f"{self.device_id}-{self.boot}-{next(self.ids)}"
        body = {"v": 1, "id": cid, **payload}
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_topic if as_device is None else self.topics.reply(as_device)
        assert props.ResponseTopic in self.own_replies, f"{self.device_id} does not speak for {as_device}"
        props.CorrelationData = cid.encode()
        self.client.publish(topic, json.dumps(body).encode(), qos=1, properties=props)
        with self.cv:
            assert self.cv.wait_for(lambda: cid.encode() in self.replies, timeout), f"no reply to {body}"
            return self.replies[cid.encode()]

    def call_next(self, counter: str, timeout: float = 5) -> str:
        """`next` at a counter this device is not the box of, sent without a Response Topic (a counter's answer
        is optional, and only its own box or a desk page may ask for it); returns the number then called."""
        seen = len(self.received[self.topics.call()])
        body = {"v": 1, "id": f"{self.device_id}-{self.boot}-{next(self.ids)}", "action": "next"}
        self.client.publish(self.topics.counter_cmd(counter), json.dumps(body).encode(), qos=1)
        with self.cv:
            assert self.cv.wait_for(lambda: len(self.received[self.topics.call()]) > seen, timeout), \
                f"no call after next at {counter}"
            number: str = self.received[self.topics.call()][seen]["number"]
            return number

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
