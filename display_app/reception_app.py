"""`arkaden reception`: the reception monitor app — link, view model, screen; actions go to the core as requests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

import queue_protocol as p
from device_link.link import BadReply, Link
from host_support.sim_clock import real_now
from queue_rules.site import Site
from ui_common.kivy_env import Geometry
from ui_common.snapshots import SnapshotSettings

from . import reception_texts as T
from .reception_model import ReceptionModel

log = logging.getLogger("arkaden.reception")
REFRESH_S = 5.0  # minutes waited and "serving since" move on even when nothing is published
SCREEN_SIZE = (1920, 1080)  # what the monitor is laid out for; a smaller --window shows it scaled


@dataclass
class ReceptionSettings:
    site: Site
    desk: str
    operator: str
    host: str = "127.0.0.1"
    port: int = 1883
    auth: Any = None  # device_link.broker_auth.BrokerAuth from --broker-config etc.; None: anonymous
    fullscreen: bool = False
    clock: Callable[[], datetime] = real_now   # waits and "serving since" are computed with it (--sim-clock)
    window: Geometry | None = None       # --window: its own size and place, the monitor scaled into it
    snapshots: SnapshotSettings | None = None  # --snapshot-dir
    language: str = "de"                 # --language: de or en (display_app/locale/<lang>/LC_MESSAGES/reception.po)


def make_app(settings: ReceptionSettings, *, connect: bool = True) -> Any:
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.properties import StringProperty

    from ui_common.bridge import MainThreadQueue
    from ui_common.scaling import fit_window
    from ui_common.snapshots import Snapshots
    from ui_common.text import text_style

    from .reception import ReceptionScreen, load_kv

    class ReceptionApp(App):
        font_regular = StringProperty(text_style("de")["font_name"])
        font_bold = StringProperty(text_style("de", bold=True)["font_name"])

        def build(self) -> Any:
            self.title = f"arkaden reception {settings.desk}"
            self.settings = settings
            self.model = ReceptionModel(settings.site, settings.desk, settings.operator, clock=settings.clock,
                                        lang=settings.language)
            self.snapshots: Snapshots | None = None
            self.topics = p.Topics(settings.site.site.id)
            load_kv()
            self.screen = ReceptionScreen()
            self.screen.setup(self.model, self.send)
            self.queue = MainThreadQueue()
            self._refresh = Clock.create_trigger(lambda _dt: self.screen.show(self.now()), -1)
            self._ticker = Clock.schedule_interval(lambda _dt: self._refresh(), REFRESH_S)
            self.sent: list[dict[str, Any]] = []
            self.link: Link | None = None
            if connect:
                t = self.topics
                self.link = Link(settings.site, settings.host, settings.port, lambda line: log.info("%s", line),
                                 auth=settings.auth, clock=settings.clock,
                                 device_id=settings.desk, kind="reception",
                                 subscriptions=[t.all_public(), t.tickets(), t.all_events(), t.error(),
                                                t.all_presence()],
                                 on_public=lambda topic, data: self.queue.post(self._handle, topic, data,
                                                                         about=f"message on {topic}"),
                                 on_connected=lambda: self.queue.post(self._connection, True),
                                 on_disconnected=lambda: self.queue.post(self._connection, False))
                self.link.start()
            self.screen.show(self.now())
            return fit_window(self.screen, SCREEN_SIZE)

        def now(self) -> datetime:
            return self.model.now()

        def _handle(self, topic: str, data: dict[str, Any]) -> None:
            try:
                family = self.topics.parse(topic).spec.name
            except p.TopicError:
                return
            if self.model.apply(family, data):
                self._refresh()

        def _connection(self, connected: bool) -> None:
            self.model.connected = connected
            self._refresh()

        def send(self, action: str, body: dict[str, Any]) -> None:
            """Send a ReceptionCommand as a v5 request in a worker (the UI stays responsive); show the answer."""
            ticket = self.model.selected_ticket()
            number = ticket.number if ticket else body["ticket"]
            self.sent.append(body)
            self.model.sent(action, number)
            self._refresh()
            link = self.link
            if link is None:
                return
            try:
                command = p.ReceptionCommand.model_validate({**body, "id": link.new_id()})
            except ValidationError:  # the model checked it already; the core would refuse it so
                self.model.failed(action, self.model.t(T.INVALID, what=action))
                self._refresh()
                return

            def work() -> None:
                try:
                    reply = link.request(self.topics.reception_cmd(settings.desk), command, p.CommandResult)
                except BadReply:
                    reply = None  # an answer that does not fit the protocol is as good as none
                self.queue.post(self._answered, action, number, reply)

            threading.Thread(target=work, name="reception-command", daemon=True).start()

        def _answered(self, action: str, number: str, reply: p.CommandResult | None) -> None:
            self.model.took(action, number, reply)
            self._refresh()

        def on_start(self) -> None:
            from ui_common import watchdog

            watchdog.start("reception")
            if settings.snapshots is not None:
                self.snapshots = Snapshots(settings.snapshots, "reception", settings.desk, settings.clock,
                                           settings.site.tz)
                self.snapshots.start()

        def on_stop(self) -> None:
            if self.snapshots is not None:
                self.snapshots.stop()
            if self.link is not None:
                self.link.stop()

    return ReceptionApp()


def prepare_kivy(settings: ReceptionSettings, *, debug: bool = False) -> None:
    from ui_common import kivy_env

    width, height = SCREEN_SIZE
    kivy_env.prepare("reception", kivy_env.WindowSettings(
        width=width, height=height, fullscreen=settings.fullscreen and settings.window is None,
        geometry=settings.window, input="mouse", show_cursor=True), debug=debug)
