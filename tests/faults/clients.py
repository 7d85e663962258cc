"""The fault scenarios' devices: MQTT v5 clients that come back after a broker restart and retry like real ones.

`FaultClient` resubscribes on every connect (a restarted dev broker forgets sessions) and records when it was
connected; `RetryingKiosk` checks clients in and resends the same command id until the core answers (as the
kiosk's outbox does); `BoxClient` presses `next` at one counter and resends the same press until answered or
until its deadline (as the button-box bridge does); `RealKiosk` is the kiosk's own `CoreBackend` with its outbox.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

import queue_protocol as p
from device_link.link import Link
from device_link.mqtt_client import make_client
from host_support.sim_clock import real_now
from kiosk_app.backend import CheckInRequest, CheckInResult
from kiosk_app.core_backend import CoreBackend
from kiosk_app.outbox import Outbox
from queue_rules.site import Site


class FaultClient:
    """A v5 client that subscribes again on every connect, keeps what it receives, and logs its connections."""

    def __init__(self, host: str, port: int, site_id: str, name: str, subscriptions: list[str]):
        self.topics = p.Topics(site_id)
        self.name = name
        self.subscriptions = subscriptions
        self.cv = threading.Condition()
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.replies: dict[bytes, dict[str, Any]] = {}
        self.log: list[tuple[float, str, dict[str, Any]]] = []   # (monotonic arrival, topic, payload)
        self.connects: list[float] = []     # monotonic time of each SUBACK (connected and listening)
        self.disconnects: list[float] = []
        self.away: list[tuple[float, float | None]] = []   # wall-clock (time.time) spans without a subscription
        self.listening = threading.Event()
        self._sub_mid: int | None = None
        self.client = make_client(f"faults-{name}-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.connect(host, port, keepalive=15, clean_start=True)
        self.client.loop_start()
        assert self.listening.wait(10), f"{name}: no SUBACK from the broker"

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: Any, reason: Any, props: Any) -> None:
        if not reason.is_failure:
            _, self._sub_mid = client.subscribe([(t, 1) for t in self.subscriptions])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, codes: Any, props: Any) -> None:
        if mid == self._sub_mid:
            with self.cv:
                self.connects.append(time.monotonic())
                if self.away and self.away[-1][1] is None:
                    self.away[-1] = (self.away[-1][0], time.time())
                self.listening.set()
                self.cv.notify_all()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: Any, reason: Any, props: Any) -> None:
        with self.cv:
            self.listening.clear()
            self.disconnects.append(time.monotonic())
            self.away.append((time.time(), None))

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            data = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            data = {"unreadable": msg.payload.hex()}
        with self.cv:
            corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
            if corr is not None:
                self.replies[bytes(corr)] = data
            self.received[msg.topic].append(data)
            self.log.append((time.monotonic(), msg.topic, data))
            self.cv.notify_all()

    def publish(self, topic: str, body: dict[str, Any], *, reply_topic: str | None = None,
                expiry_s: int | None = None) -> None:
        props = Properties(PacketTypes.PUBLISH)
        if reply_topic is not None:
            props.ResponseTopic = reply_topic
            props.CorrelationData = str(body["id"]).encode()
        if expiry_s is not None:
            props.MessageExpiryInterval = expiry_s
        self.client.publish(topic, json.dumps(body).encode(), qos=1, properties=props)

    def ask(self, topic: str, body: dict[str, Any], reply_topic: str, timeout: float = 10) -> dict[str, Any]:
        """Send a request with this id (a new one if `body` has none) and wait for its answer; fails without one."""
        body = {"v": 1, "id": f"{self.name}-{uuid.uuid4().hex[:10]}", **body}
        self.publish(topic, body, reply_topic=reply_topic)
        answer = self.wait_reply(body["id"], timeout)
        assert answer is not None, f"{self.name}: no answer to {body} within {timeout} s"
        return answer

    def wait_reply(self, cid: str, timeout: float) -> dict[str, Any] | None:
        with self.cv:
            self.cv.wait_for(lambda: cid.encode() in self.replies, timeout)
            return self.replies.get(cid.encode())

    def wait_for(self, topic: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
        """The newest message on `topic` that fits, waiting for one; fails the test with the last few otherwise."""
        with self.cv:
            ok = self.cv.wait_for(lambda: any(predicate(m) for m in self.received[topic]), timeout)
            assert ok, f"{self.name}: nothing fitting on {topic} in {timeout} s; last: {self.received[topic][-2:]}"
            return [m for m in self.received[topic] if predicate(m)][-1]

    def first_after(self, topic: str, predicate: Callable[[dict[str, Any]], bool], since: float,
                    timeout: float = 20) -> float:
        """Seconds from monotonic `since` until a fitting message on `topic` arrived (fails after `timeout`)."""
        def found() -> float | None:
            return next((at - since for at, tp, m in self.log if at >= since and tp == topic and predicate(m)), None)

        with self.cv:
            assert self.cv.wait_for(lambda: found() is not None, timeout), \
                f"{self.name}: nothing fitting on {topic} within {timeout} s"
            seconds = found()
            assert seconds is not None
            return seconds

    def messages(self, topic: str) -> list[dict[str, Any]]:
        with self.cv:
            return list(self.received[topic])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Sent:
    """One command a client sent: its id, how often it went out, and the answer (None: never answered)."""

    cid: str
    device: str
    attempts: int = 0
    first_at: float = 0.0
    answer: dict[str, Any] | None = None
    answered_at: float | None = None
    gave_up: bool = False


@dataclass
class Pacing:
    """Think time between two commands of one client, in seconds."""

    low: float
    high: float
    rng: random.Random = field(default_factory=lambda: random.Random(15))

    def pause(self, stop: threading.Event) -> None:
        stop.wait(self.rng.uniform(self.low, self.high))


RETRYABLE = frozenset(code for code, (_, retry) in p.ERROR_CODES.items() if retry)


class RetryingKiosk(threading.Thread):
    """Checks in `count` walk-ins one after another; each is resent with the same id every `retry_s` until answered
    (or refused for good): a kiosk that never gives a client up."""

    def __init__(self, mqtt_client: FaultClient, kiosk: str, concerns: list[str], count: int, pacing: Pacing,
                 stop: threading.Event, *, retry_s: float = 1.5, give_up_s: float = 60.0):
        super().__init__(name=f"retrying-{kiosk}", daemon=True)
        self.mqtt, self.kiosk, self.concerns, self.count = mqtt_client, kiosk, concerns, count
        self.pacing, self.stop_event, self.retry_s, self.give_up_s = pacing, stop, retry_s, give_up_s
        self.sent: list[Sent] = []
        self.boot = uuid.uuid4().hex[:8]

    def run(self) -> None:
        t = self.mqtt.topics
        for i in range(self.count):
            if self.stop_event.is_set():
                return
            cid = f"{self.kiosk}-{self.boot}-{i}"
            body = {"v": 1, "id": cid, "concern": self.concerns[i % len(self.concerns)], "language": "de"}
            record = Sent(cid, self.kiosk, first_at=time.monotonic())
            self.sent.append(record)
            while time.monotonic() - record.first_at < self.give_up_s:
                record.attempts += 1
                self.mqtt.publish(t.checkin(self.kiosk), body, reply_topic=t.reply(self.kiosk))
                answer = self.mqtt.wait_reply(cid, self.retry_s)
                if answer is not None and (answer.get("ok") or answer.get("error", {}).get("code") not in RETRYABLE):
                    record.answer, record.answered_at = answer, time.monotonic()
                    break
                if answer is not None:  # worth retrying: forget it and ask again with the same id
                    with self.mqtt.cv:
                        self.mqtt.replies.pop(cid.encode(), None)
            else:
                record.gave_up = True
            self.pacing.pause(self.stop_event)


class BoxClient(threading.Thread):
    """A counter's button box: presses `next` (each press a new id, with a deadline `give_up_s` ahead, as the bridge
    sends it) and resends the same press every `retry_s` until answered or past the deadline (the box then shows
    NOT SENT)."""

    def __init__(self, mqtt_client: FaultClient, counter: str, box: str, pacing: Pacing, stop: threading.Event,
                 *, retry_s: float = 2.0, give_up_s: float = 15.0, clock: Callable[[], datetime] = real_now):
        super().__init__(name=f"box-{counter}", daemon=True)
        self.mqtt, self.counter, self.box, self.pacing, self.stop_event = mqtt_client, counter, box, pacing, stop
        self.retry_s, self.give_up_s, self.clock = retry_s, give_up_s, clock
        self.sent: list[Sent] = []
        self.boot = uuid.uuid4().hex[:8]

    def run(self) -> None:
        t = self.mqtt.topics
        n = 0
        while not self.stop_event.is_set():
            self.pacing.pause(self.stop_event)
            if self.stop_event.is_set():
                return
            n += 1
            cid = f"{self.box}-{self.boot}-{n}"
            deadline = self.clock() + timedelta(seconds=self.give_up_s)
            body = {"v": 1, "id": cid, "action": "next", "deadline": deadline.isoformat()}
            record = Sent(cid, self.counter, first_at=time.monotonic())
            self.sent.append(record)
            while time.monotonic() - record.first_at < self.give_up_s:
                record.attempts += 1
                self.mqtt.publish(t.counter_cmd(self.counter), body, reply_topic=t.reply(self.box))
                answer = self.mqtt.wait_reply(cid, self.retry_s)
                if answer is not None:
                    record.answer, record.answered_at = answer, time.monotonic()
                    break
            else:
                record.gave_up = True


@dataclass
class RealCheckIn:
    """One check-in through the kiosk's own backend and what the kiosk printed for it."""

    result: CheckInResult
    concern: str


