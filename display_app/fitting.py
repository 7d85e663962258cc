"""Fitting a text into its box: the largest font size, down to a floor, at which it fits whole, wrapped at spaces.

Plain Python over a ``measure(text, size) -> (width, line height)`` function, so it is tested without a window;
`KivyMeasure` measures with Kivy's own text provider (the one that draws the label), cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Measure = Callable[[str, int], tuple[float, float]]
MARGIN = 2   # px kept free on each axis, so a rounding difference of the renderer does not cut a glyph


@dataclass(frozen=True)
class Fit:
    size: int
    text: str     # with a line break where it wraps
    fits: bool    # False: not even the smallest size fits (the label then shortens as a last resort)


def wrap(text: str, width: float, size: int, measure: Measure, max_lines: int) -> list[str] | None:
    """Greedy wrap at spaces into at most ``max_lines`` lines no wider than ``width``; None when it cannot."""
    lines: list[str] = []
    for word in text.split():
        if measure(word, size)[0] > width:
            return None                 # a word is never broken inside
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and measure(candidate, size)[0] <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines if len(lines) <= max_lines else None


def fit_text(text: str, width: float, height: float, *, largest: int, smallest: int, measure: Measure,
             max_lines: int = 1, step: int = 2) -> Fit:
    """The largest size from ``largest`` down to ``smallest`` at which ``text`` fits ``width`` × ``height``."""
    text = " ".join(text.split())
    if not text:
        return Fit(largest, "", True)
    w, h = width - MARGIN, height - MARGIN
    for size in range(largest, smallest - 1, -step):
        lines = wrap(text, w, size, measure, max_lines)
        if lines is not None and sum(measure(line, size)[1] for line in lines) <= h:
            return Fit(size, "\n".join(lines), True)
    return Fit(smallest, text, False)


class KivyMeasure:
    """Measures text as a Kivy label in one font, script and direction would draw it (results cached)."""

    def __init__(self, font_name: str, script: str = "Latn", direction: str = "ltr"):
        self.font_name, self.script, self.direction = font_name, script, direction
        self._labels: dict[int, Any] = {}
        self._seen: dict[tuple[str, int], tuple[float, float]] = {}

    def __call__(self, text: str, size: int) -> tuple[float, float]:
        key = (text, size)
        if key not in self._seen:
            from kivy.core.text import Label as CoreLabel

            if size not in self._labels:
                self._labels[size] = CoreLabel(font_name=self.font_name, font_size=size,
                                               font_script_name=self.script, font_direction=self.direction)
            label = self._labels[size]
            w, h = label.get_extents(text)
            if len(self._seen) > 2000:       # a display runs for months: the cache stays bounded
                self._seen.clear()
            self._seen[key] = (float(w), float(h))
        return self._seen[key]


_measures: dict[tuple[str, str, str], KivyMeasure] = {}


def kivy_measure(font_name: str, script: str = "Latn", direction: str = "ltr") -> KivyMeasure:
    """One shared measure per font, script and direction."""
    key = (font_name, script, direction)
    if key not in _measures:
        _measures[key] = KivyMeasure(font_name, script, direction)
    return _measures[key]
