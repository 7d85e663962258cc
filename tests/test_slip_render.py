"""Slip images: 1-bit at the paper's width, shaped right-to-left Arabic, Ge'ez, a huge number, a readable QR code."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from babel.messages.pofile import read_po
from PIL import Image, ImageChops, ImageDraw, ImageFont

from kiosk_app.printing import slip as slip_mod
from kiosk_app.printing.slip import SlipWidthError, render_slip, render_slip_gray, to_one_bit
from kiosk_app.printing.textlayout import Style, covers, draw_line, mirror_neutral_runs, split_runs, text_width, wrap
from kiosk_app.printing.texts import SLIP_LANGUAGES, locale_dir, slip_labels
from kiosk_app.slips import slip_for
from tests.printing_helpers import ink_outside_margins, journey_ticket, scanned_tokens, slip
from tests.printing_helpers import site as printing_site
from ui_common.fonts import font_for

LOOK_AT = ("de", "ar", "fa", "ps", "ti", "uk")


def po_path(lang: str) -> Path:
    return locale_dir() / lang / "LC_MESSAGES" / "slip.po"


@pytest.mark.parametrize("lang", LOOK_AT)
def test_slip_render_sample_languages_to_png(lang: str, artifacts_dir: Path) -> None:
    s = slip(lang, token="sample-token-" + lang)
    out = artifacts_dir / "slips"
    out.mkdir(exist_ok=True)
    for width in (576, 384):
        image = render_slip(s, width)
        image.save(out / f"slip-{lang}-{width}.png")
        assert image.mode == "1" and image.width == width
        assert 500 < image.height < 2000
        codes = zxingcpp.read_barcodes(image)
        assert scanned_tokens([image]) == [s.token]
        assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
        assert str(codes[0].ec_level) in ("M", "Q", "H")


def test_slip_render_every_language_and_width_rejected() -> None:
    for lang in SLIP_LANGUAGES:
        assert render_slip(slip(lang), 576).mode == "1"
    with pytest.raises(SlipWidthError, match="576"):
        render_slip(slip("de"), 500)


def test_slip_render_qr_has_quiet_zone_of_four_modules() -> None:
    matrix = slip_mod.qr_matrix("ARKADEN-T:some-token")
    n = len(matrix)
    for i in range(4):
        assert not any(matrix[i]) and not any(matrix[n - 1 - i])
        assert not any(row[i] for row in matrix) and not any(row[n - 1 - i] for row in matrix)
    assert matrix[4][4]  # the finder pattern starts right after the quiet zone


def test_slip_render_number_is_huge() -> None:
    size = slip_mod._number_size("J-017", 576 - 32, cap=220)
    assert size >= 180
    font = ImageFont.truetype(str(font_for("Latn").bold), size)
    left, top, right, bottom = font.getbbox("J-017")
    assert bottom - top >= 120 and right - left <= 576 - 32      # over 15 mm tall at 203 dpi, fits the line
    assert slip_mod._number_size("J-017", 384 - 22, cap=146) >= 120


def test_slip_render_thresholds_and_never_dithers() -> None:
    gradient = Image.linear_gradient("L").rotate(90).resize((256, 64))   # grey from black to white
    one = to_one_bit(gradient)
    rows = {bytes(one.crop((0, y, 256, y + 1)).tobytes()) for y in range(64)}
    assert len(rows) == 1, "every row of a horizontal gradient splits at the same column"
    row = [one.getpixel((x, 0)) for x in range(256)]
    assert row == sorted(row), "one black run then one white run: no dither pattern"
    s = slip("ar")
    assert ImageChops.difference(render_slip(s, 576).convert("L"),
                                 to_one_bit(render_slip_gray(s, 576)).convert("L")).getbbox() is None


def test_slip_text_arabic_is_shaped_and_right_to_left() -> None:
    style = Style("ar", 40, bold=True)
    word = "الغرفة"
    canvas = Image.new("L", (600, 70), 255)
    draw_line(ImageDraw.Draw(canvas), 0, 10, 590, f"{word} E.04", style)
    alone = Image.new("L", (600, 70), 255)
    draw_line(ImageDraw.Draw(alone), 0, 10, 590, word, style)
    right = ImageChops.invert(alone).getbbox()
    assert right is not None and right[2] > 560, "RTL text starts at the right margin"
    assert ImageChops.difference(canvas.crop(right), alone.crop(right)).getbbox() is None, \
        "the first word of an RTL line is its rightmost part"


def test_slip_text_arabic_letters_join() -> None:
    style = Style("ar", 40)
    # joined (shaped) letters are narrower than the same letters in their isolated forms; lam-alef is a ligature
    assert text_width("لا", style) < 0.8 * (text_width("ل", style) + text_width("ا", style))
    assert text_width("سلام", style) < 0.8 * sum(text_width(c, style) for c in "سلام")


def test_slip_text_refuses_to_render_without_raqm(monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk_app.printing import textlayout

    monkeypatch.setattr(textlayout.features, "check", lambda name: False)
    with pytest.raises(textlayout.RaqmMissing, match="unshaped"):
        render_slip(slip("ar"), 576)


def test_slip_text_numbers_stay_left_to_right_in_rtl_text() -> None:
    runs = split_runs("رقم J-017 في الغرفة 1.12", "Arab", False)
    assert [(r.text, r.direction) for r in runs] == [
        ("رقم ", "rtl"), ("J-017", "ltr"), (" في الغرفة 1.12", "rtl")]


def test_slip_text_every_translation_has_glyphs() -> None:
    for lang in SLIP_LANGUAGES:
        with po_path(lang).open("rb") as fh:
            catalog = read_po(fh)
        script = Style(lang, 20).script
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings if message.id else ():
                for run in split_runs(text, script, False):
                    font = font_for(run.script).regular
                    for ch in run.text:
                        assert covers(str(font), ch), f"{lang}: {ch!r} (U+{ord(ch):04X}) has no glyph in {font.name}"


def test_slip_text_geez_renders_with_glyphs_and_digits_fall_back() -> None:
    runs = split_runs("ኣስታት 25 ደቓይቕ", "Ethi", True)
    assert [r.script for r in runs] == ["Ethi", "Latn", "Ethi"]   # Noto Sans Ethiopic has no digits
    assert not covers(str(font_for("Ethi").regular), "2")
    assert covers(str(font_for("Ethi").regular), "ቕ")


def test_slip_render_refuses_a_token_scanners_would_not_take() -> None:
    with pytest.raises(ValueError, match="not a ticket token"):
        render_slip(slip("de", token="has spaces and ümlauts"), 576)


def test_slip_render_offline_ticket_without_token_prints_without_a_qr_code(artifacts_dir: Path) -> None:
    s = dataclasses.replace(slip("ar"), token="", offline=True, number="900")
    image = render_slip(s, 576)
    image.save(artifacts_dir / "slips" / "slip-ar-offline.png")
    assert image.mode == "1" and 400 < image.height < 2000
    assert zxingcpp.read_barcodes(image) == []


@pytest.mark.parametrize("lang", LOOK_AT)
def test_slip_render_journey_at_both_widths_nothing_cut_off_and_the_qr_decodes(lang: str, artifacts_dir: Path) -> None:
    site = printing_site()
    out = artifacts_dir / "slips"
    out.mkdir(exist_ok=True)
    for see_reception in (False, True):
        s = slip_for(site, journey_ticket(see_reception=see_reception), lang=lang, concern_id=None)
        assert s.journey and len(s.stops) == 3 and len(s.later_stops) == 1 and s.documents
        plain = render_slip(slip(lang), 576)
        for width in (576, 384):
            image = render_slip(s, width)
            image.save(out / f"slip-{lang}-{width}-{'late' if see_reception else 'journey'}.png")
            assert image.mode == "1" and image.width == width
            assert image.height > plain.height   # the stops, the other day and the documents are on it
            assert ink_outside_margins(image) == [], (lang, width)
            assert scanned_tokens([image]) == [s.token]


def test_slip_render_journey_lists_stops_and_says_when_and_where() -> None:
    site = printing_site()
    s = slip_for(site, journey_ticket(see_reception=True), lang="de", concern_id=None)
    assert [(x.time, x.agency, x.current, x.called_from) for x in s.stops] == [
        ("10:30", "Ausländeramt", True, ""), ("11:15", "Jobcenter", False, "11:00"),
        ("12:00", "Anerkennungsberatung", False, "11:45")]
    assert s.stops[0].directions_de and s.stops[0].rooms == ("E.10",)
    assert s.later_stops[0].tomorrow and s.called_from == "10:20"   # the ticket's own queued_from, in the future
    assert s.see_reception and s.reception_room == "E.01"
    de = slip_labels("de").client
    assert de.reception_first("E.01") == "Bitte gehen Sie zuerst zum Empfang (Raum E.01)."
    assert de.reception_first("") == "Bitte gehen Sie zuerst zum Empfang."
    assert de.called_here_from("11:00") == "Hier werden Sie ab 11:00 Uhr aufgerufen, mit derselben Nummer."
    assert slip_labels("en").client.called_from("10:15") == "You will be called from 10:15."


def test_slip_render_single_booked_stop_says_from_when_instead_of_the_wait() -> None:
    site = printing_site()
    ticket = journey_ticket()
    single = replace(ticket, stops=())
    s = slip_for(site, single, lang="ar", concern_id=None)
    assert not s.journey and s.called_from == "10:20" and s.stops == ()
    assert ink_outside_margins(render_slip(s, 384)) == []


def test_slip_text_brackets_in_right_to_left_lines_are_mirrored() -> None:
    runs = mirror_neutral_runs(split_runs("استلام بطاقة الإقامة (بموعد)", "Arab", False))
    assert [r.text for r in runs] == ["استلام بطاقة الإقامة ", ")", "بموعد", "("]   # drawn right to left: "(بموعد)"
    latin = mirror_neutral_runs(split_runs("بيانات الحساب البنكي (IBAN)", "Arab", False))
    assert latin[-1].text == "(IBAN)"   # brackets around left-to-right text stay as they are


def test_slip_text_an_overlong_word_is_broken_not_clipped() -> None:
    style = Style("de", 30, bold=True)
    lines = wrap("Donaudampfschifffahrtsgesellschaftskapitänsmützenband", style, 200)
    assert len(lines) > 1 and all(text_width(line, style) <= 200 for line in lines)
    assert "".join(lines) == "Donaudampfschifffahrtsgesellschaftskapitänsmützenband"
