"""Start: "I have an appointment" (scan or type the code) or "I have no appointment" (choose a concern)."""

from __future__ import annotations

from .base import KioskScreen


class StartScreen(KioskScreen):
    pass