class RealKiosk(threading.Thread):
    """The kiosk's `CoreBackend` (1.5 s wait, offline tickets from its block, outbox handed in with stable ids) on a
    real `Link`, checking in walk-ins one after another."""

    def __init__(self, site: Site, kiosk: str, host: str, port: int, data_dir: Path, concerns: list[str], count: int,
                 pacing: Pacing, stop: threading.Event):
        super().__init__(name=f"real-{kiosk}", daemon=True)
        self.kiosk, self.concerns, self.count, self.pacing, self.stop_event = kiosk, concerns, count, pacing, stop
        self.outbox = Outbox(data_dir / f"{kiosk}-outbox.sqlite", kiosk)
        holder: dict[str, CoreBackend] = {}
        self.link = Link(site, host, port, lambda line: None, device_id=kiosk, kind="kiosk",
                         subscriptions=[CoreBackend.presence_topic(site)],
                         on_connected=lambda: holder["backend"].connected(),
                         on_public=lambda topic, data: holder["backend"].on_public(topic, data))
        self.backend = holder["backend"] = CoreBackend(site, kiosk, self.link, self.outbox, poll_s=0.5,
                                                       backoff_first_s=1.0)
        self.done: list[RealCheckIn] = []

    def begin(self) -> None:
        self.backend.start()
        self.link.start()
        assert self.link.connected.wait(10), f"{self.kiosk}: link did not connect"
        self.start()

    def run(self) -> None:
        for i in range(self.count):
            if self.stop_event.is_set():
                return
            concern = self.concerns[i % len(self.concerns)]
            self.done.append(RealCheckIn(self.backend.check_in(CheckInRequest(lang="de", concern=concern)), concern))
            self.pacing.pause(self.stop_event)

    def pending(self) -> int:
        return self.outbox.counts().get("pending", 0)

    def close(self) -> None:
        self.backend.stop()
        self.link.stop()
        self.outbox.close()


def online(presence: dict[str, Any]) -> bool:
    """A presence message that says online."""
    return presence.get("online") is True
