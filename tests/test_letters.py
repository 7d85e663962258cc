"""Invitation letters: the PDF read back (QR code, text, positions), the catalogues, the command."""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fpdf.fonts import TTFFont
from PIL import Image

from arkaden_cli.letter_commands import add_letter_parser
from host_support.site_file import load_site
from letters.content import LetterError, build_letter
from letters.layout import BOTTOM, FOOTER_H, MARGIN, PAGE_H, PAGE_W, TOP, _Composer, render
from letters.letter import render_letter
from letters.texts import LETTER_LANGUAGES, language_name, letter_texts, load_translations, locale_dir, long_date
from queue_core.store import BookingInput, Store
from queue_protocol.scan import booking_qr, classify_scan
from queue_rules import codes
from queue_rules.journeys import BookedStop, Journey
from queue_rules.site import Site
from tests.engine_helpers import MINI

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_SITE = REPO_ROOT / "sites" / "kia-aachen-arkaden.toml"
REVIEW_NOTE = "machine translation, needs review by a native speaker"
ISSUED = date(2026, 11, 20)
DAY = date(2026, 11, 24)   # a Tuesday: the Ausländeramt, the Anerkennungsberatung and the Jobcenter are open
MM = 72 / 25.4             # PDF points per millimetre
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

DOCUMENTS = [
    {"id": "passport", "name": {"de": "Reisepass oder Passersatz", "en": "Passport or substitute passport",
                                "ar": "جواز السفر أو بديل جواز السفر", "ti": "ፓስፖርት ወይ ተኪእ ፓስፖርት"}},
    {"id": "certificates", "name": {"de": "Zeugnisse und Berufsabschlüsse (Originale und Kopien)",
                                    "en": "Certificates and diplomas (originals and copies)",
                                    "ar": "الشهادات والمؤهلات المهنية (الأصل والنسخ)",
                                    "ti": "ምስክር ወረቐታት (ኦሪጂናልን ቅዳሕን)"}},
    {"id": "jobcenter-letter", "name": {"de": "Letzter Bescheid des Jobcenters", "en": "The Jobcenter's last letter",
                                        "ar": "آخر قرار من مركز العمل"}},
]
SERVICE_DOCUMENTS = {"aufenthaltstitel": ["passport"], "anerkennung": ["passport", "certificates"],
                     "jobcenter": ["jobcenter-letter"]}


def _site_data() -> dict[str, Any]:
    """The real site, with these tests' documents (the real file's own may still be changing)."""
    data = tomllib.loads(REAL_SITE.read_text(encoding="utf-8"))
    data["documents"] = DOCUMENTS
    for service in data["services"]:
        service["documents"] = SERVICE_DOCUMENTS.get(service["id"], [])
    return data


@lru_cache(maxsize=1)
def real_site() -> Site:
    return Site.model_validate(_site_data())


def _code(seed: int) -> str:
    return codes.new_code(random.Random(seed).randrange)


def _at(hour: int, minute: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=real_site().tz)


def three_stops(lang: str, **kw: Any) -> Journey:
    """Ausländeramt → Anerkennungsberatung → Jobcenter on one morning."""
    fields: dict[str, Any] = {"party_size": 1, "interpreter": False, "step_free": False, **kw}
    return Journey(_code(1), lang, stops=(
        BookedStop(1, "aufenthaltstitel", _at(9, 0), 15),
        BookedStop(2, "anerkennung", _at(10, 0), 40),
        BookedStop(3, "jobcenter", _at(11, 15), 20),
    ), **fields)


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:  # a missing tool fails the test: the pages would go unchecked
        pytest.fail(f"{tool} not found: install the Debian package poppler-utils (./scripts/test does)",
                    pytrace=False)
    return path


def _to_png(pdf: bytes, out: Path, tmp_path: Path) -> list[Path]:
    """Each page as PNG at 100 dpi: out-1.png, out-2.png, …, or out.png for a one-page letter."""
    source = tmp_path / f"{out.name}.pdf"
    source.write_bytes(pdf)
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in out.parent.glob(f"{out.name}*.png"):
        old.unlink()
    subprocess.run([_need("pdftoppm"), "-r", "100", "-png", str(source), str(out)], check=True)
    pages = sorted(out.parent.glob(f"{out.name}-*.png"))
    if len(pages) == 1:
        return [pages[0].rename(out.with_suffix(".png"))]
    return pages


