"""One configured button box on the host: its presses become counter commands, its display shows the counter."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import BadReply, CoreLink
from queue_rules.site import ButtonBox

from . import box_protocol as bp

log = logging.getLogger("arkaden.buttons")

REQUEST_TIMEOUT_S = 2.0  # then the same command (same id) is sent again; the core answers a repeat, once
PRESS_VALID_S = 15.0  # a press is given up this long after it was first seen: the reference firmware's give_up_ms
REPLY_GRACE_S = 1.0  # how long after a press's deadline an answer is still waited for (never sent again)
FLASH_S = 2.0  # how long an error stays on the box's display
REMEMBERED_PRESSES = 512  # answered presses kept per box, so a re-sent KEY is acknowledged, not re-applied
REMEMBERED_SIGHTINGS = 64  # presses seen but not taken (offline, busy), with the time they were first seen
MAX_PENDING = 1  # presses of one box on their way to the core; a box that sends another is not acknowledged yet
NOT_SENT = "NOT SENT"  # what the reference firmware shows when it gives a press up
_OUTCOME = {"expired": "expired", "id_reused": "duplicates"}  # the count of a refusal that is not a "refused"
Action = Literal["next", "recall", "done", "no_show", "pause", "resume"]  # what a box's keys command
ACTIONS: dict[str, Action] = {"NEXT": "next", "RECALL": "recall", "DONE": "done", "NOSHOW": "no_show"}  # PAUSE toggles
ERROR_TEXT = {"no_current_ticket": "NO CLIENT", "wrong_state": "NOT NOW", "busy": "FINISH FIRST",
              "closed": "CLOSED", "storage": "CORE ERROR", "internal": "CORE ERROR", "expired": NOT_SENT}


class Writer(Protocol):
    """Where lines for the box go: its serial port (``LinePort``)."""

    def write(self, data: bytes) -> bool: ...


@dataclass(frozen=True)
class Press:
    key: tuple[str, int]  # (boot, seq): the same press, however often the box sends it
    seq: int
    command: p.CounterCommand  # its id is <box>.<boot>.<seq>; its deadline is when the box gives the press up
    until: float  # that deadline on the bridge's monotonic clock


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

    A press is acknowledged (``ACK <seq>``) once it is settled: the core answered it, or it expired. Its
    command id is ``<box>.<boot>.<seq>``, so every re-send, also after a bridge restart, is the same command,
    which the core applies once. A press lives as long as the box keeps it (``give_up_s`` after it was first
    seen here, the reference firmware's 15 s): its command carries that ``deadline`` (the core refuses it
    later as ``expired``) and an MQTT Message Expiry Interval of the time left (the broker drops it), it is
    never sent after it, and then the box is told NOT SENT, as the box itself already shows. While the
    broker is unreachable a press is not taken (the box shows OFFLINE and re-sends). One press per box is
    on its way at a time.
    """

    def __init__(self, box: ButtonBox, topics: p.Topics, link: CoreLink, *, guard_s: float,
                 clock: Callable[[], float] = time.monotonic, give_up_s: float = PRESS_VALID_S,
                 wall_clock: Callable[[], datetime] | None = None):
        self.box = box
        self.topics = topics
        self.link = link
        self.guard_s = guard_s
        self.give_up_s = give_up_s
        self.clock = clock
        self.wall_clock = wall_clock or (lambda: datetime.now(UTC))
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
        self._sightings: OrderedDict[tuple[str, int], float] = OrderedDict()  # first seen, for presses not taken
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

    def on_key(self, key: bp.Key, seen_at: float | None = None) -> None:
        """A KEY line from the attached box (called on the port's thread; never blocks on the broker).

        ``seen_at``: when this press was first seen on the port, if before now (a KEY before the box's HELLO).
        """
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
            first = min(self._sightings.get(k, now), now if seen_at is None else seen_at)
            if now - first >= self.give_up_s:  # the box has given it up by now: it must not fire
                self._sightings.pop(k, None)
                self._expire(k, key.seq)
                return
            if key.name == "NEXT" and self._last_next is not None and now - self._last_next < self.guard_s:
                self.counts["guarded"] += 1
                self._remember(k, "guarded")
                self._write(bp.ack(key.seq))
                return
            if not self.link.connected.is_set():
                self.counts["offline"] += 1  # not taken: the box re-sends, and it is taken once we are back
                self._sighted(k, first)
                return
            if len(self._pending) >= MAX_PENDING:
                self.counts["too_many_pending"] += 1
                self._sighted(k, first)
                return
            self._sightings.pop(k, None)
            if key.name == "PAUSE":
                paused = self._state is not None and self._state.status == "paused"
                action: Action = "resume" if paused else "pause"
            else:
                action = ACTIONS[key.name]
            if key.name == "NEXT":
                self._last_next = now
            self._pending.add(k)
            until = first + self.give_up_s
            deadline = self.wall_clock() + timedelta(seconds=until - now)
            cid = f"{self.box.id}.{self.boot}.{key.seq}"
            command = p.CounterCommand(id=cid, action=action, deadline=deadline)
            self._queue.put(Press(k, key.seq, command, until))

    def _sighted(self, k: tuple[str, int], first: float) -> None:
        self._sightings[k] = first
        self._sightings.move_to_end(k)
        while len(self._sightings) > REMEMBERED_SIGHTINGS:
            self._sightings.popitem(last=False)

    def _expire(self, k: tuple[str, int], seq: int) -> None:
        """A press past its deadline: settled as not sent (acknowledged, so a box that still has it stops)."""
        self.counts["expired"] += 1
        self._remember(k, "expired")
        self._write(bp.ack(seq))
        self._flash_locked(NOT_SENT)

    def _remember(self, k: tuple[str, int], outcome: str) -> None:
        self._answered[k] = outcome
        while len(self._answered) > REMEMBERED_PRESSES:
            self._answered.popitem(last=False)

    def _send_loop(self) -> None:
        while True:
            press = self._queue.get()
            if press is None:
                return
            try:
                reply = self._deliver(press)
            except _Stopping:
                return  # not acknowledged: the box sends it again to the next bridge, with the same id
            with self._lock:
                self._pending.discard(press.key)
                if reply is None:
                    log.info("%s: %s not answered before its deadline: not sent", self.box.id, press.command.action)
                    self._expire(press.key, press.seq)
                    continue
                error = None if reply.ok else ((reply.error.code if reply.error else "") or "refused")
                self._remember(press.key, error or "ok")
                self.counts[_OUTCOME.get(error or "", "applied" if error is None else "refused")] += 1
                self._write(bp.ack(press.seq))
            if error == "id_reused":  # sent before by an earlier bridge process, with its own deadline: settled then
                log.info("%s: %s was answered before this bridge started", self.box.id, press.command.id)
            elif error is not None:
                log.info("%s: %s refused: %s", self.box.id, press.command.action, error)
                self.flash(ERROR_TEXT.get(error, error.upper()))

    def _deliver(self, press: Press) -> p.CommandResult | None:
        """Send the press (the same command each time) until the core answers; None once its deadline passed."""
        while True:
            if self._stopping.is_set():
                raise _Stopping
            left = press.until - self.clock()
            if left <= 0:
                return None  # never sent again after the deadline (an answer to an earlier send is too late now)
            if not self.link.connected.wait(min(0.5, left)):
                continue
            try:
                reply = self.link.request(self.command_topic, press.command, p.CommandResult,
                                          timeout=min(REQUEST_TIMEOUT_S, left + REPLY_GRACE_S),
                                          expiry_s=left)
            except BadReply:  # as good as no answer: the same command again, after the same wait
                self._stopping.wait(min(REQUEST_TIMEOUT_S, max(left, 0.0)))
                continue
            if reply is not None:
                return reply

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
            self._flash_locked(text)

    def _flash_locked(self, text: str) -> None:
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


class _Stopping(Exception):
    """The bridge stops while a press is on its way."""
