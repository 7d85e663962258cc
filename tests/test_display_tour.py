"""`arkaden display --tour DIR` for real: a busy board in both orientations and every hint language, as PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]


def test_display_tour_renders_both_orientations(xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "display" / "tour"
    for old in out.glob("*.png"):
        old.unlink()
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "arkaden_cli", "display", "--site",
                           str(REPO / "sites" / "kia-aachen-arkaden.toml"), "--display", "anzeige-eg", "--tour",
                           str(out)], cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    langs = ["de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti"]
    for orientation, size in (("landscape", (1920, 1080)), ("portrait", (1080, 1920))):
        for lang in langs:
            img = Image.open(out / f"display-{orientation}-{lang}.png").convert("RGB")
            assert img.size == size
            # the newest call is highlighted in signal yellow at the top left
            assert img.getpixel((60, 230)) == (0xff, 0xd2, 0x1f), (orientation, lang)
            # the hint bar has text in it (light pixels on the panel), in every script
            w, h = size
            bar = img.crop((40, h - 120, w - 40, h - 30))
            assert bar.getextrema()[0][1] > 200, (orientation, lang)
    # the hint differs between languages (each is really rendered, not the German one 12 times)
    bars = {lang: Image.open(out / f"display-landscape-{lang}.png").crop((40, 960, 1880, 1050)).tobytes()
            for lang in langs}
    assert len(set(bars.values())) == len(langs)


def test_display_tour_shows_the_later_list_only_when_there_is_one(xserver: XServer, artifacts_dir: Path) -> None:
    """The busy board has numbers queued for later (a journey's next stops); the same board without them shows
    the second row of recent calls in their place, and the current calls are where they always are."""
    out = artifacts_dir / "display" / "tour"
    if not (out / "display-landscape-no-later.png").is_file():
        proc = subprocess.run(check=False, args=[sys.executable, "-m", "arkaden_cli", "display", "--site",
                              str(REPO / "sites" / "kia-aachen-arkaden.toml"), "--display", "anzeige-eg", "--tour",
                              str(out)], cwd=REPO, env=xserver.env(), capture_output=True, text=True, timeout=240)
        assert proc.returncode == 0, proc.stderr[-3000:]
    for orientation in ("landscape", "portrait"):
        with_later = Image.open(out / f"display-{orientation}-de.png").convert("RGB")
        without = Image.open(out / f"display-{orientation}-no-later.png").convert("RGB")
        calls = (0, 120, with_later.width // 2, 700) if orientation == "landscape" else (0, 120, 1080, 900)
        assert with_later.crop(calls).tobytes() == without.crop(calls).tobytes(), orientation  # calls unmoved
        assert with_later.tobytes() != without.tobytes()
