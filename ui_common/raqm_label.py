"""Kivy's text provider for every arkaden app: labels shaped, reordered, measured and drawn by Pillow with Raqm.

Why: Kivy's SDL2 provider shapes a label as one HarfBuzz run, without the Unicode bidi algorithm, and measures it
with a font object whose direction and script may not be the ones it draws with; right-to-left lines came out too
wide or too narrow (off centre, into the edge) and glyphs reaching left of their pen position were cut off. Pillow's
Raqm layout does FriBiDi (numbers and codes inside Arabic in reading order) and HarfBuzz shaping per script run,
and the very same call measures what it draws, ink included.

- `RaqmLabel` is a `kivy.core.text.LabelBase`: Kivy keeps doing the layout (wrapping at ``text_size``, ``halign``,
  ``valign``, ``padding``, ``line_height``, ``max_lines``, ``shorten``, markup); this class only measures a line and
  draws it. A line's box is Pillow's bounding box: from the pen's start to its end, widened to any ink that reaches
  beyond (a negative left bearing, a swash), so nothing is clipped and centring centres what is seen.
- Per label: ``font_direction`` ("rtl"/"ltr"/"ttb") is the paragraph direction given to FriBiDi (a line that starts
  with "A-017" in an Arabic label still reads right to left); ``text_language`` (a BCP 47 tag, e.g. "fa") selects
  the font's language forms; the script of each run is found by Raqm itself, so ``font_script_name`` is not needed.
  ``bold`` uses the font's Bold sibling file when there is one (NotoSans-Regular -> NotoSans-Bold), else strokes.
  ``underline`` and ``strikethrough`` are drawn; ``italic``, ``outline_width`` and ``font_hinting`` are not.
- `install()` makes it Kivy's provider (``kivy.core.text.Label``) before ``kivy.uix.label`` and the markup label
  are imported; `ui_common.kivy_env.prepare()` calls it, so every app gets it. Import this module only then.
"""

from __future__ import annotations

import math
import sys
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import PIL
from kivy.core.image import ImageData
from kivy.core.text import LabelBase
from kivy.logger import Logger
from PIL import Image, ImageDraw, ImageFont, features


@dataclass(frozen=True)
class Shaping:
    """How Raqm lays out a label's lines: paragraph direction, language, OpenType features, synthetic bold."""

    direction: str | None
    language: str | None
    features: tuple[str, ...]
    embolden: int = 0   # stroke width in px for a bold label whose font has no Bold file


@dataclass(frozen=True)
class LineBox:
    """A shaped line's box: ``left`` is where the pen starts inside it (>0 when ink reaches left of the pen)."""

    left: int
    width: int
    height: int


@lru_cache(maxsize=256)
def open_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A font file at a pixel size, laid out with Raqm (FriBiDi + HarfBuzz)."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=64)
def bold_sibling(path: str) -> str | None:
    """The Bold file beside a Regular one (``NotoSansArabic-Regular+Latin.ttf`` -> ``...-Bold+Latin.ttf``)."""
    p = Path(path)
    if "Bold" in p.name or "Regular" not in p.name:
        return None
    candidate = p.with_name(p.name.replace("Regular", "Bold"))
    return str(candidate) if candidate.is_file() else None


@lru_cache(maxsize=256)
def line_height(path: str, size: int) -> int:
    """A line's height in px, as SDL2_ttf had it (so Latin lines stand where they stood): the font's ascender to
    descender (hhea), scaled and rounded up once."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        ascender, descender, upem = int(font["hhea"].ascent), int(font["hhea"].descent), int(font["head"].unitsPerEm)
    return math.ceil((ascender - descender) * size / upem - 1e-9)


@lru_cache(maxsize=8192)
def measure(font: ImageFont.FreeTypeFont, height: int, text: str, shaping: Shaping) -> LineBox:
    """The box of one line of ``text`` (``height`` high): shaped and reordered exactly as `draw_line` draws it."""
    if not text:
        return LineBox(0, 0, height)
    left, _top, right, _bottom = font.getbbox(text, direction=shaping.direction, language=shaping.language,
                                              features=list(shaping.features) or None,
                                              stroke_width=shaping.embolden)
    return LineBox(int(-left), int(right - left), height)


_LineKey = tuple[ImageFont.FreeTypeFont, int, str, Shaping, bool, bool]
_lines: OrderedDict[_LineKey, Image.Image] = OrderedDict()
_lines_bytes = 0
LINE_CACHE_BYTES = 6 * 1024 * 1024


def cached_line(font: ImageFont.FreeTypeFont, height: int, text: str, shaping: Shaping, *, underline: bool = False,
                strikethrough: bool = False) -> Image.Image:
    """`draw_line`, remembered: a wall display draws the same numbers, rooms and counters again as calls move down
    its rows, and a 212 px line costs milliseconds to shape and draw. The most recent lines are kept, at most
    `LINE_CACHE_BYTES` of them, so memory stays flat over a day of calls. Never change the image returned."""
    global _lines_bytes
    key = (font, height, text, shaping, underline, strikethrough)
    found = _lines.get(key)
    if found is not None:
        _lines.move_to_end(key)
        return found
    mask = draw_line(font, height, text, shaping, underline=underline, strikethrough=strikethrough)
    _lines[key] = mask
    _lines_bytes += mask.width * mask.height
    while _lines_bytes > LINE_CACHE_BYTES and len(_lines) > 1:
        _, old = _lines.popitem(last=False)
        _lines_bytes -= old.width * old.height
    return mask


def draw_line(font: ImageFont.FreeTypeFont, height: int, text: str, shaping: Shaping, *, underline: bool = False,
              strikethrough: bool = False) -> Image.Image:
    """One line's coverage (mode "L", the size of its `measure` box), ascender at the top."""
    box = measure(font, height, text, shaping)
    mask = Image.new("L", (max(box.width, 1), box.height), 0)
    draw = ImageDraw.Draw(mask)
    draw.text((box.left, 0), text, fill=255, font=font, direction=shaping.direction, language=shaping.language,
              features=list(shaping.features) or None, stroke_width=shaping.embolden, stroke_fill=255)
    ascent, _ = font.getmetrics()
    thick = max(1, round(font.size / 16))
    if underline:
        y = ascent + max(1, round(font.size / 10))
        draw.rectangle((0, y, box.width, y + thick - 1), fill=255)
    if strikethrough:
        y = ascent - round(font.size * 0.3)
        draw.rectangle((0, y, box.width, y + thick - 1), fill=255)
    return mask


