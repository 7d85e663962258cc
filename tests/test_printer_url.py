"""Printer URLs: what each one opens, and a clear error naming what is wrong."""

from __future__ import annotations

import pytest

from kiosk_app.printing.factory import PrinterURLError, open_printer, parse_printer_url
from kiosk_app.printing.transports import (
    DummyTransport,
    FileTransport,
    NetworkTransport,
    SerialTransport,
    UsbTransport,
)


def test_printer_url_each_scheme() -> None:
    t, settings = parse_printer_url("tcp://192.0.2.20:9100?timeout=2&reply_timeout=0.3")
    assert isinstance(t, NetworkTransport) and t.escpos.host == "192.0.2.20" and t.escpos.port == 9100
    assert t.timeouts.write == 2 and t.timeouts.reply == 0.3 and settings.query_status
    assert parse_printer_url("tcp://printer.local")[0].escpos.port == 9100
    t, _ = parse_printer_url("serial:///dev/ttyUSB0?baudrate=19200&flow=rtscts&parity=e")
    assert isinstance(t, SerialTransport) and t.escpos.devfile == "/dev/ttyUSB0"
    assert (t.escpos.baudrate, t.escpos.parity, t.escpos.dsrdtr, t.rtscts) == (19200, "E", False, True)
    t, _ = parse_printer_url("usb://0416:5011?in_ep=0x81&out_ep=0x03")
    assert isinstance(t, UsbTransport) and t.escpos.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011}
    assert (t.escpos.in_ep, t.escpos.out_ep) == (0x81, 0x03)
    t, settings = parse_printer_url("file:///dev/usb/lp0?status=none")
    assert isinstance(t, FileTransport) and t.path == "/dev/usb/lp0" and not settings.query_status
    assert isinstance(parse_printer_url("dummy://")[0], DummyTransport)


@pytest.mark.parametrize(("url", "words"), [
    ("lpt://x", "unknown printer scheme 'lpt'"),
    ("/dev/usb/lp0", "unknown printer scheme '(none)'"),
    ("usb://416:5011", "four hex digits"),
    ("usb://0416-5011", "four hex digits"),
    ("usb://04g6:5011", "four hex digits"),
    ("tcp://:9100", "needs a host"),
    ("tcp://host:99999", "bad port"),
    ("tcp://host:9100/x", "no path"),
    ("serial://ttyUSB0", "absolute device path"),
    ("serial:///dev/ttyUSB0?baudrate=12345", "baudrate 12345"),
    ("serial:///dev/ttyUSB0?baudrate=fast", "not a number"),
    ("serial:///dev/ttyUSB0?flow=magic", "flow='magic'"),
    ("serial:///dev/ttyUSB0?parity=X", "parity"),
    ("tcp://host?baudrate=9600", "unknown option baudrate for tcp://"),
    ("tcp://host?timeout=0", "between"),
    ("tcp://host?timeout=1&timeout=2", "given twice"),
    ("file://lp0", "absolute path"),
    ("dummy://x", "no host"),
    ("tcp://host?status=maybe", "status=query"),
])
def test_printer_url_errors_name_the_problem(url: str, words: str) -> None:
    with pytest.raises(PrinterURLError, match=words.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse_printer_url(url)


def test_printer_url_width_must_be_a_paper_width() -> None:
    with pytest.raises(PrinterURLError, match="576"):
        open_printer("dummy://", 500)
    assert open_printer("dummy://", 384).width_dots == 384  # type: ignore[attr-defined]


def test_printer_url_the_sites_printers_parse() -> None:
    from tests.printing_helpers import site

    for printer in site().printers:
        parse_printer_url(printer.url)
