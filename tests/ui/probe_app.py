"""A tiny app for the ui_common tests: Arabic, Tigrinya and German labels and a button, driven by a script."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ui_common import kivy_env


def main() -> None:
    out = Path(sys.argv[1])
    kivy_env.prepare("probe", kivy_env.WindowSettings(width=900, height=500, fullscreen=False, input="mouse"))
    from kivy.app import App
    from kivy.graphics import Color, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    from ui_common import drive
    from ui_common.bridge import MainThreadQueue
    from ui_common.text import text_style

    class Probe(App):
        presses = 0

        def build(self):  # type: ignore[no-untyped-def]
            root = BoxLayout(orientation="vertical")
            with root.canvas.before:
                Color(0.05, 0.1, 0.2, 1)
                self.bg = Rectangle(size=(900, 500))
            root.add_widget(Label(text="مرحبا بكم في مركز الاندماج", font_size=44, **text_style("ar")))
            root.add_widget(Label(text="እንቋዕ ብደሓን መጻእኩም", font_size=44, **text_style("ti")))
            self.button = Button(text="Weiter", font_size=44, **text_style("de"))
            self.button.bind(on_release=lambda *_: setattr(self, "presses", self.presses + 1))
            root.add_widget(self.button)
            self.queue = MainThreadQueue()
            return root

    async def script(app: Probe) -> None:
        await drive.tap(app.button)
        await drive.wait_until(lambda: app.presses == 1, what="the press")
        import threading
        done = []
        threading.Thread(target=lambda: app.queue.post(done.append, "from-thread")).start()
        await drive.wait_until(lambda: done, what="the bridged call")
        await drive.screenshot(out / "ui-probe.png")
        (out / "ui-probe.json").write_text(json.dumps({"presses": app.presses, "bridged": done}))

    drive.run_driven(Probe(), script)


if __name__ == "__main__":
    main()
