"""The reception monitor's screen: alerts, counters, queues as the agency filter, tickets and the action panel,
thin over the ReceptionModel (every text comes from it, already in words and in the monitor's language)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.utils import escape_markup

from host_support.package_data import package_path

from . import reception_style as S
from . import reception_texts as T
from .reception_model import ACTIONS, ReceptionModel

TICKET_LINE = 34          # the first line of a ticket row: number, status, priority, wait, language
TICKET_PAD = 8            # row padding (each side)
TICKET_GAP = 4            # space between two ticket rows


def load_kv() -> None:
    kv = package_path("display_app", "reception.kv")
    if str(kv) not in Builder.files:
        Builder.load_file(str(kv))


class WrapLabel(Label):
    """A label as tall as its wrapped text: nothing is ever cut off."""

    bg = StringProperty(S.PANEL)


class CounterTile(WrapLabel):
    """One counter: agency and label, room and status, the client and since when."""


class FilterRow(ButtonBehavior, BoxLayout):
    """One agency's waiting clients; tapping it shows only that agency's tickets (again: all)."""

    agency = StringProperty("")
    name = StringProperty("")
    waiting = StringProperty("")
    longest = StringProperty("")
    breached = BooleanProperty(False)
    selected = BooleanProperty(False)
    header = BooleanProperty(False)
    on_pick: Callable[[str], None] | None = None

    def on_release(self) -> None:
        if not self.header and self.on_pick is not None:
            self.on_pick(self.agency)


class TableRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One open ticket: its fields on the first line, service, needs and note wrapped below."""

    ticket = StringProperty("")
    cells = ListProperty(["", "", "", "", ""])
    details = StringProperty("")
    selected = BooleanProperty(False)
    details_height = NumericProperty(0)
    on_pick: Callable[[str], None] | None = None

    def on_release(self) -> None:
        if self.ticket and TableRow.on_pick is not None:
            TableRow.on_pick(self.ticket)


