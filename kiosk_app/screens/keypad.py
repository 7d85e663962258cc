"""The booking code: typed on a large keypad of digits and capital letters (no free text anywhere)."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.button import Button

from ..palette import PALETTE
from .base import KioskScreen

KEYS = "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class KeypadScreen(KioskScreen):
    built = False

    def refresh(self, app: Any) -> None:
        self.ids.code.text = app.flow.code or " "
        if self.built:
            return
        for key in KEYS:
            b = Button(text=key, font_name=app.latin_bold, font_size="44sp", background_normal="",
                       background_down="", background_color=PALETTE.rgba("tile"), color=PALETTE.rgba("tile_text"),
                       size_hint_y=None, height=dp(104))
            b.key = key
            b.bind(on_release=lambda btn: app.flow.press_key(btn.key))
            self.ids.key_grid.add_widget(b)
        self.built = True
