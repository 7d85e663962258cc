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

from queue_protocol.scan import ticket_qr

from .. import journey
from .. import texts as T
from ..backend import JourneyStop
from ..journey import directions
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
        flow, ids = app.flow, self.ids
        tr = app.tr
        stops: tuple[JourneyStop, ...] = ()
        queued_from: datetime | None = None
        see_reception = False
        notes: list[str] = []
        if flow.step == "ticket_status" and flow.ticket_status is not None:
            info = flow.ticket_status
            number, rooms, ahead, wait, offline, token = (info.number, info.counter_room and (info.counter_room,)
                                                          or info.rooms, info.waiting_ahead, info.estimated_wait_min,
                                                          False, "")
            headline = tr(T.ALREADY_CHECKED_IN)
            stops, queued_from = info.stops, info.queued_from
        elif flow.ticket is not None:
            t = flow.ticket
            number, rooms, ahead, wait, offline, token = (t.number, t.rooms, t.waiting_ahead, t.estimated_wait_min,
                                                          t.offline, t.token)
            stops, queued_from, see_reception = t.stops, t.queued_from, t.see_reception
            if flow.step == "on_screen":
                headline = tr(T.PRINTER_FAULT)
                notes.append(tr(T.PHOTO_HINT))
            else:
                headline, token = tr(T.TAKE_TICKET), ""
        else:
            return
        reception = journey.reception_room(app.site) if see_reception else ""
        if see_reception:
            late = app.tr_raw(T.LATE) + " " + (app.tr_raw(T.RECEPTION_FIRST_ROOM, room=reception) if reception
                                                else app.tr_raw(T.RECEPTION_FIRST))
            notes.insert(0, app.typeset.visual(late, app.lang))
        if reception:   # the room to go to now is the reception's (the stops follow on the slip)
            rooms = (reception,)
        ids.headline.text = headline
        ids.banner.text = "\n".join(notes)
        self.warning = bool(notes)
        ids.number.text = number
        ids.rooms.text = "  ".join(rooms)
        ids.room_title.text = tr(T.ROOM) if rooms else ""
        ids.directions.text = app.typeset.visual(directions(app.site, tuple(rooms), app.lang)[0], app.lang)
        now = flow.clock()
        called_from = journey.called_from(app.site, queued_from, now)
        if reception:
            ids.wait.text = ""
        elif offline:
            ids.wait.text = tr(T.WAIT_UNKNOWN)
        elif called_from:
            ids.wait.text = tr(T.CALLED_FROM, time=called_from)
        else:
            ids.wait.text = tr(T.AHEAD, n=ahead) + "\n" + tr(T.WAIT_ABOUT, n=wait)
        ids.qr.text = ticket_qr(token) if token else ""
        self._journey(app, stops, now)
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
