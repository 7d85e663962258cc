"""While the core answers and the slip prints: "one moment, please"."""

from __future__ import annotations

from .base import KioskScreen


class WorkingScreen(KioskScreen):
    pass
