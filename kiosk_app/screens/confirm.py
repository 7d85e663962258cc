"""Confirm: the concern and the answers once more, and the one big "print ticket" button."""

from __future__ import annotations

from typing import Any

from .base import KioskScreen


class ConfirmScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        flow = app.flow
        if flow.concern is None:
            return
        tile = next(t for t in flow.tiles() if t.concern == flow.concern)
        self.ids.tile.pictogram = tile.pictogram
        self.ids.tile.title = app.typeset.visual(tile.title, app.lang)
        self.ids.tile.title_de = tile.title_de if app.lang != "de" else ""
        yes, no = app.tr_raw(app.T.YES), app.tr_raw(app.T.NO)
        party = "6+" if flow.party >= 6 else str(flow.party)
        lines = [f"{app.tr_raw(app.T.PERSONS)}: {party}",
                 f"{app.tr_raw(app.T.INTERPRETER)} {yes if flow.interpreter else no}",
                 f"{app.tr_raw(app.T.STEP_FREE)} {yes if flow.step_free else no}"]
        self.ids.summary.text = app.typeset.visual("\n".join(lines), app.lang)
