"""The wall display's screen: a fixed set of rows and cells, filled from the BoardModel (reused, never stacked).

Fixed headings are German with a second line in the language the hint rotates through (in that language's font
and direction); numbers and rooms never change. Texts that vary (agency names, headings, the hint) are fitted to
their box (`FitLabel`: wrapped at spaces, then a smaller size) before anything would be cut. The waiting list
turns pages when its rows at 40 px do not all fit (`layout.queue_pages`); its rows are as tall as the tallest
line of any site language's font at that size, so the box holds its text in every language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from host_support.package_data import package_path
from ui_common.i18n import Translations
from ui_common.text import text_style

from . import messages as m
from .board_model import BoardModel, CallView, LaterView
from .fitting import MARGIN, fit_text, kivy_measure
from .layout import QueuePages, WallLayout, queue_pages

RECENT_ROWS_WITH_LATER = 1   # rows of recent calls while the "later" list is there
QUEUE_SPACING = 6            # between two agencies' rows
WAIT_SAMPLE = 88             # the minutes a wait is measured with ("ca. 88–88 Min.": its tallest line)


def load_kv() -> None:
    kv = package_path("display_app", "wall.kv")
    if str(kv) not in Builder.files:
        Builder.load_file(str(kv))


class FitLabel(Label):
    """A label that shows ``full_text`` whole: wrapped at spaces (``max_lines``), else at a smaller size; it
    shortens only when not even ``smallest`` fits."""

    full_text = StringProperty("")
    largest = NumericProperty(40)
    smallest = NumericProperty(20)
    max_lines = NumericProperty(1)
    pad_x = NumericProperty(0)      # the part of the width the text may not use (text_size narrower than the box)

    def __init__(self, **kwargs: Any):
        self._refit = Clock.create_trigger(lambda _dt: self.refit(), -1)
        super().__init__(**kwargs)
        for prop in ("full_text", "size", "largest", "smallest", "max_lines", "font_name", "font_script_name",
                     "font_direction"):
            self.fbind(prop, self._refit)

    def refit(self) -> None:
        if self.width <= 1 or self.height <= 1:
            return
        measure = kivy_measure(self.font_name, self.font_script_name, self.font_direction)
        fit = fit_text(self.full_text, self.width - self.pad_x, self.height, largest=int(self.largest),
                       smallest=int(self.smallest), measure=measure, max_lines=int(self.max_lines))
        self.font_size = fit.size
        self.shorten = not fit.fits
        self.text = fit.text


class BilingualHeading(BoxLayout):
    german = StringProperty("")
    second = StringProperty("")
    second_font = StringProperty("")
    second_script = StringProperty("Latn")
    second_direction = StringProperty("ltr")
    halign = StringProperty("left")
    german_size = NumericProperty(36)
    german_height = NumericProperty(50)
    second_size = NumericProperty(34)

    def set_texts(self, german: str, second: str, style: dict[str, Any]) -> None:
        self.german, self.second = german, second
        self.second_font, self.second_script = style["font_name"], style["font_script_name"]
        self.second_direction = style["font_direction"]


class CallRow(BoxLayout):
    number = StringProperty("")
    room = StringProperty("")
    counter = StringProperty("")
    agency = StringProperty("")
    filled = BooleanProperty(False)
    bright = BooleanProperty(False)  # highlighted and in the bright half of the blink
    number_size = NumericProperty(212)
    number_width = NumericProperty(650)
    room_size = NumericProperty(84)
    counter_size = NumericProperty(70)
    agency_size = NumericProperty(44)
    tier_height = NumericProperty(170)


class RecentCell(BoxLayout):
    number = StringProperty("")
    room = StringProperty("")
    font = NumericProperty(56)


class LaterCell(BoxLayout):
    number = StringProperty("")
    room = StringProperty("")
    time = StringProperty("")
    font = NumericProperty(56)


class QueueRow(BoxLayout):
    """One agency: its name and how many wait, then (under it) about how long, in the rotating language."""

    agency = StringProperty("")
    waiting = StringProperty("")
    wait = StringProperty("")
    row_font = NumericProperty(44)
    min_font = NumericProperty(40)
    name_height = NumericProperty(62)
    wait_height = NumericProperty(62)
    one_line = BooleanProperty(False)
    wait_font = StringProperty("")
    wait_script = StringProperty("Latn")
    wait_direction = StringProperty("ltr")


class WallScreen(BoxLayout):
    """The board: current calls, recent calls, waiting per agency, the clock and the rotating hint."""

    landscape = BooleanProperty(True)
    has_later = BooleanProperty(False)   # the "later" list shows (only when it has numbers)
    status = StringProperty("")
    clock = StringProperty("")
    hint = StringProperty("")
    hint_size = NumericProperty(48)
    hint_height = NumericProperty(96)
    heading_height = NumericProperty(106)
    number_width = NumericProperty(650)
    calls_width = NumericProperty(1146)
    calls_height = NumericProperty(830)
    recent_cols = NumericProperty(2)
    cell_height = NumericProperty(80)
    later_height = NumericProperty(124)
    page_mark = StringProperty("")       # "2/3" beside "Wartende" while the waiting list has pages

    def build_slots(self, layout: WallLayout, n_queues: int, texts: Translations, later_slots: int = 3,
                    languages: Iterable[str] = ("de", "en")) -> None:
        """Create every row once; later updates only change their properties. ``languages``: those the waits
        rotate through (their fonts set the waiting rows' height)."""
        self.texts = texts
        self.layout = layout
        self._wait_langs = list(languages)
        self.hint_size, self.hint_height = layout.hint_size, layout.hint_height
        self.heading_height, self.number_width = layout.heading_height, layout.number_width
        self.calls_width, self.recent_cols = layout.calls_width, layout.recent_cols
        row_height = layout.row_tier + layout.counter_tier + 4
        self.calls_height = layout.current_slots * row_height + (layout.current_slots - 1) * 10
        self.cell_height = round(layout.recent_size * 1.43)
        self.later_height = self.cell_height + round(layout.recent_size * 0.6 * 1.45)
        self.headings = [self.ids[i] for i in ("h_calls", "h_room", "h_recent_top", "h_recent", "h_later",
                                                 "h_waiting")]
        for h in self.headings:
            h.german_size, h.second_size = layout.heading_size, layout.second_size
            h.german_height = round(layout.heading_size * 1.4)
        self.call_rows = [CallRow(number_size=layout.number_size, number_width=layout.number_width,
                                  room_size=layout.room_size, counter_size=layout.counter_size,
                                  agency_size=layout.agency_size, tier_height=layout.row_tier,
                                  size_hint_y=None, height=row_height)
                          for _ in range(layout.current_slots)]
        for row in self.call_rows:
            self.ids.calls.add_widget(row)
        self.recent_cells = [RecentCell(font=layout.recent_size) for _ in range(layout.recent_slots)]
        for cell in self.recent_cells:
            self.ids.recent.add_widget(cell)
        self.later_cells = [LaterCell(font=layout.recent_size) for _ in range(later_slots)]
        for later in self.later_cells:
            self.ids.later.add_widget(later)
        self.queue_rows = [QueueRow(size_hint_y=None) for _ in range(n_queues)]   # parented: one page's worth
        self.ids.queues.spacing = QUEUE_SPACING
        self._filler = Widget()   # a few agencies stack at the top; the filler takes the rest of the panel
        self.ids.queues.add_widget(self._filler)
        self.pages = QueuePages(layout.queue_size, 0, n_queues, 1)
        self._page = 0
        self._queues: list[Any] = []
        self._agency_name: Callable[[str, str], str] = lambda agency, lang: agency
        self.ids.queues.bind(height=lambda *_: self._size_queues())
        self._rotation = ""
        self.set_rotation("de")

    def _line_heights(self, size: int) -> tuple[float, float]:
        """A waiting row's two lines at ``size``: name and count, the wait. The name and the wait follow the rotation,
        so both lines are as tall as the tallest of every rotation language's font (and the German bold count)."""
        name = max(kivy_measure(text_style("de", bold=bold)["font_name"])("Ag 88", size)[1] for bold in (False, True))
        wait = 0.0
        for lang in self._wait_langs:
            style = text_style(lang)
            sample = self.texts.gettext(lang, m.WAIT_ABOUT).format(minutes=f"{WAIT_SAMPLE}-{WAIT_SAMPLE}")
            measure = kivy_measure(style["font_name"], style["font_script_name"], style["font_direction"])
            wait = max(wait, measure(sample, size)[1])
        return max(name, wait) + MARGIN, wait + MARGIN

    def _size_queues(self) -> None:
        """Pages of as many agencies as fit the panel at 40 px or more, shared out evenly."""
        box, n = self.ids.queues, len(self.queue_rows)
        if box.height <= 1:
            return
        one = self.layout.queue_one_line

        def row_height(size: int) -> float:
            return (max if one else sum)(self._line_heights(size))

        self.pages = queue_pages(n, box.height, QUEUE_SPACING, row_height, largest=self.layout.queue_size,
                                 smallest=self.layout.queue_min)
        name_h, wait_h = self._line_heights(self.pages.size)
        for i, row in enumerate(self.queue_rows):
            row.row_font, row.min_font, row.one_line = self.pages.size, self.layout.queue_min, one
            row.name_height, row.wait_height, row.height = name_h, wait_h, row_height(self.pages.size)
            shown = i < self.pages.per_page
            if shown and row.parent is None:
                box.add_widget(row, index=1)       # above the filler, in order
            elif not shown and row.parent is not None:
                box.remove_widget(row)
                row.agency = row.waiting = row.wait = ""
        self._show_waits()

    def set_rotation(self, lang: str) -> None:
        """Put the hint, the headings' second lines and the waits into the rotating language."""
        self._rotation = lang
        style = text_style(lang)
        self._hint_style, self._hint_text = style, self.texts.gettext(lang, m.HINT)
        self._apply_hint()
        second = m.second_language(lang)
        second_style = text_style(second)
        texts = m.headings(self.texts, lang)
        keys = ("calls", "room", "recent", "recent", "later", "waiting")
        for heading, key in zip(self.headings, keys, strict=True):
            heading.set_texts(*texts[key], second_style)
        self._wait_lang = lang   # every script's font has Latin digits merged in (ui_common.typeset)
        wait_style = text_style(self._wait_lang)
        for row in self.queue_rows:
            row.wait_font, row.wait_script = wait_style["font_name"], wait_style["font_script_name"]
            row.wait_direction = wait_style["font_direction"]

    def _apply_hint(self) -> None:
        """The hint bar: the rotating hint, or (in German, in the warning colour) the connection note."""
        hint = self.ids.hint
        style = text_style("de") if self.status else self._hint_style
        hint.font_name, hint.font_script_name = style["font_name"], style["font_script_name"]
        hint.font_direction = style["font_direction"]
        self.hint = self.status or self._hint_text

    def show(self, model: BoardModel) -> None:
        """Put the model's calls and queues into the rows."""
        for i, row in enumerate(self.call_rows):
            call = model.current[i] if i < len(model.current) else None
            row.filled = call is not None
            row.number = call.number if call else ""
            row.room = call.room if call else ""
            row.counter = call.counter_label if call else ""
            row.agency = call.agency if call else ""
        self.has_later = bool(model.later)
        shown = RECENT_ROWS_WITH_LATER * self.layout.recent_cols if self.has_later else len(self.recent_cells)
        grid = self.ids.recent
        for i, cell in enumerate(self.recent_cells):
            recent: CallView | None = model.recent[i] if i < min(shown, len(model.recent)) else None
            cell.number = recent.number if recent else ""
            cell.room = recent.room if recent else ""
            if i < shown and cell.parent is None:   # fewer rows of recent calls while "later" shows
                grid.add_widget(cell)
            elif i >= shown and cell.parent is not None:
                grid.remove_widget(cell)
        for i, later_cell in enumerate(self.later_cells):
            later: LaterView | None = model.later[i] if i < len(model.later) else None
            later_cell.number = later.number if later else ""
            later_cell.room = later.room if later else ""
            later_cell.time = later.time if later else ""
        self._queues = model.queues
        self._agency_name = model.agency_name
        self._page = model.queue_page(self.pages.pages)
        self._show_waits()
        self.blink(model)

    def _show_waits(self) -> None:
        about = self.texts.gettext(self._wait_lang, m.WAIT_ABOUT)
        dash = "–"   # in every merged font (ui_common.typeset adds it to the Arabic and Ethiopic ones)
        page = [self._queues[i] for i in self.pages.page(self._page, len(self._queues))]
        self.page_mark = f"{self._page % self.pages.pages + 1}/{self.pages.pages}" if self.pages.pages > 1 else ""
        for i, row in enumerate(self.queue_rows[: self.pages.per_page]):
            q = page[i] if i < len(page) else None
            row.opacity = 1 if q else 0          # the last page may be a row short
            if q is None:
                row.agency = row.waiting = row.wait = ""
                continue
            row.agency = self._agency_name(q.agency, self._wait_lang)   # in the rotating language, as the wait
            row.waiting = str(q.waiting)
            if not q.waiting:
                row.wait = ""
            elif q.wait_min == q.wait_max:
                row.wait = about.format(minutes=q.wait_max)
            else:
                row.wait = about.format(minutes=f"{q.wait_min}{dash}{q.wait_max}")

    def blink(self, model: BoardModel) -> None:
        for i, row in enumerate(self.call_rows):
            row.bright = i < len(model.current) and model.blink_on(model.current[i])

    def tick(self, model: BoardModel, wall_time: str) -> None:
        """Every quarter second: blink phase, clock, rotating language, connection note."""
        self.blink(model)
        self.clock = wall_time
        status = "" if model.connected else self.texts.gettext(
            "de", m.NO_CONNECTION if model.connection_lost() else m.CONNECTING)
        if status != self.status:
            self.status = status
            self._apply_hint()
        lang, page = model.hint_language(), model.queue_page(self.pages.pages)
        if lang != self._rotation or page != self._page:
            if lang != self._rotation:
                self.set_rotation(lang)
            self._page = page
            self._show_waits()

    def widget_count(self) -> int:
        count, stack = 0, [self]
        while stack:
            w = stack.pop()
            count += 1
            stack.extend(w.children)
        return count
