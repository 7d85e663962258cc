"""A QR/barcode scanner in USB serial (CDC) mode: each CR or LF terminated line is one scanned code."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from .line_port import LinePort, Locate, existing
from .scanner import OnHealth, OnScan

log = logging.getLogger("arkaden.scanner")

MAX_CODE = 256  # longer lines are not codes we print (booking codes, ticket tokens); dropped and counted
REPEAT_S = 1.0  # scanners in presentation mode read a code held under them again and again


class SerialScannerSource:
    """The ``ScannerSource`` for a scanner on a serial port, found again by itself after it was unplugged.

    ``device`` is a path (a /dev/serial/by-id link or the udev name /dev/arkaden-scanner) or a ``Locate``
    function. A code is printable ASCII (control characters and non-ASCII lines are dropped and counted);
    the same code read again within ``repeat_s`` is delivered once.
    """

    def __init__(self, device: str | Locate, *, baudrate: int = 115200, repeat_s: float = REPEAT_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None, **port_options: Any):
        self.locate = existing(device) if isinstance(device, str) else device
        self.baudrate = baudrate
        self.repeat_s = repeat_s
        self.clock = clock
        self.sleep = sleep
        self.port_options = port_options
        self.stats = {"codes": 0, "repeats": 0, "bad_lines": 0}
        self._last: tuple[str, float] | None = None
        self._on_scan: OnScan | None = None
        self._on_health: OnHealth | None = None
        self._port: LinePort | None = None

    def start(self, on_scan: OnScan, on_health: OnHealth | None = None) -> None:
        self._on_scan, self._on_health = on_scan, on_health
        self._port = LinePort("scanner", self.locate, self._on_line, self._on_state, baudrate=self.baudrate,
                              terminators=b"\r\n", max_line=MAX_CODE, sleep=self.sleep,
                              **self.port_options)
        self._port.start()

    def stop(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.stop()
        self._on_scan = self._on_health = None

    @property
    def over_long(self) -> int:
        return self._port.stats["over_long"] if self._port is not None else 0

    def _on_state(self, state: str, detail: str) -> None:
        target = self._on_health
        if target is not None:
            target("connected" if state == "connected" else f"disconnected: {detail}")

    def _on_line(self, raw: bytes) -> None:
        try:
            code = raw.decode("ascii").strip()
        except UnicodeDecodeError:
            code = None
        if not code or not code.isprintable():
            self.stats["bad_lines"] += 1
            log.debug("scanner: ignored %r", raw[:80])
            return
        now = self.clock()
        if self._last is not None and self._last[0] == code and now - self._last[1] < self.repeat_s:
            self.stats["repeats"] += 1
            self._last = (code, now)
            return
        self._last = (code, now)
        self.stats["codes"] += 1
        target = self._on_scan
        if target is not None:
            target(code)
