"""The ticket: "take your ticket" after printing, the ticket on screen when the printer failed, or a scanned slip.

A journey's ticket also lists the stops still ahead today (from when the same number is called there) and
later days' stops; a client late for the slot is sent to reception first; a client early for a booked slot
reads from when he is called instead of a wait.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty

from .. import journey
from .. import texts as T
from ..backend import JourneyStop
from ..ticket_view import ticket_view
from ..widgets import drop_children
from . import rows
from .base import KioskScreen
from .fit import Fitter, Scaled

MAX_NEXT = 4     # stops of today listed after the current one
MAX_LATER = 2
MIN_SCALE = 0.6


class TicketScreen(KioskScreen):
    warning = BooleanProperty(False)

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.scaled = Scaled()
        self.fitter = Fitter(self._overflow, self.scaled.apply, low=MIN_SCALE)

    @property
    def fitted(self) -> bool:
        """The journey list's text size is final (the tour waits for it)."""
        return self.fitter.fitted

    def on_leave(self, *_: Any) -> None:
        self.fitter.stop()

    def refresh(self, app: Any) -> None:
        view = ticket_view(app.flow, app.texts, app.parts.slip_out)
        if view is None:
            return
        ids = self.ids
        ids.headline.text = view.headline
        ids.banner.text = "\n".join(view.notes)
        self.warning = bool(view.notes)
        ids.number.text = view.number
        ids.rooms.text = "  ".join(view.rooms)
        ids.room_title.text = view.room_title
        ids.directions.text = view.directions
        ids.wait.text = view.wait
        ids.slip_hint.side = app.parts.slip_out
        ids.slip_hint.text = view.slip_out
        ids.qr.text = view.qr
        self._journey(app, view.stops, app.flow.clock())
        self.fitter.start()

    def _overflow(self) -> float:
        """How much taller the ticket's column and the journey list are than their space (> 1: too tall)."""
        col, side = self.ids.main, self.ids.journey_side
        if not (side.children or self.ids.journey_below.children):
            return 0.9   # nothing to fit
        need = sum(c.height for c in col.children if c.size_hint_y is None) + col.spacing * (len(col.children) - 1)
        ratio = need / max(1.0, col.height)
        if side.children:
            ratio = max(ratio, side.height / max(1.0, self.ids.middle.height))
        return float(ratio)

    def _journey(self, app: Any, stops: tuple[JourneyStop, ...], now: datetime) -> None:
        """The stops after the current one, at scale 1: beside the ticket (landscape) or below it (portrait)."""
        side, below, scaled = self.ids.journey_side, self.ids.journey_below, self.scaled
        drop_children(side)
        drop_children(below)
        scaled.clear()
        box = below if app.portrait else side
        today, later = journey.stop_views(app.site, stops, app.lang, now)
        ahead = today[1:MAX_NEXT + 1]
        later = later[:MAX_LATER]
        side.width = 0
        if not ahead and not later:
            return
        size = float(sp(34) if app.portrait else sp(26))
        if ahead:
            box.add_widget(rows.line(app, app.tr_raw(T.NEXT_TODAY), size, scaled, bold=True))
            for v in ahead:
                note = app.tr_raw(T.CALLED_HERE_FROM, time=v.called_from) if v.called_from else ""
                box.add_widget(rows.stop_row(app, v, size * 0.9, scaled, note=note, strong_note=True, title=False))
        if later:
            day = journey.local_day(app.site, now)
            box.add_widget(rows.line(app, app.tr_raw(T.LATER_DAYS), size, scaled, bold=True))
            for v in later:
                box.add_widget(rows.stop_row(app, v, size * 0.85, scaled, when=rows.day_label(app, v.day, day),
                                             title=False))
            box.add_widget(rows.line(app, app.tr_raw(T.CHECK_IN_AGAIN), size * 0.85, scaled, bold=True))
        if not app.portrait:
            side.width = self.width * 0.34
        scaled.add(box, "spacing", dp(8))
