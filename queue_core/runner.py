"""Runs the queue service on MQTT: paho-mqtt 2 (MQTT v5, persistent session), one worker thread."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import queue_protocol as p
from device_link.mqtt_client import Delivery, ManualAcks, make_client, properties
from queue_core.service import Incoming, Publication, QueueService

if TYPE_CHECKING:
    from device_link.broker_auth import BrokerAuth

log = logging.getLogger("arkaden.core")

SESSION_EXPIRY_S = 3600  # commands sent while the core restarts wait at the broker this long
FLUSH_GAP_S = 0.25  # retained state (board, queues, lists) goes out at most 4 times a second, the latest wins
MAX_BATCH = 64  # commands waiting in the inbox that share one commit (group commit)
MAX_PUBLISH_BYTES = 60_000  # below the broker's max_packet_size, which disconnects a client that exceeds it


def connect_properties(session_expiry: int = SESSION_EXPIRY_S) -> Properties:
    props = properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = session_expiry
    return props


class CoreRunner:
    """Connects, subscribes to the site's commands and feeds the service from a single worker thread."""

    def __init__(self, service: QueueService, host: str, port: int, *, client_id: str | None = None,
                 keepalive: int = 30, auth: BrokerAuth | None = None):
        self.service = service
        self.host, self.port, self.keepalive = host, port, keepalive
        self.topics = service.topics
        self.client_id = client_id or f"arkaden-core-{service.site.site.id}"
        # (message, mid, qos): a command is acknowledged to the broker only after it is committed, so a
        # core that dies with work in its inbox gets those commands again (its replies make that harmless)
        self.inbox: queue.Queue[tuple[Incoming, Delivery] | None] = queue.Queue()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._last_tick = time.monotonic()  # the worker's heartbeat, for the systemd watchdog
        self.client = make_client(self.client_id, auth)
        self.acks = ManualAcks(self.client)  # an ack only ever confirms a message of the connection it came on
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._subscription: int | None = None  # the mid of the latest SUBSCRIBE: "connected" waits for its SUBACK
        self._presence_topic = self.topics.presence("core")
        offline = p.DevicePresence(device="core", kind="core", online=False)
        self.client.will_set(self._presence_topic, offline.to_bytes(), qos=1, retain=True)

    # --- paho callbacks: never block, never raise ---------------------------------------------

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: ConnectFlags,
                    reason_code: ReasonCode, properties: Properties | None) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        self.acks.new_connection()
        log.info("connected to %s:%d (session present: %s)", self.host, self.port, flags.session_present)
        # presence is retained: every (re)subscribe brings each device's current one (unchanged ones store nothing)
        _, self._subscription = client.subscribe([(self.topics.all_commands(), 1), (self.topics.all_presence(), 1)])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reason_codes: list[ReasonCode],
                      properties: Properties | None) -> None:
        # only once the broker has acknowledged the subscription does a command reach the core: announcing
        # presence (or telling a caller "connected") before that lets a first check-in fall on the floor
        if mid != self._subscription:
            return
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            log.error("the broker refused the core's subscriptions: %s", ", ".join(refused))
            return
        self.inbox.put((_CONNECTED, _NO_ACK))
        self.connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: DisconnectFlags,
                       reason_code: ReasonCode, properties: Properties | None) -> None:
        self.acks.new_connection()
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            props = message.properties
            response = getattr(props, "ResponseTopic", None) if props else None
            correlation = getattr(props, "CorrelationData", None) if props else None
            incoming = Incoming(message.topic, bytes(message.payload), response, correlation)
            self.inbox.put((incoming, self.acks.delivery(message)))
        except Exception:  # never let a callback raise into paho's network loop
            log.exception("could not queue a message on %s", getattr(message, "topic", "?"))

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.service.presence.note_own(True, self.service.clock())
        self._worker = threading.Thread(target=self._work, name="arkaden-core-worker", daemon=True)
        self._worker.start()
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive, clean_start=False,
                                  properties=connect_properties())
        self.client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        # No unsubscribe: the persistent session keeps the subscription, so commands sent while the core
        # is away wait at the broker; anything still unacknowledged in the inbox is delivered again.
        self.inbox.put(None)
        if self._worker:
            self._worker.join(timeout=10)
        self.service.presence.note_own(False, self.service.clock())
        try:
            offline = p.DevicePresence(device="core", kind="core", online=False, at=self.service.clock())
            self.client.publish(self._presence_topic, offline.to_bytes(), qos=1, retain=True).wait_for_publish(2)
        except Exception:  # the broker may be gone already
            pass
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout: float = 10) -> bool:
        return self.connected.wait(timeout)

    def alive(self, max_silence: float = 30.0) -> bool:
        """The worker thread runs and went round its loop lately (it wakes at least twice a second)."""
        worker = self._worker
        return worker is not None and worker.is_alive() and time.monotonic() - self._last_tick < max_silence

    def status(self) -> str:
        """One line for `systemctl status`."""
        where = f"broker {self.host}:{self.port}"
        return f"connected to {where}" if self.connected.is_set() else f"waiting for {where}"

    # --- the worker -------------------------------------------------------------------------------

    def _publish(self, pubs: list[Publication]) -> None:
        for pub in pubs:
            if len(pub.payload) > MAX_PUBLISH_BYTES:
                log.error("not publishing %d bytes on %s: over the packet limit", len(pub.payload), pub.topic)
                continue
            props = None
            if pub.correlation is not None:
                props = properties()
                props.CorrelationData = pub.correlation
            try:
                self.client.publish(pub.topic, pub.payload, qos=1, retain=pub.retain, properties=props)
            except (ValueError, TypeError) as exc:  # one bad topic must not swallow the other messages
                log.error("could not publish on %r: %s", pub.topic[:200], exc)

    def _next_entries(self, carry: _Entry | None, wait: float = 0.5) -> tuple[list[_Entry], _Entry | None]:
        """The next message, or a run of up to MAX_BATCH commands already waiting (one group commit), and the
        entry after them that is not a command (handled next round)."""
        if carry is not None:
            first: _Entry | None = carry
        else:
            try:
                first = self.inbox.get(timeout=wait)
            except queue.Empty:
                first = (_IDLE, _NO_ACK)
        if first is None:
            return [], _STOP
        if _is_signal(first):
            return [first], None
        run = [first]
        while len(run) < MAX_BATCH:
            try:
                entry = self.inbox.get_nowait()
            except queue.Empty:
                return run, None
            if entry is None or _is_signal(entry):
                return run, entry if entry is not None else _STOP
            run.append(entry)
        return run, None

    def _work(self) -> None:
        last_flush = time.monotonic()
        carry: _Entry | None = None
        while True:
            self._last_tick = time.monotonic()
            pending = self.service.changes.pending()
            wait = max(0.0, last_flush + FLUSH_GAP_S - time.monotonic()) if pending else 0.5
            entries, carry = self._next_entries(carry, wait)
            if not entries:   # stop
                self._publish(self.service.flush_state())
                return
            try:
                item = entries[0][0]
                if item is _CONNECTED:
                    online = p.DevicePresence(device="core", kind="core", online=True, at=self.service.clock())
                    self.client.publish(self._presence_topic, online.to_bytes(), qos=1, retain=True)
                    self.service.mark_all_dirty()
                elif item is _IDLE:
                    self.service.roll_over_if_new_day()  # the board clears at midnight, not at the first command
                else:
                    # replies and calls first, every one after its command is stored; retained state after them
                    results = self.service.handle_batch([incoming for incoming, _ in entries])
                    for (_, delivery), pubs in zip(entries, results, strict=True):
                        self._publish(pubs)
                        self.acks.ack(delivery)
                now = time.monotonic()
                if now - last_flush >= FLUSH_GAP_S and self.service.changes.pending():
                    self._publish(self.service.flush_state())
                    last_flush = now
            except Exception:  # the worker must survive anything; the service already logged details
                log.exception("worker error")
            if carry is _STOP:
                carry = None
                self._publish(self.service.flush_state())
                return


_CONNECTED = Incoming("<connected>", b"")
_IDLE = Incoming("<idle>", b"")
_NO_ACK = Delivery(0, 0, 0)
_Entry = tuple[Incoming, Delivery]
_STOP: _Entry = (Incoming("<stop>", b""), _NO_ACK)  # `stop()` put None: finish the run, then stop


def _is_signal(entry: _Entry) -> bool:
    return entry[0] is _CONNECTED or entry[0] is _IDLE
