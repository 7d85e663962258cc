"""A booked client's journey: today's stops (time, agency, service, room), later days', what to bring, "check in".

A long journey must fit: the text shrinks (down to ``MIN_SCALE``) until the list fits its space; beyond that the
list scrolls, with its scroll bar showing. Landscape puts the documents in a column of their own.
"""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.widget import Widget

from .. import journey
from .. import texts as T
from ..widgets import DocGrid, drop_children
from . import rows
from .base import KioskScreen
from .fit import Fitter, Scaled

MIN_SCALE = 0.62


class AppointmentsScreen(KioskScreen):
    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self.scaled = Scaled()
        self.fitter = Fitter(self._ratio, self.scaled.apply, low=MIN_SCALE)

    @property
    def fitted(self) -> bool:
        """The text size is final (the tour waits for it)."""
        return self.fitter.fitted

    def refresh(self, app: Any) -> None:
        self._build(app)
        self.fitter.start(self._first_guess(app))

    def on_leave(self, *_: Any) -> None:
        self.fitter.stop()

    def _ratio(self) -> float:
        return float(self.ids.body.height / max(1.0, self.ids.scroll.height))

    def _base(self, app: Any) -> float:
        return float(sp(32) if app.portrait else sp(27))

    def _first_guess(self, app: Any) -> float:
        """A scale from the number of lines, so the fitting after layout takes a step or two at most."""
        flow = app.flow
        today, later = journey.appointment_views(app.site, flow.appointments, app.lang)
        docs = journey.documents(app.site, [a.service for a in flow.appointments_today], app.lang)
        per_line = self._base(app) * 1.3
        stops = sum(2.2 + (1 if v.checked_in else 0) for v in today) * per_line + len(today) * dp(28)
        later_h = (len(later) * 3.2 + 2.5) * per_line if later else 0
        lists = (1.5 + (len(docs) + 1) // 2 if app.portrait and len(docs) > 4 else 1.5 + len(docs)) * per_line * 0.9 \
            if docs else 0
        if app.portrait:
            stops += later_h
        else:
            lists += later_h
        need = stops + lists if app.portrait else max(stops, lists)
        room = max(1.0, app.screen_size[1] - dp(560))
        return float(max(MIN_SCALE, min(1.0, room / max(1.0, need))))

    def _build(self, app: Any) -> None:
        """The lists at scale 1 (the fitter scales them)."""
        flow, site, lang = app.flow, app.site, app.lang
        stops, docs, scaled = self.ids.stops, self.ids.docs, self.scaled
        drop_children(stops)
        drop_children(docs)
        scaled.clear()
        size = self._base(app)
        today_views, later = journey.appointment_views(site, flow.appointments, lang)
        if not today_views:
            stops.add_widget(rows.line(app, app.tr_raw(T.NO_BOOKING), size, scaled, bold=True))
        for v in today_views:
            note = app.tr_raw(T.ALREADY_CHECKED_IN) if v.checked_in else ""
            stops.add_widget(rows.stop_row(app, v, size, scaled, note=note))
        if later:   # below today's stops; in landscape beside them, above the documents
            box = stops if app.portrait else docs
            today = journey.local_day(site, flow.clock())
            box.add_widget(rows.line(app, app.tr_raw(T.LATER_DAYS), size * 1.05, scaled, bold=True))
            for v in later:
                box.add_widget(rows.stop_row(app, v, size * 0.92, scaled, when=rows.day_label(app, v.day, today)))
            box.add_widget(rows.line(app, app.tr_raw(T.CHECK_IN_AGAIN), size * 0.9, scaled, bold=True))
        documents = journey.documents(site, [a.service for a in flow.appointments_today], lang)
        if documents:
            if later and not app.portrait:
                docs.add_widget(Widget(size_hint_y=None, height=dp(16)))
            docs.add_widget(rows.line(app, app.tr_raw(T.BRING), size * 1.05, scaled, bold=True))
            two = app.portrait and len(documents) > 4   # a long list in two columns (portrait is narrow and tall)
            grid = DocGrid(cols=2 if two else 1, spacing=(dp(24), dp(4)))
            for name, _name_de in documents:   # the German names are on the slip, for the counsellor
                grid.add_widget(rows.line(app, f"• {name}", size * (0.85 if two else 0.9), scaled))
            docs.add_widget(grid)
        self.ids.go.disabled = not flow.can_check_in
        self.ids.go.opacity = 0 if self.ids.go.disabled else 1
