"""`arkaden kiosk --tour DIR` renders every screen in every language without a broker, for translation review:
the checks of its output. The tour runs once, in tests/test_screen_fit.py, which also audits every screen."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

SCREENS = ("start", "keypad", "appointments", "journey-done", "journey-slip", "appointments-long", "late-reception",
           "late-slip", "mistyped", "concerns", "closed", "appointment-only", "details", "confirm", "done",
           "printer-fault", "scanned-slip", "working")
LANGS = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti")


def check_kiosk_tour(out: Path, stdout: str, artifacts_dir: Path) -> None:
    """What `arkaden kiosk --tour DIR` must have written: every screen in every language, the slips, a copy of the
    dead ends and tiles in German and Arabic for a look (called by tests/test_screen_fit.py on its kiosk run)."""
    assert f"wrote {len(SCREENS) * len(LANGS) + 1} screenshots" in stdout
    for lang in LANGS:
        names = sorted(p.stem.split("-", 1)[1] for p in (out / lang).glob("*.png"))
        assert names == sorted(SCREENS), lang
    img = Image.open(next((out / "ar").glob("[0-9][0-9]-done.png"))).convert("RGB")
    assert img.size == (1080, 1920)   # the site's kiosk is portrait
    assert len(img.getcolors(1 << 16) or []) > 50   # text, not an empty screen
    for lang in LANGS:   # the journey's slip and the late client's, as printed on the kiosk's 80 mm paper
        for name in ("journey-slip", "late-slip"):
            slip = Image.open(next((out / lang).glob(f"*-{name}.png")))
            assert slip.mode == "1" and slip.width == 576 and slip.height > 1500, (lang, name)
    kiosk = artifacts_dir / "kiosk"   # the dead ends and the tiles, German and Arabic, for a look
    kiosk.mkdir(parents=True, exist_ok=True)
    for lang in ("de", "ar"):
        for name in ("concerns", "closed", "appointment-only", "details", "start", "done"):
            shutil.copyfile(next((out / lang).glob(f"[0-9][0-9]-{name}.png")), kiosk / f"tour-{lang}-{name}.png")
