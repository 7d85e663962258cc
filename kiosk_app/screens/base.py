"""What every kiosk screen is: a Kivy ``Screen`` that redraws its changing parts from the flow."""

from __future__ import annotations

from typing import Any

from kivy.uix.screenmanager import Screen


class KioskScreen(Screen):
    """A screen; ``refresh`` redraws its changing parts from the flow (called on every change of the flow)."""

    def refresh(self, app: Any) -> None:
        pass
