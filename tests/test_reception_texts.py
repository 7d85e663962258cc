"""Reception's words and colours: complete de/en catalogues, a fresh reception.pot, every text pair at 7:1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from display_app import reception_style as S
from display_app import reception_texts as T
from ui_common.i18n import po_path

REPO = Path(__file__).resolve().parents[1]


def _ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}


def test_reception_texts_every_colour_pair_reaches_7_to_1_disabled_ones_too() -> None:
    assert (S.DISABLED_TEXT, S.DISABLED_BG) in S.TEXT_PAIRS and (S.BUTTON_TEXT, S.BUTTON_BG) in S.TEXT_PAIRS
    for fg, bg in S.TEXT_PAIRS:
        assert S.contrast(fg, bg) >= 7, (fg, bg, round(S.contrast(fg, bg), 2))
    assert S.CHOOSER_BG != S.DISABLED_BG   # a usable chooser does not look like a disabled one


def test_reception_texts_the_pot_is_what_babel_extracts(tmp_path: Path) -> None:
    out = tmp_path / "reception.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "extract", "-F",
                    str(REPO / "display_app/locale/reception-babel.cfg"), "--no-default-keywords", "-k", "N_",
                    "--no-location", "-o", str(out), str(REPO)], check=True, timeout=60, capture_output=True,
                   cwd=REPO)
    fresh, shipped = _ids(out), _ids(T.locale_dir() / "reception.pot")
    assert fresh == shipped, "run the pybabel extract/update commands in display_app/README.md"
    assert T.TARGET_MISSED in shipped and T.LOG_MOVED in shipped and len(shipped) > 100


def test_reception_texts_german_and_english_have_every_msgid_with_its_fields() -> None:
    msgids = sorted(_ids(T.locale_dir() / "reception.pot"))
    for lang in T.LANGUAGES:
        texts = T.Texts(lang)
        with po_path(T.locale_dir(), lang, T.DOMAIN).open("rb") as fh:
            po = {m.id: m for m in read_po(fh) if m.id}
        assert sorted(po) == msgids, lang
        for msgid, msg in po.items():
            assert msg.string and not msg.fuzzy, (lang, msgid)   # de and en are written by people, not machines
            fields = {f for f in ("{number}", "{service}", "{device}", "{count}", "{minutes}", "{time}", "{who}",
                                  "{action}", "{reason}", "{target}", "{longest}", "{estimate}", "{priority}",
                                  "{agency}", "{shown}", "{total}", "{room}", "{note}", "{error}", "{code}",
                                  "{kind}", "{counter}", "{site}", "{operator}", "{ok}", "{what}") if f in msgid}
            assert fields == {f for f in fields if f in msg.string}, (lang, msgid)
            assert texts(msgid) == msg.string
    en = T.Texts("en")
    assert en(T.STATUSES["no_show"]) == "no-show" and en(T.ACTIONS["return"]) == "Bring back"


def test_reception_texts_refuse_a_language_reception_has_no_catalogue_for() -> None:
    with pytest.raises(ValueError, match="de, en"):
        T.Texts("ar")
