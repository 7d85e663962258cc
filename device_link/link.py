"""The device link: one MQTT v5 client per device, with typed requests and replies, presence and a Last Will."""

from __future__ import annotations

import itertools
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError

import queue_protocol as p
from device_link.mqtt_client import make_client, properties
from queue_rules.site import Site

if TYPE_CHECKING:
    from device_link.broker_auth import BrokerAuth

Out = Callable[[str], None]
REPLY_TIMEOUT_S = 5.0
R = TypeVar("R", bound=p.Payload)
log = logging.getLogger("arkaden.link")


class BadReply(ValueError):
    """The core's reply does not fit the protocol's own reply model (a bug or a foreign publisher)."""


class CoreLink(Protocol):
    """What a device needs from its link to the core: ``Link`` is the real one, the tests have a fake."""

    topics: p.Topics
    connected: threading.Event

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = ...,
                *, expiry_s: int | None = None) -> R | None:
        """The reply parsed with ``reply``; None when none came in time; raises ``BadReply`` when it does not fit."""
        ...

    def set_presence_detail(self, detail: dict[str, str]) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Link:
    """One MQTT v5 client for all simulated devices: requests with correlation data, reconnects itself."""

    def __init__(self, site: Site, host: str, port: int, out: Out, *, name: str = "sim",
                 subscriptions: list[str] | None = None, on_public: Callable[[str, dict[str, Any]], None] | None = None,
                 device_id: str | None = None, kind: str | None = None, version: str | None = None,
                 on_connected: Callable[[], None] | None = None,
                 on_disconnected: Callable[[], None] | None = None, auth: BrokerAuth | None = None,
                 clock: Callable[[], datetime] | None = None):
        """A tool's link (``name`` plus a random suffix), or, with ``device_id`` and ``kind``, a site device's.

        A site device (kiosk, display, button box, reception desk) gets its own reply topic, a retained
        presence message and a Last Will that says it is offline; ``set_presence_detail`` updates the
        retained detail (e.g. a printer's paper state). ``on_connected`` runs on paho's thread after every
        (re)connect, ``on_disconnected`` after every loss: keep both short. ``auth`` logs in to a production
        broker (user/password or a TLS client certificate, see ``broker_auth``). ``clock`` stamps the presence
        (a demo's simulated clock; default the real one).
        """
        self._clock = clock or (lambda: datetime.now(UTC))
        self.topics = p.Topics(site.site.id)
        self.run_id = uuid.uuid4().hex[:8]
        self.device = device_id or f"{name}-{self.run_id}"
        self.kind = kind
        self.version = version
        self.reply_topic = self.topics.reply(self.device)
        self.host, self.port, self.out = host, port, out
        self.subscriptions = subscriptions or []
        self.on_public = on_public
        self.on_connected = on_connected
        self.on_disconnected = on_disconnected
        self.ids = itertools.count(1)
        self.connected = threading.Event()
        self.ever_connected = False
        self._pending: dict[bytes, bytes | None] = {}
        self._cv = threading.Condition()
        self._detail: dict[str, str] = {}
        self._refused = ""
        self.client = make_client(f"arkaden-{self.device}", auth)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        if self.kind is not None:
            self.presence_topic: str | None = self.topics.presence(self.device)
            self.client.will_set(self.presence_topic, self._presence(False).to_bytes(), qos=1, retain=True)
        else:
            self.presence_topic = None

    def _presence(self, online: bool) -> p.DevicePresence:
        return p.DevicePresence(device=self.device, kind=self.kind or "tool", online=online,
                                at=self._clock(), version=self.version, detail=dict(self._detail))

    def set_presence_detail(self, detail: dict[str, str]) -> None:
        """Replace the retained presence detail and publish it now if connected (else on connect)."""
        self._detail = {str(k): str(v) for k, v in detail.items()}
        if self.presence_topic is not None and self.connected.is_set():
            self.client.publish(self.presence_topic, self._presence(True).to_bytes(), qos=1, retain=True)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        """Publish raw bytes (paho queues them while offline)."""
        self.client.publish(topic, payload, qos=qos, retain=retain)

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=15, clean_start=True)
        self.client.loop_start()

    def stop(self) -> None:
        """Say goodbye (a device marks itself offline first) and stop the network thread."""
        try:
            if self.presence_topic is not None and self.connected.is_set():
                info = self.client.publish(self.presence_topic, self._presence(False).to_bytes(), qos=1, retain=True)
                info.wait_for_publish(2)
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def new_id(self) -> str:
        return f"{self.device}-{next(self.ids)}"

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: ConnectFlags,
                    reason_code: ReasonCode, properties: Properties | None) -> None:
        if reason_code.is_failure:
            if str(reason_code) != self._refused:  # say it once, not on every retry
                self._refused = str(reason_code)
                self.out(f"broker {self.host}:{self.port} refused {self.device}: {reason_code}")
            return
        self._refused = ""
        subs = [(self.reply_topic, 1)] + [(t, 1) for t in self.subscriptions]
        client.subscribe(subs)
        if self.presence_topic is not None:
            client.publish(self.presence_topic, self._presence(True).to_bytes(), qos=1, retain=True)
        self.ever_connected = True
        self.connected.set()
        if self.on_connected is not None:
            try:
                self.on_connected()
            except Exception:  # a callback must never break paho's loop
                pass

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: DisconnectFlags,
                       reason_code: ReasonCode, properties: Properties | None) -> None:
        self.connected.clear()
        if self.on_disconnected is not None:
            try:
                self.on_disconnected()
            except Exception:
                pass

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self.reply_topic:
            corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
            with self._cv:
                if corr in self._pending:
                    self._pending[corr] = bytes(msg.payload)
                    self._cv.notify_all()
            return
        try:
            data = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            return
        if self.on_public is not None and isinstance(data, dict):
            try:
                self.on_public(msg.topic, data)
            except Exception:  # a callback must never break paho's loop
                pass

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = REPLY_TIMEOUT_S,
                *, expiry_s: int | None = None) -> R | None:
        """Send ``command`` and wait for the core's answer, parsed with the protocol's ``reply`` model.

        None when no answer came within ``timeout``; :class:`BadReply` when one came that the model refuses.
        The command's id is its Correlation Data: to retry safely, send the same command (same id) again.
        ``expiry_s`` sets the MQTT v5 Message Expiry Interval: the broker drops the command if the core has not
        taken it by then (a kiosk that already gave up on a check-in must not have it applied an hour later).
        """
        corr = command.id.encode()
        props = properties()
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = corr
        if expiry_s is not None:
            props.MessageExpiryInterval = expiry_s
        with self._cv:
            self._pending[corr] = None
        try:
            self.client.publish(topic, command.to_bytes(), qos=1, properties=props)
            with self._cv:
                self._cv.wait_for(lambda: self._pending.get(corr) is not None, timeout)
                raw = self._pending.get(corr)
        finally:
            with self._cv:
                self._pending.pop(corr, None)
        if raw is None:
            return None
        try:
            return reply.model_validate_json(raw)
        except ValidationError as exc:
            log.error("reply to %s on %s does not fit %s: %s", command.id, topic, reply.__name__, exc)
            raise BadReply(f"the reply to {command.id} is not a valid {reply.__name__}") from None
