"""Drives the real kiosk app through journey check-ins by scanned invitation letters; used by test_journey_e2e.

Usage: python -m tests.ui.journey_driver CONFIG.json. For each entry of config["scans"] ({"qr", "tag", "lang"})
it picks the language, feeds the scanned text to the kiosk's scanner, checks in on the appointments screen and
records the ticket and the slip. Writes RESULT JSON to config["result"], screenshots to config["shots"].
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    from tests.ui.kiosk_setup import driven_kiosk

    kiosk = driven_kiosk(cfg, name="kiosk-journey-test", inactivity=120)
    parts, printer, scanner, app = kiosk.parts, kiosk.printer, kiosk.scanner, kiosk.app

    from kiosk_app.printing.slip import render_slip
    from kiosk_app.widgets import LangButton
    from ui_common import drive

    shots = Path(cfg["shots"])
    shots.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {}

    def screen(name: str) -> Any:
        return app.screens.get_screen(name)

    async def step(*names: str, timeout: float = 20) -> None:
        await drive.wait_until(lambda: app.flow.step in names, timeout=timeout,
                               what=f"step {'/'.join(names)} (at {app.flow.step})")
        await drive.frames(3)

    async def scan_in(qr: str, tag: str, lang: str) -> dict[str, Any]:
        found = drive.find(screen("welcome"), lambda w: isinstance(w, LangButton) and w.lang_code == lang)
        await drive.tap(found[0])
        await step("start")
        threading.Thread(target=scanner.scan, args=(qr + "\r\n",)).start()
        await step("appointments", "message")
        await drive.screenshot(shots / f"{tag}-appointments.png")
        out: dict[str, Any] = {"first_step": app.flow.step,
                               "appointments": [a.service for a in app.flow.appointments]}
        if app.flow.step == "appointments":
            await drive.tap(screen("appointments").ids.go)
            await step("done", "on_screen", "message")
            await drive.screenshot(shots / f"{tag}-{app.flow.step}.png")
        ticket, slip = app.flow.ticket, app.flow.slip
        out.update(step=app.flow.step, number=ticket.number if ticket else None,
                   token=ticket.token if ticket else None,
                   see_reception=getattr(ticket, "see_reception", None),
                   stops=[s.service for s in getattr(ticket, "stops", ())],
                   message=list(app.flow.message.lines) if app.flow.message else [])
        if slip is not None:
            render_slip(slip, 576).save(shots / f"{tag}-slip.png")
        if app.flow.step != "welcome":
            app.flow.reset()
        await step("welcome")
        return out

    async def script(_: Any) -> None:
        await drive.wait_until(lambda: parts.backend.link.connected.is_set(), timeout=20, what="the broker")
        for entry in cfg["scans"]:
            result[entry["tag"]] = await scan_in(entry["qr"], entry["tag"], entry["lang"])
        result["printed"] = [s.number for s in printer.printed]

    try:
        drive.run_driven(app, script)
    finally:
        Path(cfg["result"]).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
