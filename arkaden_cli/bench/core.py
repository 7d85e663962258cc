"""The core's figures: check-in and call latencies and check-ins per second, the core as its own process."""

from __future__ import annotations

import contextlib
import itertools
import json
import selectors
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker, stop_process
from device_link.mqtt_client import make_client, properties

from .buttons import button_to_call
from .common import COUNTERS_PER_SERVICE, KIOSKS, SERVICES, SITE_ID, core_failed, start_core, stats

TARGETS = {"checkin_ms_p99": 25, "call_ms_p99": 25, "checkin_per_s": 500, "button_to_call_ms_p99": 30}
# durable commits on: each p99 at most this many broker round trips of the same run (issue 15)
RATIO_TARGETS = {"checkin_ms_p99": 5, "call_first_display_ms_p99": 5, "call_ms_p99": 15}
DISPLAYS = 200
GUARD_S = 1.6  # the core ignores a second "next" of one counter within 1.5 s (double-press guard)
PAUSE_S = 0.01  # think time between sequential samples: each request meets an idle core
TIMEOUT_S = 5.0


def _counter_ids() -> list[str]:
    # interleaved over services, so consecutive calls hit different queues
    return [f"{svc[:4]}-{j}" for j in range(COUNTERS_PER_SERVICE) for svc in SERVICES]


class _Requester:
    """A v5 client (own network thread) whose replies are matched by Correlation Data and time-stamped on arrival."""

    def __init__(self, host: str, port: int, name: str):
        self.name = name
        self.topics = p.Topics(SITE_ID)
        self.reply_topic = self.topics.reply(name)
        self.echo_topic = f"arkaden-bench/echo/{name}"
        self.ids = itertools.count(1)
        self.pending: dict[bytes, Callable[[float, bytes], None]] = {}
        self.client = make_client(f"bench-{name}-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        self.client.subscribe([(self.reply_topic, 1), (self.echo_topic, 1)])
        if not subscribed.wait(TIMEOUT_S):
            raise RuntimeError(f"{name}: subscription not acknowledged")

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        corr = getattr(msg.properties, "CorrelationData", None)
        done = self.pending.pop(corr, None) if corr is not None else None
        if done is not None:
            done(now, bytes(msg.payload))

    def send(self, topic: str, body: dict[str, Any], on_reply: Callable[[float, bytes], None]) -> float:
        """Publish a request; `on_reply(arrival, payload)` runs in the network thread. Returns the send time."""
        cid = f"{self.name}-{next(self.ids)}"
        props = properties()
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = cid.encode()
        self.pending[cid.encode()] = on_reply
        sent = time.perf_counter()
        self.client.publish(topic, json.dumps({"v": 1, "id": cid, **body}).encode(), qos=1, properties=props)
        return sent

    def request(self, topic: str, body: dict[str, Any],
                timeout: float = TIMEOUT_S) -> tuple[float, dict[str, Any]] | None:
        """Send and wait: (milliseconds until the reply arrived, reply), or None on timeout."""
        got = threading.Event()
        result: list[tuple[float, bytes]] = []

        def on_reply(at: float, payload: bytes) -> None:
            result.append((at, payload))
            got.set()

        sent = self.send(topic, body, on_reply)
        if not got.wait(timeout):
            return None
        at, payload = result[0]
        reply = json.loads(payload) if payload else {}
        return (at - sent) * 1000, reply if isinstance(reply, dict) else {}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class _Displays:
    """Many subscribers driven by one selector thread (no thread per client); records when each got a message.

    A message counts as arrived when select() reported its socket readable, so the time Python takes
    to parse 200 copies one after the other is not charged to the core.
    """

    def __init__(self, host: str, port: int, topic: str, count: int):
        self.count = count
        self.arrivals: dict[bytes, list[float]] = {}
        self.complete = threading.Event()
        self._batch_at = 0.0
        self._subscribed = 0
        self._all_subscribed = threading.Event()
        self._stop = threading.Event()
        self.sel = selectors.DefaultSelector()
        self.clients: list[mqtt.Client] = []
        tag = uuid.uuid4().hex[:6]
        for i in range(count):
            c = make_client(f"bench-display-{i}-{tag}")
            c.on_connect = lambda client, *a: client.subscribe(topic, qos=1)
            c.on_subscribe = self._on_subscribe
            c.on_message = self._on_message
            c.connect(host, port, keepalive=60)
            sock = c.socket()
            if sock is None:
                raise RuntimeError(f"display {i} has no socket after connect")
            self.sel.register(sock, selectors.EVENT_READ, c)
            self.clients.append(c)
        self._thread = threading.Thread(target=self._pump, name="bench-displays", daemon=True)
        self._thread.start()
        if not self._all_subscribed.wait(30):
            self.close()
            raise RuntimeError(f"only {self._subscribed} of {count} displays subscribed")

    def _on_subscribe(self, *args: object) -> None:
        self._subscribed += 1
        if self._subscribed == self.count:
            self._all_subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        seen = self.arrivals.setdefault(bytes(msg.payload), [])
        seen.append(self._batch_at)
        if len(seen) == self.count:
            self.complete.set()

    def _pump(self) -> None:
        next_misc = time.monotonic() + 5
        while not self._stop.is_set():
            ready = self.sel.select(timeout=0.2)
            self._batch_at = time.perf_counter()
            for key, _ in ready:
                c = key.data
                c.loop_read()
                if c.want_write():  # PUBACKs, the SUBSCRIBE sent from on_connect
                    c.loop_write()
            if time.monotonic() > next_misc:  # keepalive pings
                for c in self.clients:
                    c.loop_misc()
                    if c.want_write():
                        c.loop_write()
                next_misc = time.monotonic() + 5

    def reset(self) -> None:
        self.arrivals.clear()
        self.complete.clear()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for c in self.clients:
            c.disconnect()  # returns an error code, never raises, for a client the broker dropped
        self.sel.close()


def _wait_for_core(kiosk: _Requester, proc: subprocess.Popen[bytes], workdir: Path, concern: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise core_failed(workdir, f"the core exited with code {proc.returncode}")
        answer = kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern}, timeout=1)
        if answer is not None and answer[1].get("ok"):
            return
    raise core_failed(workdir, "the core did not answer a check-in within 30 s")


