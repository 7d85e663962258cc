"""A reusable MQTT v5 device client: requests with correlation data and replies, reconnecting by itself."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import protocol as p
from .core_runner import make_client
from .site import Site

Out = Callable[[str], None]
REPLY_TIMEOUT_S = 5.0


class Link:
    """One MQTT v5 client for all simulated devices: requests with correlation data, reconnects itself."""

    def __init__(self, site: Site, host: str, port: int, out: Out, *, name: str = "sim",
                 subscriptions: list[str] | None = None, on_public: Callable[[str, dict], None] | None = None):
        self.topics = p.Topics(site.site.id)
        self.run_id = uuid.uuid4().hex[:8]
        self.device = f"{name}-{self.run_id}"
        self.reply_topic = self.topics.reply(self.device)
        self.host, self.port, self.out = host, port, out
        self.subscriptions = subscriptions or []
        self.on_public = on_public
        self.ids = itertools.count(1)
        self.connected = threading.Event()
        self.ever_connected = False
        self._pending: dict[bytes, dict | None] = {}
        self._cv = threading.Condition()
        self.client = make_client(f"arkaden-{self.device}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=15, clean_start=True)
        self.client.loop_start()

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def new_id(self) -> str:
        return f"{self.device}-{next(self.ids)}"

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            return
        subs = [(self.reply_topic, 1)] + [(t, 1) for t in self.subscriptions]
        client.subscribe(subs)
        self.ever_connected = True
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        try:
            data = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            return
        if msg.topic == self.reply_topic:
            corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
            with self._cv:
                if corr in self._pending:
                    self._pending[corr] = data
                    self._cv.notify_all()
        elif self.on_public is not None and isinstance(data, dict):
            try:
                self.on_public(msg.topic, data)
            except Exception:  # a callback must never break paho's loop
                pass

    def request(self, topic: str, payload: dict[str, Any], timeout: float = REPLY_TIMEOUT_S) -> dict | None:
        """Send a command with a unique id; the reply, or None if none came in time."""
        cid = self.new_id()
        corr = cid.encode()
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = corr
        with self._cv:
            self._pending[corr] = None
        try:
            self.client.publish(topic, json.dumps({"v": 1, "id": cid, **payload}).encode(), qos=1, properties=props)
            with self._cv:
                self._cv.wait_for(lambda: self._pending.get(corr) is not None, timeout)
                return self._pending.get(corr)
        finally:
            with self._cv:
                self._pending.pop(corr, None)
