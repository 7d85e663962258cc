"""`arkaden kiosk --tour DIR` renders every screen in every language without a broker, for translation review."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]
SCREENS = ("start", "keypad", "appointments", "concerns", "closed", "appointment-only", "details", "confirm",
           "done", "printer-fault", "scanned-slip", "working")
LANGS = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti")


def test_kiosk_tour_renders_every_screen_in_every_language(xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "kiosk-tour"
    proc = subprocess.run([sys.executable, "-m", "arkaden_cli", "kiosk", "--site",
                           str(REPO / "sites" / "kia-aachen-arkaden.toml"), "--tour", str(out)],
                          cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=240,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "wrote 145 screenshots" in proc.stdout
    for lang in LANGS:
        names = sorted(p.stem.split("-", 1)[1] for p in (out / lang).glob("*.png"))
        assert names == sorted(SCREENS), lang
    img = Image.open(out / "ar" / "08-done.png").convert("RGB")
    assert img.size == (1080, 1920)   # the site's kiosk is portrait
    assert len(img.getcolors(1 << 16) or []) > 50   # text, not an empty screen
