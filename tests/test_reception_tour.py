"""Reception on a busy morning with the real site file, in German and English, under Xvfb: every text fits
(from the widget tree and through the screen-fit audit), the chosen ticket stays in view, nothing is preselected."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from ui_common.fit_audit import read_reports

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"
SHOTS = ["filtered", "chosen-last", "nothing-chosen"]


def test_reception_tour_fits_keeps_the_chosen_ticket_in_view_in_de_and_en(xserver: XServer,
                                                                           artifacts_dir: Path) -> None:
    out = artifacts_dir / "reception" / "tour"
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*.png"), *out.glob("*.json*")]:
        old.unlink()
    audit = out / "fit-audit.jsonl"
    proc = subprocess.run(check=False, args=[sys.executable, "-m", "tests.ui.reception_drive", "tour", str(SITE),
                                             str(out)], cwd=REPO, env=xserver.env(ARKADEN_FIT_AUDIT=str(audit)),
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "reception-tour.json").read_text())
    assert sorted(report) == sorted(f"reception-{lang}-{shot}.png" for lang in ("de", "en") for shot in SHOTS)
    for name, r in report.items():
        assert r["problems"] == [], name             # every label's texture fits its widget
        assert r["alerts"] >= 12, name               # a dozen alerts of different kinds
        assert r["choosers"][2] == "" and r["choosers"][:2] == (
            ["Zieldienst wählen …", "Vorrang wählen …"] if "-de-" in name
            else ["Choose the target service …", "Choose a priority …"]), name   # nothing preselected
        assert Image.open(out / name).size == (1920, 1080)
    for lang in ("de", "en"):
        filtered = report[f"reception-{lang}-filtered.png"]
        assert filtered["filter"] == "auslaenderamt" and filtered["selected"] is not None
        for shot in ("filtered", "chosen-last"):
            chosen = report[f"reception-{lang}-{shot}.png"]["chosen"]
            assert chosen is not None, (lang, shot)   # the row is drawn, so it is in the list's visible part
            (bottom, top), (view_bottom, view_top) = chosen["row"], chosen["view"]
            assert view_bottom - 1 <= bottom and top <= view_top + 1, (lang, shot, chosen)
        nothing = report[f"reception-{lang}-nothing-chosen.png"]
        assert nothing["selected"] is None and all(nothing["disabled"].values())
        assert report[f"reception-{lang}-filtered.png"]["disabled"]["return_"]   # a waiting ticket: no "return"
        assert not report[f"reception-{lang}-filtered.png"]["disabled"]["move"]
    # the log in words, in the screen's language, never an event's name
    assert report["reception-de-filtered.png"]["log"][0].endswith("wieder eingereiht")
    assert report["reception-en-filtered.png"]["log"][0].endswith("back in the queue")
    assert not any("ticket_" in line or "_changed" in line for r in report.values() for line in r["log"])
    # the other engineer's screen-fit audit (overflow, clipping, cut glyphs, overlaps, contrast) finds nothing
    shots = read_reports(audit)
    assert len(shots) == 6
    assert [p.line() for _, r in shots for p in r.problems] == []
    # a counsellor's note with Kivy markup in it is shown as typed (read as markup, "[size=x]" stops the monitor)
    assert any("[size=x] [font=nope] [b]A1[/b]" in t.text for _, r in shots for t in r.texts)
    # German and English are really different pictures
    de, en = (Image.open(out / f"reception-{lang}-filtered.png").tobytes() for lang in ("de", "en"))
    assert de != en