def _sequential(kiosk: _Requester, topic: str, bodies: list[dict[str, Any]]) -> list[float]:
    samples = []
    for body in bodies:
        answer = kiosk.request(topic, body)
        if answer is not None and answer[1].get("ok", True):
            samples.append(answer[0])
        time.sleep(PAUSE_S)
    return samples


def _throughput(kiosks: list[_Requester], concerns: list[str], warmup: float, seconds: float) -> float:
    """Each kiosk in a closed loop (the next check-in is sent from the reply callback); ok replies per second."""
    start = time.perf_counter() + warmup
    end = start + seconds
    lock = threading.Lock()
    counted = [0]  # ok replies in the window
    outstanding = threading.Semaphore(0)

    def loop(kiosk: _Requester, n: int) -> None:
        def on_reply(at: float, payload: bytes) -> None:
            ok = b'"ok":true' in payload
            with lock:
                counted[0] += ok and start <= at < end
            if at < end:
                loop(kiosk, n + 1)
            else:
                outstanding.release()

        kiosk.send(kiosk.topics.checkin(kiosk.name), {"concern": concerns[n % len(concerns)]}, on_reply)

    for i, kiosk in enumerate(kiosks):
        loop(kiosk, i)
    for _ in kiosks:  # let the last requests finish before the next measurement
        outstanding.acquire(timeout=max(0.1, end - time.perf_counter() + TIMEOUT_S))
    return counted[0] / seconds


