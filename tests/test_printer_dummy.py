"""dummy:// printing: the exact bytes (python-escpos Dummy), decoded back to the slip and its QR code."""

from __future__ import annotations

from escpos.printer import Dummy
from PIL import ImageChops

from kiosk_app.printing.escpos_printer import EscposTicketPrinter, WorkerSettings, job_bytes, raster_bytes
from kiosk_app.printing.factory import open_printer
from kiosk_app.printing.port import PrintOutcome
from kiosk_app.printing.raster import decode_pages
from kiosk_app.printing.slip import render_slip
from kiosk_app.printing.transports import DummyTransport, TransportError
from tests.printing_helpers import Outcomes, Statuses, scanned_tokens, slip


def test_printer_dummy_bytes_decode_to_the_slip_and_its_qr_code() -> None:
    printer = open_printer("dummy://", 576)
    assert isinstance(printer, EscposTicketPrinter) and isinstance(printer.transport, DummyTransport)
    statuses, outcomes = Statuses(), Outcomes()
    printer.start(statuses)
    s = slip("fa")
    try:
        printer.submit(s, outcomes)
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert outcome.printed and outcome.ticket_id == s.ticket_id and outcome.status.can_print
    out = printer.transport.output
    assert out.startswith(b"\x1b@") and out.endswith(b"\x1bd\x06\x1dV\x00")   # init ... feed and full cut
    [page] = decode_pages(out)
    assert ImageChops.difference(page.convert("L"), render_slip(s, 576).convert("L")).getbbox() is None
    assert scanned_tokens([page]) == [s.token]
    assert statuses.items[0].as_detail() == {"paper": "ok", "cover": "closed", "printer_online": "yes"}


def test_printer_dummy_raster_is_what_python_escpos_sends() -> None:
    for width in (576, 384):
        image = render_slip(slip("ar"), width)
        esc = Dummy()
        esc.image(image, impl="bitImageRaster", fragment_height=960)
        assert raster_bytes(image) == esc.output
        assert image.height > 960 or width == 384      # the 80 mm slip needs two GS v 0 fragments
    assert job_bytes(image).count(b"\x1dV") == 1


def test_printer_dummy_same_ticket_prints_once() -> None:
    printer = open_printer("dummy://", 384)
    outcomes = Outcomes()
    printer.start()
    first, second = slip("uk"), slip("uk", seq=18)
    try:
        for s in (first, first, second, first):
            printer.submit(s, outcomes)
        results = outcomes.wait(4)
    finally:
        printer.stop()
    assert all(o.printed for o in results)
    assert [o.reason for o in results].count("already printed; not printed twice") == 2
    pages = decode_pages(printer.transport.output)
    assert scanned_tokens(pages) == [first.token, second.token]
    assert all(p.width == 384 for p in pages)


def test_printer_dummy_bad_slip_is_refused_with_a_reason() -> None:
    printer = open_printer("dummy://", 576)
    outcomes = Outcomes()
    printer.start()
    try:
        printer.submit(slip("xx"), outcomes)   # no such language
        [outcome] = outcomes.wait(1)
    finally:
        printer.stop()
    assert not outcome.printed and "cannot render" in outcome.reason and "xx" in outcome.reason


class _Breaks(DummyTransport):
    """dummy:// whose connection breaks once: in the middle of the slip's write, or on the status read after it."""

    def __init__(self, where: str):
        super().__init__()
        self.where, self.broke = where, False

    def write(self, data: bytes) -> None:
        if self.where == "write" and not self.broke:
            self.broke = True
            super().write(data[: len(data) // 2])
            self.printer.reset()   # the printer restarts and forgets the cut-off command, as the TCP simulator's does
            raise TransportError("dummy://: connection reset while sending")
        super().write(data)

    def query(self, request: bytes) -> bytes:
        if self.where == "status after" and not self.broke and b"\x1dV" in self.output:
            self.broke = True
            raise TransportError("dummy://: connection reset")
        return super().query(request)


def _twice(transport: DummyTransport) -> list[PrintOutcome]:
    printer = EscposTicketPrinter(transport, 576, WorkerSettings(poll_interval=0.1, backoff_first=0.01))
    outcomes = Outcomes()
    printer.start()
    s = slip("ar")
    try:
        printer.submit(s, outcomes)
        outcomes.wait(1)
        printer.submit(s, outcomes)      # the kiosk (or reception) asks for the same ticket again
        return outcomes.wait(2)
    finally:
        printer.stop()


def test_printer_dummy_status_read_failing_after_the_whole_slip_counts_as_printed_once() -> None:
    transport = _Breaks("status after")
    first, again = _twice(transport)
    assert first.printed and "status afterwards is unknown" in first.reason, first.reason
    assert again.printed and again.reason == "already printed; not printed twice"
    assert transport.broke and transport.output.count(b"\x1b@") == 1 and len(transport.printer.pages) == 1


def test_printer_dummy_write_failing_midway_may_be_incomplete_and_is_not_remembered() -> None:
    transport = _Breaks("write")
    first, again = _twice(transport)
    assert not first.printed and "may be incomplete" in first.reason
    assert again.printed and again.reason == ""      # the cut-off slip is printed whole when asked for again
    assert transport.output.count(b"\x1b@") == 2 and len(transport.printer.pages) == 1
