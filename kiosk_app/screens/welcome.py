"""Welcome: every language of the site, each named in its own script; no flags."""

from __future__ import annotations

from typing import Any

from ui_common.languages import LANGUAGES

from ..widgets import LangButton
from .base import KioskScreen


class WelcomeScreen(KioskScreen):
    built = False

    def refresh(self, app: Any) -> None:
        if self.built:
            return
        grid = self.ids.langs
        for code in app.site.site.languages:
            if code not in LANGUAGES:
                continue
            style = app.typeset.style(code, bold=True)
            b = LangButton(text=LANGUAGES[code].native, lang_code=code, **style)
            b.bind(on_release=lambda btn: app.flow.choose_language(btn.lang_code))
            grid.add_widget(b)
        self.built = True
