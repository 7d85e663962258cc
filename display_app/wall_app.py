"""`arkaden display`: the wall display app — wiring of link, view model, screen, sound and the frame meter."""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import queue_protocol as p
from host_support.sim_clock import real_now
from queue_rules.site import Site
from ui_common.kivy_env import Geometry
from ui_common.snapshots import SnapshotSettings

from .board_model import BoardModel, BoardSettings
from .layout import LAYOUTS
from .messages import translations

log = logging.getLogger("arkaden.display")
TICK_S = 0.25


@dataclass
class DisplaySettings:
    site: Site
    display_id: str
    host: str = "127.0.0.1"
    port: int = 1883
    auth: Any = None  # device_link.broker_auth.BrokerAuth from --broker-config etc.; None: anonymous
    orientation: str = "landscape"
    fullscreen: bool = True
    highlight_seconds: float = 10.0
    hint_seconds: float = 6.0
    page_seconds: float = 8.0            # one page of the waiting list, when it has several
    sound: str = "auto"                  # auto | off | fake
    announce: list[str] = field(default_factory=list)  # languages spoken after the gong; empty: gong only
    # (then, once, the language a client chose at the kiosk, TicketCalled.announce)
    sound_record: Path | None = None     # tests: play nothing, keep a copy of every WAV here (RecordingPlayer)
    probe: Path | None = None            # write the display's state here every second (tests, benchmark)
    clock: Callable[[], datetime] = real_now   # the time shown (--sim-clock); blinking and hints stay on real time
    window: Geometry | None = None       # --window: its own size and place, the board scaled into it
    snapshots: SnapshotSettings | None = None  # --snapshot-dir


