"""The ticket: "take your ticket" after printing, the ticket on screen when the printer failed, or a scanned slip."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty

from queue_protocol.scan import ticket_qr

from ..slips import directions
from .base import KioskScreen


class TicketScreen(KioskScreen):
    warning = BooleanProperty(False)

    def refresh(self, app: Any) -> None:
        flow, ids = app.flow, self.ids
        tr = app.tr
        if flow.step == "ticket_status" and flow.ticket_status is not None:
            info = flow.ticket_status
            number, rooms, ahead, wait, offline, token = (info.number, info.counter_room and (info.counter_room,)
                                                          or info.rooms, info.waiting_ahead, info.estimated_wait_min,
                                                          False, "")
            headline, banner = tr(app.T.ALREADY_CHECKED_IN), ""
        elif flow.ticket is not None:
            t = flow.ticket
            number, rooms, ahead, wait, offline, token = (t.number, t.rooms, t.waiting_ahead, t.estimated_wait_min,
                                                          t.offline, t.token)
            if flow.step == "on_screen":
                headline = tr(app.T.PRINTER_FAULT)
                banner = tr(app.T.PHOTO_HINT)
            else:
                headline, banner, token = tr(app.T.TAKE_TICKET), "", ""
        else:
            return
        ids.headline.text = headline
        ids.banner.text = banner
        self.warning = bool(banner)
        ids.number.text = number
        ids.rooms.text = "  ".join(rooms)
        ids.room_title.text = tr(app.T.ROOM) if rooms else ""
        ids.directions.text = app.typeset.visual(directions(app.site, tuple(rooms), app.lang)[0], app.lang)
        if offline:
            ids.wait.text = tr(app.T.WAIT_UNKNOWN)
        else:
            ids.wait.text = tr(app.T.AHEAD, n=ahead) + "\n" + tr(app.T.WAIT_ABOUT, n=wait)
        ids.qr.text = ticket_qr(token) if token else ""
