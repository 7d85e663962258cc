"""A ticket slip rendered as one 1-bit image at the printer's width: huge number, both languages, QR code."""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from PIL import Image, ImageDraw

from queue_protocol.scan import ticket_qr
from ui_common.fonts import font_for

from .port import Slip
from .textlayout import (
    Align,
    Style,
    draw_line,
    line_height,
    raqm_font,
    require_raqm,
    text_width,
    wrap,
)
from .texts import SlipLabels, slip_labels

WIDTHS = (576, 384)           # 80 mm and 58 mm paper at 203 dpi
MAX_HEIGHT = 2400             # scratch canvas; a slip uses about a third of it
THRESHOLD = [0] * 128 + [255] * 128   # L -> 1 without dithering: crisp text


class SlipWidthError(ValueError):
    pass


@dataclass
class _Pen:
    """Writes lines top to bottom on the scratch canvas."""

    draw: ImageDraw.ImageDraw
    width: int
    margin: int
    y: int = 0

    def line(self, text: str, style: Style, align: Align = "start") -> None:
        draw_line(self.draw, self.y, self.margin, self.width - self.margin, text, style, align)
        self.y += line_height(style)

    def paragraph(self, text: str, style: Style, align: Align = "start") -> None:
        for line in wrap(text, style, self.width - 2 * self.margin):
            self.line(line, style, align)

    def rule(self, gap: int) -> None:
        self.y += gap
        self.draw.rectangle((self.margin, self.y, self.width - self.margin, self.y + 2), fill=0)
        self.y += 2 + gap


def _number_size(number: str, width: int, cap: int) -> int:
    """The largest bold size at which the number fits the line (measured once per size)."""
    style = Style("de", 100, bold=True)
    size = int(100 * width / max(1.0, text_width(number, style)))
    size = min(size, cap)
    while size > 20 and text_width(number, Style("de", size, bold=True)) > width:
        size -= 4
    return size


def qr_matrix(token: str) -> list[list[bool]]:
    """The token as QR modules (error correction M), including the 4-module quiet zone."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=1)
    qr.add_data(token)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_image(matrix: list[list[bool]], module: int) -> Image.Image:
    """QR modules as an "L" image, ``module`` dots per module."""
    n = len(matrix)
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    return Image.frombytes("L", (n, n), raw).resize((n * module, n * module), Image.Resampling.NEAREST)


def to_one_bit(gray: Image.Image) -> Image.Image:
    """Threshold at mid-grey, never dither: text edges stay crisp on a thermal head."""
    return gray.point(THRESHOLD, "1")


def render_slip(slip: Slip, width_dots: int, labels: SlipLabels | None = None) -> Image.Image:
    """The slip as a mode "1" image ``width_dots`` wide (black = printed dot)."""
    return to_one_bit(render_slip_gray(slip, width_dots, labels))


def render_slip_gray(slip: Slip, width_dots: int, labels: SlipLabels | None = None) -> Image.Image:
    """The slip drawn with anti-aliased text in grey levels ("L"), before thresholding."""
    if width_dots not in WIDTHS:
        raise SlipWidthError(f"slip width must be one of {WIDTHS} dots (80 mm or 58 mm paper), not {width_dots}")
    require_raqm()
    font_for("Latn")  # FontMissing with the install hint before anything is drawn
    labels = labels or slip_labels(slip.lang)
    client, german = labels.client, labels.german
    k = width_dots / 576
    kt = 0.5 + 0.5 * k         # text shrinks less than the paper: 58 mm slips wrap more instead
    canvas = Image.new("L", (width_dots, MAX_HEIGHT), 255)
    pen = _Pen(ImageDraw.Draw(canvas), width_dots, margin=int(16 * k), y=int(12 * k))
    lang = client.lang

    def s(size: float, bold: bool = False, in_lang: str = lang) -> Style:
        return Style(in_lang, max(16, int(size * kt)), bold)

    # the number, as large as the paper allows
    pen.line(client.your_number, s(28, True), "center")
    if labels.bilingual:
        pen.line(german.your_number, s(22, in_lang="de"), "center")
    inner = width_dots - 2 * pen.margin
    size = _number_size(slip.number, inner, cap=int(220 * k))
    number_font = raqm_font(str(font_for("Latn").bold), size)
    top, bottom = (int(v) for v in number_font.getbbox(slip.number, anchor="ls")[1::2])  # FreeType: ints
    pen.y += -top + int(6 * k)
    pen.draw.text((width_dots / 2, pen.y), slip.number, font=number_font, fill=0, anchor="ms")
    pen.y += bottom + int(6 * k)

    # what for, and where
    pen.rule(int(8 * k))
    pen.paragraph(slip.concern, s(32, True))
    if labels.bilingual and slip.concern_de:
        pen.paragraph(slip.concern_de, s(24, in_lang="de"))
    pen.y += int(8 * k)
    pen.paragraph(f"{client.rooms(slip.rooms)} · {client.floor(slip.floor)}", s(30, True))
    if slip.directions:
        pen.paragraph(slip.directions, s(24))
    if labels.bilingual:
        pen.paragraph(f"{german.rooms(slip.rooms)} · {german.floor(slip.floor)}", s(24, True, "de"))
        if slip.directions_de:
            pen.paragraph(slip.directions_de, s(22, in_lang="de"))

    # how long
    pen.rule(int(8 * k))
    pen.line(client.estimated_wait, s(24))
    wait = client.wait_unknown if slip.offline else client.wait_minutes(slip.estimated_wait_min)
    pen.paragraph(wait, s(32, True))
    if labels.bilingual:
        wait_de = german.wait_unknown if slip.offline else german.wait_minutes(slip.estimated_wait_min)
        pen.paragraph(f"{german.estimated_wait}: {wait_de}", s(22, in_lang="de"))

    # the QR code (its quiet zone is part of the image), date and time
    pen.y += int(4 * k)
    if slip.token:  # an offline ticket has no token until the core has it: counsellors find it by its number
        matrix = qr_matrix(ticket_qr(slip.token))   # "ARKADEN-T:<token>": scanners tell it from a booking code
        module = max(3, min(8, int(0.5 * width_dots / len(matrix))))
        code = qr_image(matrix, module)
        canvas.paste(code, ((width_dots - code.width) // 2, pen.y))
        pen.y += code.height
    pen.line(slip.issued_at.strftime("%d.%m.%Y   %H:%M"), s(26, in_lang="de"), "center")

    # privacy
    pen.rule(int(6 * k))
    pen.paragraph(client.privacy, s(21), "center")
    if labels.bilingual:
        pen.paragraph(german.privacy, s(19, in_lang="de"), "center")
    pen.y += int(12 * k)
    return canvas.crop((0, 0, width_dots, pen.y))
