"""The wall display's figures for `arkaden bench`: call → drawn frame latency, and memory over many calls.

A real display process (`arkaden display --probe FILE`) runs under its own Xvfb against a private
Mosquitto; calls are published as the core publishes them (a TicketCalled, then the BoardState). The
display time-stamps each call when paho hands it over and again right after the frame that shows it
has been flipped; it writes those figures and its resident memory to the probe file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from paho.mqtt.client import Client

import queue_protocol as p
from arkaden_cli.common import child_env
from arkaden_cli.dev_broker import MosquittoBroker, stop_process
from arkaden_cli.xvfb import Xvfb
from device_link.mqtt_client import make_client
from queue_rules.site import Site, parse_site

from .common import site_toml, stats

TARGETS = {"display_frame_ms_p99": 50, "display_rss_growth_mb": 5}
SPACING_S = 0.04      # between latency samples: each call gets a frame of its own
RATE_PER_S = 250      # memory run: a very busy centre, paced (not a flood that only fills queues)
TIMEOUT_S = 60.0


def _site(workdir: Path) -> tuple[Site, Path]:
    path = workdir / "bench-site.toml"
    path.write_text(site_toml(), encoding="utf-8")
    return parse_site(path.read_text(), str(path)), path


class _Feeder:
    """Publishes calls and boards the way the core does."""

    def __init__(self, site: Site, client: Client):
        self.site, self.client = site, client
        self.topics = p.Topics(site.site.id)
        self.recent: list[p.BoardCall] = []
        self.i = 0
        self.t0 = datetime.now(UTC)

    def call(self) -> None:
        counter = self.site.counters[self.i % len(self.site.counters)]
        agency = self.site.agency_of_service(counter.services[0])
        room = self.site.room(counter.room)
        c = p.BoardCall(number=f"{agency.prefix}-{self.i % 999 + 1:03d}", counter=counter.id,
                        counter_label=counter.label, room=room.number, floor=room.floor, agency=agency.short,
                        at=self.t0 + timedelta(milliseconds=self.i))
        self.i += 1
        self.recent = [c, *self.recent[:13]]
        self.client.publish(self.topics.call(), p.TicketCalled(**c.model_dump()).to_bytes(), qos=1)
        board = p.BoardState(current=self.recent[:4], recent=self.recent[4:], at=c.at, queues=[
            p.BoardQueue(service=s.id, agency=s.agency, waiting=self.i % 17, estimated_wait_min=self.i % 50)
            for s in self.site.services])
        self.client.publish(self.topics.board(), board.to_bytes(), qos=1, retain=True)


def _probe(path: Path, proc: subprocess.Popen[bytes], until: Callable[[dict[str, Any]], bool], what: str,
           log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the display exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            state = None
        if isinstance(state, dict) and until(state):
            return state
        time.sleep(0.1)
    raise RuntimeError(f"the display did not get to {what} within {TIMEOUT_S:.0f} s")


def _received(n: int) -> Callable[[dict[str, Any]], bool]:
    return lambda state: bool(state["calls_received"] >= n)


def run(quick: bool = False) -> dict[str, Any]:
    samples, warm, calls = (60, 300, 1000) if quick else (300, 1000, 10_000)
    with tempfile.TemporaryDirectory(prefix="arkaden-display-bench-") as tmp:
        workdir = Path(tmp)
        site, site_path = _site(workdir)
        xvfb = Xvfb("1920x1080x24")
        broker = MosquittoBroker(workdir / "broker")
        proc = None
        client = None
        try:
            broker.start()
            probe, log = workdir / "probe.json", workdir / "display.log"
            env = child_env(DISPLAY=xvfb.display, SDL_AUDIODRIVER="dummy", LIBGL_ALWAYS_SOFTWARE="1",
                            XDG_CACHE_HOME=str(workdir / "cache"))
            with log.open("wb") as fh:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "arkaden_cli", "--log-level", "WARNING", "display", "--site",
                     str(site_path), "--display", "display-1", "--port", str(broker.port), "--windowed",
                     "--sound", "fake", "--probe", str(probe)], env=env, stdin=subprocess.DEVNULL, stdout=fh,
                    stderr=fh)
            _probe(probe, proc, lambda s: s["connected"], "connect", log)
            client = make_client("display-bench-feeder")
            client.connect(broker.host, broker.port)
            client.loop_start()
            feed = _Feeder(site, client)
            for _ in range(samples):
                feed.call()
                time.sleep(SPACING_S)
            state = _probe(probe, proc, lambda s: s["calls_received"] >= samples and len(s["frame_ms"]) >= samples,
                           "show the latency samples", log)
            frame_ms = state["frame_ms"][:samples]
            for target in (warm, warm + calls):
                while feed.i < samples + target:
                    feed.call()
                    time.sleep(1 / RATE_PER_S)
                state = _probe(probe, proc, _received(samples + target), "take the calls", log)
                time.sleep(2.5)  # settle: the next probe shows memory after the last call's frames
                state = json.loads(probe.read_text())
                if target == warm:
                    before = state
            after = state
        finally:
            if client is not None:
                client.disconnect()
                client.loop_stop()
            if proc is not None:
                stop_process(proc)
            broker.stop()
            xvfb.stop()
    return {
        "display_frame_ms": stats(frame_ms),
        "display_rss_growth_mb": round(after["rss_mb"] - before["rss_mb"], 2),
        "display_rss_mb": round(after["rss_mb"], 1),
        "display_calls": after["calls_received"] - before["calls_received"],
        "display_widgets": [before["widgets"], after["widgets"]],
    }
