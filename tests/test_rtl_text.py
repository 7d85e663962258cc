"""Right-to-left text measured and drawn right (ui_common.raqm_label), checked on a real Kivy window under Xvfb.

One child process (this module run as a script) shows the kiosk's keypad title, centred, right-aligned and mixed
Arabic/Latin lines, and Latin, Cyrillic and Ethiopic lines beside the same text drawn by Kivy's old SDL2 provider;
it writes a screenshot and where each label sits. The tests compare the screenshot's ink with Pillow + Raqm's own
rendering of the same strings. ``python -m tests.test_rtl_text OUT --provider sdl2`` shows the old provider.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1400, 1500
BG = (0.05, 0.1, 0.2)
INK = 0.25   # coverage above which a pixel counts as ink


def _cases() -> list[dict[str, Any]]:
    """The labels the probe shows (kiosk strings, fonts and sizes), each in its own box."""
    from kiosk_app import texts
    from ui_common import typeset

    t = texts.Texts()
    out: list[dict[str, Any]] = []

    def add(name: str, lang: str, text: str, *, bold: bool = False, size: int = 40, halign: str = "center",
            width: int = 1000, padding: int = 0, sdl2: bool = False) -> None:
        out.append({"name": name, "lang": lang, "text": text, "halign": halign, "size": size, "width": width,
                    "padding": padding, "sdl2": sdl2, **typeset.style(lang, bold=bold)})

    add("keypad-title-ar", "ar", t.raw("ar", texts.ENTER_CODE), bold=True, size=48, halign="right", padding=8)
    for lang in ("ar", "fa", "ps"):
        add(f"centred-{lang}", lang, t.raw(lang, texts.TAKE_TICKET))
    add("digits-ar", "ar", "رقمك A-017 الساعة 10:30")
    add("right-ar", "ar", t.raw("ar", texts.CHOOSE_CONCERN), halign="right", padding=30)
    for lang, msgid in (("de", texts.CHECK_DETAILS), ("ru", texts.TAKE_TICKET), ("ti", texts.TAKE_TICKET)):
        add(f"width-{lang}", lang, t.raw(lang, msgid), halign="left", width=640)
        add(f"width-{lang}-sdl2", lang, t.raw(lang, msgid), halign="left", width=640, sdl2=True)
    return out


def main(out: Path, provider: str) -> None:
    """The child: a window with every case, a screenshot and a JSON of where each label sits."""
    from ui_common import kivy_env

    kivy_env.prepare("rtl-probe", kivy_env.WindowSettings(width=WIDTH, height=HEIGHT, fullscreen=False,
                                                          input="mouse"))
    import kivy.core.text as core_text
    from kivy.core.text.text_sdl2 import LabelSDL2

    if provider == "sdl2":   # Kivy's own provider, as before (for comparing by eye; the tests fail on it)
        core_text.Label = core_text.Text = LabelSDL2
    from kivy.app import App
    from kivy.graphics import Color, Rectangle
    from kivy.uix.label import Label
    from kivy.uix.widget import Widget

    from ui_common import drive

    cases = _cases()

    class Probe(App):
        def build(self) -> Any:
            root = Widget()
            with root.canvas.before:
                Color(*BG, 1)
                Rectangle(pos=(0, 0), size=(WIDTH, HEIGHT))
            top = HEIGHT - 20
            for case in cases:
                box_h = case["size"] * 2
                y = top - box_h
                case["rect"] = [40, y, case["width"], box_h]
                style = {k: case[k] for k in ("font_name", "font_script_name", "font_direction", "text_language")}
                if case["sdl2"]:   # beside its Raqm twin: the same text drawn by Kivy's SDL2 provider
                    prev = next(c for c in cases if c["name"] == case["name"].removesuffix("-sdl2"))
                    case["rect"] = [prev["rect"][0] + prev["width"] + 40, prev["rect"][1], case["width"], box_h]
                    style.pop("text_language")   # SDL2_ttf has no language
                    core = LabelSDL2(text=case["text"], font_size=case["size"], color=(1, 1, 1, 1), **style)
                    core.refresh()
                    case["texture_size"] = list(core.texture.size)
                    x0, y0 = case["rect"][0], case["rect"][1] + (box_h - core.texture.height) // 2
                    with root.canvas:
                        Color(1, 1, 1, 1)
                        Rectangle(texture=core.texture, pos=(x0, y0), size=core.texture.size)
                    continue
                label = Label(text=case["text"], font_size=case["size"], color=(1, 1, 1, 1), halign=case["halign"],
                              valign="middle", padding=[case["padding"], 0, case["padding"], 0],
                              size_hint=(None, None), pos=(40, y), size=(case["width"], box_h), **style)
                label.text_size = label.size
                case["widget"] = label
                case["provider"] = type(label._label).__name__
                root.add_widget(label)
                top = y - 16
            return root

    async def script(app: Probe) -> None:
        await drive.frames(3)
        for case in cases:
            widget = case.pop("widget", None)
            if widget is not None:
                case["texture_size"] = list(widget.texture_size)
        await drive.screenshot(out / f"rtl-probe-{provider}.png")
        (out / f"rtl-probe-{provider}.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1))

    drive.run_driven(Probe(), script)


# --- the parent: the tests ---------------------------------------------------------------------------------

class Probe:
    def __init__(self, shot: Image.Image, cases: list[dict[str, Any]]) -> None:
        g = np.asarray(shot.convert("RGB"), dtype=np.float64)[:, :, 1]   # green: bg 0.1, text 1.0
        self.coverage = np.clip((g - BG[1] * 255) / (255 - BG[1] * 255), 0, 1)
        self.cases = {c["name"]: c for c in cases}

    def box(self, name: str) -> tuple[int, int, int, int]:
        """The case's box in screenshot pixels (left, top, right, bottom)."""
        x, y, w, h = self.cases[name]["rect"]
        return x, HEIGHT - y - h, x + w, HEIGHT - y

    def ink(self, name: str) -> tuple[int, int, int, int]:
        """The ink's bounding box inside the case's box, in box pixels (left, top, right, bottom), exclusive."""
        return ink_bbox(self.crop(name))

    def crop(self, name: str) -> np.ndarray:
        left, top, right, bottom = self.box(name)
        return self.coverage[top:bottom, left:right]


