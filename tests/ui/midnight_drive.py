"""Runs the real wall display under Xvfb for tests/test_display_midnight_app.py; writes results and screenshots.

`python -m tests.ui.midnight_drive MODE SITE DISPLAY PORT OUTDIR`:
- `midnight`: the display's wall clock is set by this script (the site's local time). At 07:00 it meets last
  evening's board still retained at the broker; at 23:58 it shows today's calls; then the clock passes midnight
  with no message at all. Then a call whose handler raises (injected into the view model, on Kivy's clock
  through the bridge), and a good call after it.
- `outage`: the parent started no broker; the display must say "no connection", then show the core's board
  once the parent starts it; the parent then takes the broker away for a while and brings it back (with a
  core restarted meanwhile, whose board has changed). Stages and times go through files in OUTDIR.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import queue_protocol as p
from display_app.wall_app import DisplaySettings, make_app, prepare_kivy
from host_support.site_file import load_site
from queue_rules.site import Site


class SetClock:
    """The display's wall clock, set by the script."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _call(site: Site, number: str, counter_id: str, at: datetime) -> p.BoardCall:
    counter = site.counter(counter_id)
    agency = site.agency_of_service(counter.services[0])
    room = site.room(counter.room)
    return p.BoardCall(number=number, counter=counter.id, counter_label=counter.label, room=room.number,
                       floor=room.floor, agency=agency.short, at=at)


def _board(site: Site, at: datetime, current: list[p.BoardCall], recent: list[p.BoardCall], waiting: int) -> bytes:
    queues = [p.BoardQueue(service=s.id, agency=s.agency, waiting=waiting, estimated_wait_min=25)
              for s in site.services]
    return p.BoardState(current=current, recent=recent, queues=queues, at=at).to_bytes()


def _seen(app: Any) -> dict[str, Any]:
    state = app.state()
    state.pop("frame_ms")
    return state


async def _pictures(app: Any, out: Path, name: str) -> None:
    """The screen in German and with the Arabic rotation (right to left), in the bright half of any blink."""
    from ui_common import drive

    real, frozen = app.model.clock, app.model.clock()
    app.model.clock = lambda: frozen
    for lang in ("de", "ar"):
        app.model.hint_override = lang
        app.screen.tick(app.model, app.model.wall_time(app.settings.clock()))
        await drive.screenshot(out / f"{name}-{lang}.png")
    app.model.hint_override = None
    app.model.clock = real


def midnight_script(out: Path, host: str, port: int, site: Site, clock: SetClock) -> Any:
    from device_link.mqtt_client import make_client
    from ui_common import drive

    topics = p.Topics(site.site.id)
    day = clock.at.date()

    def at(hour: int, minute: int, second: int = 0, days: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=site.tz) + timedelta(days=days)

    async def script(app: Any) -> None:
        result: dict[str, Any] = {}
        client = make_client("midnight-feeder")
        client.connect(host, port)
        client.loop_start()
        try:
            # 07:00: the broker still holds last evening's board (the parent published it, retained)
            await drive.wait_until(lambda: app.model.connected and app.messages >= 1, timeout=30,
                                   what="the retained board of last evening")
            await drive.frames(3)
            result["morning"] = _seen(app)
            await _pictures(app, out, "morning-old-board")
            # 23:58 the same day: today's board and a call
            clock.at = at(23, 58)
            messages = app.messages
            board = _board(site, at(23, 57, 30), [_call(site, "A-031", "abh-1", at(23, 55))],
                           [_call(site, "A-030", "abh-2", at(23, 40)), _call(site, "J-017", "jc-2", at(23, 30))], 3)
            client.publish(topics.board(), board, qos=1, retain=True)
            called = _call(site, "J-018", "jc-1", at(23, 57, 50))
            client.publish(topics.call(), p.TicketCalled(**called.model_dump()).to_bytes(), qos=1)
            await drive.wait_until(lambda: app.messages >= messages + 2, timeout=20, what="today's board and call")
            await drive.frames(3)
            result["evening"] = _seen(app)
            await _pictures(app, out, "before-midnight")
            # midnight passes without any message: only the display's own timer can clear the board
            messages = app.messages
            clock.at = at(0, 0, 1, days=1)
            await drive.wait_until(lambda: not app.state()["current"] and not app.state()["recent"], timeout=5,
                                   what="yesterday's calls to leave the board after midnight")
            await drive.frames(3)
            result["after_midnight"] = _seen(app)
            result["messages_over_midnight"] = app.messages - messages
            await _pictures(app, out, "after-midnight")
            # a call whose handler raises on the Kivy thread, then a good one: the display goes on
            real_apply = app.model.apply_call

            def chokes(data: dict[str, Any]) -> Any:
                if data.get("number") == "Z-999":
                    raise RuntimeError("injected: a view model choking on a parseable message")
                return real_apply(data)

            app.model.apply_call = chokes
            for number, counter in (("Z-999", "abh-1"), ("A-001", "abh-2")):
                msg = _call(site, number, counter, at(7, 30, days=1))
                client.publish(topics.call(), p.TicketCalled(**msg.model_dump()).to_bytes(), qos=1)
            clock.at = at(7, 30, 5, days=1)
            await drive.wait_until(lambda: "A-001" in app.state()["current"], timeout=20,
                                   what="the call after the one that raised")
            await drive.frames(3)
            result["after_error"] = _seen(app)
            await _pictures(app, out, "after-error")
        finally:
            client.disconnect()
            client.loop_stop()
        (out / "midnight.json").write_text(json.dumps(result, default=str))

    return script


