"""What the ticket screen says (plain Python): after printing, on screen after a printer fault, or a scanned slip.

The ticket screen shows it and the read-aloud button reads it; the journey's further stops are drawn by the
screen from ``stops``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from queue_protocol.scan import ticket_link, ticket_qr

from . import guidance, journey
from . import texts as T
from .backend import JourneyStop
from .flow import KioskFlow
from .guidance import Side, Translator


@dataclass(frozen=True)
class TicketView:
    headline: str
    notes: tuple[str, ...]          # on the warning banner (printer fault, late: reception first)
    number: str
    rooms: tuple[str, ...]
    room_title: str
    directions: str
    wait: str
    slip_out: str                   # where the slip comes out ("" when it was not printed)
    watch: str
    qr: str                         # the QR code's text ("" when the slip has it)
    stops: tuple[JourneyStop, ...] = ()


def ticket_view(flow: KioskFlow, tr: Translator, slip_side: Side = "below") -> TicketView | None:
    site, lang = flow.site, flow.lang
    stops: tuple[JourneyStop, ...] = ()
    queued_from: datetime | None = None
    see_reception = False
    notes: list[str] = []
    printed = False
    if flow.step == "ticket_status" and flow.ticket_status is not None:
        info = flow.ticket_status
        number, ahead, wait, offline, token = info.number, info.waiting_ahead, info.estimated_wait_min, False, ""
        rooms = (info.counter_room,) if info.counter_room else info.rooms
        headline = tr.raw(lang, T.ALREADY_CHECKED_IN)
        stops, queued_from = info.stops, info.queued_from
    elif flow.ticket is not None:
        t = flow.ticket
        number, rooms, ahead, wait, offline, token = (t.number, t.rooms, t.waiting_ahead, t.estimated_wait_min,
                                                      t.offline, t.token)
        stops, queued_from, see_reception = t.stops, t.queued_from, t.see_reception
        if flow.step == "on_screen":
            headline = tr.raw(lang, T.PRINTER_FAULT)
            notes.append(tr.raw(lang, T.PHOTO_HINT))
        else:
            headline, token, printed = tr.raw(lang, T.TAKE_TICKET), "", True
    else:
        return None
    reception = journey.reception_room(site) if see_reception else ""
    if see_reception:
        notes.insert(0, tr.raw(lang, T.LATE) + " " + (tr.raw(lang, T.RECEPTION_FIRST_ROOM, room=reception)
                                                      if reception else tr.raw(lang, T.RECEPTION_FIRST)))
    if reception:   # the room to go to now is the reception's (the stops follow on the slip)
        rooms = (reception,)
    now = flow.clock()
    called_from = journey.called_from(site, queued_from, now)
    if reception:
        wait_text = ""
    elif offline:
        wait_text = tr.raw(lang, T.WAIT_UNKNOWN)
    elif called_from:
        wait_text = tr.raw(lang, T.CALLED_FROM, time=called_from)
    else:
        wait_text = guidance.wait_line(ahead, wait, lang, tr)
    base = site.phone_url()  # a phone scanning the screen opens the phone page
    qr = (ticket_link(base, token) if base else ticket_qr(token)) if token else ""
    return TicketView(headline, tuple(notes), number, tuple(rooms), tr.raw(lang, T.ROOM) if rooms else "",
                      journey.directions(site, tuple(rooms), lang)[0], wait_text,
                      guidance.slip_out(slip_side, lang, tr) if printed else "", tr.raw(lang, T.WATCH_SCREEN), qr,
                      stops)
