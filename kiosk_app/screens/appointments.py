"""A booked client's appointments today (time and service), and "check in now"."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp

from ..concerns import service_title
from ..widgets import KLabel, LatinLabel, MirrorBox
from .base import KioskScreen


class AppointmentsScreen(KioskScreen):
    def refresh(self, app: Any) -> None:
        box = self.ids.rows
        box.clear_widgets()
        local = app.site.tz
        for a in app.flow.appointments:
            row = MirrorBox(size_hint_y=None, height=dp(110), spacing=dp(20))
            row.add_widget(LatinLabel(text=a.slot.astimezone(local).strftime("%H:%M"), size_hint_x=None,
                                      width=dp(180), height=dp(110)))
            text = service_title(app.site, a.service, app.lang)[0]
            if a.checked_in:
                text += "\n" + app.tr_raw(app.T.ALREADY_CHECKED_IN)
            row.add_widget(KLabel(text=app.typeset.visual(text, app.lang), height=dp(110)))
            box.add_widget(row)
        self.ids.go.disabled = all(a.checked_in for a in app.flow.appointments)
        self.ids.go.opacity = 0 if self.ids.go.disabled else 1
