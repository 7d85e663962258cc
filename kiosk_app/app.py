"""The Kivy app: wires the flow, the screens, the scanner, the printer and the inactivity timer together."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.widget import Widget

from host_support.package_data import package_path
from ui_common import typeset
from ui_common.bridge import MainThreadQueue
from ui_common.languages import language
from ui_common.scaling import fit_window
from ui_common.snapshots import Snapshots

from . import readout, texts
from .flow import KioskFlow
from .palette import PALETTE
from .parts import KioskParts
from .reader import ScreenReader
from .screens import SCREEN_OF_STEP, all_screens

log = logging.getLogger("arkaden.kiosk")


def _kv_dir() -> Path:
    """The package's directory, where the .kv rules are package data read in place."""
    return package_path("kiosk_app")  # Kivy's Builder reads the rules by path


class KioskApp(App):
    lang = StringProperty("de")
    rtl = BooleanProperty(False)
    halign = StringProperty("left")
    centre = StringProperty("center")   # centred texts, in every direction (the text provider measures RTL as drawn)
    font_regular = StringProperty("")
    font_bold = StringProperty("")
    script = StringProperty("Latn")
    direction = StringProperty("ltr")
    latin_regular = StringProperty("")
    latin_bold = StringProperty("")
    portrait = BooleanProperty(True)
    can_read_aloud = BooleanProperty(False)   # the speaker button shows (a player, and a voice for the language)
    T = texts

    def __init__(self, parts: KioskParts, **kw: Any):
        super().__init__(**kw)
        self.parts = parts
        self.site = parts.site
        self.texts = texts.Texts()
        self.typeset = typeset
        self.portrait = parts.portrait
        self.reader: ScreenReader | None = None
        self._shown_step = ""
        latin = typeset.font_files("Latn")
        self.latin_regular, self.latin_bold = str(latin.regular), str(latin.bold)
        self._apply_language(parts.default_lang)
        self._last_activity = time.monotonic()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-work")
        self.flow: KioskFlow | None = None
        self.snapshots: Snapshots | None = None
        self.title = f"arkaden kiosk {parts.kiosk_id}"

    # --- text ------------------------------------------------------------------------------------

    def tr(self, msgid: str, _lang: str | None = None, **values: Any) -> str:
        """The msgid in the screen's language, display-ready (kv passes ``app.lang`` to rebind on changes)."""
        return self.texts(self.lang, msgid, **values)

    def tr_raw(self, msgid: str, **values: Any) -> str:
        return self.texts.raw(self.lang, msgid, **values)

    def tr_in(self, lang: str, msgid: str) -> str:
        return self.texts(lang, msgid)

    def _apply_language(self, lang: str) -> None:
        style, bold = typeset.style(lang), typeset.style(lang, bold=True)
        self.font_regular, self.font_bold = style["font_name"], bold["font_name"]
        self.script, self.direction = style["font_script_name"], style["font_direction"]
        self.rtl = language(lang).rtl
        self.halign = "right" if self.rtl else "left"
        self.centre = "center"
        self.property("centre").dispatch(self)   # halign binds to app.halign too: centred labels follow this last
        self.can_read_aloud = self.parts.player is not None and ScreenReader.can_read(lang)
        self.lang = lang

    # --- wiring ----------------------------------------------------------------------------------

    @property
    def screen_size(self) -> tuple[int, int]:
        """The size the screens are laid out for, whatever the window's (a smaller one shows them scaled)."""
        return self.parts.screen_size

    def build(self) -> Widget:
        from kivy.core.window import Window  # importing it opens the window: that is build's job, not import's

        Window.clearcolor = PALETTE.rgba("background")
        kv = _kv_dir()
        Builder.load_file(str(kv / "widgets.kv"))
        for cls in all_screens():
            Builder.load_file(str(kv / "screens" / f"{cls.__module__.rsplit('.', 1)[-1]}.kv"))
        self.queue = MainThreadQueue()
        p = self.parts
        if p.player is not None:
            self.reader = ScreenReader(p.player)
        self.flow = KioskFlow(p.site, p.backend, p.printer, run=self._run, post=self.queue.post, clock=p.clock,
                              default_lang=p.default_lang, timeouts=p.timeouts, on_change=self._changed,
                              on_printer_status=p.status.printer, on_printing=p.on_printing)
        self.screens = ScreenManager(transition=NoTransition())
        for cls in all_screens():
            self.screens.add_widget(cls())
        Window.bind(on_touch_down=self._touched)
        Clock.schedule_interval(self._idle_check, 0.5)
        p.printer.start(on_status=p.status.printer)
        p.scanner.start(lambda code: self.queue.post(self._scanned, code), p.status.scanner)
        self._changed()
        return fit_window(self.screens, p.screen_size)

    def _run(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None:
        def work() -> None:
            try:
                result = fn()
            except Exception:
                log.exception("kiosk work failed")
                self.queue.post(self._failed)
                return
            self.queue.post(then, result)

        self._executor.submit(work)

    def _failed(self) -> None:
        assert self.flow is not None
        self.flow.busy = False
        self.flow._explain(texts.FAILED, texts.ASK_RECEPTION)

    def read_aloud(self) -> None:
        """The speaker button: read the current screen (again, from the start) in the screen's language."""
        if self.reader is None or self.flow is None:
            return
        self._last_activity = time.monotonic()
        self.reader.read(readout.screen_text(self.flow, self.texts, scanner_side=self.parts.scanner_at,
                                             slip_side=self.parts.slip_out))

    def _scanned(self, code: str) -> None:
        self._last_activity = time.monotonic()
        assert self.flow is not None
        self.flow.scan(code)

    def _touched(self, *_: Any) -> None:
        self._last_activity = time.monotonic()

    def _idle_check(self, _dt: float) -> None:
        flow = self.flow
        if self.reader is not None and self.reader.busy:   # being read to is not idle: wait for the end
            self._last_activity = time.monotonic()
            return
        if flow is not None and flow.step != "welcome" and time.monotonic() - self._last_activity > flow.timeout_s():
            log.info("no touch for %.0f s on %s: back to the start", flow.timeout_s(), flow.step)
            flow.reset()

    def _changed(self) -> None:
        flow = self.flow
        assert flow is not None
        if flow.lang != self.lang:
            self._apply_language(flow.lang)
        name = SCREEN_OF_STEP[flow.step]
        if flow.step != self._shown_step and self.reader is not None:
            self.reader.stop()   # what was read belongs to the screen the client has left
        self._shown_step = flow.step
        if self.screens.current != name:
            self._last_activity = time.monotonic()
        self.screens.current = name
        self.screens.get_screen(name).refresh(self)

    def on_start(self) -> None:
        from ui_common import watchdog

        watchdog.start("kiosk")
        p = self.parts
        if p.snapshots is not None:
            self.snapshots = Snapshots(p.snapshots, "kiosk", p.kiosk_id, p.clock, p.site.tz)
            self.snapshots.start()

    def on_stop(self) -> None:
        p = self.parts
        if self.snapshots is not None:
            self.snapshots.stop()
        closers = [p.scanner.stop, p.printer.stop, *p.closers]
        if self.reader is not None:
            closers.append(self.reader.close)
        for stop in closers:
            try:
                stop()
            except Exception:
                log.exception("stopping a kiosk part failed")
        self._executor.shutdown(wait=False, cancel_futures=True)
