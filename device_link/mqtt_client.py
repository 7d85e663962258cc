"""The one way to make a paho MQTT v5 client (TCP_NODELAY, generous in-flight limits), and connection-scoped manual
acks; no database imports, so devices (kiosk, displays) stay small."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device_link.broker_auth import BrokerAuth

if TYPE_CHECKING:  # paho defines it for type checkers only
    from paho.mqtt.client import SocketLike


def properties(packet: int = PacketTypes.PUBLISH) -> Properties:
    """Empty MQTT v5 properties for a PUBLISH (or ``PacketTypes.CONNECT``) packet."""
    return Properties(packet)  # type: ignore[no-untyped-call]  # paho's Properties.__init__ has no annotations


def make_client(client_id: str, auth: BrokerAuth | None = None) -> mqtt.Client:
    """A paho v2 client speaking MQTT v5, with generous in-flight limits for bursts; `auth` logs it in."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if auth is not None:
        auth.apply(client)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.on_socket_open = _no_delay
    return client


def _no_delay(client: mqtt.Client, userdata: object, sock: SocketLike) -> None:
    """Small request/response messages must not wait for Nagle's algorithm."""
    if not isinstance(sock, socket.socket):  # e.g. websockets
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not a TCP socket (e.g. websockets or unix)
        pass


@dataclass(frozen=True)
class Delivery:
    """Which message to acknowledge: its packet id on the connection (``epoch``) it came in on."""

    mid: int
    qos: int
    epoch: int


class ManualAcks:
    """Manual PUBACKs that only ever confirm a message on the connection it was delivered on.

    A packet id names a message on one connection only: after a reconnect (above all one whose session the
    broker lost, e.g. after its restart) the broker numbers its messages afresh, so an ack sent late for a
    message of the old connection would confirm a different, new message, which the broker then never
    delivers again. A message delivered on an earlier connection is not acknowledged at all: with its session
    kept the broker delivers it again (and that delivery is acknowledged), with the session lost it is gone
    from the broker either way. Call ``new_connection`` from ``on_connect`` and ``on_disconnect``,
    ``delivery`` from ``on_message`` (all on paho's thread), ``ack`` from any thread.
    """

    def __init__(self, client: mqtt.Client):
        client.manual_ack_set(True)
        self._client = client
        self._epoch = 0
        self._lock = threading.Lock()
        self.stale = 0  # acks not sent because their connection had ended

    def new_connection(self) -> None:
        """A connection ended or began: acks for what came in before are not sent any more."""
        with self._lock:
            self._epoch += 1

    def delivery(self, message: mqtt.MQTTMessage) -> Delivery:
        with self._lock:
            return Delivery(message.mid, message.qos, self._epoch)

    def ack(self, delivery: Delivery) -> bool:
        """Acknowledge ``delivery`` if its connection is still the current one; False when it was not sent."""
        if delivery.qos == 0:
            return True
        with self._lock:
            if delivery.epoch != self._epoch:
                self.stale += 1
                return False
            self._client.ack(delivery.mid, delivery.qos)
            return True
