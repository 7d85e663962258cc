"""Printers by URL: usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, tcp://HOST:9100, file:///dev/usb/lp0,
dummy:// -- validated with an error that names the problem.

Options for every URL: ``timeout`` (seconds to write one job, default 5), ``reply_timeout`` (seconds to wait for a
status answer, default 0.5), ``status=query|none`` (``none``: the printer cannot answer DLE EOT, print blind).
serial: ``baudrate`` (9600), ``bytesize`` (8), ``parity`` (N/E/O), ``stopbits`` (1/2), ``flow``
(none/rtscts/dsrdtr/xonxoff, default none). usb: ``in_ep``, ``out_ep`` (e.g. 0x82, 0x01).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .escpos_printer import EscposTicketPrinter, WorkerSettings
from .port import TicketPrinter
from .slip import WIDTHS
from .transports import (
    DummyTransport,
    FileTransport,
    NetworkTransport,
    SerialTransport,
    Timeouts,
    Transport,
    UsbTransport,
)

SCHEMES = ("usb", "serial", "tcp", "file", "dummy")
COMMON = {"timeout", "reply_timeout", "status"}
PER_SCHEME = {
    "usb": {"in_ep", "out_ep"},
    "serial": {"baudrate", "bytesize", "parity", "stopbits", "flow"},
    "tcp": set(),
    "file": set(),
    "dummy": set(),
}
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)


class PrinterURLError(ValueError):
    pass


def _number(url: str, key: str, value: str, kind: type = float, low: float = 0.01, high: float = 600) -> Any:
    try:
        number = kind(value, 0) if kind is int else kind(value)
    except ValueError:
        raise PrinterURLError(f"{url}: {key}={value!r} is not a number") from None
    if not low <= number <= high:
        raise PrinterURLError(f"{url}: {key}={value} must be between {low} and {high}")
    return number


def parse_printer_url(url: str) -> tuple[Transport, WorkerSettings]:
    """The transport and worker settings a printer URL describes, or PrinterURLError saying what is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PrinterURLError(f"{url!r}: unknown printer scheme {scheme or '(none)'!r}; "
                              f"use one of {', '.join(s + '://' for s in SCHEMES)}")
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in query:
            raise PrinterURLError(f"{url}: option {key!r} given twice")
        query[key] = value
    allowed = COMMON | PER_SCHEME[scheme]
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise PrinterURLError(f"{url}: unknown option {', '.join(unknown)} for {scheme}://; "
                              f"known: {', '.join(sorted(allowed))}")
    timeouts = Timeouts()
    if "timeout" in query:
        timeouts = replace(timeouts, write=_number(url, "timeout", query["timeout"]))
    if "reply_timeout" in query:
        timeouts = replace(timeouts, reply=_number(url, "reply_timeout", query["reply_timeout"], high=10))
    mode = query.get("status", "query")
    if mode not in ("query", "none"):
        raise PrinterURLError(f"{url}: status={mode!r}; use status=query (default) or status=none")
    settings = WorkerSettings(query_status=mode == "query")
    return _transport(url, scheme, parts, query, timeouts), settings


def _transport(url: str, scheme: str, parts: Any, query: dict[str, str], timeouts: Timeouts) -> Transport:
    if scheme == "dummy":
        if parts.netloc or parts.path not in ("", "/"):
            raise PrinterURLError(f"{url}: dummy:// takes no host or path")
        return DummyTransport()
    if scheme == "tcp":
        if parts.path not in ("", "/"):
            raise PrinterURLError(f"{url}: tcp:// takes HOST:PORT and no path")
        try:
            host, port = parts.hostname, parts.port or 9100
        except ValueError as exc:
            raise PrinterURLError(f"{url}: bad port ({exc})") from None
        if not host:
            raise PrinterURLError(f"{url}: tcp:// needs a host, e.g. tcp://192.0.2.20:9100")
        return NetworkTransport(host, port, timeouts)
    if scheme == "usb":
        ids = parts.netloc.split(":")
        try:
            vid, pid = (int(x, 16) for x in ids)
            if len(ids) != 2 or not all(len(x) == 4 for x in ids) or parts.path not in ("", "/"):
                raise ValueError
        except ValueError:
            raise PrinterURLError(f"{url}: usb:// needs VID:PID as four hex digits each, "
                                  "e.g. usb://0416:5011 (see lsusb)") from None
        options: dict[str, Any] = {k: _number(url, k, query[k], int, 1, 0xFF)
                                   for k in ("in_ep", "out_ep") if k in query}
        return UsbTransport(vid, pid, options, timeouts)
    if scheme == "serial":
        if parts.netloc or not parts.path.startswith("/"):
            raise PrinterURLError(f"{url}: serial:// needs an absolute device path, e.g. serial:///dev/ttyUSB0")
        return SerialTransport(parts.path, _serial_options(url, query), timeouts)
    if parts.netloc or not parts.path.startswith("/"):
        raise PrinterURLError(f"{url}: file:// needs an absolute path, e.g. file:///dev/usb/lp0")
    return FileTransport(parts.path, timeouts)


def _serial_options(url: str, query: dict[str, str]) -> dict[str, Any]:
    baudrate = _number(url, "baudrate", query.get("baudrate", "9600"), int, 1, 10**7)
    if baudrate not in BAUDRATES:
        raise PrinterURLError(f"{url}: baudrate {baudrate} is not one of {', '.join(map(str, BAUDRATES))}")
    bytesize = _number(url, "bytesize", query.get("bytesize", "8"), int, 5, 8)
    parity = query.get("parity", "N").upper()
    if parity not in ("N", "E", "O"):
        raise PrinterURLError(f"{url}: parity={parity!r}; use N, E or O")
    stopbits = _number(url, "stopbits", query.get("stopbits", "1"), int, 1, 2)
    flow = query.get("flow", "none")
    if flow not in ("none", "rtscts", "dsrdtr", "xonxoff"):
        raise PrinterURLError(f"{url}: flow={flow!r}; use none, rtscts, dsrdtr or xonxoff")
    return {"baudrate": baudrate, "bytesize": bytesize, "parity": parity, "stopbits": stopbits,
            "dsrdtr": flow == "dsrdtr", "xonxoff": flow == "xonxoff", "rtscts": flow == "rtscts"}


def open_printer(url: str, width_dots: int) -> TicketPrinter:
    """An EscposTicketPrinter for the URL (not started: call ``start(on_status)``)."""
    if width_dots not in WIDTHS:
        raise PrinterURLError(f"{url}: width_dots must be 576 (80 mm paper) or 384 (58 mm), not {width_dots}")
    transport, settings = parse_printer_url(url)
    return EscposTicketPrinter(transport, width_dots, settings)
