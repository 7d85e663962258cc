"""Runs the real reception monitor under Xvfb, driven: selects tickets by tapping rows and acts through buttons.

`python -m tests.ui.reception_drive SITE PORT OPERATOR OUTDIR`; the parent runs broker and core and has
checked in tickets (A-001, A-002, J-001) and called A-001 at abh-1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from display_app.reception_app import ReceptionSettings, make_app, prepare_kivy
from host_support.site_file import load_site


def main() -> None:
    site_path, port, operator, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    site = load_site(site_path)
    settings = ReceptionSettings(site=site, desk="reception", operator=operator, port=port)
    prepare_kivy(settings, debug=True)  # Kivy's log on stderr: the test shows it when something fails
    app = make_app(settings)
    from ui_common import drive

    def row_of(number: str):  # type: ignore[no-untyped-def]
        rows = drive.find(app.screen.ids.tickets, lambda w: type(w).__name__ == "TableRow" and w.cells
                          and w.cells[0] == number)
        return rows[0] if rows else None

    async def act(number: str, button: str, what: str) -> str:
        row = await drive.wait_until(lambda: row_of(number), timeout=20, what=f"the row of {number}")
        await drive.tap(row)
        await drive.wait_until(lambda: app.model.selected_ticket() and app.model.selected_ticket().number == number,
                               what=f"{number} selected")
        await drive.wait_until(lambda: not app.screen.ids[button].disabled, what=f"{button} enabled")
        await drive.tap(app.screen.ids[button])
        await drive.wait_until(lambda: "erledigt" in app.model.result or "abgelehnt" in app.model.result,
                               timeout=20, what=f"the core's answer to {what}")
        return app.model.result

    async def script(app) -> None:  # type: ignore[no-untyped-def]
        result: dict = {}
        await drive.wait_until(lambda: app.model.connected and app.model.tickets is not None, timeout=30,
                               what="the ticket list")
        # raise the priority of J-001 (a family with small children)
        app.screen.ids.priority.text = "Vorrang 5"
        app.screen.ids.reason.text = "Familie mit Kleinkind"
        result["priority"] = await act("J-001", "prioritise", "priority")
        # move A-002 to the job centre
        app.screen.ids.to_service.text = "Jobcenter"
        result["move"] = await act("A-002", "move", "move")
        await drive.wait_until(lambda: any(t.number == "A-002" and t.service == "jobcenter"
                                           for t in app.model.tickets.tickets), what="A-002 at the job centre")
        # "return" is refused for a waiting ticket: the button is disabled, the model says why
        row = await drive.wait_until(lambda: row_of("J-001"), what="J-001")
        await drive.tap(row)
        result["return_disabled"] = app.screen.ids.return_.disabled
        await drive.wait_until(lambda: len(app.model.actions) >= 2, what="the audit events")
        await drive.frames(3)
        result["actions"] = list(app.model.actions)
        result["queues"] = [r.__dict__ for r in app.model.queue_rows(app.now())]
        result["counters"] = {c.counter: [c.status, c.number, c.serving_min] for c in app.model.counter_rows(app.now())}
        result["devices"] = {d.device: [d.kind, d.online, d.detail, d.problem] for d in app.model.device_rows()}
        result["alerts"] = [a.text for a in app.model.alerts(app.now())]
        await drive.screenshot(out / "reception.png")
        (out / "reception.json").write_text(json.dumps(result, default=str))

    drive.run_driven(app, script)


if __name__ == "__main__":
    main()
