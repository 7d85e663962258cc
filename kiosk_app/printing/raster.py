"""Reads an ESC/POS byte stream back: raster images (GS v 0) become pictures again, cuts end a page.

Used by the printer simulator and the tests; it knows the commands arkaden sends (ESC @, GS v 0, ESC d, GS V,
DLE EOT) and treats anything else as text bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

ESC, GS, DLE = 0x1B, 0x1D, 0x10


@dataclass(frozen=True)
class Event:
    kind: str                       # "init", "image", "feed", "cut", "status", "text"
    value: int = 0                  # feed lines, status query n
    image: Image.Image | None = None
    data: bytes = b""


def raster_to_image(width_bytes: int, height: int, data: bytes) -> Image.Image:
    """GS v 0 data (1 = printed dot) as a mode "1" image with black dots on white."""
    bits = Image.frombytes("1", (width_bytes * 8, height), data)
    return ImageOps.invert(bits.convert("L")).convert("1", dither=Image.Dither.NONE)


@dataclass
class EscposReader:
    """Incremental parser: ``feed()`` any chunk, get the complete commands in it."""

    _buf: bytearray = field(default_factory=bytearray)

    def feed(self, chunk: bytes) -> list[Event]:
        self._buf += chunk
        events: list[Event] = []
        while self._buf:
            taken = self._one(events)
            if taken == 0:
                break  # incomplete command: wait for more bytes
            del self._buf[:taken]
        return events

    def _one(self, events: list[Event]) -> int:
        b = self._buf
        first = b[0]
        if first == DLE:
            if len(b) < 3:
                return 0
            if b[1] == 0x04:
                events.append(Event("status", b[2]))
                return 3
        elif first == ESC:
            if len(b) < 2:
                return 0
            if b[1] == 0x40:
                events.append(Event("init"))
                return 2
            if b[1] == 0x64:
                if len(b) < 3:
                    return 0
                events.append(Event("feed", b[2]))
                return 3
        elif first == GS:
            if len(b) < 3:
                return 0
            if b[1] == 0x56:
                if b[2] in (65, 66):
                    if len(b) < 4:
                        return 0
                    events.append(Event("cut"))
                    return 4
                events.append(Event("cut"))
                return 3
            if b[1] == 0x76 and b[2] == 0x30:
                if len(b) < 8:
                    return 0
                width_bytes = b[4] | b[5] << 8
                height = b[6] | b[7] << 8
                end = 8 + width_bytes * height
                if len(b) < end:
                    return 0
                events.append(Event("image", image=raster_to_image(width_bytes, height, bytes(b[8:end]))))
                return end
        events.append(Event("text", data=bytes(b[:1])))
        return 1


def stack(images: list[Image.Image]) -> Image.Image:
    """Raster fragments one below the other, as the paper shows them."""
    width = max(im.width for im in images)
    page = Image.new("1", (width, sum(im.height for im in images)), 1)
    y = 0
    for im in images:
        page.paste(im, (0, y))
        y += im.height
    return page


def decode_pages(data: bytes) -> list[Image.Image]:
    """Every cut-off page in a byte stream, its raster fragments stacked (a trailing uncut page too)."""
    pages: list[Image.Image] = []
    current: list[Image.Image] = []
    for event in EscposReader().feed(data):
        if event.kind == "image" and event.image is not None:
            current.append(event.image)
        elif event.kind == "cut" and current:
            pages.append(stack(current))
            current = []
    if current:
        pages.append(stack(current))
    return pages
