"""Readability and languages of the wall display: contrast, number height, complete catalogues, a fresh .pot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from PIL import ImageFont

from display_app import messages as m
from display_app import palette
from display_app.layout import LAYOUTS
from ui_common.fonts import font_for
from ui_common.i18n import po_path
from ui_common.languages import LANGUAGES

REPO = Path(__file__).resolve().parents[1]


def test_texts_every_colour_pair_reaches_7_to_1() -> None:
    assert round(palette.contrast("#ffffff", "#000000"), 1) == 21.0
    assert round(palette.contrast("#777777", "#ffffff"), 2) == 4.48  # the WCAG example value
    for fg, bg in palette.TEXT_PAIRS:
        assert palette.contrast(fg, bg) >= 7, (fg, bg)


def test_texts_called_numbers_are_at_least_150_px_high() -> None:
    bold = str(font_for("Latn").bold)
    for name, lay in LAYOUTS.items():
        font = ImageFont.truetype(bold, lay.number_size)
        _, top, _, bottom = font.getbbox("0123456789")
        assert bottom - top >= 150, name
        left, _, right, _ = font.getbbox("W-888")  # the widest number fits its column
        assert right - left <= lay.number_width, name


def test_texts_every_language_has_every_display_text_marked_for_review() -> None:
    texts = m.translations()
    for lang in LANGUAGES:
        assert texts.untranslated(lang, m.MSGIDS) == [], lang
        if lang == "de":
            continue
        with po_path(m.LOCALE_DIR, lang, m.DOMAIN).open("rb") as fh:
            for msg in read_po(fh):
                if msg.id:
                    assert msg.fuzzy and "machine translation, needs review by a native speaker" in msg.user_comments
                    for field in ("{number}", "{room}", "{counter}", "{minutes}"):
                        assert (field in msg.id) == (field in msg.string), (lang, msg.id)


def test_texts_the_pot_is_what_babel_extracts(tmp_path: Path) -> None:
    out = tmp_path / "display.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-k", "N_", "--no-location",
                    "-o", str(out), str(REPO / "display_app" / "messages.py")], check=True, timeout=60,
                   capture_output=True)
    with out.open("rb") as fh:
        fresh = [msg.id for msg in read_po(fh) if msg.id]
    with (m.LOCALE_DIR / "display.pot").open("rb") as fh:
        shipped = [msg.id for msg in read_po(fh) if msg.id]
    assert shipped == fresh == m.MSGIDS, "run: pybabel extract -k N_ --no-location -o display_app/locale/display.pot " \
                                         "display_app/messages.py"
