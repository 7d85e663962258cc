"""Purpose-built bad labels (and good ones) for the screen-fit audit's own test: one window, audited as the tours are.

``python -m tests.ui.fit_probe OUT``: writes OUT/fit-probe.png and, through the hook in `ui_common.drive.screenshot`
(``ARKADEN_FIT_AUDIT``, set here), OUT/fit-probe.jsonl. Each label's text starts with the name of what it shows.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ui_common import kivy_env

NAVY, GREY, DARK_GREY = (0.043, 0.122, 0.227, 1), (0.47, 0.47, 0.47, 1), (0.2, 0.2, 0.2, 1)   # grey on grey: 2.9:1
WIDTH, HEIGHT = 1000, 760


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "fit-probe.jsonl").unlink(missing_ok=True)
    os.environ["ARKADEN_FIT_AUDIT"] = str(out / "fit-probe.jsonl")
    kivy_env.prepare("fit-probe", kivy_env.WindowSettings(width=WIDTH, height=HEIGHT, fullscreen=False,
                                                          input="mouse"))
    from kivy.app import App
    from kivy.graphics import Color, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.stencilview import StencilView
    from kivy.uix.widget import Widget

    from ui_common import drive
    from ui_common.text import text_style

    def label(text: str, x: float, y: float, w: float, h: float, **kw: object) -> Label:
        kw.setdefault("font_size", 30)
        return Label(text=text, pos=(x, y), size=(w, h), size_hint=(None, None), **text_style("de"), **kw)

    def panel(x: float, y: float, w: float, h: float, colour: tuple[float, ...], cls: type = Widget) -> Widget:
        box = cls(pos=(x, y), size=(w, h), size_hint=(None, None))
        with box.canvas.before:
            Color(*colour)
            Rectangle(pos=(x, y), size=(w, h))
        return box

    class Probe(App):
        def build(self) -> FloatLayout:
            root = FloatLayout()
            with root.canvas.before:
                Color(*NAVY)
                Rectangle(pos=(0, 0), size=(WIDTH, HEIGHT))
            add = root.add_widget
            # good: room enough, white on navy; a wrapped text whose box grows with it; a readable disabled button
            add(label("good: Weiter", 20, 680, 400, 60))
            add(label("good wrapped: ein Satz, der in zwei Zeilen umbricht und dafür Platz hat", 20, 540, 400, 130,
                      text_size=(400, None), valign="middle"))
            add(Button(text="good disabled: Zurück", pos=(440, 680), size=(520, 60), size_hint=(None, None),
                       font_size=30, disabled=True, background_disabled_normal="", background_color=NAVY,
                       disabled_color=(0.85, 0.88, 0.92, 1), **text_style("de")))
            # too small: a box of 120 x 40 for a long line at 30 px
            add(label("overflow: viel zu langer Text", 150, 500, 120, 40))
            # shortened: Kivy cuts the text to "..." in a width of 260
            add(label("shortened: Aufenthaltserlaubnis verlängern", 20, 440, 260, 50, text_size=(260, None),
                      shorten=True))
            # lines cut: a fixed-height text box (text_size with a height) holding three lines' worth in one
            add(label("lines_cut: ein langer Satz, der drei Zeilen braucht, aber nur eine hat", 300, 430, 300, 44,
                      text_size=(300, 44), valign="top"))
            # a glyph cut: a text box narrower than its one glyph (Kivy cannot break a glyph, so it is cut)
            add(label("W", 640, 400, 80, 100, text_size=(12, None), font_size=60))
            # grey on grey, 2.9:1
            add(panel(20, 360, 420, 60, DARK_GREY))
            add(label("contrast: grau auf grau", 20, 360, 420, 60, color=GREY))
            # a disabled button whose disabled_color is unreadable (Kivy's default: white at 30 %)
            add(Button(text="disabled: Drucken", pos=(460, 360), size=(400, 60), size_hint=(None, None),
                       font_size=30, disabled=True, background_disabled_normal="", background_color=NAVY,
                       **text_style("de")))
            # clipped by the window: half of it beyond the right edge
            add(label("clipped window: Rand", WIDTH - 160, 290, 330, 50))
            # clipped by a panel that does not scroll (StencilView): half of the text below its edge
            stencil = panel(20, 200, 420, 60, NAVY, StencilView)
            stencil.add_widget(label("clipped panel: abgeschnitten", 20, 175, 420, 50))
            add(stencil)
            # a list that scrolls: one label at its edge (fine: scrolling), one scrolled out (fine: not shown)
            scroll = ScrollView(pos=(460, 135), size=(400, 125), size_hint=(None, None), do_scroll_x=False)
            column = BoxLayout(orientation="vertical", size_hint_y=None, height=400)
            for i in range(8):
                column.add_widget(Label(text=f"scrolled row {i}: Eintrag", font_size=30, **text_style("de")))
            scroll.add_widget(column)
            add(scroll)
            # two labels drawn on top of each other
            add(label("overlap: A-017", 20, 100, 300, 50))
            add(label("overlap: B-018", 40, 110, 300, 50))
            # German on an Arabic screen (the test asks the language check for "ar"), beside Arabic that is not its
            # translation
            add(label("untranslated: Bitte warten", 20, 20, 480, 50))
            add(Label(text="مرحبا بكم", pos=(520, 10), size=(400, 80), size_hint=(None, None), font_size=30,
                      **text_style("ar")))
            return root

    async def script(app: Probe) -> None:
        await drive.frames(3)
        await drive.screenshot(out / "fit-probe.png")

    drive.run_driven(Probe(), script)


if __name__ == "__main__":
    main()
