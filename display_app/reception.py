"""The reception monitor's screen: tables over the ReceptionModel, and the action panel for one ticket."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from host_support.package_data import package_path

from . import palette as P
from .reception_model import STATUS_DE, ReceptionModel

QUEUE_HINTS = [0.46, 0.16, 0.19, 0.19]
COUNTER_HINTS = [0.27, 0.13, 0.28, 0.18, 0.14]
DEVICE_HINTS = [0.38, 0.2, 0.13, 0.29]
TICKET_HINTS = [0.1, 0.19, 0.14, 0.05, 0.09, 0.11, 0.15, 0.17]
KIND_DE = {"core": "Zentrale", "kiosk": "Kiosk", "printer": "Drucker", "display": "Anzeige",
           "button_box": "Tastenbox", "reception": "Empfang"}


def load_kv() -> None:
    kv = package_path("display_app", "reception.kv")
    if str(kv) not in Builder.files:
        Builder.load_file(str(kv))


class TableRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One row of a table; its labels are made once per column count and then only re-texted."""

    cells = ListProperty([])
    hints = ListProperty([])
    header = BooleanProperty(False)
    alert = BooleanProperty(False)
    selected = BooleanProperty(False)
    ticket = StringProperty("")
    on_pick: Callable[[str], None] | None = None

    def on_cells(self, _inst: Any, _cells: list[str]) -> None:
        self._sync()

    def on_hints(self, _inst: Any, _hints: list[float]) -> None:
        self._sync()

    def on_alert(self, _inst: Any, _alert: bool) -> None:
        self._sync()

    def _sync(self) -> None:
        if len(self.children) != len(self.cells):
            self.clear_widgets()
            from kivy.app import App

            app = App.get_running_app()
            for _ in self.cells:
                label = Label(font_name=app.font_bold if self.header else app.font_regular, font_size=21,
                              halign="left", valign="middle", shorten=True, shorten_from="right")
                label.bind(width=lambda lbl, w: setattr(lbl, "text_size", (w, None)))
                self.add_widget(label)
        hints = self.hints if len(self.hints) == len(self.cells) else [1] * len(self.cells)
        colour = P.rgba(P.R_ALERT_TEXT if self.alert and not self.selected else P.R_TEXT)
        for label, text, hint in zip(reversed(self.children), self.cells, hints, strict=True):
            label.text, label.size_hint_x, label.color = text, hint, colour

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        self.ticket = data.get("ticket", "")
        return super().refresh_view_attrs(rv, index, data)

    def on_release(self) -> None:
        if self.ticket and TableRow.on_pick is not None:
            TableRow.on_pick(self.ticket)


class ReceptionScreen(BoxLayout):
    title = StringProperty("")
    status = StringProperty("")
    status_bad = BooleanProperty(True)
    selected_text = StringProperty("Kein Ticket ausgewählt")
    service_names = ListProperty([])
    can_move = BooleanProperty(False)
    can_priority = BooleanProperty(False)
    can_cancel = BooleanProperty(False)
    can_return = BooleanProperty(False)
    result = StringProperty("")
    result_ok = BooleanProperty(True)

    def setup(self, model: ReceptionModel, on_action: Callable[[str, dict[str, Any]], None]) -> None:
        self.model, self.on_action = model, on_action
        self.title = f"Empfang · {model.site.site.name} · {model.operator}"
        self.service_names = [name for _, name in model.service_choices()]
        TableRow.on_pick = self.pick

    def pick(self, ticket_id: str) -> None:
        self.model.select(None if self.model.selected == ticket_id else ticket_id)
        self.show(self.model.now())

    def act(self, action: str) -> None:
        """A button: build the command from the panel's inputs and hand it to the app (which sends it)."""
        kwargs: dict[str, Any] = {"reason": self.ids.reason.text.strip()}
        if action == "move":
            kwargs["to_service"] = self.model.service_id(self.ids.to_service.text)
        if action == "priority":
            kwargs["priority"] = int(self.ids.priority.text.split()[-1])
        try:
            body = self.model.command(action, **kwargs)
        except ValueError as exc:
            self.model.result, self.model.result_ok = f"{action}: {exc}", False
            self.show(self.model.now())
            return
        self.on_action(action, body)

    def show(self, now: datetime) -> None:
        m = self.model
        self.status = "verbunden" if m.connected else "KEINE VERBINDUNG zur Zentrale – wird wiederhergestellt"
        self.status_bad = not m.connected
        self.ids.queues.data = [
            {"cells": [f"{q.name} ({q.agency})", str(q.waiting),
                       "-" if q.longest_min is None else f"{q.longest_min} min", f"{q.estimate_min} min"],
             "hints": QUEUE_HINTS, "alert": q.breached}
            for q in m.queue_rows(now)]
        self.ids.counters.data = [
            {"cells": [c.label, c.room, STATUS_DE.get(c.status, c.status), c.number,
                       "" if c.serving_min is None else f"{c.serving_min} min"], "hints": COUNTER_HINTS,
             "alert": False}
            for c in m.counter_rows(now)]
        tz = m.site.tz
        self.ids.devices.data = [
            {"cells": [f"{d.device} ({KIND_DE.get(d.kind, d.kind)})",
                       "online" if d.online else ("offline" if d.online is False else "nie gesehen"),
                       d.last_seen.astimezone(tz).strftime("%H:%M") if d.last_seen else "-", d.detail],
             "hints": DEVICE_HINTS, "alert": d.problem}
            for d in m.device_rows()]
        self.ids.alerts.data = [{"cells": [a.text], "hints": [1], "alert": a.severe} for a in m.alerts(now)]
        self.ids.tickets.data = [
            {"cells": [r["number"], r["service"], r["status"], r["priority"], r["waited"], r["language"], r["needs"],
                       r["note"]], "hints": TICKET_HINTS, "ticket": r["ticket"], "selected": r["selected"],
             "alert": False}
            for r in m.ticket_rows(now)]
        self.ids.actions.data = [{"cells": [a], "hints": [1], "alert": False} for a in m.actions]
        t = m.selected_ticket()
        self.selected_text = (f"Ticket {t.number} · {STATUS_DE.get(t.status, t.status)}" if t
                              else "Kein Ticket ausgewählt")
        self.can_move, self.can_priority = m.allowed("move"), m.allowed("priority")
        self.can_cancel, self.can_return = m.allowed("cancel"), m.allowed("return")
        self.result, self.result_ok = m.result, m.result_ok
