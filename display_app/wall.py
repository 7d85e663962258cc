"""The wall display's screen: a fixed set of rows and cells, filled from the BoardModel (reused, never stacked)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from host_support.package_data import package_path
from ui_common.i18n import Translations
from ui_common.text import text_style

from . import messages as m
from .board_model import BoardModel, CallView, LaterView
from .layout import WallLayout

HINT_FONT = 54
HINT_FONT_MIN = 30
RECENT_WITH_LATER = 3   # recent calls shown while the "later" list is there (one row of the grid)


def load_kv() -> None:
    kv = package_path("display_app", "wall.kv")
    if str(kv) not in Builder.files:
        Builder.load_file(str(kv))


class CallRow(BoxLayout):
    number = StringProperty("")
    room = StringProperty("")
    counter = StringProperty("")
    agency = StringProperty("")
    filled = BooleanProperty(False)
    bright = BooleanProperty(False)  # highlighted and in the bright half of the blink
    number_size = NumericProperty(200)
    number_width = NumericProperty(640)
    detail_size = NumericProperty(60)


class RecentCell(BoxLayout):
    number = StringProperty("")
    place = StringProperty("")


class LaterCell(BoxLayout):
    number = StringProperty("")
    place = StringProperty("")


class QueueRow(BoxLayout):
    agency = StringProperty("")
    waiting = StringProperty("")
    wait = StringProperty("")
    row_font = NumericProperty(36)


class WallScreen(BoxLayout):
    """The board: current calls, recent calls, waiting per agency, the clock and the rotating hint."""

    landscape = BooleanProperty(True)
    heading = StringProperty("")
    heading_recent = StringProperty("")
    heading_waiting = StringProperty("")
    heading_later = StringProperty("")
    has_later = BooleanProperty(False)   # the "later" list shows (only when it has numbers)
    status = StringProperty("")
    clock = StringProperty("")
    hint = StringProperty("")
    hint_size = NumericProperty(HINT_FONT)

    def build_slots(self, layout: WallLayout, n_queues: int, texts: Translations, later_slots: int = 3) -> None:
        """Create every row once; later updates only change their properties."""
        self.texts = texts
        self.heading = texts.gettext("de", m.HEADING_CALLS)
        self.heading_recent = texts.gettext("de", m.HEADING_RECENT)
        self.heading_waiting = texts.gettext("de", m.HEADING_WAITING)
        self.heading_later = f"{texts.gettext('de', m.HEADING_LATER)} / {texts.gettext('en', m.HEADING_LATER)}"
        self.call_rows = [CallRow(number_size=layout.number_size, number_width=layout.number_width,
                                  detail_size=layout.detail_size)
                          for _ in range(layout.current_slots)]
        for row in self.call_rows:
            self.ids.calls.add_widget(row)
        self.recent_cells = [RecentCell() for _ in range(layout.recent_slots)]
        for cell in self.recent_cells:
            self.ids.recent.add_widget(cell)
        self.later_cells = [LaterCell() for _ in range(later_slots)]
        for later in self.later_cells:
            self.ids.later.add_widget(later)
        row_font = 40 if n_queues <= 8 else 34
        self.queue_rows = [QueueRow(row_font=row_font) for _ in range(n_queues)]
        for row in self.queue_rows:
            self.ids.queues.add_widget(row)
        # a few agencies stack at the top (rows of a tenth of the panel), many share it
        if n_queues < 10:
            self.ids.queues.add_widget(Widget(size_hint_y=10 - n_queues))
        self._hint_lang = ""
        self.ids.hint.bind(texture_size=self._fit_hint)

    def _fit_hint(self, label: Any, size: Sequence[float]) -> None:
        """A long hint (e.g. Romanian, or Farsi in portrait) gets a smaller font until it fits its bar."""
        if size[1] > label.height - 8 and self.hint_size > HINT_FONT_MIN:
            self.hint_size -= 4

    def show(self, model: BoardModel) -> None:
        """Put the model's calls and queues into the rows."""
        room = self.texts.gettext("de", m.ROOM)
        for i, row in enumerate(self.call_rows):
            call = model.current[i] if i < len(model.current) else None
            row.filled = call is not None
            row.number = call.number if call else ""
            row.room = room.format(room=call.room) if call else ""
            row.counter = call.counter_label if call else ""
            row.agency = call.agency if call else ""
        self.has_later = bool(model.later)
        shown = RECENT_WITH_LATER if self.has_later else len(self.recent_cells)
        grid = self.ids.recent
        for i, cell in enumerate(self.recent_cells):
            recent: CallView | None = model.recent[i] if i < min(shown, len(model.recent)) else None
            cell.number = recent.number if recent else ""
            cell.place = f"{recent.room} · {recent.counter_label}" if recent else ""
            if i < shown and cell.parent is None:   # one row of recent calls while "later" shows
                grid.add_widget(cell)
            elif i >= shown and cell.parent is not None:
                grid.remove_widget(cell)
        for i, later_cell in enumerate(self.later_cells):
            later: LaterView | None = model.later[i] if i < len(model.later) else None
            later_cell.number = later.number if later else ""
            later_cell.place = f"{room.format(room=later.room)} · {later.time}" if later else ""
        about = self.texts.gettext("de", m.WAIT_ABOUT)
        for row, q in zip(self.queue_rows, model.queues, strict=False):  # stops at the shorter
            row.agency = q.short
            row.waiting = str(q.waiting)
            if not q.waiting:
                row.wait = ""
            elif q.wait_min == q.wait_max:
                row.wait = about.format(minutes=q.wait_max)
            else:
                row.wait = about.format(minutes=f"{q.wait_min}–{q.wait_max}")
        self.blink(model)

    def blink(self, model: BoardModel) -> None:
        for i, row in enumerate(self.call_rows):
            row.bright = i < len(model.current) and model.blink_on(model.current[i])

    def tick(self, model: BoardModel, wall_time: str) -> None:
        """Every quarter second: blink phase, clock, hint language, connection note."""
        self.blink(model)
        self.clock = wall_time
        if not model.connected:
            self.status = self.texts.gettext("de", m.NO_CONNECTION if model.ever_connected else m.CONNECTING)
        else:
            self.status = ""
        lang = model.hint_language()
        if lang != self._hint_lang:
            self._hint_lang = lang
            hint = self.ids.hint
            style = text_style(lang)
            hint.font_name, hint.font_script_name = style["font_name"], style["font_script_name"]
            hint.font_direction = style["font_direction"]
            self.hint_size = HINT_FONT
            self.hint = self.texts.gettext(lang, m.HINT)

    def widget_count(self) -> int:
        count, stack = 0, [self]
        while stack:
            w = stack.pop()
            count += 1
            stack.extend(w.children)
        return count
