"""Runs the real reception monitor under Xvfb, driven: selects tickets by tapping rows and acts through buttons.

`python -m tests.ui.reception_drive SITE PORT OPERATOR OUTDIR`; the parent runs broker and core and has
checked in tickets (A-001, A-002, J-001) and called A-001 at abh-1.
`python -m tests.ui.reception_drive tour SITE OUTDIR`: the tour (busy morning, de and en), and after each
screenshot what the widget tree says: labels whose text does not fit, and where the chosen ticket's row is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from display_app.reception_app import ReceptionSettings, make_app, prepare_kivy
from host_support.site_file import load_site


def fit_problems(root: Any) -> list[str]:
    """Every label (buttons too) whose rendered text is bigger than the label, or that shortens its text."""
    from kivy.uix.label import Label

    from ui_common import drive

    out = []
    for w in drive.find(root, lambda w: isinstance(w, Label)):
        if not w.text.strip():
            continue
        w.texture_update()
        tw, th = w.texture_size
        if tw > w.width + 1 or th > w.height + 1 or w.shorten:
            out.append(f"{type(w).__name__} {w.text[:60]!r}: text {tw:.0f}x{th:.0f} in {w.width:.0f}x{w.height:.0f}")
    return out


def chosen_row(app: Any) -> Any:
    """Where the chosen ticket's row is against the list's visible area (window y ranges), or None."""
    from ui_common import drive

    rv = app.screen.ids.tickets
    rows = drive.find(rv, lambda w: type(w).__name__ == "TableRow" and w.selected)
    if not rows:
        return None
    row = rows[0]
    _, bottom = row.to_window(row.x, row.y)
    _, top = row.to_window(row.x, row.top)
    _, view_bottom = rv.to_window(rv.x, rv.y)
    _, view_top = rv.to_window(rv.x, rv.top)
    return {"number": row.cells[0], "row": [bottom, top], "view": [view_bottom, view_top]}


def tour() -> None:
    from display_app.reception_tour import render

    site_path, out = sys.argv[2], Path(sys.argv[3])
    settings = ReceptionSettings(site=load_site(site_path), desk="empfang", operator="frau-k")
    prepare_kivy(settings, debug=True)
    app = make_app(settings, connect=False)
    report: dict = {}

    async def inspect(app: Any, png: Path) -> None:
        s = app.screen
        report[png.name] = {"problems": fit_problems(app.root), "chosen": chosen_row(app),
                            "selected": app.model.selected_ticket().number if app.model.selected_ticket() else None,
                            "filter": app.model.agency_filter, "alerts": len(app.model.alerts(app.now())),
                            "disabled": {b: s.ids[b].disabled for b in ("move", "prioritise", "cancel", "return_",
                                                                        "to_service", "priority", "reason")},
                            "choosers": [s.ids.to_service.text, s.ids.priority.text, s.ids.reason.text],
                            "log": app.model.log_lines(), "language": app.model.t.lang}

    render(app, out, inspect=inspect)
    (out / "reception-tour.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))


def main() -> None:
    if sys.argv[1] == "tour":
        tour()
        return
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

    async def act(number: str, button: str, what: str, choose: Any = None) -> str:
        row = await drive.wait_until(lambda: row_of(number), timeout=20, what=f"the row of {number}")
        await drive.tap(row)
        await drive.wait_until(lambda: app.model.selected_ticket() and app.model.selected_ticket().number == number,
                               what=f"{number} selected")
        if choose is not None:   # the choosers start empty for each chosen ticket
            choose()
        await drive.wait_until(lambda: not app.screen.ids[button].disabled, what=f"{button} enabled")
        await drive.tap(app.screen.ids[button])
        await drive.wait_until(lambda: "erledigt" in app.model.result or "abgelehnt" in app.model.result,
                               timeout=20, what=f"the core's answer to {what}")
        return app.model.result

    async def script(app) -> None:  # type: ignore[no-untyped-def]
        result: dict = {}
        await drive.wait_until(lambda: app.model.connected and app.model.tickets is not None, timeout=30,
                               what="the ticket list")
        # nothing is chosen before a ticket is
        result["choosers_before"] = [app.screen.ids.priority.text, app.screen.ids.to_service.text]
        result["disabled_before"] = [app.screen.ids[b].disabled for b in ("move", "prioritise", "cancel", "return_")]

        def priority_5() -> None:   # raise the priority of J-001 (a family with small children)
            app.screen.ids.priority.text = app.screen.priority_names[5]
            app.screen.ids.reason.text = "Familie mit Kleinkind"

        result["priority"] = await act("J-001", "prioritise", "priority", priority_5)
        jobcenter = dict(app.model.service_choices())["jobcenter"]

        def to_jobcenter() -> None:   # move A-002 to the job centre
            app.screen.ids.to_service.text = jobcenter

        result["move"] = await act("A-002", "move", "move", to_jobcenter)
        await drive.wait_until(lambda: any(t.number == "A-002" and t.service == "jobcenter"
                                           for t in app.model.tickets.tickets), what="A-002 at the job centre")
        # "return" is refused for a waiting ticket: the button is disabled, the model says why
        row = await drive.wait_until(lambda: row_of("J-001"), what="J-001")
        await drive.tap(row)
        result["return_disabled"] = app.screen.ids.return_.disabled
        await drive.wait_until(lambda: len(app.model.actions) >= 2, what="the audit events")
        await drive.frames(3)
        result["actions"] = app.model.log_lines()
        result["queues"] = [r.__dict__ for r in app.model.queue_rows(app.now())]
        result["counters"] = {c.counter: [c.status, c.number, c.serving_min] for c in app.model.counter_rows(app.now())}
        result["devices"] = {d.device: [d.kind, d.online, d.detail, d.problem] for d in app.model.device_rows()}
        result["alerts"] = [a.text for a in app.model.alerts(app.now())]
        await drive.screenshot(out / "reception.png")
        (out / "reception.json").write_text(json.dumps(result, default=str))

    drive.run_driven(app, script)


if __name__ == "__main__":
    main()
