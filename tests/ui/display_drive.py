"""Runs the real wall display app under Xvfb for the tests, driven by a script; writes results and screenshots.

`python -m tests.ui.display_drive MODE SITE DISPLAY PORT OUTDIR`; MODE is `call` (the parent runs broker and
core; this side presses `next` through the protocol and watches the screen, also across a broker restart
that the parent does when told through files in OUTDIR), `announce` (the parent has checked in clients who
chose to hear their call in their language; this side calls them and keeps every WAV the display plays in
OUTDIR/played) or `memory` (publishes thousands of calls itself).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import queue_protocol as p
from display_app.wall_app import DisplaySettings, make_app, prepare_kivy
from host_support.site_file import load_site


async def _wait_file(path: Path, timeout: float = 60) -> None:
    from ui_common import drive

    await drive.wait_until(path.exists, timeout=timeout, what=f"the parent to write {path.name}")


def call_script(out: Path, host: str, port: int, site_id: str):  # type: ignore[no-untyped-def]
    from tests.mqtt_helpers import Device
    from ui_common import drive

    async def script(app) -> None:  # type: ignore[no-untyped-def]
        result: dict = {}
        rows = app.screen.call_rows
        # boot: the retained board shows the call made before the display started
        await drive.wait_until(lambda: app.model.connected and any(r.number == "A-001" for r in rows), timeout=30,
                               what="the retained board with A-001")
        result["boot"] = app.state()
        desk = Device(host, port, site_id, "box-abh-1")
        try:
            number = desk.call_next("abh-2")   # abh-2 has no box of its own in the test site
        finally:
            desk.close()
        result["reply"] = {"number": number}
        await drive.wait_until(lambda: rows[0].number == number and rows[0].bright, timeout=20,
                               what=f"{number} highlighted in the first row")
        result["called"] = app.state()
        result["first_row"] = {"number": rows[0].number, "room": rows[0].room, "counter": rows[0].counter,
                               "agency": rows[0].agency, "bright": rows[0].bright}
        real_clock, lit_at = app.model.clock, app.model.clock()
        app.model.clock = lambda: lit_at   # both pictures in the bright half of the blink
        app.model.hint_override = "de"
        app.screen.tick(app.model, "10:42")
        await drive.screenshot(out / "display-call-de.png")
        app.model.hint_override = "ar"
        app.screen.tick(app.model, "10:42")
        await drive.screenshot(out / "display-call-ar.png")
        app.model.hint_override = None
        app.model.clock = real_clock
        # the highlight ends by itself (highlight_seconds is short in this test)
        await drive.wait_until(lambda: not rows[0].bright and not app.model.lit(app.model.current[0]), timeout=20,
                               what="the highlight to end")
        result["after_highlight"] = app.state()
        # the parent stops the broker: a discreet note, then recovery on its own
        (out / "stage-called").write_text("1")
        await drive.wait_until(lambda: app.screen.status != "", timeout=60, what="the no-connection note")
        result["offline"] = app.state()
        await drive.screenshot(out / "display-offline.png")
        (out / "stage-offline").write_text("1")
        await drive.wait_until(lambda: app.model.connected and app.screen.status == "", timeout=60,
                               what="the display to reconnect")
        await drive.wait_until(lambda: number in app.state()["current"], timeout=30, what="the board after reconnect")
        result["recovered"] = app.state()
        (out / "display-call.json").write_text(json.dumps(result, default=str))

    return script


def announce_script(out: Path, host: str, port: int, site_id: str) -> Any:
    from tests.mqtt_helpers import Device
    from ui_common import drive

    async def script(app: Any) -> None:
        await drive.wait_until(lambda: app.model.connected, timeout=30, what="the display to connect")
        desk = Device(host, port, site_id, "box-abh-1")
        numbers = []
        try:
            for counter in ("abh-1", "abh-2"):   # two counters: a second `next` at one would be a double press
                numbers.append(desk.call_next(counter))
                await drive.wait_until(lambda: app.sound.done >= len(numbers), timeout=60,
                                       what=f"the display to finish speaking {numbers[-1]}")
        finally:
            desk.close()
        rows = [{"number": r.number, "room": r.room, "counter": r.counter, "agency": r.agency}
                for r in app.screen.call_rows if r.filled]
        (out / "display-announce.json").write_text(json.dumps({"numbers": numbers, "rows": rows,
                                                               "state": app.state()}, default=str))

    return script


def _call(site, i: int, now: datetime):  # type: ignore[no-untyped-def]
    counter = site.counters[i % len(site.counters)]
    agency = site.agency_of_service(counter.services[0])
    room = site.room(counter.room)
    return p.BoardCall(number=f"{agency.prefix}-{i % 999 + 1:03d}", counter=counter.id, counter_label=counter.label,
                       room=room.number, floor=room.floor, agency=agency.short, at=now + timedelta(seconds=i))


def memory_script(out: Path, host: str, port: int, site, calls: int):  # type: ignore[no-untyped-def]
    from device_link.mqtt_client import make_client
    from ui_common import drive

    topics = p.Topics(site.site.id)

    def publish(client, first: int, n: int) -> None:  # type: ignore[no-untyped-def]
        now = datetime.now(UTC)
        recent = []
        for i in range(first, first + n):
            call = _call(site, i, now)
            recent.insert(0, call)
            client.publish(topics.call(), p.TicketCalled(**call.model_dump()).to_bytes(), qos=1)
            board = p.BoardState(current=recent[:4], recent=recent[4:14], queues=[
                p.BoardQueue(service=s.id, agency=s.agency, waiting=i % 13, estimated_wait_min=i % 40)
                for s in site.services], at=call.at)
            client.publish(topics.board(), board.to_bytes(), qos=1)
            recent = recent[:14]
            if i % 50 == 0:
                time.sleep(0.01)  # a fast core, not a flood that only measures the broker's queue

    async def script(app) -> None:  # type: ignore[no-untyped-def]
        await drive.wait_until(lambda: app.model.connected, timeout=30, what="the display to connect")
        client = make_client("memory-feeder")
        client.connect(host, port)
        client.loop_start()
        try:
            warm = 200
            publish(client, 0, warm)
            await drive.wait_until(lambda: app.model.calls_received >= warm, timeout=120, what="the warm-up calls")
            await drive.frames(3)
            before = app.state()
            publish(client, warm, calls)
            await drive.wait_until(lambda: app.model.calls_received >= warm + calls, timeout=300,
                                   what=f"{calls} calls")
            await drive.frames(3)
            await drive.wait_until(lambda: app.sound.done + app.sound.dropped >= warm + calls, timeout=60,
                                   what="the sound worker to finish")
            after = app.state()
        finally:
            client.disconnect()
            client.loop_stop()
        await drive.screenshot(out / "display-memory.png")
        for s in (before, after):
            s.pop("frame_ms")
        (out / "display-memory.json").write_text(json.dumps({"before": before, "after": after}))

    return script


def main() -> None:
    mode, site_path, display, port_s, out_s = sys.argv[1:6]
    out, port = Path(out_s), int(port_s)
    site = load_site(site_path)
    settings = DisplaySettings(site=site, display_id=display, port=port, fullscreen=False,
                               highlight_seconds=3.0 if mode == "call" else 1.0, sound="fake",
                               announce=["de"] if mode == "announce" else [],
                               sound_record=out / "played" if mode == "announce" else None)
    prepare_kivy(settings, debug=True)  # Kivy's log on stderr: the test shows it when something fails
    app = make_app(settings)
    from ui_common import drive

    if mode == "call":
        script = call_script(out, "127.0.0.1", port, site.site.id)
    elif mode == "announce":
        script = announce_script(out, "127.0.0.1", port, site.site.id)
    else:
        script = memory_script(out, "127.0.0.1", port, site, int(sys.argv[6]))
    drive.run_driven(app, script)


if __name__ == "__main__":
    main()
