"""Moves work from MQTT, serial and printer threads onto the Kivy thread, in order, coalesced per frame."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class MainThreadQueue:
    """``post(fn, *args)`` from any thread; the calls run on the Kivy thread at the next frame, in order."""

    def __init__(self) -> None:
        from kivy.clock import Clock  # Kivy only once an app runs

        self._calls: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._lock = threading.Lock()
        self._trigger = Clock.create_trigger(self._drain, -1)

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._calls.append((fn, args))
        self._trigger()

    def _drain(self, _dt: float) -> None:
        while True:
            with self._lock:
                if not self._calls:
                    return
                fn, args = self._calls.popleft()
            fn(*args)
