"""EscposTicketPrinter: one worker thread owns the printer, polls its status, prints each ticket at most once."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from escpos.printer import Dummy
from PIL import Image

from . import status as rt
from .port import OnDone, OnStatus, PrinterStatus, PrintOutcome, Slip
from .slip import render_slip
from .texts import SlipLabels, slip_labels
from .transports import Transport, TransportError

log = logging.getLogger("arkaden.printer")


@dataclass(frozen=True)
class WorkerSettings:
    poll_interval: float = 1.5      # status read while idle: a fault reaches reception within 5 s
    job_deadline: float = 6.0       # how long a job may wait for an unreachable printer before giving up
    backoff_first: float = 0.2      # reopen delays after an error: 0.2, 0.4, 0.8 ... capped
    backoff_max: float = 3.0
    query_status: bool = True       # False: the transport cannot answer DLE EOT; print blind, status unknown
    remember_jobs: int = 2000       # ticket ids kept to refuse a second slip


@dataclass
class _Job:
    slip: Slip
    on_done: OnDone
    deadline: float


INVERT = bytes(255 - i for i in range(256))
FRAGMENT_ROWS = 960   # rows per GS v 0 command, as python-escpos splits them


def raster_bytes(image: Image.Image, fragment_rows: int = FRAGMENT_ROWS) -> bytes:
    """A mode "1" image as GS v 0 raster commands (normal density), byte for byte what python-escpos's
    ``image(impl="bitImageRaster")`` sends (a test compares them).

    Why not call ``image()``: it converts the picture RGBA -> L -> invert -> 1 with Floyd-Steinberg dithering,
    which leaves a thresholded 1-bit image as it is but costs 10-15 ms per slip on the print path; a mode "1"
    image only needs its bits inverted (Pillow stores 1 = white, ESC/POS 1 = dot).
    """
    if image.mode != "1" or image.width % 8:
        raise ValueError("the slip must be a mode '1' image whose width is a multiple of 8")
    row_bytes = image.width // 8
    out = bytearray()
    for top in range(0, image.height, fragment_rows):
        part = image.crop((0, top, image.width, min(image.height, top + fragment_rows)))
        out += b"\x1dv0\x00" + row_bytes.to_bytes(2, "little") + part.height.to_bytes(2, "little")
        out += part.tobytes().translate(INVERT)
    return bytes(out)


def job_bytes(image: Image.Image) -> bytes:
    """One slip's job: ESC @ (python-escpos), the raster image, feed and full cut (python-escpos).

    The whole job goes out in one write: either no byte of a slip was sent (safe to retry) or the transfer
    started (never resent automatically). A write that completed counts as printed and is remembered, also when
    the status read after it fails (reported "status afterwards unknown"); one that broke off midway may be
    incomplete and is not remembered, so asking for the ticket again prints it whole.
    """
    esc = Dummy()
    esc.hw("INIT")
    init: bytes = esc.output
    esc.clear()
    esc.cut()
    cut: bytes = esc.output
    return init + raster_bytes(image) + cut


class EscposTicketPrinter:
    """The TicketPrinter for real ESC/POS printers (see ``factory.open_printer`` for the URLs)."""

    def __init__(self, transport: Transport, width_dots: int, settings: WorkerSettings | None = None, *,
                 labels: Callable[[str], SlipLabels] = slip_labels,
                 clock: Callable[[], float] = time.monotonic):
        self.transport, self.width_dots = transport, width_dots
        self.settings = settings or WorkerSettings()
        self._labels, self._clock = labels, clock
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._status = PrinterStatus(error="not started")
        self._on_status: OnStatus | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._open = False
        self._retry_at = 0.0
        self._backoff = self.settings.backoff_first
        self._printed: OrderedDict[str, None] = OrderedDict()
        self.render_ms: list[float] = []   # per slip, for the benchmark

    # --- the port ---------------------------------------------------------------------------------------
    def start(self, on_status: OnStatus | None = None) -> None:
        self._on_status = on_status
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="ticket-printer", daemon=True)
        self._thread.start()

    def submit(self, slip: Slip, on_done: OnDone) -> None:
        self._jobs.put(_Job(slip, on_done, self._clock() + self.settings.job_deadline))

    def status(self) -> PrinterStatus:
        return self._status

    def stop(self) -> None:
        self._stopping.set()
        self._jobs.put(None)
        if self._thread is not None:
            self._thread.join(timeout=self.settings.job_deadline + 5)
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job.on_done(PrintOutcome(job.slip.ticket_id, False, self._status, reason="printer stopped"))
        self._close()

    # --- the worker -------------------------------------------------------------------------------------
    def _run(self) -> None:
        self._ensure_open()
        self._poll()
        next_poll = self._clock() + self.settings.poll_interval
        while not self._stopping.is_set():
            wait = max(0.0, next_poll - self._clock())
            try:
                job = self._jobs.get(timeout=wait)
            except queue.Empty:
                job = None
            if self._stopping.is_set():
                if job is not None:
                    self._jobs.put(job)   # stop() answers it
                break
            if job is not None:
                self._print(job)
            if self._clock() >= next_poll:
                self._poll()
                next_poll = self._clock() + self.settings.poll_interval

    def _set_status(self, status: PrinterStatus) -> None:
        if status != self._status:
            log.info("printer %s: %s", self.transport.name, rt.describe(status))
            self._status = status
            if self._on_status is not None:
                try:
                    self._on_status(status)
                except Exception:
                    log.exception("on_status callback failed")

    def _ensure_open(self) -> bool:
        if self._open:
            return True
        if self._clock() < self._retry_at:
            return False
        try:
            self.transport.open()
        except TransportError as exc:
            self._failed(exc)
            return False
        self._open = True
        self._backoff = self.settings.backoff_first
        return True

    def _failed(self, exc: Exception) -> None:
        """Close, schedule the reopen with backoff and say what is wrong."""
        level = logging.DEBUG if str(exc) == self._status.error else logging.WARNING
        log.log(level, "%s (retry in %.1f s)", exc, self._backoff)
        self._close()
        self._retry_at = self._clock() + self._backoff
        self._backoff = min(self._backoff * 2, self.settings.backoff_max)
        self._set_status(PrinterStatus(online="no", error=str(exc)))

    def _close(self) -> None:
        self._open = False
        try:
            self.transport.close()
        except Exception:
            log.exception("closing %s", self.transport.name)

    def _read_status(self) -> PrinterStatus:
        """DLE EOT 1, 2, 4; stops at the first missing answer so a late one cannot be taken for the next."""
        if not self.settings.query_status:
            return PrinterStatus()
        replies: dict[int, bytes | None] = {}
        for n in rt.QUERIES:
            reply = self.transport.query(rt.request(n))
            replies[n] = reply
            if not rt.valid(reply):
                break
        return rt.parse(replies)

    def _poll(self) -> None:
        if not self._ensure_open():
            return
        try:
            self._set_status(self._read_status())
        except TransportError as exc:
            self._failed(exc)

    def _finish(self, job: _Job, printed: bool, reason: str = "") -> None:
        outcome = PrintOutcome(job.slip.ticket_id, printed, self._status, reason)
        try:
            job.on_done(outcome)
        except Exception:
            log.exception("on_done callback failed")

    def _print(self, job: _Job) -> None:
        ticket = job.slip.ticket_id
        if ticket in self._printed:
            self._finish(job, True, "already printed; not printed twice")
            return
        try:
            t0 = time.perf_counter()
            data = job_bytes(render_slip(job.slip, self.width_dots, self._labels(job.slip.lang)))
            self.render_ms.append((time.perf_counter() - t0) * 1000)
        except Exception as exc:
            log.exception("cannot render slip %s", ticket)
            self._finish(job, False, f"cannot render the slip: {exc}")
            return
        while not self._stopping.is_set():
            if not self._ensure_open():
                if self._clock() >= job.deadline:
                    self._finish(job, False, f"printer unreachable: {self._status.error}")
                    return
                self._stopping.wait(max(0.01, min(self._retry_at, job.deadline) - self._clock()))
                continue
            started = written = False
            try:
                before = self._read_status()
                self._set_status(before)
                if self.settings.query_status and not before.can_print:
                    self._finish(job, False, f"printer not ready: {rt.describe(before)}")
                    return
                started = True
                self.transport.write(data)
                written = True
                after = self._read_status()
            except TransportError as exc:
                self._failed(exc)
                if written:   # the whole slip went out; only the look afterwards failed: never print it again
                    self._remember(ticket)
                    self._finish(job, True, f"sent; the printer's status afterwards is unknown (connection lost "
                                            f"after the slip was sent: {exc})")
                    return
                if started:
                    self._finish(job, False, f"connection lost while sending; the slip may be incomplete: {exc}")
                    return
                continue   # nothing of this slip was sent: safe to try again until the deadline
            self._remember(ticket)
            self._set_status(after)
            if after.paper == "out" or after.cover == "open" or after.online == "no":
                self._finish(job, False, f"printer reported {rt.describe(after)} after the job; "
                                         "the slip may be incomplete")
            elif not self.settings.query_status:
                self._finish(job, True, "sent; this printer cannot report its status")
            elif not after.can_print:
                self._finish(job, True, f"sent; no status confirmation afterwards ({rt.describe(after)})")
            else:
                self._finish(job, True)
            return
        self._finish(job, False, "printer stopped")

    def _remember(self, ticket: str) -> None:
        self._printed[ticket] = None
        while len(self._printed) > self.settings.remember_jobs:
            self._printed.popitem(last=False)
