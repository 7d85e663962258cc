"""Walk-in: a tile with a pictogram per concern; appointment-only and closed ones say so and explain on a tap."""

from __future__ import annotations

from typing import Any

from ..widgets import Tile, drop_children
from .base import KioskScreen


class ConcernsScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        grid = self.ids.tiles
        drop_children(grid)
        badges = {"appointment_only": app.tr(app.T.ONLY_WITH_APPOINTMENT), "closed": app.tr(app.T.CLOSED_NOW)}
        for t in app.flow.tiles():
            tile = Tile(concern=t.concern, pictogram=t.pictogram, title=t.title,
                        title_de=t.title_de if app.lang != "de" else "", subtitle=t.subtitle,
                        badge=badges.get(t.availability, ""),
                        role="tile" if t.availability == "open" else "closed")
            tile.bind(on_release=lambda w: app.flow.choose_concern(w.concern))
            grid.add_widget(tile)
