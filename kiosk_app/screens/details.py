"""Walk-in details: how many people, an interpreter (in the screen's language), a step-free way."""

from __future__ import annotations

from typing import Any

from .base import KioskScreen


class DetailsScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        flow = app.flow
        for n in range(1, 7):
            self.ids[f"p{n}"].role = "chosen" if flow.party == n else "tile"
        self.ids.int_yes.role = "chosen" if flow.interpreter else "tile"
        self.ids.int_no.role = "tile" if flow.interpreter else "chosen"
        self.ids.sf_yes.role = "chosen" if flow.step_free else "tile"
        self.ids.sf_no.role = "tile" if flow.step_free else "chosen"
