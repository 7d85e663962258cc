"""The kiosk's device status for reception: printer, scanner and outbox, merged into one retained presence detail."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .printing.port import PrinterStatus

Publish = Callable[[dict[str, str]], None]


class DeviceStatus:
    """Thread-safe: the printer, the scanner and the outbox report from their own threads."""

    def __init__(self, publish: Publish | None = None):
        self._publish = publish
        self._lock = threading.Lock()
        self._parts: dict[str, dict[str, str]] = {"printer": PrinterStatus().as_detail()}

    def _update(self, part: str, detail: dict[str, str]) -> None:
        with self._lock:
            if self._parts.get(part) == detail:
                return
            self._parts[part] = detail
            merged = self.detail_locked()
        if self._publish is not None:
            self._publish(merged)

    def detail_locked(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in ("printer", "scanner", "outbox"):
            out.update(self._parts.get(part, {}))
        return out

    def detail(self) -> dict[str, str]:
        with self._lock:
            return self.detail_locked()

    def printer(self, status: PrinterStatus) -> None:
        self._update("printer", status.as_detail())

    def scanner(self, health: str) -> None:
        self._update("scanner", {"scanner": health[:80]})

    def outbox(self, counts: dict[str, int]) -> None:
        self._update("outbox", {"outbox_pending": str(counts.get("pending", 0)),
                                "outbox_rejected": str(counts.get("rejected", 0))})
