"""The button-box line protocol on the host side: parse what a box says, format what the host says."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_LINE_BYTES = 64  # a line longer than this (without its LF) is refused
SHOW_CHARS = 16
SEQ_MODULO = 65536
KEYS = ("NEXT", "RECALL", "DONE", "NOSHOW", "PAUSE")
LedMode = Literal["ON", "OFF", "BLINK"]

_BOX_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_FIRMWARE = re.compile(r"[!-~]{1,16}")
_BOOT = re.compile(r"[0-9a-fA-F]{1,8}")
_SEQ = re.compile(r"[0-9]{1,5}")
_KEYNAME = re.compile(r"[A-Z][A-Z0-9_]{0,15}")


class BadLine(ValueError):
    """A line that is not part of the protocol; ``reason`` is one of the counted kinds."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason  # "bad_line" | "unknown_key"


@dataclass(frozen=True)
class Hello:
    """``HELLO <box-id> <firmware-version> [<boot-id>]``: who the box is, and which power-up this is."""

    box_id: str
    firmware: str
    boot: str | None = None


@dataclass(frozen=True)
class Key:
    """``KEY <seq> <name>``: one press; a re-sent press keeps its seq."""

    seq: int
    name: str


def parse_box_line(raw: bytes) -> Hello | Key:
    """One line from a box (without its LF; a trailing CR is tolerated). Raises BadLine."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    if len(raw) > MAX_LINE_BYTES:
        raise BadLine("bad_line", f"{len(raw)} bytes, more than {MAX_LINE_BYTES}")
    if any(b < 0x20 or b > 0x7E for b in raw):
        raise BadLine("bad_line", "not printable ASCII")
    parts = raw.decode("ascii").split(" ")
    if parts[0] == "HELLO" and len(parts) in (3, 4):
        box_id, firmware = parts[1], parts[2]
        boot = parts[3] if len(parts) == 4 else None
        if not _BOX_ID.fullmatch(box_id):
            raise BadLine("bad_line", f"box id {box_id!r}")
        if not _FIRMWARE.fullmatch(firmware):
            raise BadLine("bad_line", f"firmware version {firmware!r}")
        if boot is not None and not _BOOT.fullmatch(boot):
            raise BadLine("bad_line", f"boot id {boot!r}")
        return Hello(box_id, firmware, boot.lower() if boot is not None else None)
    if parts[0] == "KEY" and len(parts) == 3:
        seq, name = parts[1], parts[2]
        if not _SEQ.fullmatch(seq) or int(seq) >= SEQ_MODULO:
            raise BadLine("bad_line", f"seq {seq!r}")
        if not _KEYNAME.fullmatch(name):
            raise BadLine("bad_line", f"key {name!r}")
        if name not in KEYS:
            raise BadLine("unknown_key", f"key {name!r}")
        return Key(int(seq), name)
    raise BadLine("bad_line", f"unknown line {raw[:20]!r}")


def _ascii(text: str) -> str:
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)


def ack(seq: int) -> bytes:
    return f"ACK {seq % SEQ_MODULO}\n".encode()


def show(text: str) -> bytes:
    """``SHOW <text>``: at most 16 printable ASCII characters; anything else becomes '?'."""
    return f"SHOW {_ascii(text)[:SHOW_CHARS]}\n".encode()


def led(mode: LedMode) -> bytes:
    if mode not in ("ON", "OFF", "BLINK"):
        raise ValueError(f"LED mode {mode!r}")
    return f"LED {mode}\n".encode()


def who() -> bytes:
    return b"WHO\n"
