"""`arkaden kiosk --tour DIR` renders every screen in every language without a broker, for translation review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]
SCREENS = ("start", "keypad", "appointments", "journey-done", "journey-slip", "appointments-long", "late-reception",
           "late-slip", "mistyped", "concerns", "closed", "appointment-only", "details", "confirm", "done",
           "printer-fault", "scanned-slip", "working")
LANGS = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti")


def test_kiosk_tour_renders_every_screen_in_every_language(xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "kiosk-tour"
    for old in out.glob("*/*.png"):   # screens renamed since an earlier run must not linger
        old.unlink()
    proc = subprocess.run([sys.executable, "-m", "arkaden_cli", "kiosk", "--site",
                           str(REPO / "sites" / "kia-aachen-arkaden.toml"), "--tour", str(out)],
                          cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=240,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f"wrote {len(SCREENS) * len(LANGS) + 1} screenshots" in proc.stdout
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
