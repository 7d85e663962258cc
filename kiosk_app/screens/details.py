"""Walk-in details: how many people, an interpreter (in the screen's language), a step-free way, and whether his
number is also called in his language (not offered in German: calls always are)."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty

from .base import KioskScreen


class DetailsScreen(KioskScreen):
    announce_offered = BooleanProperty(False)
    announce_spoken = BooleanProperty(True)
    _announce_box: Any = None

    def refresh(self, app: Any) -> None:
        flow, ids = app.flow, self.ids
        for n in range(1, 7):
            ids[f"p{n}"].chosen = flow.party == n
        ids.int_yes.chosen, ids.int_no.chosen = flow.interpreter, not flow.interpreter
        ids.sf_yes.chosen, ids.sf_no.chosen = flow.step_free, not flow.step_free
        self.announce_spoken = flow.announce_spoken
        self.announce_offered = flow.announce_offered
        if self._announce_box is None:   # a strong reference: ids are weak, and the box leaves the tree
            self._announce_box = ids.announce_box.__self__
        box, page = self._announce_box, ids.page
        if self.announce_offered and box.parent is None:   # where the kv puts it: before the spacer and "continue"
            page.add_widget(box, index=3)
        elif not self.announce_offered and box.parent is not None:
            page.remove_widget(box)   # not merely hidden: a hidden button would still take the touches
        ids.an_yes.chosen, ids.an_no.chosen = flow.announce, not flow.announce
