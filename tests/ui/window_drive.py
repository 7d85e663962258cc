"""Runs a real app in a scaled window (`--window`) under Xvfb with its real command-line options, and reports.

`python -m tests.ui.window_drive reception RESULT.json -- <arkaden reception options>`: waits for the ticket list
and for two snapshots, then writes the waits shown and the window's state.
`python -m tests.ui.window_drive kiosk RESULT.json -- <arkaden kiosk options>`: taps language buttons at the
window coordinates where the scaled welcome screen shows them (worked out from the layout and the window size
alone, not from Kivy's transforms) through Kivy's input pipeline, and a letterbox bar; reports what each did.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _window_state(app: Any) -> dict[str, Any]:
    from kivy.core.window import Window

    root = app.root
    return {"size": list(Window.size), "title": app.title, "root": type(root).__name__,
            "scale": getattr(root, "scale", 1.0)}


async def _snapshots(directory: Path, count: int) -> list[str]:
    from ui_common import drive

    def made() -> list[str]:
        return sorted(p.name for p in directory.glob("*.png"))

    return list(await drive.wait_until(lambda: len(made()) >= count and made(), timeout=30,
                                       what=f"{count} snapshots in {directory}"))


def reception(result: Path, argv: list[str]) -> None:
    from arkaden_cli.main import build_parser
    from display_app.reception_app import make_app, prepare_kivy
    from display_app.reception_main import reception_settings
    from host_support.site_file import load_site

    args = build_parser().parse_args(["reception", *argv])
    settings = reception_settings(args, load_site(args.site))
    prepare_kivy(settings, debug=True)
    app = make_app(settings)
    from ui_common import drive

    async def script(app: Any) -> None:
        await drive.wait_until(lambda: app.model.connected and app.model.tickets is not None
                               and len(app.model.tickets.tickets) >= 2, timeout=30, what="the ticket list")
        assert settings.snapshots is not None
        shots = await _snapshots(settings.snapshots.directory, 2)
        await drive.frames(2)
        out = {"window": _window_state(app), "now": app.now().isoformat(), "snapshots": shots,
               "waited": {r["number"]: r["waited"] for r in app.model.ticket_rows(app.now())},
               "shown": [row.cells for row in drive.find(app.screen.ids.tickets,
                                                        lambda w: type(w).__name__ == "TableRow" and w.cells)]}
        result.write_text(json.dumps(out))

    drive.run_driven(app, script)


def _design_centre(widget: Any, stage: Any) -> tuple[float, float]:
    """The widget's centre on the full-size stage, from the layout (each parent's to_parent, up to the stage)."""
    x, y = widget.center
    node = widget.parent
    while node is not stage:
        x, y = node.to_parent(x, y)
        node = node.parent
    return x, y


def kiosk(result: Path, argv: list[str]) -> None:
    import argparse

    from kiosk_app.main import add_arguments, build_parts, prepare, settings_from

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    settings = settings_from(parser.parse_args(argv))
    prepare(settings, name="kiosk-window-test")
    from kiosk_app.app import KioskApp
    from serial_devices.scanner import FakeScannerSource

    app = KioskApp(build_parts(settings, scanner=FakeScannerSource()))
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    from kiosk_app.widgets import LangButton
    from ui_common import drive

    async def touch_at(x: float, y: float) -> None:
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        await drive.frames(1)
        touch.touch_up()
        await drive.frames(2)

    async def script(app: Any) -> None:
        out: dict[str, Any] = {"window": _window_state(app), "taps": {}}
        welcome = app.screens.get_screen("welcome")
        await drive.wait_until(lambda: drive.find(welcome, lambda w: isinstance(w, LangButton)), what="the buttons")
        await drive.frames(3)
        stage = app.root.stage
        design_w, design_h = app.screen_size
        win_w, win_h = Window.size
        scale = min(win_w / design_w, win_h / design_h)
        off_x, off_y = (win_w - design_w * scale) / 2, (win_h - design_h * scale) / 2
        out["letterbox"] = [off_x, off_y]
        for lang in ("ar", "de"):
            button = drive.find(welcome, lambda w, lang=lang: isinstance(w, LangButton) and w.lang_code == lang)[0]
            cx, cy = _design_centre(button, stage)
            x, y = off_x + cx * scale, off_y + cy * scale
            await touch_at(x, y)
            out["taps"][lang] = {"at": [x, y], "button_size": [button.width * scale, button.height * scale],
                                 "step": app.flow.step, "lang": app.flow.lang}
            app.flow.reset()
            await drive.frames(2)
        # a touch in the bar beside the scaled screen reaches nothing
        bar = (off_x / 2, win_h / 2) if off_x > 1 else (win_w / 2, off_y / 2)
        await touch_at(*bar)
        out["bar"] = {"at": list(bar), "step": app.flow.step}
        # 4 window pixels below the Arabic button's scaled bottom edge misses it, 4 pixels above hits it
        button = drive.find(welcome, lambda w: isinstance(w, LangButton) and w.lang_code == "ar")[0]
        cx, cy = _design_centre(button, stage)
        x, bottom = off_x + cx * scale, off_y + (cy - button.height / 2) * scale
        await touch_at(x, bottom - 4)
        out["below_edge"] = {"at": [x, bottom - 4], "step": app.flow.step}
        await touch_at(x, bottom + 4)
        out["above_edge"] = {"at": [x, bottom + 4], "step": app.flow.step, "lang": app.flow.lang}
        if settings.snapshots is not None:
            out["snapshots"] = await _snapshots(settings.snapshots.directory, 1)
        result.write_text(json.dumps(out))

    drive.run_driven(app, script)


def main() -> None:
    mode, result, sep, *argv = sys.argv[1:]
    assert sep == "--", "usage: window_drive MODE RESULT.json -- OPTIONS"
    try:
        {"reception": reception, "kiosk": kiosk}[mode](Path(result), argv)
    except BaseException:
        import traceback

        traceback.print_exc(file=sys.__stderr__)   # Kivy routes sys.stderr into its (silenced) log
        raise


if __name__ == "__main__":
    main()
