"""A ticket printer without hardware, for tests and the demo: records slips and can be told to fail."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .port import OnDone, OnStatus, PrinterStatus, PrintOutcome, Slip

READY = PrinterStatus(paper="ok", cover="closed", online="yes")


@dataclass
class FakeTicketPrinter:
    """Prints instantly on a thread of its own; ``set_status`` injects faults (paper out, no answer, ...)."""

    current: PrinterStatus = READY
    printed: list[Slip] = field(default_factory=list)
    _on_status: OnStatus | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _done_ids: set[str] = field(default_factory=set)

    def start(self, on_status: OnStatus | None = None) -> None:
        self._on_status = on_status
        if on_status is not None:
            on_status(self.current)

    def set_status(self, status: PrinterStatus) -> None:
        self.current = status
        if self._on_status is not None:
            self._on_status(status)

    def submit(self, slip: Slip, on_done: OnDone) -> None:
        def work() -> None:
            with self._lock:
                status = self.current
                if not status.can_print:
                    outcome = PrintOutcome(slip.ticket_id, False, status, reason=f"printer not ready: {status}")
                else:
                    if slip.ticket_id not in self._done_ids:   # a retried job never prints twice
                        self._done_ids.add(slip.ticket_id)
                        self.printed.append(slip)
                    outcome = PrintOutcome(slip.ticket_id, True, status)
            on_done(outcome)

        threading.Thread(target=work, name="fake-printer", daemon=True).start()

    def status(self) -> PrinterStatus:
        return self.current

    def stop(self) -> None:
        self._on_status = None
