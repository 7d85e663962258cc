"""The slip's own words: the template matches the code, every language has every entry, plurals per language."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk_app.printing.texts import (
    SLIP_LANGUAGES,
    SlipCatalogueError,
    load_translations,
    locale_dir,
    slip_labels,
)
from tests.printing_helpers import REPO_ROOT
from ui_common.languages import LANGUAGES

REVIEW_NOTE = "machine translation, needs review by a native speaker"


def _read(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return read_po(fh)


def test_slip_texts_template_is_current(tmp_path: Path) -> None:
    """Re-extract with the documented command; the template must hold exactly the msgids of the code."""
    out = tmp_path / "slip.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract",
                    "-F", "kiosk_app/locale/slip-babel.cfg", "-c", "TRANSLATORS:", "--no-location",
                    "--sort-output", "-o", str(out), "."], cwd=REPO_ROOT, check=True)
    fresh = {m.id for m in _read(out) if m.id}
    stored = {m.id for m in _read(locale_dir() / "slip.pot") if m.id}
    assert fresh == stored, "run the pybabel extract command in kiosk_app/locale/README.md"
    assert len(stored) >= 10


@pytest.mark.parametrize("lang", SLIP_LANGUAGES)
def test_slip_texts_catalogue_complete(lang: str) -> None:
    template = {m.id for m in _read(locale_dir() / "slip.pot") if m.id}
    catalog = _read(locale_dir() / lang / "LC_MESSAGES" / "slip.po")
    assert catalog.num_plurals >= 1
    seen = set()
    for m in catalog:
        if not m.id:
            continue
        seen.add(m.id)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(strings), f"{lang}: {m.id!r} untranslated"
        if isinstance(m.id, tuple):
            assert len(strings) == catalog.num_plurals, f"{lang}: {m.id!r} needs {catalog.num_plurals} forms"
        for placeholder in ("{n}", "{rooms}", "{floor}", "{time}", "{room}"):
            source = m.id if isinstance(m.id, str) else m.id[0]
            assert all((placeholder in s) == (placeholder in source) for s in strings), (lang, m.id)
        if lang != "en":
            assert m.fuzzy and REVIEW_NOTE in m.user_comments, f"{lang}: {m.id!r} must be marked for review"
    assert seen == template


def test_slip_texts_languages_match_the_site_languages() -> None:
    assert set(SLIP_LANGUAGES) == set(LANGUAGES)


def test_slip_texts_plurals_and_floor_names() -> None:
    ru = slip_labels("ru").client
    assert [ru.wait_minutes(n) for n in (21, 22, 25)] == [
        "примерно 21 минута", "примерно 22 минуты", "примерно 25 минут"]
    ar = slip_labels("ar").client
    assert ar.wait_minutes(5) == "حوالي 5 دقائق" and ar.wait_minutes(15) == "حوالي 15 دقيقة"
    de = slip_labels("de").client
    assert de.wait_minutes(1) == "wenige Minuten" and de.wait_minutes(30) == "etwa 30 Minuten"
    assert de.rooms(("E.01",)) == "Raum E.01" and de.rooms(("1.12", "1.14")) == "Räume 1.12, 1.14"
    assert de.floor(0) == "Erdgeschoss" and de.floor(7) == "Etage 7"
    # uk/ru count the ground floor as the first: they name the level with the lift button, never an ordinal
    assert slip_labels("uk").client.floor(0) == "Рівень 0 (кнопка ліфта 0)"
    assert slip_labels("ru").client.floor(2) == "Уровень 2 (кнопка лифта 2)"
    assert slip_labels("en").client.privacy == "This slip carries no name. Keep it until you are called."
    labels = slip_labels("ti")
    assert labels.bilingual and labels.german.lang == "de" and not slip_labels("de").bilingual


def test_slip_texts_missing_or_broken_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SlipCatalogueError, match="no slip catalogue"):
        load_translations("fr", tmp_path)
    bad = tmp_path / "fr" / "LC_MESSAGES"
    bad.mkdir(parents=True)
    (bad / "slip.po").write_text('msgid "a"\nmsgstr b\nnot a po line\n', encoding="utf-8")
    with pytest.raises(SlipCatalogueError, match="cannot read"):
        load_translations("fr", tmp_path)
