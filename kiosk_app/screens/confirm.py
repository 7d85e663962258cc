"""Confirm: the concern and the answers once more, and the one big "print ticket" button."""

from __future__ import annotations

from typing import Any

from ..readout import summary_lines
from .base import KioskScreen


class ConfirmScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        flow = app.flow
        if flow.concern is None:
            return
        tile = next(t for t in flow.tiles() if t.concern == flow.concern)
        self.ids.tile.pictogram = tile.pictogram
        self.ids.tile.title = tile.title
        self.ids.tile.title_de = tile.title_de if app.lang != "de" else ""
        self.ids.tile.subtitle = tile.subtitle
        self.ids.summary.text = "\n".join(summary_lines(app.texts, flow))