class ReceptionScreen(BoxLayout):
    title = StringProperty("")
    status = StringProperty("")
    status_bad = BooleanProperty(True)
    alerts_title = StringProperty("")
    devices_text = StringProperty("")
    tickets_title = StringProperty("")
    more_text = StringProperty("")
    selected_text = StringProperty("")
    service_names = ListProperty([])
    priority_names = ListProperty([])
    chosen = BooleanProperty(False)          # a ticket is selected: the choosers are usable
    can_move = BooleanProperty(False)
    can_priority = BooleanProperty(False)
    can_cancel = BooleanProperty(False)
    can_return = BooleanProperty(False)
    result = StringProperty("")
    result_ok = BooleanProperty(True)

    def setup(self, model: ReceptionModel, on_action: Callable[[str, dict[str, Any]], None]) -> None:
        self.model, self.on_action = model, on_action
        self._shown_selection: tuple[str | None, int] = (None, -1)
        self._measured: dict[tuple[str, int, int, int], int] = {}
        TableRow.on_pick = self.pick
        FilterRow.on_pick = self.filter_by
        self._tiles = [CounterTile() for _ in model.site.counters]
        for tile in self._tiles:
            self.ids.counter_grid.add_widget(tile)
        self._header = FilterRow(header=True)
        self._filters = [FilterRow(agency="")] + [FilterRow(agency=a.id) for a in model.site.agencies]
        for row in [self._header, *self._filters]:
            self.ids.filters.add_widget(row)
        self.retext()
        self.ids.tickets.bind(width=lambda *_: self.show(self.model.now()),
                              height=lambda *_: self._keep_chosen_in_view())
        self.ids.log_area.bind(size=lambda *_: self._show_log())

    def retext(self) -> None:
        """Every fixed text in the model's language (after `setup`, and when the language changes)."""
        m, ids = self.model, self.ids
        t = self.t = m.t
        self.title = t(T.TITLE, site=m.site.site.name, operator=m.operator)
        self.service_names = [name for _, name in m.service_choices()]
        self.priority_names = [t(T.PRIORITY_VALUE, priority=i) for i in range(10)]
        ids.head_number.text, ids.head_status.text = t(T.NUMBER), t(T.STATUS)
        ids.head_priority.text, ids.head_waited.text, ids.head_language.text = (t(T.PRIORITY), t(T.WAITED),
                                                                                t(T.LANGUAGE))
        ids.counters_title.text, ids.filters_title.text = t(T.COUNTERS), t(T.WAITING_BY_AGENCY)
        ids.log_title.text, ids.reason.hint_text = t(T.LOG), t(T.REASON_HINT)
        self._header.name, self._header.waiting, self._header.longest = t(T.AGENCY), t(T.WAITING), t(T.LONGEST)
        for action, button in (("move", ids.move), ("priority", ids.prioritise), ("cancel", ids.cancel),
                               ("return", ids.return_)):
            button.text = m.action_name(action)
        self._reset_choosers()
        self.show(m.now())

    def _reset_choosers(self) -> None:
        """Nothing is chosen until a ticket is: no target service, no priority, no reason."""
        self.ids.to_service.text = self.t(T.CHOOSE_SERVICE)
        self.ids.priority.text = self.t(T.CHOOSE_PRIORITY)
        self.ids.reason.text = ""

    # --- input ---------------------------------------------------------------------------------

    def pick(self, ticket_id: str) -> None:
        self.model.select(None if self.model.selected == ticket_id else ticket_id)
        self._reset_choosers()
        self.show(self.model.now())

    def filter_by(self, agency: str) -> None:
        before = self.model.selected
        self.model.set_filter(agency or None)
        if self.model.selected != before:
            self._reset_choosers()
        self.ids.tickets.scroll_y = 1
        self._shown_selection = (None, -1)
        self.show(self.model.now())

    def act(self, action: str) -> None:
        """A button: build the command from the panel's inputs and hand it to the app (which sends it)."""
        kwargs: dict[str, Any] = {"reason": self.ids.reason.text.strip()}
        if action == "move":
            kwargs["to_service"] = self.model.service_id(self.ids.to_service.text)
        if action == "priority":
            names = list(self.priority_names)
            kwargs["priority"] = names.index(self.ids.priority.text) if self.ids.priority.text in names else None
        try:
            body = self.model.command(action, **kwargs)
        except ValueError as exc:
            self.model.failed(action, str(exc))
            self.show(self.model.now())
            return
        self.on_action(action, body)

    # --- output --------------------------------------------------------------------------------

    def show(self, now: datetime) -> None:
        m, t = self.model, self.t
        self.status = t(T.CONNECTED) if m.connected else t(T.NO_CONNECTION)
        self.status_bad = not m.connected
        self._show_alerts(now)
        for tile, c in zip(self._tiles, m.counter_rows(now), strict=True):
            state = "closed" if c.status == "closed" else ("serving" if c.number else c.status)
            if c.number:   # the colour says "open"; the line says who is there and since when
                state_line = (c.number if c.serving_min is None
                              else t(T.SERVING_SINCE, number=c.number, minutes=c.serving_min))
            else:
                state_line = f"{m.status(c.status)} · {t(T.FREE)}" if c.status == "open" else m.status(c.status)
            lines = (c.agency, f"{c.label} · {t(T.ROOM, room=c.room)}", state_line)
            tile.text = "\n".join((f"[b]{escape_markup(lines[0])}[/b]", *map(escape_markup, lines[1:])))
            tile.bg = S.COUNTER_BG[state]
        rows = m.agency_rows(now)
        everyone = sum(r.waiting for r in rows)
        self._filters[0].name, self._filters[0].waiting, self._filters[0].longest = t(T.ALL_AGENCIES), str(everyone), ""
        self._filters[0].selected, self._filters[0].breached = m.agency_filter is None, False
        for row, a in zip(self._filters[1:], rows, strict=True):
            row.name, row.waiting = a.name, str(a.waiting)
            row.longest = "" if a.longest_min is None else m.minutes(a.longest_min)
            row.breached, row.selected = a.breached, a.selected
        self._show_tickets(now)
        self.selected_text = m.selected_text()
        self.chosen = m.selected_ticket() is not None
        self.can_move, self.can_priority = m.allowed("move"), m.allowed("priority")
        self.can_cancel, self.can_return = m.allowed("cancel"), m.allowed("return")
        self.result, self.result_ok = m.result, m.result_ok
        self._show_log()

    def _show_log(self) -> None:
        """The newest log entries that fit the log's area (each whole)."""
        area = self.ids.log_area
        lines = self.model.log_lines() or [self.t(T.LOG_EMPTY)]
        shown: list[str] = []
        used = 0
        for line in lines:
            need = self._measure(line, int(area.width), pad=8) + 10 + 2   # WrapLabel padding, spacing
            if used + need > area.height and shown:
                break
            shown.append(line)
            used += need
        self._fill(self.ids.log, shown, [S.PANEL] * len(shown))

    def _show_alerts(self, now: datetime) -> None:
        m, t = self.model, self.t
        alerts = m.alerts(now)
        devices = m.device_rows()
        self.alerts_title = t(T.ALERTS, count=len(alerts))
        self.devices_text = t(T.DEVICES_OK, ok=sum(not d.problem for d in devices), total=len(devices))
        if alerts:
            self._fill(self.ids.alerts, [a.text for a in alerts], [S.ALERT_BG if a.severe else S.NOTICE_BG
                                                                     for a in alerts])
        else:
            self._fill(self.ids.alerts, [t(T.NO_ALERTS)], [S.PANEL])

    def _fill(self, box: Any, texts: list[str], colours: list[str]) -> None:
        """Show ``texts`` as wrapped labels in ``box``, re-using the labels it has."""
        while len(box.children) < len(texts):
            box.add_widget(WrapLabel())
        while len(box.children) > len(texts):
            box.remove_widget(box.children[0])
        for label, text, colour in zip(reversed(box.children), texts, colours, strict=True):
            label.text, label.bg = text, colour

    def _show_tickets(self, now: datetime) -> None:
        m, t, rv = self.model, self.t, self.ids.tickets
        rows = m.ticket_rows(now)
        more = m.tickets.more if m.tickets else 0
        total = len(m.tickets.tickets) + more if m.tickets else 0   # open tickets, also those beyond the list
        if m.agency_filter is None:
            self.tickets_title = t(T.TICKETS, shown=len(rows), total=total)
        else:
            self.tickets_title = t(T.TICKETS_FILTERED, agency=m.agency_name(m.agency_filter), shown=len(rows),
                                   total=total)
        self.more_text = t(T.MORE_TICKETS, count=more) if more else ""
        width = max(50, int(rv.width) - 2 * TICKET_PAD)
        data = []
        for r in rows:
            height = self._measure(r["details"], width)
            data.append({"ticket": r["ticket"], "cells": [r["number"], r["status"], r["priority"], r["language"],
                                                          r["waited"]],
                         "details": r["details"], "selected": r["selected"], "details_height": height,
                         "size": (rv.width, TICKET_LINE + height + 2 * TICKET_PAD)})
        rv.data = data
        index = next((i for i, r in enumerate(rows) if r["selected"]), -1)
        if (m.selected, index) != self._shown_selection:
            self._shown_selection = (m.selected, index)
            self._keep_chosen_in_view()

    def _keep_chosen_in_view(self) -> None:
        """Scroll to the chosen ticket now and once more after the layout has settled (titles may wrap)."""
        from kivy.clock import Clock

        index = self._shown_selection[1]
        if index >= 0:
            self.scroll_to(index)
            Clock.schedule_once(lambda _dt: self.scroll_to(self._shown_selection[1]), 0)

    def _measure(self, text: str, width: int, font: int = S.FONT, pad: int = 2) -> int:
        """The height ``text`` takes wrapped to ``width`` (``pad`` each side) in the regular font (cached)."""
        key = (text, width, font, pad)
        if key not in self._measured:
            from kivy.app import App
            from kivy.core.text import Label as CoreLabel

            label = CoreLabel(text=text, font_size=font, font_name=App.get_running_app().font_regular,
                              text_size=(width, None), padding=[pad, 0, pad, 0])
            label.refresh()
            if len(self._measured) > 2000:
                self._measured.clear()
            self._measured[key] = int(label.texture.size[1]) + 2
        return self._measured[key]

    def scroll_to(self, index: int) -> None:
        """Scroll the ticket list so that row ``index`` is inside the visible area (as little as needed)."""
        rv = self.ids.tickets
        if index < 0:
            return
        heights = [d["size"][1] for d in rv.data]
        content = sum(heights) + TICKET_GAP * max(0, len(heights) - 1)
        view = rv.height
        if content <= view or index >= len(heights):
            return
        top = sum(heights[:index]) + TICKET_GAP * index           # from the top of the content
        bottom = top + heights[index]
        shown_top = (1 - rv.scroll_y) * (content - view)
        if top < shown_top:
            shown_top = top
        elif bottom > shown_top + view:
            shown_top = bottom - view
        rv.scroll_y = min(1.0, max(0.0, 1 - shown_top / (content - view)))


__all__ = ["ACTIONS", "CounterTile", "FilterRow", "ReceptionScreen", "TableRow", "WrapLabel", "load_kv"]
