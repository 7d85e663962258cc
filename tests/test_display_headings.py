"""The wall display's texts without a window: bilingual headings rotating with the hint, sizes read from 8 m and
5 m, texts fitted to their box before anything is cut, the real site file's longest names and labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import ImageFont

from display_app import messages as m
from display_app.board_model import BoardModel, BoardSettings
from display_app.fitting import fit_text
from display_app.layout import LAYOUTS
from host_support.site_file import load_site
from ui_common.fonts import font_for

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "sites" / "kia-aachen-arkaden.toml"


def test_headings_are_german_with_a_second_line_in_the_rotating_language() -> None:
    texts = m.translations()
    ar = m.headings(texts, "ar")
    assert ar["calls"] == ("Aufruf", texts.gettext("ar", m.HEADING_CALLS)) and ar["calls"][1] != "Aufruf"
    assert ar["room"][0] == "Raum" and ar["room"][1] == "الغرفة"
    assert {k: v[0] for k, v in ar.items()} == {"calls": "Aufruf", "room": "Raum", "recent": "Zuletzt aufgerufen",
                                                "waiting": "Wartende", "later": "Später"}
    # while the hint is German the second line is English, never German twice
    assert m.headings(texts, "de")["waiting"] == ("Wartende", texts.gettext("en", m.HEADING_WAITING))
    for lang in ("en", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti"):
        seconds = [second for german, second in m.headings(texts, lang).values()]
        assert all(s and s not in {"Aufruf", "Raum", "Zuletzt aufgerufen", "Wartende", "Später"} for s in seconds), lang


def test_headings_rotate_with_the_hint_through_the_site_languages() -> None:
    site = load_site(SITE)
    t = [0.0]
    model = BoardModel(site, "anzeige-eg", BoardSettings(hint_seconds=6), clock=lambda: t[0])
    seen = []
    for step in range(len(site.site.languages)):
        t[0] = step * 6 + 1
        seen.append(model.hint_language())
    assert seen == list(site.site.languages)
    assert m.second_language(seen[0]) == "en" and [m.second_language(x) for x in seen[1:]] == seen[1:]


def test_headings_room_and_counter_are_read_from_8_m_and_recent_calls_from_5_m() -> None:
    for name, lay in LAYOUTS.items():
        assert (lay.width, lay.height) in ((1920, 1080), (1080, 1920)), name
        assert lay.room_size >= 70 and lay.counter_size >= 70, name
        assert lay.recent_size >= 56, name


def test_headings_the_real_sites_labels_numbers_and_rooms_fit_at_full_size() -> None:
    site = load_site(SITE)
    regular, bold = str(font_for("Latn").regular), str(font_for("Latn").bold)
    for name, lay in LAYOUTS.items():
        counter = ImageFont.truetype(regular, lay.counter_size)
        tier = lay.calls_width - 2 * 24     # the counter tier spans the row (row padding 24)
        for c in site.counters:
            assert counter.getlength(c.label) <= tier * 0.7, (name, c.label)   # and the agency has the rest
        room = ImageFont.truetype(bold, lay.room_size)
        beside = lay.calls_width - 48 - lay.number_width - 24
        assert all(room.getlength(r.number) <= beside for r in site.rooms), name
        recent_n, recent_r = ImageFont.truetype(bold, lay.recent_size), ImageFont.truetype(regular, lay.recent_size)
        side = lay.width - 48 - (lay.calls_width + 24 if name == "landscape" else 0)
        cell = (side - 10 * (lay.recent_cols - 1)) / lay.recent_cols - 24 - 14
        widest = max(recent_n.getlength(f"{a.prefix}-888") for a in site.agencies)
        assert widest + max(recent_r.getlength(r.number) for r in site.rooms) <= cell, name


def _pil_measure(path: str) -> Any:
    def measure(text: str, size: int) -> tuple[float, float]:
        font = ImageFont.truetype(path, size)
        ascent, descent = font.getmetrics()
        return font.getlength(text), ascent + descent
    return measure


def test_headings_a_long_name_wraps_or_shrinks_and_is_never_cut_while_it_can_fit() -> None:
    measure = _pil_measure(str(font_for("Latn").regular))
    fit = fit_text("Agentur für Arbeit", 300, 130, largest=44, smallest=24, measure=measure, max_lines=2)
    assert fit.fits and fit.size == 44 and fit.text == "Agentur für\nArbeit"
    one_word = fit_text("Anerkennungsberatung", 300, 120, largest=44, smallest=24, measure=measure, max_lines=2)
    assert one_word.fits and "\n" not in one_word.text and measure(one_word.text, one_word.size)[0] <= 300
    assert one_word.size < 44
    assert not fit_text("Anerkennungsberatung", 100, 40, largest=44, smallest=24, measure=measure).fits
    assert fit_text("", 100, 40, largest=44, smallest=24, measure=measure).fits


def test_headings_waiting_list_pages_keep_40_px_and_share_the_agencies_evenly() -> None:
    from display_app.layout import queue_pages

    def row(size: int) -> float:        # a two-line row: Latin name line and Arabic wait line (1.375 + 2.125 em)
        return size * 3.5 + 4

    # 12 agencies in a 430 px panel: 2 rows of 40 px fit (144 px each) -> 6 pages of 2
    plan = queue_pages(12, 430, 6, row, largest=44, smallest=40)
    assert (plan.pages, plan.per_page) == (6, 2) and 40 <= plan.size <= 44
    assert plan.per_page * (plan.row_height + 6) - 6 <= 430
    assert [list(plan.page(i, 12)) for i in range(plan.pages)][-1] == [10, 11]
    # 5 agencies, 3 rows per page: 3 + 2, every agency once, in order
    five = queue_pages(5, 3 * 150, 6, row, largest=44, smallest=40)
    assert [i for p in range(five.pages) for i in five.page(p, 5)] == [0, 1, 2, 3, 4] and five.pages == 2
    # room to spare: the larger size, one page
    roomy = queue_pages(2, 1000, 6, row, largest=44, smallest=40)
    assert (roomy.pages, roomy.size, roomy.per_page) == (1, 44, 2)
    # a panel smaller than one row: still one row per page, never a smaller text
    tiny = queue_pages(3, 50, 6, row, largest=44, smallest=40)
    assert (tiny.pages, tiny.per_page, tiny.size) == (3, 1, 44)


def test_headings_every_agency_name_and_wait_fits_its_waiting_row_at_40_px() -> None:
    site = load_site(SITE)
    texts = m.translations()
    latin = ImageFont.truetype(str(font_for("Latn").regular), 40)
    count = ImageFont.truetype(str(font_for("Latn").bold), 40).getlength("88")
    for name, lay in LAYOUTS.items():
        row = (lay.width - 48 - (lay.calls_width + 24 if name == "landscape" else 0)) - 28
        wait_w = 40 * 9.5 if lay.queue_one_line else row
        name_w = row - 12 - 40 * 2.4 - (12 + wait_w if lay.queue_one_line else 0)
        assert count <= 40 * 2.4
        for a in site.agencies:
            assert latin.getlength(a.short) <= name_w - 2, (name, a.short)
        for lang in site.site.languages:
            wait_lang = "en" if lang == "ti" else lang
            from ui_common.languages import language
            font = ImageFont.truetype(str(font_for(language(wait_lang).script).regular), 40)
            text = texts.gettext(wait_lang, m.WAIT_ABOUT).format(minutes="88-88")
            assert font.getlength(text) <= wait_w - 2, (name, lang, text)
