"""The shared Kivy pieces under a real Xvfb: taps reach widgets, threads reach the Kivy thread, scripts render."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from ui_common.fonts import check_fonts
from ui_common.languages import LANGUAGES, script_of_text
from ui_common.text import style_for_text, text_style

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]


def test_every_language_has_a_font_for_its_script() -> None:
    assert check_fonts() == []
    for code, lang in LANGUAGES.items():
        style = text_style(code)
        assert Path(style["font_name"]).is_file()
        assert style["font_direction"] == ("rtl" if code in {"ar", "fa", "ps"} else "ltr")
        assert style["text_language"] == code   # the text provider's language forms (ui_common.raqm_label)
        assert script_of_text(lang.native) == lang.script
        assert style_for_text(lang.native)["font_script_name"] == lang.script


def test_probe_app_taps_bridges_and_screenshots(xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "ui"
    out.mkdir(exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "tests.ui.probe_app", str(out)], cwd=REPO, env=xserver.env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "ui-probe.json").read_text())
    assert result == {"presses": 1, "bridged": ["from-thread"]}
    img = Image.open(out / "ui-probe.png").convert("RGB")
    assert img.size == (900, 500)
    # the Arabic line is drawn (light text on the dark background), not an empty band
    band = img.crop((0, 0, 900, 160))
    assert band.getextrema()[0][1] > 200