def paint(canvas: Image.Image, mask: Image.Image, color: Any, x: int, y: int) -> None:
    """Lay ``mask`` in ``color`` (0..1 RGBA) onto ``canvas`` at (x, y), straight alpha, clipped to the canvas."""
    r, g, b, a = (list(color) + [1.0] * 4)[:4]
    alpha = mask if a >= 1 else mask.point(lambda v: int(v * a))
    layer = Image.new("RGBA", mask.size, (int(r * 255), int(g * 255), int(b * 255), 0))
    layer.putalpha(alpha)
    sx, sy = max(0, -x), max(0, -y)
    if sx >= layer.width or sy >= layer.height:
        return
    canvas.alpha_composite(layer, dest=(max(0, x), max(0, y)), source=(sx, sy))


class RaqmLabel(LabelBase):
    """Kivy's core label, measuring and drawing each line with Pillow + Raqm (see the module docstring)."""

    def _font_path(self) -> str:
        path = str(self.options["font_name_r"])
        return (bold_sibling(path) or path) if self.options.get("bold") else path

    def _font(self) -> ImageFont.FreeTypeFont | None:
        size = int(self.options["font_size"])
        return open_font(self._font_path(), size) if size >= 1 else None

    def _height(self, font: ImageFont.FreeTypeFont) -> int:
        return line_height(self._font_path(), int(font.size))

    def _shaping(self, font: ImageFont.FreeTypeFont) -> Shaping:
        opts = self.options
        direction = {"rtl": "rtl", "ltr": "ltr", "ttb": "ttb"}.get(opts.get("font_direction") or "", None)
        feats = ("-kern",) if opts.get("font_kerning") is False else ()
        bold = bool(opts.get("bold")) and "Bold" not in Path(self._font_path()).name
        return Shaping(direction, opts.get("text_language") or None, feats,
                       max(1, round(font.size / 40)) if bold else 0)

    def get_extents(self, text: str) -> tuple[int, int]:
        font = self._font()
        if font is None:
            return 0, 0
        box = measure(font, self._height(font), text, self._shaping(font))
        return box.width, box.height

    def get_ascent(self) -> int:
        font = self._font()
        return font.getmetrics()[0] if font else 0

    def get_descent(self) -> int:
        font = self._font()
        return font.getmetrics()[1] if font else 0

    def _render_begin(self) -> None:
        self._canvas = Image.new("RGBA", self._size, (0, 0, 0, 0))

    def _render_text(self, text: str, x: float, y: float) -> None:
        font = self._font()
        if font is None or not text:
            return
        opts = self.options
        mask = cached_line(font, self._height(font), text, self._shaping(font),
                           underline=bool(opts.get("underline")), strikethrough=bool(opts.get("strikethrough")))
        paint(self._canvas, mask, opts["color"], int(x), int(y))

    def _render_end(self) -> ImageData:
        canvas = self._canvas
        del self._canvas
        return ImageData(canvas.width, canvas.height, "rgba", canvas.tobytes())


def install() -> type:
    """Make `RaqmLabel` Kivy's text provider; before ``kivy.uix.label`` is imported (idempotent)."""
    import kivy.core.text as core_text

    if core_text.Label is RaqmLabel:
        return RaqmLabel
    if not features.check("raqm"):
        raise RuntimeError("Pillow has no Raqm layout (libraqm with FriBiDi and HarfBuzz): install the Debian "
                           "package libraqm0 and reinstall Pillow")
    early = [m for m in ("kivy.uix.label", "kivy.core.text.markup", "kivy.uix.textinput") if m in sys.modules]
    if early:
        raise RuntimeError(f"install the text provider before importing {', '.join(early)}: they keep the old one")
    core_text.Label = core_text.Text = RaqmLabel
    Logger.info("Text: arkaden's provider: Pillow %s with Raqm %s (FriBiDi %s, HarfBuzz %s)",
                PIL.__version__, features.version("raqm"), features.version("fribidi"),
                features.version("harfbuzz"))
    return RaqmLabel
