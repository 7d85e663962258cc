"""The web pages' words: fresh templates, complete catalogues, intact placeholders, the review convention.

Two gettext domains with German msgids (web_app/locale/README.md): `desk` in English, `phone` in every site
language but German. Each check is a function that lists what is wrong, so the last tests can show on broken
samples that every check does find its mistake.
"""

from __future__ import annotations

import re
import shlex
import string
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from host_support.site_file import load_site
from ui_common.i18n import CatalogueError, load_catalogue, po_path
from web_app.texts import DESK_LANGUAGES, LOCALE_DIR, translations, translator

REPO = Path(__file__).resolve().parents[1]
README = LOCALE_DIR / "README.md"
REVIEW_NOTE = "machine translation, needs review by a native speaker"
# (domain, language) catalogues a native speaker has reviewed entry by entry; until a catalogue is here, every
# entry of it must be marked as a machine translation
REVIEWED: frozenset[tuple[str, str]] = frozenset()
SITE_LANGUAGES = tuple(load_site(REPO / "sites" / "kia-aachen-arkaden.toml").site.languages)
LANGUAGES = {
    "desk": tuple(lang for lang in DESK_LANGUAGES if lang != "de"),
    "phone": tuple(lang for lang in SITE_LANGUAGES if lang != "de"),
}
CATALOGUES = [(domain, lang) for domain, langs in LANGUAGES.items() for lang in langs]


def _read(path: Path) -> Catalog:
    """Strictly: a line Babel cannot parse is an error here (ui_common's loader would skip it)."""
    with path.open("rb") as fh:
        return read_po(fh, abort_invalid=True)


def _template(domain: str) -> Catalog:
    return _read(LOCALE_DIR / f"{domain}.pot")


def _catalogue(domain: str, lang: str) -> Catalog:
    return _read(po_path(LOCALE_DIR, lang, domain))


def _ids(catalog: Catalog) -> list[str]:
    return [str(m.id) for m in catalog if m.id]


# --- the checks ------------------------------------------------------------------------------------------------


def readme_extract_commands(readme: str) -> dict[str, list[str]]:
    """The README's `pybabel extract` commands, by the .pot file they write."""
    commands = {}
    for line in readme.splitlines():
        if line.startswith(".venv/bin/pybabel extract "):
            argv = shlex.split(line)
            commands[Path(argv[argv.index("-o") + 1]).name] = argv
    return commands


def pot_body(text: str) -> str:
    """A template without its creation date, which every extraction changes."""
    return "\n".join(line for line in text.splitlines() if not line.startswith('"POT-Creation-Date:'))


def missing_translations(template: Catalog, catalog: Catalog) -> list[str]:
    """msgids of the template the catalogue lacks or leaves empty, and entries the template no longer has."""
    have = {str(m.id): m.string for m in catalog if m.id}
    wanted = _ids(template)
    problems = [f"untranslated: {mid!r}" for mid in wanted if not have.get(mid)]
    problems += [f"not in the template (run pybabel update): {mid!r}" for mid in have if mid not in wanted]
    return problems


