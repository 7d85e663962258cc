"""`arkaden bench`: latencies and throughput of the queue core (its own process) through a private Mosquitto."""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import platform
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import protocol as p
from .broker import MosquittoBroker, stop_process
from .core_runner import make_client

SITE_ID = "bench"
TARGETS = {"checkin_ms_p99": 25, "call_ms_p99": 25, "checkin_per_s": 500, "button_to_call_ms_p99": 30}
SERVICES = {"aufenthalt": "abh", "einbuergerung": "abh", "jobcenter": "jc", "leistung": "jc"}
COUNTERS_PER_SERVICE = 10  # 40 counters, each serving one service
DISPLAYS = 200
KIOSKS = 20
GUARD_S = 1.6  # the core ignores a second "next" of one counter within 1.5 s (double-press guard)
PAUSE_S = 0.01  # think time between sequential samples: each request meets an idle core
TIMEOUT_S = 5.0


def _site_toml() -> str:
    parts = ['[site]\nid = "bench"\nname = "Benchmark site"\nlanguages = ["de"]\n',
             '[[agencies]]\nid = "abh"\nname = "Ausländeramt"\nshort = "ABH"\nprefix = "A"\n',
             '[[agencies]]\nid = "jc"\nname = "Jobcenter"\nshort = "JC"\nprefix = "J"\n']
    for i, (svc, agency) in enumerate(SERVICES.items()):
        parts.append(f'[[services]]\nid = "{svc}"\nagency = "{agency}"\nname = {{ de = "{svc.title()}" }}\n')
        parts.append(f'[[concerns]]\nid = "c-{svc}"\nservice = "{svc}"\npictogram = "p{i}"\n'
                     f'title = {{ de = "{svc.title()}" }}\n')
        parts.append(f'[[rooms]]\nid = "r{i}"\nnumber = "{i}.01"\nfloor = {i}\n')
        for j in range(COUNTERS_PER_SERVICE):
            parts.append(f'[[counters]]\nid = "{svc[:4]}-{j}"\nroom = "r{i}"\nlabel = "Platz {j + 1}"\n'
                         f'services = ["{svc}"]\n')
    parts += [f'[[kiosks]]\nid = "kiosk-{i}"\n' for i in range(1, KIOSKS + 2)]
    parts.append('[[displays]]\nid = "display-1"\n')
    return "\n".join(parts)


def _counter_ids() -> list[str]:
    # interleaved over services, so consecutive calls hit different queues
    return [f"{svc[:4]}-{j}" for j in range(COUNTERS_PER_SERVICE) for svc in SERVICES]


def _stats(samples: list[float]) -> dict:
    """Nearest-rank p50/p99 in milliseconds."""
    if not samples:
        raise RuntimeError("no samples: every request timed out")
    s = sorted(samples)

    def rank(q: float) -> float:
        return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]

    return {"p50": round(rank(0.50), 3), "p99": round(rank(0.99), 3), "n": len(s)}


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

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        corr = getattr(msg.properties, "CorrelationData", None)
        done = self.pending.pop(corr, None) if corr is not None else None
        if done is not None:
            done(now, msg.payload)

    def send(self, topic: str, body: dict, on_reply: Callable[[float, bytes], None]) -> float:
        """Publish a request; `on_reply(arrival, payload)` runs in the network thread. Returns the send time."""
        cid = f"{self.name}-{next(self.ids)}"
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = cid.encode()
        self.pending[cid.encode()] = on_reply
        sent = time.perf_counter()
        self.client.publish(topic, json.dumps({"v": 1, "id": cid, **body}).encode(), qos=1, properties=props)
        return sent

    def request(self, topic: str, body: dict, timeout: float = TIMEOUT_S) -> tuple[float, dict] | None:
        """Send and wait: (milliseconds until the reply arrived, reply), or None on timeout."""
        got = threading.Event()
        result: list = []
        sent = self.send(topic, body, lambda at, payload: (result.extend((at, payload)), got.set()))
        if not got.wait(timeout):
            return None
        return (result[0] - sent) * 1000, json.loads(result[1]) if result[1] else {}

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
        self.clients = []
        tag = uuid.uuid4().hex[:6]
        for i in range(count):
            c = make_client(f"bench-display-{i}-{tag}")
            c.on_connect = lambda client, *a: client.subscribe(topic, qos=1)
            c.on_subscribe = self._on_subscribe
            c.on_message = self._on_message
            c.connect(host, port, keepalive=60)
            self.sel.register(c.socket(), selectors.EVENT_READ, c)
            self.clients.append(c)
        self._thread = threading.Thread(target=self._pump, name="bench-displays", daemon=True)
        self._thread.start()
        if not self._all_subscribed.wait(30):
            self.close()
            raise RuntimeError(f"only {self._subscribed} of {count} displays subscribed")

    def _on_subscribe(self, *args) -> None:  # type: ignore[no-untyped-def]
        self._subscribed += 1
        if self._subscribed == self.count:
            self._all_subscribed.set()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        seen = self.arrivals.setdefault(msg.payload, [])
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