def _calls(desk: _Requester, displays: _Displays, count: int) -> tuple[list[float], list[float]]:
    """'next' on a counter → TicketCalled at all displays. Counters rotate so the double-press guard never applies."""
    last_press: dict[str, float] = {}
    to_all, to_first = [], []
    for _, counter in zip(range(count), itertools.cycle(_counter_ids()), strict=False):
        wait = last_press.get(counter, 0.0) + GUARD_S - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        displays.reset()
        last_press[counter] = time.monotonic()
        sent = desk.send(desk.topics.counter_cmd(counter), {"action": "next"}, lambda at, payload: None)
        if displays.complete.wait(TIMEOUT_S):
            times = next(v for v in displays.arrivals.values() if len(v) >= displays.count)
            to_all.append((max(times) - sent) * 1000)
            to_first.append((min(times) - sent) * 1000)
        time.sleep(PAUSE_S)
    return to_all, to_first


def _button_to_call(broker: MosquittoBroker, workdir: Path, kiosk: _Requester, samples: int) -> list[float]:
    """Button boxes on pseudo-terminals through the bridge (bench/buttons.py)."""
    return button_to_call(broker.host, broker.port, workdir,
                          lambda concern: kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern}),
                          samples)


def measure(quick: bool = False) -> dict[str, object]:
    """Start a broker and the core, measure, stop both; the core's figures (milliseconds, per second)."""
    samples = 40 if quick else 300
    warmup, window = (0.5, 1.5) if quick else (1.0, 5.0)
    concerns = [f"c-{svc}" for svc in SERVICES]
    with tempfile.TemporaryDirectory(prefix="arkaden-bench-") as tmp:
        workdir = Path(tmp)
        broker = MosquittoBroker(workdir / "broker")
        proc = None
        clients: list[_Requester | _Displays] = []
        try:
            broker.start()
            proc = start_core(workdir, broker.port)
            kiosk = _Requester(broker.host, broker.port, "kiosk-1")
            clients.append(kiosk)
            _wait_for_core(kiosk, proc, workdir, concerns[0])

            rtt = _sequential(kiosk, kiosk.echo_topic, [{} for _ in range(samples)])
            checkin = _sequential(kiosk, kiosk.topics.checkin("kiosk-1"),
                                  [{"concern": concerns[i % len(concerns)]} for i in range(samples)])

            # calls before the throughput run, so they meet a day's worth of tickets, not thousands
            desk = _Requester(broker.host, broker.port, "desk")
            displays = _Displays(broker.host, broker.port, desk.topics.call(), DISPLAYS)
            clients += [desk, displays]
            extra = [{"concern": concerns[i % len(concerns)]} for i in range(samples // 4 + 8)]
            _sequential(kiosk, kiosk.topics.checkin("kiosk-1"), extra)  # every call needs a waiting ticket
            call, call_first = _calls(desk, displays, samples)
            button = _button_to_call(broker, workdir, kiosk, samples)

            kiosks = [_Requester(broker.host, broker.port, f"kiosk-{i + 2}") for i in range(KIOSKS)]
            clients.extend(kiosks)
            per_s = _throughput(kiosks, concerns, warmup, window)
            if proc.poll() is not None:
                raise core_failed(workdir, f"the core exited with code {proc.returncode} during the run")
        finally:
            for c in reversed(clients):
                with contextlib.suppress(OSError, RuntimeError):  # keep stopping the rest
                    c.close()
            if proc is not None:
                stop_process(proc)
            broker.stop()
    figures: dict[str, object] = {
        "broker_rtt_ms": stats(rtt),
        "checkin_ms": stats(checkin),
        "call_ms": stats(call),
        "call_first_display_ms": stats(call_first),
        "button_to_call_ms": stats(button),
        "checkin_per_s": round(per_s, 1),
    }
    return {**figures, "ratio_to_broker_rtt": ratios(figures)}


def ratios(figures: dict[str, object]) -> dict[str, dict[str, float]]:
    """Each latency over the same run's broker round trip (p50 over p50, p99 over p99): machines differ by 2x
    and more, the ratios much less."""
    rtt = figures["broker_rtt_ms"]
    assert isinstance(rtt, dict)
    out = {}
    for key in ("checkin_ms", "call_first_display_ms", "call_ms", "button_to_call_ms"):
        value = figures[key]
        assert isinstance(value, dict)
        out[key] = {q: round(value[q] / max(rtt[q], 1e-3), 1) for q in ("p50", "p99")}
    return out
