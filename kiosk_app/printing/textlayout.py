"""Shaped text for slips: cached Raqm fonts, per-character font fallback, bidi runs, line breaking that keeps a number
with its unit, and drawing with strokes of at least 2 dots."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import ImageDraw, ImageFont, features

from ui_common.fonts import font_for
from ui_common.languages import Script, language

Direction = Literal["ltr", "rtl"]

# Fallback order after a line's own script font: Noto Sans has Latin, Cyrillic, digits and punctuation
# (Noto Sans Ethiopic has no digits at all, Noto Sans Arabic no Latin letters).
FALLBACK: tuple[Script, ...] = ("Latn", "Arab", "Ethi")
NEUTRAL = {"EN", "ES", "ET", "AN", "CS", "NSM", "BN", "B", "S", "WS", "ON",
           "LRE", "LRO", "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


class RaqmMissing(RuntimeError):
    pass


def require_raqm() -> None:
    """Refuse to render at all without Raqm: unshaped Arabic must never be printed."""
    if not features.check("raqm"):
        raise RaqmMissing("Pillow has no Raqm layout (needs libraqm/libfribidi: install the Debian package "
                          "libfribidi0, ./scripts/bootstrap.sh does); Arabic script would print unshaped")


@lru_cache(maxsize=256)
def raqm_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """One FreeTypeFont per (file, size) for the life of the process (creating them costs milliseconds)."""
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=8)
def _probe_font(path: str) -> tuple[ImageFont.FreeTypeFont, bytes]:
    font = ImageFont.truetype(path, 24, layout_engine=ImageFont.Layout.BASIC)
    return font, bytes(font.getmask("\U000f0000"))  # a private-use code point: the .notdef box


@lru_cache(maxsize=8192)
def covers(path: str, ch: str) -> bool:
    """Whether a font file has a glyph for a character (compared with its .notdef box)."""
    if unicodedata.category(ch) in ("Cf", "Mn") or ch in "\u200b\u200c\u200d":
        return True  # invisible or combining: shaped with their neighbours
    font, notdef = _probe_font(path)
    return bytes(font.getmask(ch)) != notdef


def _font_path(script: Script, bold: bool) -> str:
    f = font_for(script)
    return str(f.bold if bold else f.regular)


@dataclass(frozen=True)
class Run:
    text: str
    script: Script
    direction: Direction


def _script_for_char(ch: str, primary: Script, bold: bool) -> Script:
    for script in (primary, *FALLBACK):
        if covers(_font_path(script, bold), ch):
            return script
    return primary


def split_runs(text: str, primary: Script, bold: bool) -> list[Run]:
    """Split a line into runs that one font can show; digits and neutrals join the run they sit in."""
    if not text:
        return []
    scripts: list[Script | None] = []
    for ch in text:
        strong = unicodedata.bidirectional(ch) not in NEUTRAL
        scripts.append(_script_for_char(ch, primary, bold) if strong else None)
    # digits after a fallback-script letter belong to it ("J-017" stays one run), as in bidi rule W7
    last_strong: Script | None = None
    for i, ch in enumerate(text):
        if scripts[i] is not None:
            last_strong = scripts[i]
        elif (unicodedata.bidirectional(ch) == "EN" and last_strong not in (None, primary)
              and covers(_font_path(last_strong, bold), ch)):
            scripts[i] = last_strong
    # neutrals: the neighbours' font when both sides agree and it has the glyph, else the line's own font
    resolved: list[Script] = []
    for i, ch in enumerate(text):
        s = scripts[i]
        if s is None:
            before = next((scripts[j] for j in range(i - 1, -1, -1) if scripts[j] is not None), None)
            after = next((scripts[j] for j in range(i + 1, len(text)) if scripts[j] is not None), None)
            side = before if before == after else None
            if side is not None and covers(_font_path(side, bold), ch):
                s = side
            elif covers(_font_path(primary, bold), ch):
                s = primary
            else:
                s = _script_for_char(ch, primary, bold)
        resolved.append(s)
    runs: list[Run] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or resolved[i] != resolved[start]:
            chunk, script = text[start:i], resolved[start]
            runs.append(Run(chunk, script, "rtl" if script == "Arab" else "ltr"))
            start = i
    return runs


# At 203 dpi the regular weight of Noto Sans, Noto Sans Arabic and Noto Sans Ethiopic has stems of 2 dots from
# about 24 px; below that a 0.5-dot outline (a "medium" weight, same advances) keeps them from thresholding to 1 dot.
FULL_STEM_SIZE = 24


@dataclass(frozen=True)
class Style:
    """How a piece of text is set: the language it is in (font, shaper, direction), size and weight."""

    lang: str
    size: int
    bold: bool = False

    @property
    def script(self) -> Script:
        return language(self.lang).script

    @property
    def direction(self) -> Direction:
        return language(self.lang).direction

    @property
    def stroke(self) -> float:
        """Extra outline (dots) that gives small regular text stems of at least 2 dots (1-dot lines print faint)."""
        return 0.0 if self.bold or self.size >= FULL_STEM_SIZE else 0.5


def _run_font(run: Run, style: Style) -> ImageFont.FreeTypeFont:
    return raqm_font(_font_path(run.script, style.bold), style.size)


def _run_language(run: Run, style: Style) -> str | None:
    """The run's language for Raqm (Persian/Pashto/Tigrinya glyph variants where the font has them), if its own."""
    return style.lang if run.script == style.script else None


