"""The PDF primitives of a letter on fpdf2: fonts per script, shaped paragraphs (HarfBuzz, bidi), a vector QR code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from fpdf import FPDF
from fpdf.enums import Align, TextDirection, XPos, YPos
from qrcode.constants import ERROR_CORRECT_M

from ui_common.fonts import FontMissing, find_font, font_for
from ui_common.languages import Script, script_of_text

PT = 25.4 / 72  # millimetres per point
# the code for the keypad: a monospaced bold face, so every character stands apart; Noto Sans Bold if missing
CODE_FONT_FILES = ("DejaVuSansMono-Bold.ttf", "NotoSansMono-Bold.ttf", "NotoSans-Bold.ttf")
_FAMILY: dict[Script, str] = {"Latn": "latin", "Cyrl": "latin", "Arab": "arabic", "Ethi": "ethiopic"}
# Arabic and Ge'ez letters are small beside Latin ones at the same point size: set them a little larger
_SCALE: dict[Script, float] = {"Arab": 1.1, "Ethi": 1.1}


@dataclass(frozen=True)
class Style:
    size: float                 # points
    bold: bool = False
    gray: int = 0               # 0 black … 255 white
    leading: float = 1.4        # line height as a multiple of the size


def _is_rtl_text(text: str) -> bool:
    return script_of_text(text) == "Arab"


def code_font() -> Path:
    for name in CODE_FONT_FILES:
        try:
            return find_font(name)
        except FontMissing:
            continue
    return find_font(CODE_FONT_FILES[-1])  # raises FontMissing with the install hint


class LetterPDF(FPDF):
    """An A4 page in millimetres with the fonts of the scripts in use; text never breaks pages by itself."""

    def __init__(self, scripts: set[Script]):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_auto_page_break(False)   # the layout decides where a page ends
        self.set_margins(0, 0, 0)
        self.c_margin = 0.0
        families: list[str] = []
        for script in ("Latn", *sorted(scripts - {"Latn", "Cyrl"})):
            family = _FAMILY[script]
            if family in families:
                continue
            font = font_for(script)
            self.add_font(family, "", str(font.regular))
            self.add_font(family, "B", str(font.bold))
            families.append(family)
        self.add_font("code", "B", str(code_font()))
        self.families = families
        # a glyph missing from a paragraph's font (Latin digits and room numbers in Ge'ez text, a German agency
        # name in an Arabic column) comes from the next font that has it
        self.set_fallback_fonts(families)

    def _use(self, text: str, style: Style, rtl: bool) -> float:
        """Font, colour and direction for a paragraph; its line height in mm."""
        script = script_of_text(text)
        family = _FAMILY[script] if _FAMILY[script] in self.families else "latin"
        size = style.size * _SCALE.get(script, 1.0)
        self.set_font(family, "B" if style.bold else "", size)
        self.set_text_color(style.gray)
        # the paragraph's base direction: right to left for Arabic-script text, so numbers and Latin words
        # inside it sit where a reader expects them; a Latin name in an Arabic column stays left to right
        direction = TextDirection.RTL if rtl and _is_rtl_text(text) else TextDirection.LTR
        self.set_text_shaping(True, direction=direction)
        return size * PT * style.leading

    def measure(self, width: float, text: str, style: Style, rtl: bool = False) -> float:
        """The height a paragraph takes at this width, wrapped at word boundaries."""
        if not text:
            return 0.0
        line = self._use(text, style, rtl)
        height = self.multi_cell(width, line, text, align=Align.R if rtl else Align.L,
                                 dry_run=True, output="HEIGHT")
        assert isinstance(height, float | int)
        return float(height)

    def paragraph(self, x: float, y: float, width: float, text: str, style: Style, rtl: bool = False) -> float:
        """Write a wrapped paragraph with its top left at (x, y), aligned to the right edge if rtl; its height."""
        if not text:
            return 0.0
        line = self._use(text, style, rtl)
        self.set_xy(x, y)
        self.multi_cell(width, line, text, align=Align.R if rtl else Align.L,
                        new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y() - y

    def marker_width(self, marker: str, style: Style) -> float:
        """The hanging indent of a list item: its marker ("•") and a space, in the Latin face."""
        self.set_font("latin", "B" if style.bold else "", style.size)
        self.set_text_shaping(False)
        return self.get_string_width(marker + " ")

    def marker(self, x: float, y: float, width: float, marker: str, item: str, style: Style, rtl: bool) -> None:
        """A list marker in the ``width`` wide gutter at (x, y), on the first line of the paragraph ``item``.

        Set on its own, not as part of the item's text, so the Unicode bidi algorithm has no say in its side:
        flush left in the gutter of a left-to-right list, flush right in that of a right-to-left one, whatever
        the item's script (an English name in an Arabic column keeps the bullet on the right). It takes the
        item's size and line height, so it sits on the baseline of the item's first line.
        """
        line = self._use(item, style, rtl)      # the item's size and line height
        self.set_font("latin", "B" if style.bold else "", self.font_size_pt)
        self.set_text_shaping(False)
        self.set_xy(x, y)
        self.cell(width, line, marker, align=Align.R if rtl else Align.L)

    def code_width(self, text: str, size: float) -> float:
        self.set_font("code", "B", size)
        self.set_text_shaping(False)
        return self.get_string_width(text)

    def code(self, x: float, y: float, width: float, text: str, size: float) -> float:
        """The booking code in large monospaced print, centred in the width; its height."""
        self.set_font("code", "B", size)
        self.set_text_color(0)
        self.set_text_shaping(False)
        self.set_xy(x, y)
        self.cell(width, size * PT * 1.2, text, align=Align.C)
        return size * PT * 1.2

    def qr(self, x: float, y: float, size: float, text: str) -> None:
        """A QR code (error correction M) drawn as filled rectangles, size × size mm without its quiet zone."""
        qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
        qr.add_data(text)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        module = size / len(matrix)
        self.set_fill_color(0)
        for row, cells in enumerate(matrix):
            col = 0
            while col < len(cells):   # one rectangle per run of dark modules
                if not cells[col]:
                    col += 1
                    continue
                start = col
                while col < len(cells) and cells[col]:
                    col += 1
                # a hair wider than the module, so neighbouring runs leave no white seam when rasterised
                self.rect(x + start * module, y + row * module, (col - start) * module + 0.02, module + 0.02,
                          style="F")

    def rule(self, x: float, y: float, width: float, gray: int = 160, thickness: float = 0.25) -> None:
        self.set_draw_color(gray)
        self.set_line_width(thickness)
        self.line(x, y, x + width, y)

    def band(self, x: float, y: float, width: float, height: float, gray: int = 236) -> None:
        self.set_fill_color(gray)
        self.rect(x, y, width, height, style="F")
