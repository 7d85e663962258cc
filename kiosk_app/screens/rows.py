"""Pieces the journey screens share: a stop as a tile (time | agency, what for, a note | room), a day's name."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kivy.metrics import dp

from .. import texts as T
from ..journey import StopView
from ..palette import PALETTE
from ..widgets import LatinLabel, RowLabel, StopColumn, StopRow
from .fit import Scaled


def day_label(app: Any, day: date, today: date) -> str:
    """ "Tomorrow", or the weekday and the date ("Mittwoch, 25.11."), in the screen's language (not yet visual)."""
    if day == today + timedelta(days=1):
        return str(app.tr_raw(T.TOMORROW))
    comma = "، " if app.rtl else ", "   # the Arabic comma in Arabic script
    return f"{app.tr_raw(T.WEEKDAYS[day.weekday()])}{comma}{day.strftime('%d.%m.')}"


def line(app: Any, text: str, size: float, scaled: Scaled, *, bold: bool = False, muted: bool = False) -> Any:
    """One label of the screen's language, ``size`` at scale 1; ``text`` as the catalogue gives it (made visual)."""
    label = scaled.add(RowLabel(text=text), "font_size", size)
    if bold:  # after construction: the kv rule's binding to the app's font would win over a keyword
        label.font_name = app.font_bold
    if muted:
        label.color = PALETTE.rgba("muted")
    return label


def stop_row(app: Any, view: StopView, size: float, scaled: Scaled, *, when: str = "", note: str = "",
             strong_note: bool = False, title: bool = True) -> Any:
    """A stop on a tile: its time and its room in columns of their own (mirrored in right-to-left languages),
    between them the day (later days), agency, service and a note; sizes at scale 1."""
    row = StopRow()
    time = LatinLabel(text=view.time or "–", size_hint_x=None, pos_hint={"top": 1})
    scaled.add(time, "font_size", size * 1.1)
    scaled.add(time, "width", size * 3.3)
    column = StopColumn(spacing=dp(4), pos_hint={"top": 1})
    if when:
        column.add_widget(line(app, when, size, scaled, bold=True))
    column.add_widget(line(app, view.agency, size, scaled, bold=not when))
    if title and view.title and view.title != view.agency:
        column.add_widget(line(app, view.title, size * 0.9, scaled))
    if note:
        column.add_widget(line(app, note, size * 0.85, scaled, bold=strong_note, muted=not strong_note))
    room = scaled.add(StopColumn(size_hint_x=None, pos_hint={"top": 1}), "width", size * 4.2)
    if view.rooms:
        room.add_widget(line(app, app.tr_raw(T.ROOM), size * 0.8, scaled, muted=True))
        room.add_widget(scaled.add(LatinLabel(text="\n".join(view.rooms)), "font_size", size * 1.1))
        for label in room.children:
            label.halign = "center"
            scaled.add(label, "text_width", size * 4.2)
    for part in (time, column, room):
        row.add_part(part)
    return row
