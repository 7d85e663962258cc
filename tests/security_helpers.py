"""A provisioned test site (two of every device, web servers too) and an MQTT v5 client that records reason codes."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from device_link.broker_auth import BrokerAuth, load_broker_config
from provisioning.provision import Options, provision
from queue_core.runner import connect_properties, make_client
from queue_rules.site import Site, parse_site

from .engine_helpers import MINI

EXTRA = """
[[kiosks]]
id = "kiosk-2"
offline_numbers = [950, 999]

[[displays]]
id = "display-2"

[[button_boxes]]
id = "box-abh-2"
counter = "abh-2"

[[reception]]
id = "reception-2"

[[web]]
id = "web"
public_url = "https://web.mini.test"

[[web]]
id = "web-2"
public_url = "https://[fd00::2]:8443"
"""
# one bridge that serves box-abh-1 only, so box-abh-2 is somebody else's
BRIDGES = {"buttons": ["box-abh-1"]}


def security_site() -> tuple[Site, str]:
    text = MINI.read_text() + EXTRA
    return parse_site(text, "security.toml"), text


def provisioned(tmp: Path) -> tuple[Site, Path]:
    site, text = security_site()
    (tmp / "site.toml").write_text(text)
    out = tmp / "out"
    provision(site, out, Options(broker_hosts=("localhost",), bridges=BRIDGES, web_names=("127.0.0.1",)))
    return site, out


def bundle_auth(out: Path, user: str) -> BrokerAuth:
    auth = load_broker_config(out / "devices" / user / "device.toml").auth
    assert auth is not None
    return auth


def password_of(out: Path, user: str) -> str:
    return (out / "devices" / user / "password").read_text().strip()


@dataclass
class Published:
    topic: str
    rc: object


class Recorder:
    """One MQTT v5 client: CONNACK, SUBACK and PUBACK reason codes and every message it receives."""

    def __init__(self, name: str, auth: BrokerAuth | None, *, websockets: bool = False,
                 client_id: str | None = None):
        client_id = client_id or f"test-{name}-{uuid.uuid4().hex[:6]}"
        if websockets:
            self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                                      transport="websockets")
            if auth is not None:
                auth.apply(self.client)
        else:
            self.client = make_client(client_id, auth)
        self.client.reconnect_delay_set(60, 120)  # a refused client must not retry during the test
        self.cv = threading.Condition()
        self.connack: object | None = None
        self.disconnected = False
        self.subacks: dict[int, list] = {}
        self.pubacks: dict[int, object] = {}
        self.messages: list[mqtt.MQTTMessage] = []
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, rc, props) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.connack = rc
            self.cv.notify_all()

    def _on_disconnect(self, client, userdata, flags, rc, props) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.disconnected = True
            self.cv.notify_all()

    def _on_subscribe(self, client, userdata, mid, rcs, props) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.subacks[mid] = list(rcs)
            self.cv.notify_all()

    def _on_publish(self, client, userdata, mid, rc, props) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.pubacks[mid] = rc
            self.cv.notify_all()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            self.messages.append(msg)
            self.cv.notify_all()

    def connect(self, host: str, port: int, timeout: float = 10, *, persistent: bool = False) -> object:
        """Connect and return the CONNACK reason code, or the exception a TLS handshake raised.

        ``persistent``: resume the client id's session (clean_start false, one hour expiry).
        """
        try:
            self.client.connect(host, port, keepalive=30, clean_start=not persistent,
                                properties=connect_properties() if persistent else None)
        except OSError as exc:  # ssl.SSLError is an OSError: the broker refused the handshake
            return exc
        self.client.loop_start()
        with self.cv:
            self.cv.wait_for(lambda: self.connack is not None or self.disconnected, timeout)
        return self.connack if self.connack is not None else ConnectionError("closed before CONNACK")

    def subscribe(self, topic: str, timeout: float = 10) -> list:
        _, mid = self.client.subscribe(topic, qos=1)
        with self.cv:
            assert self.cv.wait_for(lambda: mid in self.subacks, timeout), f"no SUBACK for {topic}"
            return self.subacks[mid]

    def publish(self, topic: str, payload: bytes, timeout: float = 10) -> object:
        info = self.client.publish(topic, payload, qos=1)
        with self.cv:
            assert self.cv.wait_for(lambda: info.mid in self.pubacks, timeout), f"no PUBACK for {topic}"
            return self.pubacks[info.mid]

    def wait_for_payload(self, payload: bytes, timeout: float = 10) -> bool:
        with self.cv:
            return self.cv.wait_for(lambda: any(m.payload == payload for m in self.messages), timeout)

    def received(self) -> list[tuple[str, bytes]]:
        with self.cv:
            return [(m.topic, bytes(m.payload)) for m in self.messages]

    def close(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
