"""One configured button box on the host: its presses become counter commands, its display shows the counter."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import BadReply, CoreLink
from queue_rules.site import ButtonBox

from . import box_protocol as bp

log = logging.getLogger("arkaden.buttons")

REQUEST_TIMEOUT_S = 2.0  # then the same command (same id) is sent again; the core answers a repeat, once
FLASH_S = 2.0  # how long an error stays on the box's display
REMEMBERED_PRESSES = 512  # answered presses kept per box, so a re-sent KEY is acknowledged, not re-applied
MAX_PENDING = 8  # presses of one box waiting for the core; a box that sends more is not acknowledged
Action = Literal["next", "recall", "done", "no_show", "pause", "resume"]  # what a box's keys command
ACTIONS: dict[str, Action] = {"NEXT": "next", "RECALL": "recall", "DONE": "done", "NOSHOW": "no_show"}  # PAUSE toggles
ERROR_TEXT = {"no_current_ticket": "NO CLIENT", "wrong_state": "NOT NOW", "busy": "FINISH FIRST",
              "closed": "CLOSED", "storage": "CORE ERROR", "internal": "CORE ERROR"}


class Writer(Protocol):
    """Where lines for the box go: its serial port (``LinePort``)."""

    def write(self, data: bytes) -> bool: ...


@dataclass(frozen=True)
class Press:
    key: tuple[str, int]  # (boot, seq): the same press, however often the box sends it
    seq: int
    command: p.CounterCommand  # its id is <box>.<boot>.<seq>


def render(state: p.CounterState | None, online: bool) -> tuple[str, bp.LedMode]:
    """What the box shows: ``J-017  W:5`` (number and how many wait) and whether its LED is lit."""
    if not online:
        return "OFFLINE", "BLINK"
    if state is None:
        return "NO DATA", "BLINK"
    waiting = f"W:{state.waiting}"
    if state.status == "paused":
        return f"PAUSE  {waiting}", "OFF"
    if state.status == "closed":
        return f"CLOSED {waiting}", "OFF"
    if state.number:
        return f"{state.number:<6} {waiting}", "ON"
    return f"-----  {waiting}", "OFF"


class BoxHandle:
    """A box's presses, its counter's state and its presence; created when the box is first seen here.

    A press is acknowledged (``ACK <seq>``) only after the core answered it, so the box keeps re-sending
    while the broker or the core is away; its command id is ``<box>.<boot>.<seq>``, so every re-send, also
    after a bridge restart, is the same command, which the core applies once. While the broker is
    unreachable a press is not taken at all (the box shows OFFLINE and re-sends; it decides how long a
    press stays valid), so nothing queued here can fire minutes later.
    """

    def __init__(self, box: ButtonBox, topics: p.Topics, link: CoreLink, *, guard_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.box = box
        self.topics = topics
        self.link = link
        self.guard_s = guard_s
        self.clock = clock
        self.command_topic = topics.counter_cmd(box.counter)
        self.state_topic = topics.counter_state(box.counter)
        self.counts: Counter[str] = Counter()
        self.firmware = ""
        self.path = ""
        self.boot = ""
        self._writer: Writer | None = None
        self._state: p.CounterState | None = None
        self._answered: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self._queue: queue.Queue[Press | None] = queue.Queue()
        self._last_next: float | None = None
        self._flash: tuple[str, float] | None = None
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._send_loop, name=f"box-{box.id}", daemon=True)

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._worker.start()
        self.link.start()

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        self._worker.join(timeout=5)
        self.link.stop()

    def attach(self, writer: Writer, path: str, hello: bp.Hello, session: str) -> None:
        """The box answered on a port: remember where it is and which power-up, show the counter."""
        with self._lock:
            if self._writer is not None and self._writer is not writer:
                log.warning("%s now answers on %s; forgetting its previous port", self.box.id, path)
            self._writer = writer
            self.path, self.firmware = path, hello.firmware
            self.boot = hello.boot or f"s{session}"  # without a boot id, every connection counts as a power-up
        self.publish_detail()
        self.refresh()

    def detach(self, writer: Writer) -> None:
        with self._lock:
            if self._writer is not writer:
                return
            self._writer = None
        self.publish_detail()

    @property
    def attached(self) -> bool:
        return self._writer is not None

    def publish_detail(self) -> None:
        detail = {"counter": self.box.counter, "port": "connected" if self.attached else "missing",
                  "path": self.path, "firmware": self.firmware}
        detail.update({k: str(v) for k, v in sorted(self.counts.items())})
        self.link.set_presence_detail(detail)

    # --- from the box ----------------------------------------------------------------------------

    def on_key(self, key: bp.Key) -> None:
        """A KEY line from the attached box (called on the port's thread; never blocks on the broker)."""
        with self._lock:
            k = (self.boot, key.seq)
            if k in self._answered:
                self.counts["duplicates"] += 1
                self._write(bp.ack(key.seq))
                return
            if k in self._pending:
                self.counts["duplicates"] += 1
                return
            now = self.clock()
            if key.name == "NEXT" and self._last_next is not None and now - self._last_next < self.guard_s:
                self.counts["guarded"] += 1
                self._remember(k, "guarded")
                self._write(bp.ack(key.seq))
                return
            if not self.link.connected.is_set():
                self.counts["offline"] += 1  # not taken: the box re-sends, and it is taken once we are back
                return
            if len(self._pending) >= MAX_PENDING:
                self.counts["too_many_pending"] += 1
                return
            if key.name == "PAUSE":
                paused = self._state is not None and self._state.status == "paused"
                action: Action = "resume" if paused else "pause"
            else:
                action = ACTIONS[key.name]
            if key.name == "NEXT":
                self._last_next = now
            self._pending.add(k)
            cid = f"{self.box.id}.{self.boot}.{key.seq}"
            self._queue.put(Press(k, key.seq, p.CounterCommand(id=cid, action=action)))

    def _remember(self, k: tuple[str, int], outcome: str) -> None:
        self._answered[k] = outcome
        while len(self._answered) > REMEMBERED_PRESSES:
            self._answered.popitem(last=False)

    def _send_loop(self) -> None:
        while True:
            press = self._queue.get()
            if press is None:
                return
            reply: p.CommandResult | None = None
            while reply is None:
                if self._stopping.is_set():
                    return  # not acknowledged: the box sends it again to the next bridge, with the same id
                if not self.link.connected.wait(0.5):
                    continue
                try:
                    reply = self.link.request(self.command_topic, press.command, p.CommandResult,
                                              timeout=REQUEST_TIMEOUT_S)
                except BadReply:  # as good as no answer: the same command again, after the same wait
                    self._stopping.wait(REQUEST_TIMEOUT_S)
            error = None if reply.ok else ((reply.error.code if reply.error else "") or "refused")
            with self._lock:
                self._pending.discard(press.key)
                self._remember(press.key, error or "ok")
                self.counts["applied" if error is None else "refused"] += 1
                self._write(bp.ack(press.seq))
            if error is not None:
                log.info("%s: %s refused: %s", self.box.id, press.command.action, error)
                self.flash(ERROR_TEXT.get(error, error.upper()))

    # --- to the box ------------------------------------------------------------------------------

    def on_counter_state(self, data: dict[str, Any]) -> None:
        """The counter's retained state from the core (paho's thread)."""
        try:
            state = p.CounterState.model_validate(data)
        except ValidationError:
            log.warning("%s: unreadable counter state ignored", self.box.id)
            return
        with self._lock:
            self._state = state
        self.refresh()

    def flash(self, text: str) -> None:
        with self._lock:
            self._flash = (text, self.clock() + FLASH_S)
        self.refresh()

    def tick(self) -> None:
        """Called a few times a second: ends a flashed message."""
        with self._lock:
            expired = self._flash is not None and self.clock() >= self._flash[1]
            if expired:
                self._flash = None
        if expired:
            self.refresh()

    def refresh(self) -> None:
        """Send the box what it should show now."""
        with self._lock:
            text, mode = render(self._state, self.link.connected.is_set())
            if self._flash is not None:
                text = self._flash[0]
            self._write(bp.show(text) + bp.led(mode))

    def _write(self, data: bytes) -> None:
        writer = self._writer
        if writer is not None:
            writer.write(data)