def _start_core(workdir: Path, port: int) -> subprocess.Popen[bytes]:
    site = workdir / "bench-site.toml"
    site.write_text(_site_toml(), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                      env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "queue_core.cli", "--log-level", "WARNING", "core", "--site", str(site),
           "--port", str(port), "--db-url", f"sqlite:///{workdir / 'bench.db'}", "--always-open"]
    with (workdir / "core.log").open("ab") as log:
        return subprocess.Popen(cmd, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def _core_failed(workdir: Path, what: str) -> RuntimeError:
    try:
        tail = "\n".join((workdir / "core.log").read_text(errors="replace").splitlines()[-20:])
    except OSError:
        tail = "(no log)"
    return RuntimeError(f"{what}. Last lines of the core's log:\n{tail}")


def _wait_for_core(kiosk: _Requester, proc: subprocess.Popen[bytes], workdir: Path, concern: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise _core_failed(workdir, f"the core exited with code {proc.returncode}")
        answer = kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern}, timeout=1)
        if answer is not None and answer[1].get("ok"):
            return
    raise _core_failed(workdir, "the core did not answer a check-in within 30 s")


def _sequential(kiosk: _Requester, topic: str, bodies: list[dict]) -> list[float]:
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
    for i, counter in zip(range(count), itertools.cycle(_counter_ids())):
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


def _printing_figures(quick: bool) -> dict:
    """Slip render and print figures (kiosk_app is imported only here: the core never loads escpos)."""
    from kiosk_app.printing import bench as printing_bench

    return printing_bench.run(quick=quick)

def _button_to_call(broker: MosquittoBroker, workdir: Path, kiosk: _Requester, samples: int) -> list[float]:
    """Button boxes on pseudo-terminals through the bridge (hardware/bench_buttons.py)."""
    from hardware.bench_buttons import button_to_call

    return button_to_call(broker.host, broker.port, workdir,
                          lambda concern: kiosk.request(kiosk.topics.checkin("kiosk-1"), {"concern": concern}),
                          samples)


def run(quick: bool = False) -> dict:
    """Start a broker and the core, measure, stop both; returns the figures (milliseconds, per second)."""
    samples = 40 if quick else 300
    warmup, window = (0.5, 1.5) if quick else (1.0, 5.0)
    concerns = [f"c-{svc}" for svc in SERVICES]
    with tempfile.TemporaryDirectory(prefix="arkaden-bench-") as tmp:
        workdir = Path(tmp)
        broker = MosquittoBroker(workdir / "broker")
        proc = None
        clients: list = []
        try:
            broker.start()
            proc = _start_core(workdir, broker.port)
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
                raise _core_failed(workdir, f"the core exited with code {proc.returncode} during the run")
        finally:
            for c in reversed(clients):
                with contextlib.suppress(OSError, RuntimeError):  # keep stopping the rest
                    c.close()
            if proc is not None:
                stop_process(proc)
            broker.stop()
    # the apps' figures: each runs a real app process under its own Xvfb (Kivy only in the children)
    from display_app import bench as display_bench
    from kiosk_app import bench as kiosk_bench

    display = display_bench.run(quick=quick)
    kiosk = kiosk_bench.measure(quick=quick)
    return {
        **display,
        **kiosk,
        "broker_rtt_ms": _stats(rtt),
        "checkin_ms": _stats(checkin),
        "call_ms": _stats(call),
        "call_first_display_ms": _stats(call_first),
        "button_to_call_ms": _stats(button),
        "checkin_per_s": round(per_s, 1),
        **_printing_figures(quick),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "targets": {**TARGETS, **display_bench.TARGETS, **kiosk_bench.TARGETS},
        "quick": quick,
    }