def _text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    out = subprocess.run([_need("pdftotext"), str(source), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(BIDI_MARKS.sub("", out).split())


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ar", "ti", "kmr", "uk", "de"])
def test_letter_pages_carry_code_times_rooms_and_agencies(lang: str, artifacts_dir: Path, tmp_path: Path) -> None:
    site = real_site()
    journey = three_stops(lang, interpreter=True)
    pdf = render_letter(site, journey, lang, issued=ISSUED)
    assert pdf.startswith(b"%PDF")
    pages = _to_png(pdf, artifacts_dir / "letters" / lang, tmp_path)
    assert len(pages) == 1, "a three-stop journey fits one page"

    image = Image.open(pages[0])
    assert image.size == (827, 1170)  # A4 at 100 dpi
    barcodes = zxingcpp.read_barcodes(image)
    assert [b.text for b in barcodes] == [booking_qr(journey.code)]
    scanned = classify_scan(barcodes[0].text)
    assert scanned is not None and scanned.kind == "booking" and scanned.value == journey.code
    corners = barcodes[0].position
    assert barcodes[0].ec_level == "M"
    assert (corners.top_right.x - corners.top_left.x) / 100 * 25.4 >= 35   # mm on paper, at 100 dpi
    assert (corners.bottom_left.y - corners.top_left.y) / 100 * 25.4 >= 35
    code_boxes = [(y1 - y0) for _, y0, _, y1, w in _words(pdf, tmp_path)[0] if w == codes.display(journey.code)]
    assert max(code_boxes) >= 28   # points: the code in large print for the keypad

    text = _text(pdf, tmp_path)
    assert codes.display(journey.code) in text
    for must in ("09:00", "10:00", "11:15", "E.10", "1.12", "2.05", "Dienstag, 24. November 2026",
                 "Ausgabe Aufenthaltstitel (nur mit Termin)", "Reisepass oder Passersatz",
                 "Ausgestellt am 20. November 2026"):
        assert must in text, must
    for stop in journey.stops:
        assert site.agency_of_service(stop.service).name in text
    if lang == "ar":
        # words without the lam-alef ligature, which pdftotext writes back in the wrong order
        for word in ("مواعيدك", "المدخل", "الممر", "نوفمبر", "جواز السفر", "العربية"):
            assert word in text, word
    if lang == "ti":
        for word in ("ቆጸራታትኩም", "ክፍሊ", "ሕዳር", "ፓስፖርት"):
            assert word in text, word
    if lang == "uk":
        assert "Ваші записи на прийом" in text and "рівень 0 (кнопка ліфта 0)" in text  # the lift's level, no ordinal
    if lang == "de":
        assert "Deutsch" not in text  # one language: no column labels
        assert "Dolmetscher" not in text  # no interpreter for German


@pytest.mark.slow
def test_letter_with_the_site_files_own_documents(artifacts_dir: Path, tmp_path: Path) -> None:
    """The real site file as it is: its documents to bring, on one page or two."""
    site = load_site(REAL_SITE)
    journey = three_stops("ar", party_size=2, interpreter=True, step_free=True)
    pdf = render_letter(site, journey, "ar", issued=ISSUED)
    pages = _to_png(pdf, artifacts_dir / "letters" / "site-ar", tmp_path)
    assert 1 <= len(pages) <= 2
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(pages[0]))] == [booking_qr(journey.code)]
    text = _text(pdf, tmp_path)
    for document in site.documents_for([s.service for s in journey.stops]):
        assert f"• {document.name['de']}" in text
    assert "Eine Dolmetscherin oder ein Dolmetscher für Arabisch wird da sein." in text


