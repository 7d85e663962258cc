"""The booking code: typed on a large keypad of the code's own alphabet (no look-alikes, no free text anywhere)."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.button import Button
from kivy.uix.widget import Widget

from queue_rules.codes import ALPHABET

from ..palette import PALETTE
from .base import KioskScreen

DIGITS = "".join(ch for ch in ALPHABET if ch.isdigit())
LETTERS = "".join(ch for ch in ALPHABET if not ch.isdigit())
KEYS = DIGITS + LETTERS   # digits first, then letters


def key_rows(cols: int) -> list[str]:
    """The keys row by row: the digits on a row of their own, then the letters ("" is an empty cell)."""
    rows = [DIGITS[i:i + cols] for i in range(0, len(DIGITS), cols)]
    rows += [LETTERS[i:i + cols] for i in range(0, len(LETTERS), cols)]
    return rows


class KeypadScreen(KioskScreen):
    built = False

    def refresh(self, app: Any) -> None:
        self.ids.code.text = app.flow.code_shown or " "
        if self.built:
            return
        grid = self.ids.key_grid
        grid.cols = 6 if app.portrait else 9
        for row in key_rows(grid.cols):
            for key in row:
                b = Button(text=key, font_name=app.latin_bold, font_size="44sp", background_normal="",
                           background_down="", background_color=PALETTE.rgba("tile"),
                           color=PALETTE.rgba("tile_text"), size_hint_y=None, height=dp(104))
                b.key = key
                b.bind(on_release=lambda btn: app.flow.press_key(btn.key))
                grid.add_widget(b)
            for _ in range(grid.cols - len(row)):
                grid.add_widget(Widget(size_hint_y=None, height=dp(104)))
        self.built = True