MIRRORED = dict(zip("()[]{}<>«»‹›", ")(][}{><»«›‹", strict=True))


def mirror_neutral_runs(runs: list[Run]) -> list[Run]:
    """In a right-to-left line, a run of neutrals only (a bracket the script's font lacks) between right-to-left
    runs reads right to left too: its characters reversed and its brackets mirrored, as the bidi algorithm does,
    so "(بموعد)" is printed "(بموعد)" and not ")بموعد("."""
    out = []
    for i, run in enumerate(runs):
        before = runs[i - 1].direction if i > 0 else "rtl"
        after = runs[i + 1].direction if i + 1 < len(runs) else "rtl"
        neutral = all(unicodedata.bidirectional(ch) in NEUTRAL for ch in run.text)
        if run.direction == "ltr" and neutral and before == after == "rtl":   # drawn as is: visual order
            run = Run("".join(MIRRORED.get(ch, ch) for ch in reversed(run.text)), run.script, "ltr")
        out.append(run)
    return out


@lru_cache(maxsize=4096)
def _measure(text: str, style: Style) -> tuple[tuple[Run, float], ...]:
    out = []
    runs = split_runs(text, style.script, style.bold)
    if style.direction == "rtl":
        runs = mirror_neutral_runs(runs)
    for run in runs:
        length = _run_font(run, style).getlength(run.text, direction=run.direction, language=_run_language(run, style))
        out.append((run, length))
    return tuple(out)


def text_width(text: str, style: Style) -> float:
    return sum(w for _, w in _measure(text, style))


def line_height(style: Style) -> int:
    """Line advance that fits the tallest script (Arabic marks and Ge'ez reach far above and below)."""
    return int(style.size * 1.45)


BREAK_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")   # whitespace a line may break at: not the no-break spaces


def _has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def _ends_clause(word: str) -> bool:
    """Ends with a comma, colon, full stop, "·" or dash (any script's): a line may break after it."""
    return unicodedata.category(word[-1]) in ("Po", "Pd")


