"""The screen-fit audit itself: it catches each kind of defect on purpose-built bad labels under Xvfb and passes the
good ones; the language check and the contrast formula on plain data."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ui_common.fit_audit import Report, ShownText, contrast, read_reports
from ui_common.fit_language import untranslated

from .conftest import XServer

REPO = Path(__file__).resolve().parents[1]


def _kinds_by_label(report: Report) -> dict[str, set[str]]:
    """Each shown label (by the name its text starts with) with the kinds of problem found on it."""
    found: dict[str, set[str]] = {t.text.split(":")[0]: set() for t in report.texts}
    for p in report.problems:
        text = next(t.text for t in report.texts if t.widget == p.widget)
        found[text.split(":")[0]].add(p.kind)
    return found


def test_fit_audit_catches_each_defect_and_passes_good_labels(xserver: XServer, artifacts_dir: Path) -> None:
    out = artifacts_dir / "fit"
    proc = subprocess.run([sys.executable, "-m", "tests.ui.fit_probe", str(out)], cwd=REPO, env=xserver.env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [(png, report)] = read_reports(out / "fit-probe.jsonl")
    assert png == out / "fit-probe.png" and report.screen == "fit-probe.png"
    kinds = _kinds_by_label(report)
    assert kinds == {
        "good": set(), "good wrapped": set(), "good disabled": set(), "مرحبا بكم": set(),
        "scrolled row 0": set(), "scrolled row 1": set(), "scrolled row 2": set(),   # 2: cut where the list scrolls
        "overflow": {"overflow"}, "shortened": {"shortened"}, "lines_cut": {"lines_cut"}, "W": {"glyph_cut"},
        "contrast": {"contrast"}, "disabled": {"contrast"}, "clipped window": {"clipped"},
        "clipped panel": {"clipped"}, "overlap": {"overlap"}, "untranslated": set(),
    }, "\n".join(p.line() for p in report.problems)
    details = {p.widget.split("'")[1].split(":")[0]: p.detail for p in report.problems}
    assert details["contrast"].startswith("2.9:1") and details["disabled"].startswith("2.7:1, disabled text")
    assert re.fullmatch(r"text 3\d\dx4\d px in a box of 120x40, its ink 1\d\d px outside", details["overflow"])
    # the rows scrolled out of the list are not shown, so they are not audited
    assert not any(t.text.startswith(("scrolled row 3", "scrolled row 7")) for t in report.texts)
    # on an Arabic screen the German label is reported, with the translation it should show
    [german] = untranslated(report, "ar", {"Bitte warten": "يرجى الانتظار"})
    assert german.kind == "untranslated" and german.lang == "ar" and "untranslated: Bitte warten" in german.widget
    assert german.detail == "German 'Bitte warten' shown; ar: 'يرجى الانتظار'"
    assert untranslated(report, "de", {"Bitte warten": "Bitte warten"}) == []


def _screen(*texts: str) -> Report:
    return Report("x.png", texts=[ShownText(f"Label {i}", t) for i, t in enumerate(texts)])


def test_untranslated_reports_german_without_its_translation() -> None:
    german = {"Wartende": "Waiting", "Raum {room}": "Room {room}", "Bitte warten Sie.": "Please wait.",
              "Jobcenter": "Jobcentre", "Ja": "Yes"}
    found = untranslated(_screen("Wartende", "Raum E.14", "Please wait.", "Jahr"), "en", german)
    assert sorted(p.detail for p in found) == ["German 'Raum {room}' shown; en: 'Room {room}'",
                                               "German 'Wartende' shown; en: 'Waiting'"]
    assert [p.widget for p in found] == ["Label 0", "Label 1"]
    # bilingual: the German heading beside its translation, in one label or two
    assert untranslated(_screen("Wartende / Waiting"), "en", german) == []
    assert untranslated(_screen("Wartende", "Waiting"), "en", german) == []
    # whole words only ("Ja" is not in "Jahr"); a word counts as a label's whole text or a whole part of it, not
    # inside a sentence (a counsellor's note); a sentence is reported once, not also its words
    assert untranslated(_screen("Jahr 2026"), "en", german) == []
    assert untranslated(_screen("Note: Termin beim Jobcenter vorziehen"), "en", german) == []
    [part] = untranslated(_screen("Agency: Jobcenter · 3 waiting"), "en", german)
    assert "'Jobcenter'" in part.detail
    [sentence] = untranslated(_screen("Bitte   warten\nSie."), "en", {**german, "Bitte": "Please"})
    assert "Bitte warten Sie." in sentence.detail


def test_untranslated_ignores_german_names_inside_a_translation_and_reads_rtl_runs() -> None:
    german = {"Jobcenter": "جوب سنتر", "Gehen Sie zum Jobcenter in Raum {room}": "اذهب إلى Jobcenter في الغرفة {room}"}
    # a translated direction that keeps the German name: the name is part of the translation
    assert untranslated(_screen("اذهب إلى Jobcenter في الغرفة 2.14"), "ar", german) == []
    # the kiosk hands Kivy left-to-right runs reversed inside Arabic text: still found
    [hit] = untranslated(_screen("retnecboJ", "10:30"), "ar", german)
    assert "'Jobcenter'" in hit.detail


def test_contrast_is_the_wcag_ratio() -> None:
    assert round(contrast((1, 1, 1), (0, 0, 0)), 1) == 21.0
    assert contrast((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) == 1.0
    assert round(contrast((0x11 / 255, 0x18 / 255, 0x27 / 255), (1, 1, 1)), 1) == 17.7   # #111827 on white
