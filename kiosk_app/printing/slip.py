"""A ticket slip rendered as one 1-bit image at the printer's width: huge number, both languages, QR code.

A journey's slip lists today's stops in order (the current one boxed, with its wait; a later one says from
when the same number is called there), later days' stops, and the documents to bring; a late client's slip
starts with "go to reception first".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import qrcode
from PIL import Image, ImageDraw

from queue_protocol.scan import ticket_link, ticket_qr
from ui_common.fonts import font_for

from .port import Slip, SlipStop
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
from .texts import SlipLabels, SlipTexts, slip_labels

WIDTHS = (576, 384)           # 80 mm and 58 mm paper at 203 dpi
MAX_HEIGHT = 2400             # scratch canvas for a one-stop slip; a slip uses about a third of it
THRESHOLD = [0] * 128 + [255] * 128   # L -> 1 without dithering: crisp text
# The smallest text: regular below 18 px, outlined to 2-dot stems (textlayout.FULL_STEM_SIZE), closes the dot of an
# "i", Arabic dot pairs and Ge'ez counters; bold keeps 2-dot stems and open counters at 16 px.
MIN_SIZE_REGULAR, MIN_SIZE_BOLD = 18, 16


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

    def pair(self, first: str, second: str, style: Style) -> None:
        """``first`` (a time) at the line's start, ``second`` (wrapped) beside it, in the line's direction."""
        if not first:
            self.paragraph(second, style)
            return
        gap = style.size // 2
        lead = int(text_width(first, style)) + gap
        left, right = self.margin, self.width - self.margin
        rtl = style.direction == "rtl"
        draw_line(self.draw, self.y, left, right, first, style, "start")
        lines = wrap(second, style, right - left - lead) if second else [""]
        for line in lines:
            draw_line(self.draw, self.y, left + (0 if rtl else lead), right - (lead if rtl else 0), line, style)
            self.y += line_height(style)

    def boxed(self, inset: int, border: int, body: Callable[[], None]) -> None:
        """Draw ``body`` inside a frame ``border`` dots thick, its text ``inset`` dots in from the frame."""
        top = self.y
        self.margin += inset
        self.y += inset
        try:
            body()
        finally:
            self.margin -= inset
        self.y += inset // 2
        self.draw.rectangle((self.margin, top, self.width - self.margin, self.y), outline=0, width=border)
        self.y += border


def _ink_width(number: str, size: int) -> int:
    left, _, right, _ = raqm_font(str(font_for("Latn").bold), size).getbbox(number, anchor="ls")
    return int(right - left)


def _number_size(number: str, width: int, cap: int) -> int:
    """The largest bold size at which the number's ink fits the line (the hook of a "J" reaches left of its
    advance)."""
    size = min(cap, int(100 * width / max(1, _ink_width(number, 100))))
    while size > 20 and _ink_width(number, size) > width:
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


def scratch_height(slip: Slip) -> int:
    """A canvas tall enough for everything the slip holds (it is cropped to what was drawn)."""
    return (MAX_HEIGHT + 1300 * len(slip.stops) + 700 * len(slip.later_stops) + 160 * len(slip.documents)
            + (600 if slip.see_reception else 0))


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
    height = scratch_height(slip)
    canvas = Image.new("L", (width_dots, height), 255)
    pen = _Pen(ImageDraw.Draw(canvas), width_dots, margin=int(16 * k), y=int(12 * k))
    lang = client.lang

    def s(size: float, bold: bool = False, in_lang: str = lang) -> Style:
        return Style(in_lang, max(MIN_SIZE_BOLD if bold else MIN_SIZE_REGULAR, int(size * kt)), bold)

    def both(say: Callable[[SlipTexts], str], size: float, size_de: float, bold: bool = False) -> None:
        """A sentence in the client's language, then (smaller) in German for the counsellor."""
        pen.paragraph(say(client), s(size, bold))
        if labels.bilingual:
            pen.paragraph(say(german), s(size_de, bold, "de"))

    # the number, as large as the paper allows
    pen.paragraph(client.your_number, s(28, True), "center")
    if labels.bilingual:
        pen.paragraph(german.your_number, s(22, in_lang="de"), "center")
    inner = width_dots - 2 * pen.margin
    size = _number_size(slip.number, inner, cap=int(220 * k))
    number_font = raqm_font(str(font_for("Latn").bold), size)
    left, top, right, bottom = (int(v) for v in number_font.getbbox(slip.number, anchor="ls"))  # FreeType: ints
    pen.y += -top + int(6 * k)
    pen.draw.text(((width_dots - left - right) // 2, pen.y), slip.number, font=number_font, fill=0, anchor="ls")
    pen.y += bottom + int(6 * k)

    if slip.see_reception:   # late: reception first, before anything else
        pen.y += int(8 * k)

        def reception() -> None:
            both(lambda t: f"{t.late} {t.reception_first(slip.reception_room)}", 28, 22, bold=True)

        pen.boxed(int(10 * k), max(3, int(5 * k)), reception)

    def wait(t: SlipTexts) -> str:
        if slip.called_from:
            return t.called_from(slip.called_from)
        minutes = t.wait_unknown if slip.offline else t.wait_minutes(slip.estimated_wait_min)
        return f"{t.estimated_wait}: {minutes}"

    if slip.journey:
        pen.rule(int(8 * k))
        pen.paragraph(client.appointments_today, s(28, True))
        if labels.bilingual:
            pen.paragraph(german.appointments_today, s(22, in_lang="de"))
        for stop in slip.stops:
            pen.y += int(8 * k)
            draw_stop = partial(_stop, pen, stop, labels, s, wait)
            if stop.current:
                pen.boxed(int(10 * k), max(3, int(4 * k)), draw_stop)
            else:
                draw_stop()
    else:
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
        if slip.called_from:
            both(wait, 32, 22, bold=True)
        else:
            pen.paragraph(client.estimated_wait, s(24))
            minutes = client.wait_unknown if slip.offline else client.wait_minutes(slip.estimated_wait_min)
            pen.paragraph(minutes, s(32, True))
            if labels.bilingual:
                pen.paragraph(wait(german), s(22, in_lang="de"))

    if slip.later_stops:
        pen.rule(int(8 * k))
        pen.paragraph(client.other_days, s(28, True))
        if labels.bilingual:
            pen.paragraph(german.other_days, s(22, in_lang="de"))
        for stop in slip.later_stops:
            pen.y += int(8 * k)
            _later_stop(pen, stop, labels, s)
        pen.y += int(6 * k)
        both(lambda t: t.check_in_again, 26, 20, bold=True)

    if slip.documents:
        pen.rule(int(8 * k))
        pen.paragraph(client.bring, s(28, True))
        if labels.bilingual:
            pen.paragraph(german.bring, s(22, in_lang="de"))
        for name, name_de in slip.documents:   # a hanging bullet: wrapped lines start under the text
            pen.pair("•", name, s(24))
            if labels.bilingual and name_de != name:
                pen.pair(" ", name_de, s(20, in_lang="de"))

    # the QR code (its quiet zone is part of the image), date and time
    pen.y += int(4 * k)
    if slip.token:  # an offline ticket has no token until the core has it: counsellors find it by its number
        # the phone page's link, or "ARKADEN-T:<token>": either way scanners tell it from a booking code
        matrix = qr_matrix(ticket_link(slip.link_base, slip.token) if slip.link_base else ticket_qr(slip.token))
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
    if pen.y > height:
        raise SlipOverflow(f"the slip needs {pen.y} dots but the canvas has {height}")
    return canvas.crop((0, 0, width_dots, pen.y))


class SlipOverflow(RuntimeError):
    """A slip longer than its scratch canvas (a bug in scratch_height): refused rather than printed cut off."""


StyleOf = Callable[..., Style]


def _where(t: SlipTexts, stop: SlipStop) -> str:
    return f"{t.rooms(stop.rooms)} · {t.floor(stop.floor)}" if stop.rooms else t.floor(stop.floor)


def _stop(pen: _Pen, stop: SlipStop, labels: SlipLabels, s: StyleOf, wait: Callable[[SlipTexts], str]) -> None:
    """One of today's stops: time and agency, what for, where and the way; when the number is called there."""
    client, german = labels.client, labels.german
    if stop.current:
        pen.paragraph(client.now + (f" · {german.now}" if labels.bilingual else ""), s(24, True))
    pen.pair(stop.time, stop.agency, s(30, True))
    if stop.what and stop.what != stop.agency:
        pen.paragraph(stop.what, s(24))
    if labels.bilingual and stop.what_de and stop.what_de not in (stop.what, stop.agency):
        pen.paragraph(stop.what_de, s(20, in_lang="de"))
    pen.paragraph(_where(client, stop), s(26, True))
    if stop.directions:
        pen.paragraph(stop.directions, s(22))
    if labels.bilingual:
        pen.paragraph(_where(german, stop), s(22, True, "de"))
        if stop.directions_de:
            pen.paragraph(stop.directions_de, s(20, in_lang="de"))
    say: Callable[[SlipTexts], str] | None = None
    if stop.current:
        say = wait
    elif stop.called_from:
        say = lambda t: t.called_here_from(stop.called_from)  # noqa: E731
    if say is not None:
        pen.paragraph(say(client), s(24, True))
        if labels.bilingual:
            pen.paragraph(say(german), s(20, True, "de"))


def _later_stop(pen: _Pen, stop: SlipStop, labels: SlipLabels, s: StyleOf) -> None:
    """A later day's stop: the day, time and agency, what for and where (the way is on that day's slip)."""
    client, german = labels.client, labels.german
    date = stop.day.strftime("%d.%m.%Y") if stop.day else ""
    comma = "، " if s(26).direction == "rtl" else ", "   # the Arabic comma in Arabic script
    pen.paragraph(f"{client.tomorrow}{comma}{date}" if stop.tomorrow else date, s(26, True))
    if labels.bilingual and stop.tomorrow:
        pen.paragraph(f"{german.tomorrow}, {date}", s(20, in_lang="de"))
    pen.pair(stop.time, stop.agency, s(26, True))
    if stop.what and stop.what != stop.agency:
        pen.paragraph(stop.what, s(22))
    if labels.bilingual and stop.what_de and stop.what_de not in (stop.what, stop.agency):
        pen.paragraph(stop.what_de, s(20, in_lang="de"))
    pen.paragraph(_where(client, stop), s(22))
    if labels.bilingual:
        pen.paragraph(_where(german, stop), s(20, in_lang="de"))
