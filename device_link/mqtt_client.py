"""The one way to make a paho MQTT v5 client (TCP_NODELAY, generous in-flight limits); no database imports, so
devices (kiosk, displays) stay small."""

from __future__ import annotations

import socket

import paho.mqtt.client as mqtt

from device_link.broker_auth import BrokerAuth


def make_client(client_id: str, auth: BrokerAuth | None = None) -> mqtt.Client:
    """A paho v2 client speaking MQTT v5, with generous in-flight limits for bursts; `auth` logs it in."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if auth is not None:
        auth.apply(client)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    client.on_socket_open = _no_delay
    return client


def _no_delay(client: mqtt.Client, userdata: object, sock: socket.socket) -> None:
    """Small request/response messages must not wait for Nagle's algorithm."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not a TCP socket (e.g. websockets or unix)
        pass
