"""Drives the real kiosk app (real Link to a real broker and core) through its widgets; used by test_kiosk_app.

Usage: python -m tests.ui.kiosk_driver CONFIG.json — the config names the scenario, the broker, the output dir.
Writes RESULT JSON to config["result"]; screenshots to config["shots"]. For the offline scenario it
coordinates with the test through files: it writes ``<sync>/<name>`` and waits for ``<sync>/<name>.go``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    from tests.ui.kiosk_setup import driven_kiosk

    kiosk = driven_kiosk(cfg, name="kiosk-test", inactivity=cfg.get("inactivity", 60))
    settings, parts, printer, scanner, app = kiosk.settings, kiosk.parts, kiosk.printer, kiosk.scanner, kiosk.app

    from device_link.link import Link
    from kiosk_app.printing.port import PrinterStatus
    from kiosk_app.widgets import KButton, LangButton, SpeakerButton, Tile
    from ui_common import drive

    shots = Path(cfg["shots"])
    result: dict[str, Any] = {"slips": [], "screens": []}

    from kivy.uix.behaviors import ButtonBehavior

    async def shot(name: str) -> None:
        await drive.screenshot(shots / f"{name}.png")
        result["screens"].append(name)
        # every touch target on the screen is at least 90 px either way
        for w in drive.find(app.screens.current_screen, lambda w: isinstance(w, ButtonBehavior)):
            if w.opacity > 0 and not w.disabled:
                side = min(w.width, w.height)
                if side < result.setdefault("smallest_target", (1e9, ""))[0]:
                    result["smallest_target"] = (side, f"{name}: {type(w).__name__} {getattr(w, 'text', '')!r}")

    async def step(name: str, timeout: float = 15) -> None:
        await drive.wait_until(lambda: app.flow.step == name, timeout=timeout, what=f"step {name} "
                               f"(at {app.flow.step})")
        await drive.frames(2)

    def screen(name: str) -> Any:
        return app.screens.get_screen(name)

    async def tap_where(root: Any, predicate: Any, what: str) -> None:
        found = drive.find(root, predicate)
        assert found, f"no widget for {what}"
        await drive.tap(found[0])

    async def choose_language(lang: str) -> None:
        await tap_where(screen("welcome"), lambda w: isinstance(w, LangButton) and w.lang_code == lang, lang)
        await step("start")

    async def walk_in(lang: str, concern: str, tag: str, *, party: int = 2, interpreter: bool = True) -> dict:
        await choose_language(lang)
        await drive.tap(screen("start").ids.walk_in)
        await step("concerns")
        await shot(f"{tag}-concerns")
        await tap_where(screen("concerns"), lambda w: isinstance(w, Tile) and w.concern == concern, concern)
        await step("details")
        await drive.tap(screen("details").ids[f"p{party}"])
        await drive.tap(screen("details").ids.int_yes if interpreter else screen("details").ids.int_no)
        await shot(f"{tag}-details")
        await drive.tap(screen("details").ids.go)
        await step("confirm")
        await shot(f"{tag}-confirm")
        await drive.tap(screen("confirm").ids.go)
        await drive.wait_until(lambda: app.flow.step in ("done", "on_screen", "message"), timeout=20,
                               what="the ticket")
        await drive.frames(3)
        await shot(f"{tag}-{app.flow.step}")
        return finish()

    def finish() -> dict:
        ticket = app.flow.ticket
        slip = app.flow.slip
        out = {"step": app.flow.step, "number": ticket.number if ticket else None,
               "offline": ticket.offline if ticket else None, "token": ticket.token if ticket else None,
               "rooms": list(ticket.rooms) if ticket else [], "slip_concern": slip.concern if slip else None,
               "slip_directions": slip.directions if slip else None,
               "number_label": screen("ticket").ids.number.text,
               "message": list(app.flow.message.lines) if app.flow.message else []}
        result["slips"].append(out)
        return out

    async def booked(lang: str, code: str, tag: str) -> dict:
        await choose_language(lang)
        await drive.tap(screen("start").ids.booked)
        await step("keypad")
        keys = {w.key: w for w in drive.find(screen("keypad"), lambda w: hasattr(w, "key"))}
        for ch in code:
            await drive.tap(keys[ch])
        await shot(f"{tag}-keypad")
        await drive.tap(screen("keypad").ids.go)
        await step("appointments")
        await shot(f"{tag}-appointments")
        await drive.tap(screen("appointments").ids.go)
        await drive.wait_until(lambda: app.flow.step in ("done", "on_screen", "message"), timeout=20,
                               what="the ticket")
        await drive.frames(3)
        await shot(f"{tag}-{app.flow.step}")
        return finish()

    async def back_to_welcome() -> None:
        if app.flow.step != "welcome":
            await drive.tap(screen("ticket").ids.done)
        await step("welcome")

    def wait_file(name: str, timeout: float = 60) -> None:
        sync = Path(cfg["sync"])
        (sync / name).write_text("1")
        deadline = time.monotonic() + timeout
        while not (sync / f"{name}.go").exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test did not answer {name}")
            time.sleep(0.05)

    async def script(app: Any) -> None:
        await drive.wait_until(lambda: parts.backend.link.connected.is_set(), timeout=20, what="the broker")
        await shot("welcome")
        scenario = cfg["scenario"]
        if scenario == "online":
            result["walkin_de"] = await walk_in("de", "job", "walkin-de")
            await back_to_welcome()
            result["walkin_ar"] = await walk_in("ar", "residence", "walkin-ar", party=3)
            await back_to_welcome()
            result["booked_de"] = await booked("de", cfg["code_de"], "booked-de")
            await back_to_welcome()
            result["booked_ar"] = await booked("ar", cfg["code_ar"], "booked-ar")
            await back_to_welcome()
            # a scanned slip: where the ticket stands; no second ticket
            token = result["walkin_de"]["token"]
            threading.Thread(target=scanner.scan, args=(f"ARKADEN-T:{token}\r\n",)).start()
            await step("ticket_status")
            await shot("scanned-slip-de")
            info = app.flow.ticket_status
            result["scanned"] = {"number": info.number, "ahead": info.waiting_ahead, "label":
                                 screen("ticket").ids.number.text}
            await drive.tap(screen("ticket").ids.done)
            await step("welcome")
            # the printer runs out of paper: reception sees it in the kiosk's presence; the ticket shows on screen
            seen: dict[str, float] = {}
            watcher = Link(settings.site, cfg["host"], cfg["port"], lambda _l: None, name="watch",
                           subscriptions=[parts.backend.link.presence_topic],
                           on_public=lambda topic, data: seen.setdefault("at", time.monotonic())
                           if data.get("detail", {}).get("paper") == "out" else None)
            watcher.start()
            try:
                await drive.wait_until(lambda: watcher.connected.is_set(), timeout=10, what="the watcher")
                await asyncio.sleep(0.3)
                t0 = time.monotonic()
                printer.set_status(PrinterStatus(paper="out", cover="closed", online="yes"))
                await drive.wait_until(lambda: "at" in seen, timeout=5, what="paper=out in the kiosk's presence")
                result["presence_s"] = seen["at"] - t0
                result["fault_ar"] = await walk_in("ar", "job", "printer-fault-ar", party=1, interpreter=False)
            finally:
                watcher.stop()
            # inactivity: a half-finished check-in is forgotten
            await drive.tap(screen("ticket").ids.done)
            await step("welcome")
            app.flow.timeouts.inactivity_s = 1.0
            await choose_language("ar")
            await drive.tap(screen("start").ids.walk_in)
            await step("concerns")
            await step("welcome", timeout=10)
            result["after_timeout"] = {"lang": app.flow.lang, "concern": app.flow.concern}
        elif scenario == "offline":
            wait_file("connected")            # the test stops the broker now
            await drive.wait_until(lambda: not parts.backend.link.connected.is_set(), timeout=20,
                                   what="the kiosk to notice the broker is gone")
            result["offline_1"] = await walk_in("de", "job", "offline-de")
            await back_to_welcome()
            result["offline_2"] = await walk_in("ar", "residence", "offline-ar", party=1, interpreter=False)
            await back_to_welcome()
            result["outbox_while_down"] = parts.backend.outbox.counts()
            wait_file("issued")               # the test starts the broker again
            await drive.wait_until(lambda: parts.backend.outbox.counts()["pending"] == 0, timeout=40,
                                   what="the outbox to be handed in")
            result["outbox_after"] = parts.backend.outbox.counts()
            result["entries"] = [{"number": e.number, "core_number": e.core_number, "state": e.state, "cid": e.cid}
                                 for e in parts.backend.outbox.all()]
            result["online_after"] = await walk_in("de", "job", "online-after-offline")
        elif scenario == "speech":
            await speech()
        result["printed"] = [s.number for s in printer.printed]

    def speaker(name: str) -> Any:
        found = [w for w in drive.find(screen(name), lambda w: isinstance(w, SpeakerButton))
                 if w.opacity > 0 and not w.disabled]
        assert len(found) == 1, f"{name}: {len(found)} speaker buttons"
        return found[0]

    async def read_aloud(name: str, count: int) -> None:
        """Tap the speaker button; wait until the player got the count-th sound."""
        await drive.tap(speaker(name))
        await drive.wait_until(lambda: len(list(Path(cfg["recordings"]).glob("*.wav"))) >= count, timeout=20,
                               what=f"the {count}. read-aloud sound")

    async def speech() -> None:
        """Read aloud in German (start screen) and Arabic (details); leaving a screen stops the reading. The
        Arabic client chooses to hear his number in his language."""
        player = parts.player
        await choose_language("de")
        await read_aloud("start", 1)
        await read_aloud("start", 2)   # a second tap starts again
        await drive.tap(screen("start").ids.walk_in)
        await step("concerns")
        await drive.wait_until(lambda: len(player.played) >= 2, timeout=10, what="the reading to stop")
        result["stopped_de"] = [p.stopped for p in player.played]
        await tap_where(screen("concerns"), lambda w: isinstance(w, Tile) and w.concern == "job", "job")
        await step("details")
        result["announce_offered_de"] = screen("details").announce_offered
        await tap_where(screen("details"), lambda w: isinstance(w, KButton) and w.text == app.tr(app.T.START_OVER),
                        "start over")
        await step("welcome")
        await choose_language("ar")
        await drive.tap(screen("start").ids.walk_in)
        await step("concerns")
        await tap_where(screen("concerns"), lambda w: isinstance(w, Tile) and w.concern == "job", "job")
        await step("details")
        result["announce_offered_ar"] = screen("details").announce_offered
        await drive.tap(screen("details").ids.an_yes)
        await shot("speech-ar-details")
        await read_aloud("details", 3)
        await drive.tap(screen("details").ids.go)
        await step("confirm")
        await drive.wait_until(lambda: len(player.played) >= 3, timeout=10, what="the Arabic reading to stop")
        result["stopped_ar"] = player.played[2].stopped
        await shot("speech-ar-confirm")
        await drive.tap(screen("confirm").ids.go)
        await drive.wait_until(lambda: app.flow.step in ("done", "on_screen", "message"), timeout=20,
                               what="the ticket")
        await drive.frames(3)
        result["announce_ar"] = finish()
        result["recordings"] = sorted(p.name for p in Path(cfg["recordings"]).glob("*.wav"))

    try:
        drive.run_driven(app, script)
    finally:
        Path(cfg["result"]).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
