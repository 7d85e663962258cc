"""`arkaden watch`: a text wall display that reads the public topics only and prints calls and the board.

Every line starts with the time of day at the site (`08:42  >>> A-017 …`): the real clock, or the demo's
simulated clock (`clock`, the same `SimClock` the core and the apps follow).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.client import ConnectFlags, DisconnectFlags
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import queue_protocol as p
from arkaden_cli.common import LOST_AFTER_S, stop_event_with_signals
from device_link.broker_auth import BrokerAuth
from device_link.link import Out
from device_link.mqtt_client import make_client
from host_support.sim_clock import real_now
from queue_rules.site import Site


class Board:
    """The public state a wall display keeps: queues and the latest calls."""

    def __init__(self, site: Site):
        self.site = site
        self.topics = p.Topics(site.site.id)
        self.queues: dict[str, dict[str, Any]] = {}
        self.current: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.changed = False

    def update(self, topic: str, data: dict[str, Any], out: Out) -> None:
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        name = parsed.spec.name
        if parsed.spec.audience != "public":  # a display never shows anything else
            return
        with self.lock:
            if name == "call":
                again = "  (erneut)" if data.get("recall") else ""
                out(f">>> {data.get('number', '?')}  →  Raum {data.get('room', '?')}, "
                    f"{data.get('counter_label', '?')}{again}")
            elif name == "queue" and parsed.param:
                self.queues[parsed.param] = {"agency": data.get("agency"), "waiting": data.get("waiting", 0),
                                             "estimated_wait_min": data.get("estimated_wait_min", 0)}
                self.changed = True
            elif name == "board":
                for q in data.get("queues") or []:
                    if isinstance(q, dict) and q.get("service"):
                        self.queues[q["service"]] = q
                self.current = [c for c in data.get("current") or [] if isinstance(c, dict)]
                self.changed = True

    def summary(self) -> list[str]:
        """Waiting per agency with the longest estimated wait among its services."""
        with self.lock:
            self.changed = False
            per: dict[str, list[int]] = {}
            for service, q in self.queues.items():
                agency = q.get("agency")
                try:
                    agency = self.site.agency(str(agency)).short
                except KeyError:
                    try:
                        agency = self.site.agency_of_service(service).short
                    except KeyError:
                        agency = str(agency)
                w = per.setdefault(agency, [0, 0])
                w[0] += int(q.get("waiting") or 0)
                w[1] = max(w[1], int(q.get("estimated_wait_min") or 0))
            busy = [(a, w) for a, w in per.items() if w[0] > 0]
            busy.sort(key=lambda x: -x[1][0])
            total = sum(w[0] for _, w in busy)
            parts = [f"{a} {w[0]} (~{w[1]} min)" for a, w in busy]
            lines = [f"--- board: {total} waiting ---"]
            line = ""
            for part in parts:
                if line and len(line) + len(part) + 3 > 100:
                    lines.append("    " + line)
                    line = ""
                line = f"{line} · {part}" if line else part
            if line:
                lines.append("    " + line)
            if self.current:
                now = ", ".join(f"{c.get('number')} {c.get('room')}" for c in self.current[:8])
                lines.append(f"    at the counters: {now}")
            return lines


def watch(site: Site, host: str, port: int, *, seconds: float = 0, stop: threading.Event | None = None,
          out: Out = print, board_every: float = 5.0, auth: BrokerAuth | None = None,
          clock: Callable[[], datetime] = real_now) -> None:
    """Print the public calls as they come and a compact board every `board_every` seconds (real seconds)."""
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if stop is None:
        stop, restore = stop_event_with_signals()
    printed = out

    def stamped(line: str) -> None:
        printed(f"{clock().astimezone(site.tz):%H:%M}  {line}")
    topics = p.Topics(site.site.id)
    board = Board(site)
    connected = threading.Event()
    ever = [False]
    client = make_client(f"arkaden-watch-{uuid.uuid4().hex[:8]}", auth)

    def on_connect(c: mqtt.Client, userdata: object, flags: ConnectFlags, reason_code: ReasonCode,
                   properties: Properties | None) -> None:
        if reason_code.is_failure:
            stamped(f"broker {host}:{port} refused the connection: {reason_code}")
            return
        c.subscribe(public_filters(topics), qos=1)
        if ever[0]:
            stamped("broker is back")
        ever[0] = True
        connected.set()

    def on_disconnect(c: mqtt.Client, userdata: object, flags: DisconnectFlags, reason_code: ReasonCode,
                      properties: Properties | None) -> None:
        connected.clear()

    def on_message(c: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            data = json.loads(msg.payload) if msg.payload else {}
            if isinstance(data, dict):
                board.update(msg.topic, data, stamped)
        except Exception:  # bad payloads are not the display's problem
            pass

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_message = on_message
    client.connect_async(host, port, keepalive=15, clean_start=True)
    client.loop_start()
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    next_board = time.monotonic() + board_every
    lost_since: float | None = None
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(0.2)
            now = time.monotonic()
            if not connected.is_set():
                if lost_since is None:
                    lost_since = now
                elif now - lost_since > LOST_AFTER_S and lost_since > 0:
                    stamped(f"lost the broker at {host}:{port}; retrying" if ever[0]
                        else f"waiting for the broker at {host}:{port} …")
                    lost_since = -1.0  # said it
                continue
            lost_since = None
            if now >= next_board:
                next_board = now + board_every
                if board.changed:
                    for line in board.summary():
                        stamped(line)
    finally:
        client.disconnect()
        client.loop_stop()
        restore()


def public_filters(topics: p.Topics) -> list[tuple[str, int]]:
    """The only subscriptions a display (and `watch`) makes: public topics."""
    return [(topics.all_public(), 1)]
