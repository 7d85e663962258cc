"""`arkaden buttons`: the bridge from call-button boxes on USB serial to counter commands on MQTT."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import queue_protocol as p
from device_link.broker_auth import BrokerAuth
from device_link.link import CoreLink
from queue_rules.site import ButtonBox, Site
from serial_devices.line_port import LinePort, Locate, by_usb_serial, existing, expand

from . import box_protocol as bp
from .box_handle import PRESS_VALID_S, BoxHandle

log = logging.getLogger("arkaden.buttons")

DEFAULT_PORTS = ["/dev/arkaden-box-*"]  # the names hardware/udev/70-arkaden.rules gives the boxes
TICK_S = 0.25
DISCOVER_EVERY_S = 1.0
DETAIL_EVERY_S = 10.0
WHO_EVERY_S = 1.0
EARLY_KEYS = 16  # presses seen before a box's HELLO whose first sighting is kept (they start the press's time)
VERSION = "1"

LinkFactory = Callable[..., CoreLink]


@dataclass
class Candidate:
    """A place where a box may be: a configured path or USB serial number (with its box), or a glob match."""

    key: str
    locate: Locate
    box: ButtonBox | None  # the box configured for this port: the fallback when its HELLO names no known box


class PortSession:
    """One serial port: waits for the box's HELLO, then passes its keys to the box's handle."""

    def __init__(self, bridge: ButtonBridge, candidate: Candidate):
        self.bridge = bridge
        self.candidate = candidate
        self.handle: BoxHandle | None = None
        self.session = ""
        self._last_who = 0.0
        self._early: dict[int, float] = {}  # seq -> when a KEY was first seen before this connection's HELLO
        self.port = LinePort(candidate.key, candidate.locate, self.on_line, self.on_state,
                             max_line=bp.MAX_LINE_BYTES, claim=bridge.claim, **bridge.port_options)

    def on_state(self, state: str, detail: str) -> None:
        if state == "connected":
            self.session = uuid.uuid4().hex[:8]
            self.handle = None
            self._early.clear()
            self._who()
        else:
            handle, self.handle = self.handle, None
            if handle is not None:
                handle.detach(self.port)

    def _who(self) -> None:
        self._last_who = self.bridge.clock()
        self.port.write(bp.who())

    def on_line(self, raw: bytes) -> None:
        try:
            msg = bp.parse_box_line(raw)
        except bp.BadLine as exc:
            self.bridge.counts[exc.reason] += 1
            log.debug("%s: ignored %r (%s)", self.candidate.key, raw[:80], exc)
            return
        if isinstance(msg, bp.Hello):
            self._hello(msg)
        elif self.handle is None:  # a press before the box said who it is: ask; the box re-sends it
            self.bridge.counts["before_hello"] += 1
            now = self.bridge.clock()
            if len(self._early) < EARLY_KEYS:
                self._early.setdefault(msg.seq, now)  # its time runs from now, also once the box is known
            if now - self._last_who >= WHO_EVERY_S:
                self._who()
        else:
            self.handle.on_key(msg, self._early.pop(msg.seq, None))

    def _hello(self, hello: bp.Hello) -> None:
        box = self.bridge.boxes.get(hello.box_id)
        if box is None and self.candidate.box is not None:
            box = self.candidate.box
            log.info("%s announces itself as %r; its port says it is %s", self.candidate.key, hello.box_id, box.id)
        elif box is not None and self.candidate.box is not None and box.id != self.candidate.box.id:
            log.warning("%s: box %s is on the port configured for %s; going by the box's id",
                        self.candidate.key, box.id, self.candidate.box.id)
        if box is None:
            self.bridge.counts["unknown_box"] += 1
            log.warning("%s: box %r is not in the site file; its keys are ignored", self.candidate.key, hello.box_id)
            self.port.write(bp.show("UNKNOWN BOX") + bp.led("BLINK"))
            return
        handle = self.bridge.handle_for(box)
        if self.handle is not None and self.handle is not handle:
            self.handle.detach(self.port)
        self.handle = handle
        handle.attach(self.port, self.port.path or self.candidate.key, hello, self.session)


class ButtonBridge:
    """Finds the boxes on this machine, maps each to its counter and keeps every part running by itself."""

    def __init__(self, site: Site, host: str, port: int, *, patterns: list[str] | None = None,
                 guard_s: float | None = None, device_id: str | None = None,
                 link_factory: LinkFactory | None = None, clock: Callable[[], float] = time.monotonic,
                 port_options: dict[str, Any] | None = None, auth: BrokerAuth | None = None,
                 give_up_s: float = PRESS_VALID_S, wall_clock: Callable[[], datetime] | None = None):
        """``give_up_s``: how long a press stays valid, from when it is first seen (the boxes' own give-up
        time: 15 s in the reference firmware); ``wall_clock`` dates the commands' deadlines."""
        self.site = site
        self.auth = auth
        self.topics = p.Topics(site.site.id)
        self.host, self.port = host, port
        self.patterns = DEFAULT_PORTS if patterns is None else patterns
        self.guard_s = site.policy.double_press_seconds if guard_s is None else guard_s
        self.clock = clock
        self.give_up_s = give_up_s
        self.wall_clock = wall_clock
        self.port_options = port_options or {}
        self.boxes = {b.id: b for b in site.button_boxes}
        self.counts: Counter[str] = Counter()
        self.device_id = device_id or default_device_id()
        self._link_factory = link_factory or self._real_link
        self.handles: dict[str, BoxHandle] = {}
        self.sessions: dict[str, PortSession] = {}
        self._claimed: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.link = self._link_factory(device_id=self.device_id, kind="button_bridge")

    def _real_link(self, *, device_id: str, kind: str, subscriptions: list[str] | None = None,
                   on_public: Callable[[str, dict[str, Any]], None] | None = None,
                   on_connected: Callable[[], None] | None = None,
                   on_disconnected: Callable[[], None] | None = None) -> CoreLink:
        from device_link.link import Link

        return Link(self.site, self.host, self.port, log.info, device_id=device_id, kind=kind, version=VERSION,
                    subscriptions=subscriptions, on_public=on_public, on_connected=on_connected,
                    on_disconnected=on_disconnected, auth=self.auth)

    # --- ports -----------------------------------------------------------------------------------

    def claim(self, realpath: str, take: bool) -> bool:
        """One reader per device, however many names (by-id link, udev name, glob) lead to it."""
        with self._lock:
            if not take:
                self._claimed.discard(realpath)
                return True
            if realpath in self._claimed:
                return False
            self._claimed.add(realpath)
            return True

    def _configured(self) -> list[Candidate]:
        out = []
        for box in self.site.button_boxes:
            if box.path:
                out.append(Candidate(f"path:{box.path}", existing(box.path), box))
            if box.serial_number:
                out.append(Candidate(f"usb:{box.serial_number}", by_usb_serial(box.serial_number), box))
        return out

    def discover(self) -> None:
        """Start a reader for every configured port and for every new path matching the patterns."""
        candidates = self._configured()
        configured_real = {os.path.realpath(b.path) for b in self.site.button_boxes if b.path}
        for path in expand(self.patterns):
            if os.path.realpath(path) not in configured_real:
                candidates.append(Candidate(f"path:{path}", existing(path), None))
        for c in candidates:
            if c.key not in self.sessions:
                session = PortSession(self, c)
                self.sessions[c.key] = session
                session.port.start()

    # --- boxes -----------------------------------------------------------------------------------

    def handle_for(self, box: ButtonBox) -> BoxHandle:
        """The box's handle, created (with its own MQTT link and Last Will) when the box first shows up here."""
        with self._lock:
            handle = self.handles.get(box.id)
            if handle is not None:
                return handle
            holder: list[BoxHandle] = []

            def on_public(topic: str, data: dict[str, Any]) -> None:
                if holder and topic == holder[0].state_topic:
                    holder[0].on_counter_state(data)

            def on_link_change() -> None:
                if holder:
                    holder[0].refresh()

            link = self._link_factory(device_id=box.id, kind="button_box",
                                      subscriptions=[self.topics.counter_state(box.counter)],
                                      on_public=on_public, on_connected=on_link_change,
                                      on_disconnected=on_link_change)
            handle = BoxHandle(box, self.topics, link, guard_s=self.guard_s, clock=self.clock,
                               give_up_s=self.give_up_s, wall_clock=self.wall_clock)
            holder.append(handle)
            self.handles[box.id] = handle
        log.info("box %s (counter %s) found", box.id, box.counter)
        handle.start()
        return handle

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.link.start()
        self.discover()
        self._thread = threading.Thread(target=self._housekeeping, name="buttons", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """True while the housekeeping thread (discovery, reconnects) runs: the watchdog's sign of life."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for session in list(self.sessions.values()):
            session.port.stop()
        for handle in list(self.handles.values()):
            handle.stop()
        self.link.stop()

    def totals(self) -> dict[str, int]:
        """The bridge's counters: lines it ignored (by kind), over-long lines, and every box's counts."""
        out = Counter(self.counts)
        out["over_long"] = sum(s.port.stats["over_long"] for s in list(self.sessions.values()))
        for handle in list(self.handles.values()):
            out.update(handle.counts)
        out["boxes_connected"] = sum(h.attached for h in list(self.handles.values()))
        return dict(out)

    def _housekeeping(self) -> None:
        next_discovery = next_detail = self.clock()
        last_detail: dict[str, int] | None = None
        while not self._stop.wait(TICK_S):
            now = self.clock()
            for handle in list(self.handles.values()):
                handle.tick()
            if now >= next_discovery:
                next_discovery = now + DISCOVER_EVERY_S
                try:
                    self.discover()
                except Exception:
                    log.exception("looking for boxes failed")
            if now >= next_detail:
                next_detail = now + DETAIL_EVERY_S
                totals = self.totals()
                if totals != last_detail:
                    last_detail = totals
                    self.link.set_presence_detail({k: str(v) for k, v in sorted(totals.items())})
                    for handle in list(self.handles.values()):
                        handle.publish_detail()


def default_device_id() -> str:
    """``buttons-<hostname>``, made fit for a topic level."""
    host = re.sub(r"[^a-z0-9_-]", "-", socket.gethostname().lower())[:24].strip("-") or "host"
    return f"buttons-{host}"


def run(site: Site, host: str, port: int, *, patterns: list[str] | None, guard_s: float | None,
        device_id: str | None, stop: threading.Event, auth: BrokerAuth | None = None) -> None:
    """Run the bridge until ``stop`` is set (the CLI sets it on SIGTERM or Ctrl-C)."""
    from host_support import sd_notify

    bridge = ButtonBridge(site, host, port, patterns=patterns, guard_s=guard_s, device_id=device_id, auth=auth)
    log.info("button bridge %s: %d boxes configured, looking at %s", bridge.device_id, len(bridge.boxes),
             ", ".join(bridge.patterns) or "configured ports only")
    bridge.start()
    try:
        # READY at once (boxes and broker may come later); watchdog pings while the bridge's thread lives
        sd_notify.serve(stop, alive=bridge.alive)
    finally:
        sd_notify.notify_stopping()
        bridge.stop()
