"""The one way to make a paho MQTT v5 client (TCP_NODELAY, generous in-flight limits); no database imports, so
devices (kiosk, displays) stay small."""

from __future__ import annotations

import socket
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