def _only_punctuation(word: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PS" for ch in word)


FREE, WEAK, STRONG = 0, 1, 2   # how firmly the space between two words holds them on one line


def glue(before: str, after: str) -> int:
    """How firmly the space between two words holds them together (a line breaks at FREE spaces first).

    STRONG: a number and its unit ("25 Minuten", "11:00 Uhr", "25 دقيقة"), an opening bracket and what follows,
    a lone separator ("·", "–") and the word before it, so no line starts with it. WEAK: a label and its number
    ("Raum E.04", "etwa 25", "ліфта 2)"), given up before a strong one when a line is too narrow for both.
    """
    if unicodedata.category(before[-1]) in ("Ps", "Pi"):
        return STRONG
    if _only_punctuation(after) and unicodedata.category(after[0]) not in ("Ps", "Pi"):
        return STRONG
    if _ends_clause(before):
        return FREE
    if _has_digit(before) and unicodedata.category(after[0])[0] == "L":
        return STRONG
    return WEAK if _has_digit(after) else FREE


BRACKET_WORDS = 3   # a bracketed phrase of up to this many words stays on one line: "(nur Termin)", "(кнопка ліфта 2)"


def _glues(words: list[str]) -> list[int]:
    """The glue of each space between ``words`` (see ``glue``, ``BRACKET_WORDS``)."""
    glues = [glue(a, b) for a, b in zip(words, words[1:], strict=False)]
    for i, word in enumerate(words):
        if unicodedata.category(word[0]) == "Ps":
            ahead = range(i, min(i + BRACKET_WORDS, len(words)))
            end = next((j for j in ahead if any(unicodedata.category(ch) == "Pe" for ch in words[j])), i)
            glues[i:end] = [max(g, STRONG) for g in glues[i:end]]
    return glues


def wrap(text: str, style: Style, width: float) -> list[str]:
    """Greedy line breaking at spaces, never between words that belong together (``glue``; no-break spaces are
    kept). Words too wide together for one line give up their weak glue, then their strong glue; a single word
    wider than the line is broken between characters (not inside a number): nothing is ever clipped."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = [w for w in BREAK_SPACE.split(paragraph) if w]
        lines.append(_fill(words, _glues(words), WEAK, style, width, lines, ""))
    return lines


def _fill(words: list[str], glues: list[int], level: int, style: Style, width: float, lines: list[str],
         current: str) -> str:
    """Add ``words`` to ``lines`` after the unfinished line ``current``, breaking only at spaces whose glue is
    below ``level``; returns the new unfinished line."""
    start = 0
    for end in range(1, len(words) + 1):
        if end < len(words) and glues[end - 1] >= level:
            continue
        piece = " ".join(words[start:end])
        candidate = f"{current} {piece}" if current else piece
        if text_width(candidate, style) <= width:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = piece
            if text_width(piece, style) > width and end - start > 1:
                current = _fill(words[start:end], glues[start:end - 1], level + 1, style, width, lines, "")
            while text_width(current, style) > width and len(current) > 1:
                cut = _fitting_prefix(current, style, width)
                lines.append(current[:cut])
                current = current[cut:]
        start = end
    return current


def _bad_cut(text: str, cut: int) -> bool:
    """A break between characters inside a number ("1.12", "11:00", "E.04") or after an opening bracket."""
    before, after = text[cut - 1], text[cut]
    if unicodedata.category(before) in ("Ps", "Pi"):
        return True
    return ((before.isdigit() and (after.isalnum() or after in ".:,"))
            or (after.isdigit() and (before.isalnum() or before in ".:,")))


def _fitting_prefix(text: str, style: Style, width: float) -> int:
    """How many leading characters of ``text`` fit ``width`` (at least one), not cutting inside a number."""
    cut = len(text) - 1
    while cut > 1 and text_width(text[:cut], style) > width:
        cut -= 1
    good = cut
    while good > 1 and _bad_cut(text, good):
        good -= 1
    return cut if _bad_cut(text, good) else good


Align = Literal["start", "center", "end"]


def draw_line(draw: ImageDraw.ImageDraw, y: int, left: int, right: int, text: str, style: Style,
              align: Align = "start") -> None:
    """Draw one line between ``left`` and ``right``; runs are laid out in the line's direction."""
    runs = _measure(text, style)
    total = sum(w for _, w in runs)
    rtl = style.direction == "rtl"
    if align == "center":
        x0 = left + (right - left - total) / 2
    elif (align == "start") == rtl:   # start of an RTL line or end of an LTR line: the right edge
        x0 = right - total
    else:
        x0 = left
    baseline = y + int(style.size * 1.1)
    ordered = reversed(runs) if rtl else iter(runs)
    x = x0
    for run, w in ordered:
        draw.text((x, baseline), run.text, fill=0, font=_run_font(run, style), anchor="ls", direction=run.direction,
                  language=_run_language(run, style), stroke_width=style.stroke, stroke_fill=0)
        x += w