def rss_mb() -> float:
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_app(settings: DisplaySettings, *, connect: bool = True) -> Any:
    """The Kivy app (Kivy must be prepared and importable by now)."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.properties import StringProperty

    from ui_common.bridge import MainThreadQueue
    from ui_common.scaling import fit_window
    from ui_common.snapshots import Snapshots
    from ui_common.speech import RecordingPlayer
    from ui_common.text import text_style

    from . import sound as snd
    from .wall import WallScreen, load_kv

    class DisplayApp(App):
        font_regular = StringProperty(text_style("de")["font_name"])
        font_bold = StringProperty(text_style("de", bold=True)["font_name"])

        def build(self) -> Any:
            self.title = f"arkaden display {settings.display_id}"
            self.settings = settings
            self.layout = LAYOUTS[settings.orientation]
            self.texts = translations()
            self.model = BoardModel(settings.site, settings.display_id, BoardSettings(
                current_slots=self.layout.current_slots, recent_slots=self.layout.recent_slots,
                later_slots=self.layout.later_slots,
                highlight_seconds=settings.highlight_seconds, hint_seconds=settings.hint_seconds,
                page_seconds=settings.page_seconds), now=settings.clock)
            self.topics = p.Topics(settings.site.site.id)
            load_kv()
            screen = WallScreen(landscape=settings.orientation == "landscape")
            screen.build_slots(self.layout, len(self.model.queues), self.texts, self.model.settings.later_slots,
                               self.model.languages)
            self.screen = screen
            self.frame_ms: deque[float] = deque(maxlen=5000)
            self._stamps: list[float] = []
            self.messages = 0
            self.sound = self._make_sound()
            self.queue = MainThreadQueue()
            self._refresh = Clock.create_trigger(self._show, -1)
            self._ticker = Clock.schedule_interval(self._tick, TICK_S)
            if settings.probe is not None:
                self._prober = Clock.schedule_interval(lambda _dt: self.write_probe(), 1.0)
            Window.bind(on_flip=self._flipped)
            self.link = None
            if connect:
                from device_link.link import Link

                self.link = Link(settings.site, settings.host, settings.port, lambda line: log.info("%s", line),
                                 auth=settings.auth, clock=settings.clock,
                                 device_id=settings.display_id, kind="display",
                                 subscriptions=[self.topics.all_public()], on_public=self._arrived,
                                 on_connected=lambda: self.queue.post(self._connection, True),
                                 on_disconnected=lambda: self.queue.post(self._connection, False))
                self.link.start()
            self.snapshots: Snapshots | None = None
            self._tick(0)
            screen.show(self.model)
            return fit_window(screen, (self.layout.width, self.layout.height))

        def _make_sound(self) -> snd.SoundWorker | None:
            if settings.sound == "off":
                return None
            player: snd.Player | None
            if settings.sound_record is not None:
                player = RecordingPlayer(settings.sound_record)
            else:
                player = snd.FakePlayer() if settings.sound == "fake" else snd.CommandPlayer.find()
            if player is None:
                log.warning("no sound player (install the Debian package sox): the display stays silent")
                return None
            worker = snd.SoundWorker(player)
            worker.start()
            return worker

        # --- from the network thread ---------------------------------------------------------
        def _arrived(self, topic: str, data: dict[str, Any]) -> None:
            self.queue.post(self._handle, topic, data, time.perf_counter(), about=f"message on {topic}")

        # --- on the Kivy thread ----------------------------------------------------------------
        def _handle(self, topic: str, data: dict[str, Any], arrived: float) -> None:
            self.messages += 1
            try:
                family = self.topics.parse(topic).spec.name
            except p.TopicError:
                return
            if family == "call":
                call = self.model.apply_call(data)
                if call is None:
                    return
                self._stamps.append(arrived)
                self._refresh()   # shown first: should the announcement fail, the number is on the board
                if self.sound is not None:
                    self.sound.submit(snd.announcement_for(call.number, call.room, call.counter_label,
                                                           settings.announce, self.texts.gettext, call.announce))
            elif family == "board":
                if self.model.apply_board(data):
                    self._refresh()
                    for call in self.model.take_missed():   # made while this display reconnected: said now
                        log.info("call %s at %s came only on the board (missed while reconnecting)", call.number,
                                 call.counter)
                        if self.sound is not None:
                            self.sound.submit(snd.announcement_for(call.number, call.room, call.counter_label,
                                                                   settings.announce, self.texts.gettext,
                                                                   call.announce))

        def _show(self, _dt: float) -> None:
            try:
                self.screen.show(self.model)
            except Exception:  # what a message put into the model must not stop the display
                log.exception("showing the board failed; the display goes on")

        def _connection(self, connected: bool) -> None:
            self.model.set_connected(connected)
            self.screen.tick(self.model, self.model.wall_time(settings.clock()))

        def _tick(self, _dt: float) -> None:
            if self.model.roll_over():   # midnight: yesterday's calls leave, also without a message
                self._refresh()
            self.model.expire()
            self.screen.tick(self.model, self.model.wall_time(settings.clock()))

        def _flipped(self, window: Any) -> bool | None:
            """The frame after a call: flip it ourselves, then note how long the call took to be shown."""
            if not self._stamps:
                return None
            window.flip()
            now = time.perf_counter()
            self.frame_ms.extend((now - t) * 1000 for t in self._stamps)
            self._stamps.clear()
            return True

        # --- state for tests and the benchmark -------------------------------------------------
        def state(self) -> dict[str, Any]:
            from kivy.clock import Clock as _Clock

            return {
                "messages": self.messages,
                "calls_received": self.model.calls_received,
                "calls_shown": self.model.calls_shown,
                "boards_applied": self.model.boards_applied,
                "stale_dropped": self.model.stale_dropped,
                "day": self.model.day.isoformat(),
                "bridge_failures": self.queue.failures,
                "current": [r.number for r in self.screen.call_rows if r.filled],
                "bright": [r.number for r in self.screen.call_rows if r.bright],
                "recent": [c.number for c in self.screen.recent_cells if c.number],
                "later": [c.number for c in self.screen.later_cells if c.number],
                "queues": {r.agency: r.waiting for r in self.screen.queue_rows if r.agency},
                "queue_page": self.screen.page_mark,
                "status": self.screen.status,
                "connected": self.model.connected,
                "widgets": self.screen.widget_count(),
                "clock_events": len(_Clock.get_events()),
                "sounds_done": self.sound.done if self.sound else 0,
                "sounds_dropped": self.sound.dropped if self.sound else 0,
                "sound_overlaps": getattr(self.sound.player, "overlaps", 0) if self.sound else 0,
                "frame_ms": list(self.frame_ms),
                "rss_mb": round(rss_mb(), 2),
            }

        def write_probe(self) -> None:
            import json

            assert settings.probe is not None
            tmp = settings.probe.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state()))
            os.replace(tmp, settings.probe)

        def on_start(self) -> None:
            from ui_common import watchdog

            watchdog.start("display")
            if settings.snapshots is not None:   # bound after _flipped, so it reads the frame before that flips it
                self.snapshots = Snapshots(settings.snapshots, "display", settings.display_id, settings.clock,
                                           settings.site.tz)
                self.snapshots.start()

        def on_stop(self) -> None:
            if self.snapshots is not None:
                self.snapshots.stop()
            if self.link is not None:
                self.link.stop()
            if self.sound is not None:
                self.sound.stop()
            if settings.probe is not None:
                self.write_probe()

    return DisplayApp()


def prepare_kivy(settings: DisplaySettings, *, debug: bool = False) -> None:
    from ui_common import kivy_env

    lay = LAYOUTS[settings.orientation]
    fullscreen = settings.fullscreen and settings.window is None
    kivy_env.prepare("display", kivy_env.WindowSettings(
        width=lay.width, height=lay.height, fullscreen=fullscreen, geometry=settings.window,
        input="touch" if fullscreen else "mouse", show_cursor=not fullscreen), debug=debug)
