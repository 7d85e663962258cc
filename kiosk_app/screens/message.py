"""An explanation instead of a dead end: why not (appointment only, closed: with the opening hours), what now."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp

from ..concerns import opening_hours
from ..widgets import KLabel, LatinLabel, MirrorBox, drop_children
from .base import KioskScreen


class MessageScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        msg = app.flow.message
        if msg is None:
            return
        self.ids.lines.text = "\n\n".join(app.tr(m) for m in msg.lines)
        hours = self.ids.hours
        drop_children(hours)
        if msg.hours_agency:
            hours.add_widget(KLabel(text=app.tr(app.T.OPENING_HOURS), font_name=app.font_bold))
            for day in opening_hours(app.site, msg.hours_agency):
                row = MirrorBox(size_hint_y=None, height=dp(64), spacing=dp(20))
                row.add_widget(KLabel(text=app.tr(app.T.WEEKDAYS[day.weekday]), size_hint_x=0.4, height=dp(64)))
                row.add_widget(LatinLabel(text=day.ranges, font_size="30sp", size_hint_x=0.6, height=dp(64),
                                          font_name=app.latin_regular, halign="left" if not app.rtl else "right",
                                          text_size=(None, None)))
                hours.add_widget(row)
        self.ids.code.opacity = 1 if msg.offer_code else 0
        self.ids.code.disabled = not msg.offer_code
