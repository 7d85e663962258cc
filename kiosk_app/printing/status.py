"""ESC/POS real-time status (DLE EOT n): the requests and the parsing of the one-byte answers.

Every answer byte has the fixed bits 0xx1xx10; anything else (or no answer at all) is not a status and makes the
field "unknown". python-escpos 3.1's ``paper_status()`` reports "paper adequate" when the printer says nothing,
which is why this module exists.
"""

from __future__ import annotations

from typing import TypeGuard

from .port import Cover, Online, Paper, PrinterStatus

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1     # bit 3: offline
OFFLINE_CAUSE = 2      # bit 2: cover open; bit 5: printing stopped by paper end; bit 6: error
PAPER_SENSOR = 4       # bits 2-3: roll near its end; bits 5-6: paper out
QUERIES = (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR)
FIXED_MASK, FIXED_BITS = 0x93, 0x12


def request(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def valid(reply: bytes | None) -> TypeGuard[bytes]:
    """One byte with the fixed bits of a DLE EOT answer."""
    return reply is not None and len(reply) == 1 and reply[0] & FIXED_MASK == FIXED_BITS


def parse(replies: dict[int, bytes | None], error: str = "") -> PrinterStatus:
    """The status from the answers to DLE EOT 1, 2 and 4 (missing or invalid answers: "unknown")."""
    printer, cause, paper_sensor = (replies.get(n) for n in QUERIES)
    online: Online = "unknown"
    if valid(printer):
        online = "no" if printer[0] & 0x08 else "yes"
    cover: Cover = "unknown"
    paper: Paper = "unknown"
    if valid(cause):
        cover = "open" if cause[0] & 0x04 else "closed"
        if cause[0] & 0x20:
            paper = "out"
    if valid(paper_sensor) and paper != "out":
        bits = paper_sensor[0]
        paper = "out" if bits & 0x60 else "low" if bits & 0x0C else "ok"
    return PrinterStatus(paper=paper, cover=cover, online=online, error=error)


def describe(status: PrinterStatus) -> str:
    """Why a printer cannot print, in words for logs and reception."""
    problems = []
    if status.paper == "out":
        problems.append("paper out")
    if status.cover == "open":
        problems.append("cover open")
    if status.online == "no":
        problems.append("offline")
    unknown = [name for name, value in (("paper", status.paper), ("cover", status.cover),
                                        ("online", status.online)) if value == "unknown"]
    if unknown:
        problems.append(f"no valid status reply ({', '.join(unknown)} unknown)")
    if status.error:
        problems.append(status.error)
    return "; ".join(problems) or "ready"