def test_letter_arabic_is_shaped_and_set_right_to_left() -> None:
    letter = build_letter(real_site(), three_stops("ar"), "ar", issued=ISSUED)
    assert letter.rtl == (True, False) and letter.langs == ("ar", "de")
    pdf = render(letter, datetime(2026, 11, 20, 12, tzinfo=real_site().tz))
    font = pdf.fonts["arabic"]
    assert isinstance(font, TTFFont)
    glyphs = font.subset.get_all_glyph_names()
    # HarfBuzz chose the joining forms (initial, medial, final): the presentation-form glyphs of Noto Sans Arabic
    contextual = [g for g in glyphs if g.startswith("uniFE") or g.endswith((".init", ".medi", ".fina"))]
    assert len(contextual) > 20, glyphs
    # the German column sits on the left, the Arabic one and the times on the right (a mirrored page)
    neutral_x, arabic_x, german_x = (x for x, _ in _Composer(letter).columns)
    assert german_x < arabic_x < neutral_x


def _long_journey(longest: bool) -> tuple[Site, Journey]:
    """Five stops with long texts in German and Arabic: long names and directions, or every text at the
    longest the site file allows (200 characters; agency names 80)."""
    data = _site_data()
    long_de = ("Sehr lange Wegbeschreibung mit vielen Wörtern, die über mehrere Zeilen umbrechen muss, damit "
               "nichts über den Rand läuft: durch die Halle, am Aufzug vorbei, dann links und geradeaus bis zur Tür")
    long_ar = ("وصف طويل جدا للطريق بكلمات كثيرة يجب أن يلتف على عدة أسطر حتى لا يخرج شيء عن الهامش: عبر القاعة "
               "ثم بعد المصعد إلى اليسار ثم مباشرة حتى الباب الأخير في نهاية الممر الطويل بجانب النافذة")
    size = 200 if longest else 130
    for agency in data["agencies"]:
        agency["name"] = (agency["name"] + " – Beratungsstelle mit einem sehr langen Namen")[:80]
    if longest:
        for service in data["services"]:
            service["name"] = {"de": (service["name"]["de"] + ": " + long_de)[:200],
                               "en": (service["name"]["en"] + ": a very long service name that wraps")[:200],
                               "ar": long_ar[:200]}
    for room in data["rooms"]:
        room["directions"] = {"de": long_de[:size], "ar": long_ar[:size]}
    n_docs = 6 if longest else 4
    data["documents"] = [{"id": f"doc{i}", "name": {"de": f"Unterlage {i}: {long_de[:size - 80]}",
                                                    "ar": long_ar[:size - 80]}} for i in range(n_docs)]
    for service in data["services"]:
        service["documents"] = [f"doc{i}" for i in range(n_docs)]
    site = Site.model_validate(data)
    stops = tuple(BookedStop(i + 1, svc, datetime(2026, 11, 24, 8 + i, 30, tzinfo=site.tz), 30) for i, svc in
                  enumerate(["aufenthaltstitel", "anerkennung", "jobcenter", "arbeitsagentur", "ankommen"]))
    return site, Journey(_code(5), "ar", party_size=3, interpreter=True, step_free=True, stops=stops)


