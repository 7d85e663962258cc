"""An explanation instead of a dead end: which office, why not (appointment only, closed: when it opens next and
its hours), and where to go instead (reception); the text comes from `guidance.message_view`."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp

from ..guidance import message_view
from ..widgets import KLabel, LatinLabel, MirrorBox, drop_children
from .base import KioskScreen


class MessageScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        flow = app.flow
        if flow.message is None:
            return
        view = message_view(app.site, flow.message, app.lang, app.texts, flow.clock())
        self.ids.heading.text = view.heading
        self.ids.office.text = view.office
        self.ids.lines.text = "\n\n".join(view.lines)
        hours = self.ids.hours
        drop_children(hours)
        if view.hours:
            hours.add_widget(KLabel(text=view.hours_title, font_name=app.font_bold, font_size="30sp"))
            for day, ranges in view.hours:
                row = MirrorBox(size_hint_y=None, height=dp(52), spacing=dp(20))
                row.add_widget(KLabel(text=day, size_hint_x=0.45, height=dp(52), font_size="30sp"))
                row.add_widget(LatinLabel(text=ranges, font_size="30sp", size_hint_x=0.55, height=dp(52),
                                          font_name=app.latin_regular, halign="right" if app.rtl else "left",
                                          text_size=(None, None)))
                hours.add_widget(row)
        self.ids.code.opacity = 1 if view.offer_code else 0
        self.ids.code.disabled = not view.offer_code