def fields(text: str) -> set[str] | None:
    """The names of the {placeholders} in a text; None when its braces do not parse."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


def placeholder_problems(catalog: Catalog) -> list[str]:
    problems = []
    for m in catalog:
        if not m.id or not m.string:
            continue
        source, translated = fields(str(m.id)), fields(str(m.string))
        if translated != source:
            problems.append(f"{m.id!r}: placeholders {sorted(translated or ())} instead of {sorted(source or ())}")
        elif source:
            try:
                str(m.string).format(**{name: "X" for name in source})
            except (KeyError, IndexError, ValueError) as exc:
                problems.append(f"{m.id!r}: does not format: {exc}")
    return problems


def number_problems(catalog: Catalog) -> list[str]:
    """A figure of the German text ("Noch 1 Person", "in 15 Minuten") stays a figure: readers look for it."""
    return [f"{m.id!r}: lost the figure {figure}" for m in catalog if m.id and m.string
            for figure in re.findall(r"\d+", str(m.id)) if figure not in re.findall(r"\d+", str(m.string))]


def review_problems(catalog: Catalog, reviewed: bool) -> list[str]:
    """The flag and the comment go together; an unreviewed catalogue has them on every entry."""
    problems = []
    for m in catalog:
        if not m.id:
            continue
        noted = REVIEW_NOTE in m.user_comments
        if m.fuzzy != noted:
            problems.append(f"{m.id!r}: fuzzy={m.fuzzy} but the review comment is {'there' if noted else 'missing'}")
        elif not reviewed and not m.fuzzy:
            problems.append(f"{m.id!r}: a machine translation must be fuzzy with the comment {REVIEW_NOTE!r}")
    return problems


# --- the shipped catalogues ------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", sorted(LANGUAGES))
def test_web_texts_template_is_what_the_readme_commands_extract(domain: str, tmp_path: Path) -> None:
    commands = readme_extract_commands(README.read_text(encoding="utf-8"))
    assert sorted(commands) == ["desk.pot", "phone.pot"], "README.md must give one extract command per domain"
    argv = commands[f"{domain}.pot"]
    assert argv[argv.index("-o") + 1] == f"web_app/locale/{domain}.pot"
    out = tmp_path / f"{domain}.pot"
    argv = [str(Path(sys.executable).with_name("pybabel"))] + argv[1:]
    argv[argv.index("-o") + 1] = str(out)
    run = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    fresh, stored = out.read_text(encoding="utf-8"), (LOCALE_DIR / f"{domain}.pot").read_text(encoding="utf-8")
    assert pot_body(fresh) == pot_body(stored), f"stale {domain}.pot: run the commands in web_app/locale/README.md"
    assert len(_ids(_template(domain))) >= 30


def test_web_texts_catalogues_are_exactly_the_expected_languages() -> None:
    assert LANGUAGES["desk"] == ("en",)
    assert len(LANGUAGES["phone"]) == len(SITE_LANGUAGES) - 1 >= 11
    for domain, langs in LANGUAGES.items():
        shipped = {p.parts[-3] for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{domain}.po")}
        assert shipped == set(langs), f"{domain}: catalogues for {sorted(shipped)}, expected {sorted(langs)}"


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_web_texts_catalogue_translates_every_msgid(domain: str, lang: str) -> None:
    assert missing_translations(_template(domain), _catalogue(domain, lang)) == []


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_web_texts_translations_keep_the_placeholders_and_figures(domain: str, lang: str) -> None:
    catalog = _catalogue(domain, lang)
    assert placeholder_problems(catalog) == []
    assert number_problems(catalog) == []


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_web_texts_catalogue_loads_and_serves_every_msgid(domain: str, lang: str) -> None:
    loaded = load_catalogue(LOCALE_DIR, lang, domain)
    template = _ids(_template(domain))
    assert sorted(loaded.messages) == sorted(template)
    assert loaded.review == set(template) - {str(m.id) for m in _catalogue(domain, lang) if m.id and not m.fuzzy}
    _ = translator(translations(domain), lang)
    assert "E.01" in _("Raum {room}", room="E.01")
    assert _("Raum {room}", room="E.01") != "Raum E.01"


@pytest.mark.parametrize(("domain", "lang"), CATALOGUES)
def test_web_texts_machine_translations_are_marked_for_review(domain: str, lang: str) -> None:
    assert review_problems(_catalogue(domain, lang), (domain, lang) in REVIEWED) == []


def test_web_texts_floors_name_the_lift_button_where_counting_differs() -> None:
    """German floor 1 is the second floor in Ukrainian and Russian usage: the text must not say "1st floor"."""
    for lang, lift in (("uk", "ліфта"), ("ru", "лифта")):
        _ = translator(translations("phone"), lang)
        assert lift in _("Etage {floor}", floor=1) and "1" in _("Etage {floor}", floor=1)
        assert lift in _("Erdgeschoss") and "0" in _("Erdgeschoss")
    assert translator(translations("phone"), "de")("Etage {floor}", floor=2) == "Etage 2"


# --- every check finds its mistake -----------------------------------------------------------------------------


def _po(entries: Iterable[tuple[str, str, str]]) -> Catalog:
    """A catalogue from (msgid, msgstr, flags-and-comment) triples: "f" fuzzy, "c" the review comment."""
    catalog = Catalog(locale="en")
    for msgid, msgstr, marks in entries:
        catalog.add(msgid, msgstr, flags=["fuzzy"] if "f" in marks else [],
                    user_comments=[REVIEW_NOTE] if "c" in marks else [])
    return catalog


def test_web_texts_checks_catch_a_stale_template() -> None:
    commands = readme_extract_commands("```sh\n.venv/bin/pybabel extract -F x.cfg -o web_app/locale/desk.pot .\n")
    assert commands == {"desk.pot": [".venv/bin/pybabel", "extract", "-F", "x.cfg", "-o",
                                     "web_app/locale/desk.pot", "."]}
    stored = (LOCALE_DIR / "phone.pot").read_text(encoding="utf-8")
    redated = stored.replace('"POT-Creation-Date: ', '"POT-Creation-Date: 1999-01-01 00:00+0000 was ', 1)
    assert pot_body(redated) == pot_body(stored) != pot_body(stored + '\nmsgid "Neu"\nmsgstr ""\n')


def test_web_texts_checks_catch_missing_and_extra_entries() -> None:
    template = _po([("Raum", "", ""), ("Nummer", "", "")])
    assert missing_translations(template, _po([("Raum", "Room", ""), ("Nummer", "Number", "")])) == []
    assert len(missing_translations(template, _po([("Raum", "Room", "")]))) == 1
    assert len(missing_translations(template, _po([("Raum", "Room", ""), ("Nummer", "", "")]))) == 1
    assert len(missing_translations(template, _po([("Raum", "Room", ""), ("Nummer", "Number", ""),
                                                   ("Alt", "Old", "")]))) == 1


def test_web_texts_checks_catch_broken_placeholders_and_lost_figures() -> None:
    assert placeholder_problems(_po([("Raum {room}", "Room {room}", ""), ("{n} warten", "{n} waiting", "")])) == []
    for wrong in ("Room", "Room {rooms}", "Room {room} {n}", "Room {room", "Room {room!z}"):
        assert len(placeholder_problems(_po([("Raum {room}", wrong, "")]))) == 1, wrong
    assert len(placeholder_problems(_po([("Raum", "Room {room}", "")]))) == 1
    assert number_problems(_po([("Noch 1 Person", "1 person", ""), ("Erdgeschoss", "Рівень 0", "")])) == []
    assert len(number_problems(_po([("Noch 1 Person", "one person", "")]))) == 1


def test_web_texts_checks_catch_a_broken_review_mark() -> None:
    assert review_problems(_po([("Raum", "Room", "fc")]), reviewed=False) == []
    assert review_problems(_po([("Raum", "Room", "")]), reviewed=True) == []
    for marks in ("", "f", "c"):
        assert len(review_problems(_po([("Raum", "Room", marks)]), reviewed=False)) == 1, marks
    for marks in ("f", "c"):
        assert len(review_problems(_po([("Raum", "Room", marks)]), reviewed=True)) == 1, marks


def test_web_texts_checks_catch_an_unreadable_catalogue(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no catalogue"):
        load_catalogue(tmp_path, "fr", "phone")
    bad = po_path(tmp_path, "fr", "phone")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b'msgid "Raum"\nmsgstr "\xff\xfe"\n')
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path, "fr", "phone")
    bad.write_text('msgid "Raum"\nmsgstr Room\nnot a po line\n', encoding="utf-8")
    # ui_common's loader is lenient and would serve "oo" for "Raum" here; the strict reading of the tests is not
    assert load_catalogue(tmp_path, "fr", "phone").messages.get("Raum") != "Room"
    with pytest.raises(PoFileError):
        _read(bad)
