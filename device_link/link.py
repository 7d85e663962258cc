"""The device link: one MQTT v5 client per device, with typed requests and replies, presence and a Last Will."""

from __future__ import annotations

import itertools
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Sequence
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
BOOT_CHARS = 12  # hex digits of the per-start token in command ids: 48 random bits
COMMAND_ID_MAX = 64  # queue_protocol's CommandId: at most 64 characters
COUNT_DIGITS = 12  # room kept for the count in a command id
R = TypeVar("R", bound=p.Payload)
log = logging.getLogger("arkaden.link")


class BadReply(ValueError):
    """The core's reply does not fit the protocol's own reply model (a bug or a foreign publisher)."""


class CoreLink(Protocol):
    """What a device needs from its link to the core: ``Link`` is the real one, the tests have a fake."""

    topics: p.Topics
    connected: threading.Event

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = ...,
                *, expiry_s: float | None = None) -> R | None:
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
                 clock: Callable[[], datetime] | None = None, speaks_for: Sequence[str] = ()):
        """A tool's link (``name`` plus a random suffix), or, with ``device_id`` and ``kind``, a site device's.

        A site device (kiosk, display, button box, reception desk) gets its own reply topic, a retained
        presence message and a Last Will that says it is offline; ``set_presence_detail`` updates the
        retained detail (e.g. a printer's paper state). ``on_connected`` runs on paho's thread after every
        (re)connect, ``on_disconnected`` after every loss: keep both short. ``auth`` logs in to a production
        broker (user/password or a TLS client certificate, see ``broker_auth``). ``clock`` stamps the presence
        (a demo's simulated clock; default the real one). ``speaks_for``: site devices a tool plays (the
        simulator, the demo's readiness check): their reply topics are read too, and ``request(as_device=…)``
        asks for the answer on one of them, since the core answers a command only on its sender's own.
        """
        self._clock = clock or (lambda: datetime.now(UTC))
        self.topics = p.Topics(site.site.id)
        self.run_id = uuid.uuid4().hex[:8]
        self.device = device_id or f"{name}-{self.run_id}"
        self.kind = kind
        self.version = version
        self.reply_topic = self.topics.reply(self.device)
        self.speaks_for = tuple(speaks_for)
        self._reply_topics = frozenset({self.reply_topic, *(self.topics.reply(d) for d in self.speaks_for)})
        self.host, self.port, self.out = host, port, out
        self.subscriptions = subscriptions or []
        self.on_public = on_public
        self.on_connected = on_connected
        self.on_disconnected = on_disconnected
        # a command id names its device, this process start and a count: a restarted device never repeats the
        # id of a command it sent before (the core answers a known id with the stored answer of that command)
        self.boot = uuid.uuid4().hex[:BOOT_CHARS]
        self.ids = itertools.count(1)
        self._id_prefix = f"{self.device[:COMMAND_ID_MAX - BOOT_CHARS - 2 - COUNT_DIGITS]}-{self.boot}-"
        self._expires_lock = threading.Lock()  # never held while calling paho (paho calls on_publish under its own)
        self._expires: dict[int, float] = {}  # mid -> monotonic expiry of a publish with a Message Expiry Interval
        self.dropped_expired = 0  # publishes paho held through a lost connection until they expired: never sent
        self.connected = threading.Event()
        self.ever_connected = False
        self._pending: dict[bytes, bytes | None] = {}
        self._callbacks: dict[bytes, Callable[[bytes], None]] = {}
        self._cv = threading.Condition()
        self._detail: dict[str, str] = {}
        self._refused = ""
        self.client = make_client(f"arkaden-{self.device}", auth)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
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
        self._publish(topic, payload, qos, retain, None)

    def _publish(self, topic: str, payload: bytes, qos: int, retain: bool, props: Properties | None,
                 expires: float | None = None) -> None:
        """Publish; one with a Message Expiry Interval is remembered until its PUBACK, so a reconnect can drop it
        once it has expired (paho would send it again however old it is)."""
        expiry = getattr(props, "MessageExpiryInterval", None) if props is not None else None
        until = expires if expires is not None else time.monotonic() + expiry if expiry is not None else None
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        held = info.rc == mqtt.MQTT_ERR_NO_CONN or (info.rc == mqtt.MQTT_ERR_SUCCESS and not info.is_published())
        with self._expires_lock:  # paho holds one message per mid at a time: this entry is the new message's
            if qos > 0 and until is not None and held:
                self._expires[info.mid] = until
            else:
                self._expires.pop(info.mid, None)

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason_code: ReasonCode,
                    properties: Properties | None) -> None:
        with self._expires_lock:
            self._expires.pop(mid, None)

    def _resend_unacknowledged(self, client: mqtt.Client) -> None:
        """On a new connection: what paho still holds from the last one goes out again, unless it has expired.

        A message sent again gets a new packet id on the new connection, and its remaining expiry. Only a
        PUBACK on the connection a message was (re-)sent on confirms it (paho matches PUBACKs to the messages
        it holds by packet id, and holds each under the id it was last sent with).
        """
        held = client.drop_out_messages()
        now = time.monotonic()
        with self._expires_lock:
            expires = {m.mid: self._expires.pop(m.mid, None) for m in held}
        for m in held:
            until = expires[m.mid]
            props = m.properties
            if until is not None and props is not None and getattr(props, "MessageExpiryInterval", None):
                left = until - now
                if left <= 0:
                    self.dropped_expired += 1
                    log.info("%s: not sending again on %s: it expired %.1f s ago", self.device, m.topic, -left)
                    continue
                props.MessageExpiryInterval = max(1, math.ceil(left))
            self._publish(m.topic, bytes(m.payload), m.qos, m.retain, props, until)

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
        """``<device>-<boot>-<n>``: new also after a restart, without any state kept on disk."""
        return f"{self._id_prefix}{next(self.ids)}"

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: ConnectFlags,
                    reason_code: ReasonCode, properties: Properties | None) -> None:
        if reason_code.is_failure:
            if str(reason_code) != self._refused:  # say it once, not on every retry
                self._refused = str(reason_code)
                self.out(f"broker {self.host}:{self.port} refused {self.device}: {reason_code}")
            return
        self._refused = ""
        subs = [(t, 1) for t in self._reply_topics] + [(t, 1) for t in self.subscriptions]
        client.subscribe(subs)  # first: the answers to what goes out again come to the reply topic
        self._resend_unacknowledged(client)  # then what was held, before the fresh presence (not after it)
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
        if msg.topic in self._reply_topics:
            corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
            with self._cv:
                if corr in self._pending:
                    self._pending[corr] = bytes(msg.payload)
                    self._cv.notify_all()
                callback = self._callbacks.pop(corr, None) if isinstance(corr, bytes) else None
            if callback is not None:
                try:
                    callback(bytes(msg.payload))
                except Exception:  # a callback must never break paho's loop
                    log.exception("reply callback for %r failed", corr)
            return
        try:
            data = json.loads(msg.payload) if msg.payload else {}
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes: ignore it
            return
        if self.on_public is not None and isinstance(data, dict):
            try:
                self.on_public(msg.topic, data)
            except Exception:  # a callback must never break paho's loop
                pass

    def send(self, topic: str, command: p.Command, on_reply: Callable[[bytes], None], *,
             expiry_s: float | None = None, as_device: str | None = None) -> None:
        """Send ``command`` as a request without waiting: ``on_reply`` gets the raw answer on paho's thread.

        For a server that asks many questions at once (the web server). The caller keeps its own deadline
        and calls ``forget(command.id)`` when it gives up.
        """
        corr = command.id.encode()
        props = self._request_properties(corr, expiry_s, as_device)
        with self._cv:
            self._callbacks[corr] = on_reply
        self._publish(topic, command.to_bytes(), 1, False, props, _until(expiry_s))

    def _request_properties(self, corr: bytes, expiry_s: float | None, as_device: str | None = None) -> Properties:
        """MQTT v5 request properties: answer on this device's reply topic (or that of a device it speaks for),
        with the command id as correlation."""
        props = properties()
        if as_device is not None and as_device not in self.speaks_for:
            raise ValueError(f"{self.device} does not speak for {as_device!r}")
        props.ResponseTopic = self.reply_topic if as_device is None else self.topics.reply(as_device)
        props.CorrelationData = corr
        if expiry_s is not None:
            props.MessageExpiryInterval = max(1, math.ceil(expiry_s))  # whole seconds on the wire
        return props

    def forget(self, command_id: str) -> None:
        """Drop a request sent with ``send`` whose answer is no longer wanted."""
        with self._cv:
            self._callbacks.pop(command_id.encode(), None)

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = REPLY_TIMEOUT_S,
                *, expiry_s: float | None = None, as_device: str | None = None) -> R | None:
        """Send ``command`` and wait for the core's answer, parsed with the protocol's ``reply`` model.

        None when no answer came within ``timeout``; :class:`BadReply` when one came that the model refuses.
        The command's id is its Correlation Data: to retry safely, send the same command (same id) again.
        ``expiry_s`` sets the MQTT v5 Message Expiry Interval (rounded up to whole seconds; this link itself never
        sends the command again after exactly ``expiry_s``): the broker drops the command if the core has not
        taken it by then (a kiosk that already gave up on a check-in must not have it applied an hour later).
        """
        corr = command.id.encode()
        props = self._request_properties(corr, expiry_s, as_device)
        with self._cv:
            self._pending[corr] = None
        try:
            self._publish(topic, command.to_bytes(), 1, False, props, _until(expiry_s))
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


def _until(expiry_s: float | None) -> float | None:
    """When a publish with this expiry expires, on the monotonic clock."""
    return None if expiry_s is None else time.monotonic() + expiry_s
