"""`arkaden bench`: button_to_call_ms, a KEY line written on a pseudo-terminal → the call event at a display."""

from __future__ import annotations

import json
import logging
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt

import queue_protocol as p
from device_link.mqtt_client import make_client
from hardware.buttons import ButtonBridge
from host_support.site_file import load_site

from .common import BOX_COUNTERS

BOXES = BOX_COUNTERS  # counters of the benchmark site with a button box, one per service
SERVICE_OF = {"aufe-9": "aufenthalt", "einb-9": "einbuergerung", "jobc-9": "jobcenter", "leis-9": "leistung"}
TIMEOUT_S = 5.0
PAUSE_S = 0.01


class _PtyBox:
    """A pseudo-terminal playing a button box: the bridge opens the slave through a by-id-like link."""

    def __init__(self, link: Path):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        link.symlink_to(os.ttyname(self.slave))
        self.lines: list[str] = []
        self.cv = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        buf = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                buf += os.read(self.master, 4096)
            except OSError:
                return
            *done, buf = buf.split(b"\n")
            with self.cv:
                self.lines.extend(d.decode("ascii", "replace") for d in done)
                self.cv.notify_all()

    def send(self, line: str) -> None:
        os.write(self.master, line.encode())

    def wait(self, predicate: Callable[[str], bool], since: int = 0) -> bool:
        with self.cv:
            return self.cv.wait_for(lambda: any(predicate(x) for x in self.lines[since:]), TIMEOUT_S)

    def mark(self) -> int:
        with self.cv:
            return len(self.lines)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self.slave)


def _is(line: str) -> Callable[[str], bool]:
    return lambda got: got == line


def _shows_a_counter(line: str) -> bool:
    return line.startswith("SHOW ") and line not in ("SHOW NO DATA", "SHOW OFFLINE")


def _display(host: str, port: int, topic: str, arrivals: dict[str, tuple[threading.Event, list[float]]]) -> mqtt.Client:
    """One display client: records when each counter's call arrives."""
    subscribed = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        at = time.perf_counter()
        data = json.loads(msg.payload)
        slot = arrivals.get(data.get("counter", ""))
        if slot is not None and not data.get("recall"):
            slot[1].append(at)
            slot[0].set()

    client = make_client(f"bench-button-display-{os.getpid()}")
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(host, port, keepalive=60)
    client.loop_start()
    client.subscribe(topic, qos=1)
    if not subscribed.wait(TIMEOUT_S):
        raise RuntimeError("bench display: subscription not acknowledged")
    return client


def button_to_call(host: str, port: int, workdir: Path, check_in: Callable[[str], object],
                   samples: int) -> list[float]:
    """Milliseconds from a KEY NEXT line on a box's pty to the TicketCalled at a display, per sample.

    Four boxes take turns; before each NEXT the box sends DONE (and waits for its ACK), so the core's
    double-press guard never applies, and the bridge's own guard is off: what is measured is the path
    pty → bridge → broker → core → broker → display.
    """
    site = load_site(workdir / "bench-site.toml")   # the core's own site: it knows the boxes' reply topics
    for i in range(samples + len(BOXES)):
        check_in(f"c-{SERVICE_OF[BOXES[i % len(BOXES)]]}")
    devdir = workdir / "buttons-dev"
    devdir.mkdir()
    arrivals: dict[str, tuple[threading.Event, list[float]]] = {c: (threading.Event(), []) for c in BOXES}
    display = _display(host, port, p.Topics(site.site.id).call(), arrivals)
    boxes: list[_PtyBox] = []
    quiet = [logging.getLogger(name) for name in ("arkaden.buttons", "arkaden.serial")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.WARNING)  # ports opening and closing are not news here
    bridge = ButtonBridge(site, host, port, patterns=[str(devdir / "arkaden-box-*")], guard_s=0.0,
                          device_id="buttons-bench")
    try:
        for c in BOXES:
            boxes.append(_PtyBox(devdir / f"arkaden-box-{c}"))
        bridge.start()
        for c, box in zip(BOXES, boxes, strict=True):
            if not box.wait(_is("WHO")):
                raise RuntimeError(f"the bridge did not open the box for {c}")
            mark = box.mark()
            box.send(f"HELLO box-{c} bench 1\n")
            if not box.wait(_shows_a_counter, mark):
                raise RuntimeError(f"box-{c} was not shown its counter")
        out: list[float] = []
        seq = 0
        for i in range(samples):
            k = i % len(BOXES)
            box, event, times = boxes[k], arrivals[BOXES[k]][0], arrivals[BOXES[k]][1]
            mark = box.mark()
            box.send(f"KEY {seq} DONE\n")
            box.wait(_is(f"ACK {seq}"), mark)
            event.clear()
            times.clear()
            sent = time.perf_counter()
            box.send(f"KEY {seq + 1} NEXT\n")
            if event.wait(TIMEOUT_S):
                out.append((times[0] - sent) * 1000)
            box.wait(_is(f"ACK {seq + 1}"), mark)
            seq += 2
            time.sleep(PAUSE_S)
        return out
    finally:
        bridge.stop()
        for box in boxes:
            box.close()
        display.disconnect()
        display.loop_stop()
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
