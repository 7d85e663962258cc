"""The scanner port: a source of scanned lines (booking codes, ticket tokens) for the kiosk, and its fake."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

OnScan = Callable[[str], None]
OnHealth = Callable[[str], None]  # "connected" | "disconnected: <why>"


class ScannerSource(Protocol):
    """Delivers each scanned code, stripped of its CR/LF, to ``on_scan`` from the source's own thread.

    ``on_health`` reports connection changes so the kiosk can publish them. ``stop()`` ends the source's
    thread; a source never raises into its caller when the device vanishes, it reconnects by itself.
    """

    def start(self, on_scan: OnScan, on_health: OnHealth | None = None) -> None: ...

    def stop(self) -> None: ...


class FakeScannerSource:
    """A scanner for tests and the demo: ``scan(code)`` delivers a code as if it had been read."""

    def __init__(self, health: str = "connected") -> None:
        """``health`` is what it reports on start: "connected" for tests, "none" where no scanner exists."""
        self._on_scan: OnScan | None = None
        self._lock = threading.Lock()
        self.health = health

    def start(self, on_scan: OnScan, on_health: OnHealth | None = None) -> None:
        with self._lock:
            self._on_scan = on_scan
        if on_health is not None:
            on_health(self.health)

    def stop(self) -> None:
        with self._lock:
            self._on_scan = None

    def scan(self, code: str) -> None:
        with self._lock:
            target = self._on_scan
        if target is not None:
            target(code.strip("\r\n"))