def ink_bbox(coverage: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(coverage > INK)
    assert rows.size, "no ink at all"
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def reference(case: dict[str, Any], text: str | None = None) -> np.ndarray:
    """Pillow + Raqm's own rendering of the case's text (coverage 0..1), with room around it."""
    font = ImageFont.truetype(case["font_name"], case["size"], layout_engine=ImageFont.Layout.RAQM)
    img = Image.new("L", (case["width"] + 400, case["size"] * 3), 0)
    ImageDraw.Draw(img).text((200, case["size"]), text or case["text"], font=font, fill=255,
                             direction=case["font_direction"], language=case["text_language"])
    return np.asarray(img, dtype=np.float64) / 255


def inked(coverage: np.ndarray) -> np.ndarray:
    left, top, right, bottom = ink_bbox(coverage)
    return coverage[top:bottom, left:right]


@pytest.fixture(scope="module")
def probe(xserver: XServer, artifacts_dir: Path) -> Probe:
    out = artifacts_dir / "rtl"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "tests.test_rtl_text", str(out)], cwd=REPO, env=xserver.env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cases = json.loads((out / "rtl-probe-raqm.json").read_text())
    return Probe(Image.open(out / "rtl-probe-raqm.png"), cases)


def test_every_label_is_drawn_by_the_raqm_provider(probe: Probe) -> None:
    assert {c["provider"] for c in probe.cases.values() if not c["sdl2"]} == {"RaqmLabel"}


def test_text_provider_refuses_to_install_after_kivy_labels_were_imported(tmp_path: Path) -> None:
    code = ("import kivy.uix.label\nfrom ui_common import raqm_label\ntry:\n    raqm_label.install()\n"
            "except RuntimeError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_FILELOG": "1", "KIVY_NO_CONSOLELOG": "1",
                               "KIVY_HOME": str(tmp_path)}, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "before importing kivy.uix.label" in proc.stdout


def test_rtl_keypad_title_draws_its_first_letter(probe: Probe) -> None:
    case = probe.cases["keypad-title-ar"]
    shown, ref = inked(probe.crop("keypad-title-ar")), inked(reference(case))
    assert abs(shown.shape[1] - ref.shape[1]) <= 1 and abs(shown.shape[0] - ref.shape[0]) <= 1, (shown.shape,
                                                                                                   ref.shape)
    left, _, right, _ = probe.ink("keypad-title-ar")
    assert left > 0 and right < case["width"] - case["padding"] + 1   # inside the label, nothing at its edges
    if shown.shape == ref.shape:
        assert np.abs(shown - ref).mean() < 0.02   # the very glyphs Pillow draws, the first (rightmost) included


@pytest.mark.parametrize("lang", ["ar", "fa", "ps"])
def test_rtl_centred_line_is_centred(probe: Probe, lang: str) -> None:
    name = f"centred-{lang}"
    left, _, right, _ = probe.ink(name)
    assert abs((left + right) / 2 - probe.cases[name]["width"] / 2) <= 2, (left, right)


def test_rtl_digits_and_codes_read_in_order(probe: Probe) -> None:
    case = probe.cases["digits-ar"]
    shown = inked(probe.crop("digits-ar"))
    right = inked(reference(case))
    wrong = inked(reference(case, "رقمك 710-A الساعة 03:01"))   # what pre-reversing the runs would show
    assert shown.shape == right.shape, (shown.shape, right.shape)
    assert np.abs(shown - right).mean() < 0.02
    if shown.shape == wrong.shape:
        assert np.abs(shown - wrong).mean() > 0.05


def test_rtl_right_aligned_line_ends_at_the_right_padding(probe: Probe) -> None:
    case = probe.cases["right-ar"]
    _, _, right, _ = probe.ink("right-ar")
    end = case["width"] - case["padding"]
    assert end - 3 <= right <= end, (right, end)


@pytest.mark.parametrize("lang", ["de", "ru", "ti"])
def test_ltr_scripts_keep_their_widths(probe: Probe, lang: str) -> None:
    new, old = f"width-{lang}", f"width-{lang}-sdl2"
    nl, nt, nr, nb = probe.ink(new)
    ol, ot, orr, ob = probe.ink(old)
    assert abs((nr - nl) - (orr - ol)) <= 0.03 * (orr - ol), (nr - nl, orr - ol)   # glyphs as wide as before
    assert abs((nb - nt) - (ob - ot)) <= 2, (nb - nt, ob - ot)                       # and as tall
    assert abs(nl - ol) <= 1   # and left-aligned text starts where it did


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[3] if sys.argv[2:3] == ["--provider"] else "raqm")
