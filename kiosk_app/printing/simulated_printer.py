"""The in-memory thermal printer: answers DLE EOT like a real one, keeps the slips it was sent, injects faults.

``SimulatedPrinter`` is the device model behind the ``dummy://`` transport (a printer for everyone without
hardware) and behind the TCP and pty printer simulators (``simulator.py``). Faults: paper low/out, cover open,
offline, ``silent`` (never answers status), ``garbage`` (answers bytes that are not a status).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from .raster import EscposReader, stack


@dataclass
class SimulatedPrinter:
    """A printer's state and its answers to the bytes it is fed; thread-safe."""

    paper: str = "ok"          # ok, low, out
    cover: str = "closed"      # closed, open
    online: bool = True
    silent: bool = False       # no answer to DLE EOT
    garbage: bool = False      # an answer that is not a status byte
    received: bytearray = field(default_factory=bytearray)
    pages: list[Image.Image] = field(default_factory=list)
    status_queries: int = 0
    job_started_at: list[float] = field(default_factory=list)   # perf_counter() when each ESC @ arrived
    _reader: EscposReader = field(default_factory=EscposReader)
    _current: list[Image.Image] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def set(self, **state: object) -> None:
        """Change the state, e.g. ``set(paper="out")`` or ``set(silent=True)``."""
        with self._cond:
            for key, value in state.items():
                if key not in ("paper", "cover", "online", "silent", "garbage"):
                    raise TypeError(f"unknown printer state {key!r}")
                setattr(self, key, value)

    def reset(self) -> None:
        """Power cycled: a command cut off mid-way and an uncut page are forgotten (what was received stays)."""
        with self._cond:
            self._reader = EscposReader()
            self._current = []

    def reply(self, n: int) -> bytes:
        if self.silent:
            return b""
        if self.garbage:
            return b"\xff"
        stopped = self.paper == "out" or self.cover == "open"
        if n == 1:
            return bytes((0x12 | (0x08 if stopped or not self.online else 0),))
        if n == 2:
            return bytes((0x12 | (0x04 if self.cover == "open" else 0) | (0x20 if self.paper == "out" else 0),))
        if n == 4:
            return bytes((0x12 | {"ok": 0, "low": 0x0C, "out": 0x6C}[self.paper],))
        return bytes((0x12,))

    def feed(self, chunk: bytes) -> bytes:
        """Take bytes from the host; returns the answers to send back."""
        out = bytearray()
        arrived = time.perf_counter()
        with self._cond:
            self.received += chunk
            for event in self._reader.feed(chunk):
                if event.kind == "init":
                    self.job_started_at.append(arrived)
                elif event.kind == "status":
                    self.status_queries += 1
                    out += self.reply(event.value)
                elif event.kind == "image" and event.image is not None:
                    self._current.append(event.image)
                elif event.kind == "cut" and self._current:
                    self.pages.append(stack(self._current))
                    self._current = []
            self._cond.notify_all()
        return bytes(out)

    def wait_for(self, predicate: Callable[[SimulatedPrinter], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (checked whenever bytes arrive)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)