def outage_script(out: Path) -> Any:
    from display_app import messages as m
    from ui_common import drive

    async def stage(name: str, timeout: float) -> float:
        path = out / f"stage-{name}"
        await drive.wait_until(path.exists, timeout=timeout, what=f"the parent to write {path.name}")
        return float(path.read_text())

    def showing(app: Any, current: list[str]) -> bool:
        return bool(app.model.connected and app.state()["current"] == current)

    async def script(app: Any) -> None:
        result: dict[str, Any] = {}
        no_connection = app.texts.gettext("de", m.NO_CONNECTION)
        result["connecting"] = _seen(app)
        await drive.wait_until(lambda: app.screen.status == no_connection, timeout=30,
                               what="the no-connection note with no broker at the start")
        result["start_no_broker"] = _seen(app)
        await _pictures(app, out, "start-no-broker")
        (out / "shown-start-no-broker").write_text("1")
        started = await stage("broker-up", 60)
        await drive.wait_until(lambda: showing(app, ["A-001"]), timeout=60, what="the core's board after the start")
        result["first_board_s"] = time.monotonic() - started
        result["first_board"] = _seen(app)
        await _pictures(app, out, "first-board")
        (out / "shown-first-board").write_text("1")
        await drive.wait_until(lambda: app.screen.status == no_connection, timeout=30, what="the broker's loss")
        result["lost"] = _seen(app)
        await _pictures(app, out, "broker-lost")
        (out / "shown-lost").write_text("1")
        started = await stage("broker-back", 400)
        await drive.wait_until(lambda: showing(app, ["A-002"]), timeout=60, what="the changed board after the outage")
        result["back_board_s"] = time.monotonic() - started
        result["back"] = _seen(app)
        await _pictures(app, out, "broker-back")
        (out / "outage.json").write_text(json.dumps(result, default=str))

    return script


def main() -> None:
    mode, site_path, display, port_s, out_s = sys.argv[1:6]
    out, port = Path(out_s), int(port_s)
    site = load_site(site_path)
    clock = SetClock(datetime.fromisoformat(sys.argv[6])) if mode == "midnight" else None
    settings = DisplaySettings(site=site, display_id=display, port=port, fullscreen=False, highlight_seconds=2.0,
                               sound="fake", **({"clock": clock} if clock is not None else {}))
    prepare_kivy(settings, debug=True)  # Kivy's log on stderr: the test shows it when something fails
    app = make_app(settings)
    from ui_common import drive

    if mode == "midnight":
        assert clock is not None
        script = midnight_script(out, "127.0.0.1", port, site, clock)
    else:
        script = outage_script(out)
    drive.run_driven(app, script)


if __name__ == "__main__":
    main()
