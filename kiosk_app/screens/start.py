"""Start: "I have an appointment" (scan or type the code) or "I have no appointment" (choose a concern).

With a scanner, an arrow under the appointment tile points to where the scanner sits (``kiosk.scanner_at``).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from .. import guidance
from .base import KioskScreen


class StartScreen(KioskScreen):
    scanner_side = StringProperty("below")
    scanner_text = StringProperty("")

    def refresh(self, app: Any) -> None:
        side = app.parts.scanner_at
        self.scanner_side = side or "below"
        self.scanner_text = guidance.scanner_at(side, app.lang, app.texts) if side else ""