def _words(pdf: bytes, tmp_path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Every word's box (points, origin top left) per page, from pdftotext -bbox."""
    source = tmp_path / "long.pdf"
    source.write_bytes(pdf)
    html = subprocess.run([_need("pdftotext"), "-bbox", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff" for ch in word)


@pytest.mark.slow
@pytest.mark.parametrize(("longest", "n_pages"), [(False, 2), (True, 3)])
def test_letter_long_texts_wrap_and_spill_to_a_second_page(longest: bool, n_pages: int, artifacts_dir: Path,
                                                           tmp_path: Path) -> None:
    site, journey = _long_journey(longest)
    pdf = render_letter(site, journey, "ar", issued=ISSUED)
    pages = _words(pdf, tmp_path)
    assert len(pages) == n_pages
    _to_png(pdf, artifacts_dir / "letters" / ("longest-ar" if longest else "long-ar"), tmp_path)
    for n, words in enumerate(pages, 1):
        assert words
        # vertically, a word is compared by the middle of its box: Noto Sans Arabic's ascent and descent (the box
        # pdftotext reports) reach far into the neighbouring lines and the margins without any ink there
        # pdftotext's words of one line in one font share their box, so digits set in the Arabic font count too
        arabic = {(y0, y1) for x0, y0, x1, y1, w in words if _is_arabic(w)}
        cores = [(x0, y0 + (y1 - y0) * trim, x1, y1 - (y1 - y0) * trim, w) for x0, y0, x1, y1, w in words
                 for trim in [0.25 if (y0, y1) in arabic else 0.1]]
        for (x0, y0, x1, y1, word), core in zip(words, cores, strict=True):
            assert MARGIN * MM - 1 <= x0 and x1 <= (PAGE_W - MARGIN) * MM + 1, (n, word, x0, x1)
            assert 8 * MM <= y0 and y1 <= (PAGE_H - 8) * MM, (n, word, y0, y1)
            assert TOP * MM <= core[1] and core[3] <= (PAGE_H - BOTTOM) * MM, (n, word, y0, y1)
        cores.sort(key=lambda c: c[1])
        for i, a in enumerate(cores):  # no two words overlap (each against those starting above its bottom)
            for b in cores[i + 1:]:
                if b[1] >= a[3] - 0.5:
                    break
                assert min(a[2], b[2]) - max(a[0], b[0]) <= 0.5, (n, a, b)
    text = _text(pdf, tmp_path)
    for stop in journey.stops:   # every stop is there, once, on one of the pages
        assert text.count(f"{stop.slot.astimezone(site.tz):%H:%M}") == 1
    assert f"Seite 1 von {n_pages}" in text and f"Seite {n_pages} von {n_pages}" in text
    assert text.count(codes.display(journey.code)) >= 3  # large on page 1, at the top of page 2, in the footers
    assert "Zu Raum 1.15 führen Stufen" not in text  # the journey does not go to the room with steps
    assert "Alle Räume erreichen Sie ohne Stufen." in text and "Angemeldet für 3 Personen." in text


def _bullet_lists(pdf: bytes, letter: Any, tmp_path: Path) -> list[list[list[tuple[Any, list[Any]]]]]:
    """Per page and column of the letter's languages: each bullet of the list with the words of its item (the
    words in the column from the bullet's line down to the next bullet, or to the footer), boxes in points."""
    columns = [(x * MM, (x + w) * MM) for x, w in _Composer(letter).columns[1:]]
    footer = (PAGE_H - BOTTOM - FOOTER_H) * MM
    pages = []
    for words in _words(pdf, tmp_path):
        per_column = []
        for left, right in columns:
            inside = [w for w in words if left - 1 <= w[0] and w[2] <= right + 1]
            bullets = sorted((w for w in inside if w[4] == "•"), key=lambda w: w[1])
            items = []
            for i, bullet in enumerate(bullets):
                top = bullet[1] - 2
                bottom = bullets[i + 1][1] - 2 if i + 1 < len(bullets) else footer
                items.append((bullet, [w for w in inside if w[4] != "•" and top <= (w[1] + w[3]) / 2 < bottom]))
            per_column.append(items)
        pages.append(per_column)
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("case", ["ar-wrapping", "fa-english-names", "ps-site-file"])
def test_letter_bullets_hang_at_the_starting_edge_of_each_column(case: str, tmp_path: Path) -> None:
    """The "Bitte mitbringen:" list: in a right-to-left column the bullet stands right of its words, before the
    first one (also when the item wraps, or falls back to an English name); in the German column left of them.
    The items of a row start at the same height, however much the German one wraps."""
    if case == "ar-wrapping":       # long names that wrap in both columns
        site, journey = _long_journey(False)
    elif case == "fa-english-names":  # these tests' documents have no Farsi names: English in the Farsi column
        site, journey = real_site(), three_stops("fa")
    else:                           # the site file's own documents; "Ausländische Zeugnisse …" wraps in German
        site, journey = load_site(REAL_SITE), three_stops("ps", party_size=2, interpreter=True, step_free=True)
    letter = build_letter(site, journey, journey.language, issued=ISSUED)
    assert letter.rtl == (True, False)
    pdf = render_letter(site, journey, journey.language, issued=ISSUED)
    pages = _bullet_lists(pdf, letter, tmp_path)
    assert sum(len(rtl_items) for rtl_items, _ in pages) == len(letter.documents)
    wrapped = 0
    for n, (rtl_items, de_items) in enumerate(pages, 1):
        assert len(rtl_items) == len(de_items), n
        for (bullet, words), (de_bullet, de_words) in zip(rtl_items, de_items, strict=True):
            assert words and de_words, (n, bullet, de_bullet)
            # right to left: the bullet at the right of every word of its item, the item's lines hang beside it
            assert all(w[2] <= bullet[0] + 0.5 for w in words), (n, bullet, words)
            assert max(w[2] for w in words) >= bullet[0] - 4, (n, bullet, words)   # right beside the bullet
            # German: the bullet at the left
            assert all(w[0] >= de_bullet[2] - 0.5 for w in de_words), (n, de_bullet, de_words)
            # one row: both items start at the same height
            assert abs((bullet[1] + bullet[3]) / 2 - (de_bullet[1] + de_bullet[3]) / 2) <= 2.5, (bullet, de_bullet)
            wrapped += len({round(w[1]) for w in de_words}) > 1
    assert wrapped, "a German item wraps"


def test_letter_content_notes_only_when_set() -> None:
    site = real_site()
    plain = build_letter(site, three_stops("fr"), "fr", issued=ISSUED)
    assert plain.notes == () and plain.langs == ("fr", "de") and plain.code == codes.display(_code(1))
    assert plain.qr_text == "ARKADEN-B:" + _code(1)
    assert [d for d in plain.documents] == [
        ("Passport or substitute passport", "Reisepass oder Passersatz"),   # no French name: English, then German
        ("Certificates and diplomas (originals and copies)",
         "Zeugnisse und Berufsabschlüsse (Originale und Kopien)"),
        ("The Jobcenter's last letter", "Letzter Bescheid des Jobcenters")]
    assert plain.days[0].heading == ("mardi 24 novembre 2026", "Dienstag, 24. November 2026")
    first = plain.days[0].stops[0]
    assert first.time == "09:00" and first.rooms == ("E.10",)
    assert first.sides[0].rooms == ("Salle E.10, rez-de-chaussée",)
    assert first.sides[1].agency == "Ausländeramt der StädteRegion Aachen (A 33)" and first.sides[0].agency == (
        "Ausländeramt")

    journey = replace(three_stops("fa", party_size=2, interpreter=True, step_free=True), stops=(
        BookedStop(1, "weiterqualifizierung", _at(10, 0, date(2026, 11, 25)), 40),   # room 1.15: 3 steps
        BookedStop(2, "anerkennung", _at(11, 0, date(2026, 11, 25)), 40)))
    noted = build_letter(site, journey, "ru", issued=ISSUED)
    assert noted.notes == (
        ("Запись на 2 человека.", "Angemeldet für 2 Personen."),
        ("Будет присутствовать устный переводчик (персидский).",
         "Eine Dolmetscherin oder ein Dolmetscher für Farsi/Dari wird da sein."),
        ("Мы учли, что вам нужен доступ без ступенек. В кабинет 1.15 ведут ступеньки. Пожалуйста, обратитесь на "
         "стойку регистрации.",
         "Stufenloser Zugang ist vorgemerkt. Zu Raum 1.15 führen Stufen. Bitte melden Sie sich am Empfang."))
    assert build_letter(site, three_stops("de", interpreter=True), "de", issued=ISSUED).notes == ()
    two_days = build_letter(site, replace(journey, stops=(*journey.stops, BookedStop(
        3, "jobcenter", _at(9, 0, date(2026, 11, 26)), 20))), "ti", issued=ISSUED)
    assert [len(d.stops) for d in two_days.days] == [2, 1]
    assert two_days.days[1].heading[1] == "Donnerstag, 26. November 2026"

    with pytest.raises(LetterError, match="no appointments"):
        build_letter(site, replace(journey, stops=()), "de", issued=ISSUED)
    with pytest.raises(LetterError, match="unknown language"):
        build_letter(site, journey, "xx", issued=ISSUED)


def test_letter_dates_and_language_names_per_language() -> None:
    assert long_date(DAY, "de") == "Dienstag, 24. November 2026"
    assert long_date(DAY, "ar") == "الثلاثاء، 24 نوفمبر 2026"
    assert long_date(DAY, "ti").startswith("ሰሉስ")
    assert long_date(DAY, "qaa") == "2026-11-24"   # no Babel locale: an unambiguous ISO date
    assert language_name("ar", "ar") == "العربية" and language_name("ar", "de") == "Arabisch"
    assert language_name("ar", "fr") == "arabe" and language_name("fa", "fa") == "فارسی/دری"
    assert language_name("uk", "uk") == "українська" and language_name("kmr", "kmr") == "Kurmancî"


@pytest.mark.slow
def test_letter_is_reproducible() -> None:
    site = real_site()
    first = render_letter(site, three_stops("ps"), "ps", issued=ISSUED)
    assert render_letter(site, three_stops("ps"), "ps", issued=ISSUED) == first


# -- the catalogues -------------------------------------------------------------------------------------------


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def test_letter_texts_template_is_current(tmp_path: Path) -> None:
    """Re-extract with the documented command; the template must hold exactly the msgids of the code."""
    out = tmp_path / "letter.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract",
                    "-F", "letters/locale/letter-babel.cfg", "-c", "TRANSLATORS:", "--no-location",
                    "--sort-output", "-o", str(out), "."], cwd=REPO_ROOT, check=True)
    fresh = {m.id for m in _read(out) if m.id}
    stored = {m.id for m in _read(locale_dir() / "letter.pot") if m.id}
    assert fresh == stored, "run the pybabel extract command in letters/locale/README.md"
    assert len(stored) >= 15


@pytest.mark.parametrize("lang", LETTER_LANGUAGES)
def test_letter_texts_catalogue_complete(lang: str) -> None:
    template = {m.id for m in _read(locale_dir() / "letter.pot") if m.id}
    catalog = _read(locale_dir() / lang / "LC_MESSAGES" / "letter.po")
    seen = set()
    for m in catalog:
        if not m.id:
            continue
        seen.add(m.id)
        strings = tuple(m.string) if isinstance(m.string, tuple | list) else (m.string or "",)
        assert all(strings), f"{lang}: {m.id!r} untranslated"
        if isinstance(m.id, tuple):
            assert len(strings) == catalog.num_plurals, f"{lang}: {m.id!r} needs {catalog.num_plurals} forms"
        source = m.id if isinstance(m.id, str) else m.id[0]
        for placeholder in re.findall(r"\{\w+\}", source):
            assert all(placeholder in s for s in strings), (lang, m.id, placeholder)
        if lang == "de":   # the source language: msgstr is the msgid
            assert m.string == m.id and not m.fuzzy
        else:
            assert m.fuzzy and REVIEW_NOTE in m.user_comments, f"{lang}: {m.id!r} must be marked for review"
    assert seen == template


def test_letter_texts_cover_the_site_languages_and_use_fuzzy_entries() -> None:
    languages = tomllib.loads(REAL_SITE.read_text(encoding="utf-8"))["site"]["languages"]
    assert set(languages) <= set(LETTER_LANGUAGES)
    assert letter_texts("ar").title == "مواعيدك"                # fuzzy (machine) translations are used
    assert letter_texts("en").intro.startswith("Your appointments at the centre.")
    assert letter_texts("uk").party(3) == "Запис на 3 особи." and letter_texts("uk").party(5) == "Запис на 5 осіб."
    assert letter_texts("ar").party(11) == "الحجز لـ 11 شخصًا."
    assert letter_texts("de").floor(0) == "Erdgeschoss" and letter_texts("de").floor(7) == "Etage 7"
    assert letter_texts("ru").floor(0) == "уровень 0 (кнопка лифта 0)"
    assert letter_texts("uk").floor(2) == "рівень 2 (кнопка ліфта 2)"


def test_letter_texts_missing_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    from letters.texts import LetterTextsError

    with pytest.raises(LetterTextsError, match="no letter catalogue"):
        load_translations("fr", tmp_path)
    bad = tmp_path / "fr" / "LC_MESSAGES"
    bad.mkdir(parents=True)
    (bad / "letter.po").write_text('msgid "a"\nmsgstr b\nnot a po line\n', encoding="utf-8")
    with pytest.raises(LetterTextsError, match="cannot read"):
        load_translations("fr", tmp_path)


# -- the command ----------------------------------------------------------------------------------------------


def _letter_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="arkaden")
    add_letter_parser(parser.add_subparsers(dest="what", required=True))
    args = parser.parse_args(["letter", *argv])
    return int(args.func(args))


