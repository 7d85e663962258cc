"""Moves work from MQTT, serial and printer threads onto the Kivy thread, in order, coalesced per frame.

A call that raises is logged (with what it was about, e.g. the message's topic) and dropped; the calls after it
still run, and the app goes on: one message a handler chokes on must not stop a wall display or a kiosk.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("arkaden.ui")

Trigger = Callable[[], None]
MakeTrigger = Callable[[Callable[[float], None]], Trigger]   # Kivy's Clock.create_trigger(callback, -1)


def _kivy_trigger(callback: Callable[[float], None]) -> Trigger:
    from kivy.clock import Clock  # Kivy only once an app runs

    trigger: Trigger = Clock.create_trigger(callback, -1)
    return trigger


class MainThreadQueue:
    """``post(fn, *args)`` from any thread; the calls run on the Kivy thread at the next frame, in order.

    ``about`` names the call in the log should it fail (the display passes the message's topic); never put a
    message's content there, the log may be read by others than the staff."""

    def __init__(self, make_trigger: MakeTrigger = _kivy_trigger) -> None:
        self._calls: deque[tuple[Callable[..., Any], tuple[Any, ...], str]] = deque()
        self._lock = threading.Lock()
        self._trigger = make_trigger(self._drain)
        self.failures = 0

    def post(self, fn: Callable[..., Any], *args: Any, about: str = "") -> None:
        with self._lock:
            self._calls.append((fn, args, about))
        self._trigger()

    def _drain(self, _dt: float) -> None:
        while True:
            with self._lock:
                if not self._calls:
                    return
                fn, args, about = self._calls.popleft()
            try:
                fn(*args)
            except Exception:  # one bad message must not stop the app: logged, then the next one
                self.failures += 1
                log.exception("%s failed on the Kivy thread (%s); dropped, the app goes on",
                              getattr(fn, "__qualname__", repr(fn)), about or "no topic")