@pytest.mark.slow
def test_letter_command_writes_one_letter_or_a_days_letters(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'arkaden.db'}"
    store = Store(url)
    store.migrate()
    tz = real_site().tz
    summary = store.import_bookings([
        BookingInput(agency="abh", service="aufenthalt", slot=datetime(2026, 11, 24, 9, 30, tzinfo=tz), minutes=20,
                     language="ar", interpreter=True, ref="a1", journey_ref="j1"),
        BookingInput(agency="jc", service="jobcenter", slot=datetime(2026, 11, 24, 10, 30, tzinfo=tz), minutes=10,
                     language="ar", ref="a2", journey_ref="j1"),
        BookingInput(agency="jc", service="leistung", slot=datetime(2026, 11, 24, 11, 0, tzinfo=tz), minutes=10,
                     language="tr", ref="b1", journey_ref="j2"),     # the mini site offers no Turkish
        BookingInput(agency="jc", service="leistung", slot=datetime(2026, 11, 25, 11, 0, tzinfo=tz), minutes=10,
                     ref="c1", journey_ref="j3"),                    # another day
    ])
    store.close()
    first, second, _ = summary.journeys
    common = ["--site", str(MINI), "--db-url", url]

    out = tmp_path / "one" / "letter.pdf"
    assert _letter_command([codes.display(first).lower(), "--out", str(out), *common]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "(ar)" in capsys.readouterr().out
    # a folder as --out: the letter goes into it by its code; the language's case does not matter
    assert _letter_command([codes.display(first), "--out", str(tmp_path / "one"), "--lang", "DE", *common]) == 0
    assert (tmp_path / "one" / f"{codes.display(first)}.pdf").exists() and "(de)" in capsys.readouterr().out
    assert _letter_command(["--all", "24.11.2026", "--out", str(tmp_path / "dotted"), *common]) == 0
    assert len(list((tmp_path / "dotted").iterdir())) == 2
    capsys.readouterr()

    assert _letter_command(["--all", "2026-11-24", "--out", str(tmp_path / "day"), *common]) == 0
    written = sorted(p.name for p in (tmp_path / "day").iterdir())
    assert written == sorted(f"{codes.display(c)}.pdf" for c in (first, second))
    captured = capsys.readouterr()
    assert f"{codes.display(second)} (de)" in captured.out and "writing the letter in German" in captured.err

    unknown = next(c for seed in range(50) if (c := _code(seed)) not in summary.journeys)
    for argv, message in (
            ([unknown], f"no journey with code {codes.display(unknown)}"),
            ([unknown[:-1] + ("A" if unknown[-1] != "A" else "C")], "is not a booking code"),
            ([first, "--lang", "ti"], "the site does not offer language 'ti' (it offers de, ar)"),
            ([], "give a booking code, or --all DATE"),
            ([first, "--all", "2026-11-24"], "not both"),
            (["--all", "24.13.2026"], "is not a date")):
        with pytest.raises(SystemExit) as exc:
            _letter_command([*argv, "--out", str(tmp_path / "x.pdf"), *common])
        assert exc.value.code == 2, argv
        assert message in capsys.readouterr().err, argv
