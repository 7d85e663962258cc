"""What a thermal head makes of a slip: text strokes at least 2 dots wide in every script (a 1-dot line prints
faint), and lines that never break between a number and its unit, inside a room or ticket number or a short
bracket, in all 12 languages at 58 mm and 80 mm with the real site file; nothing runs into the margins."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from PIL import Image, ImageChops, ImageDraw

from kiosk_app.printing import slip as slip_mod
from kiosk_app.printing.slip import render_slip
from kiosk_app.printing.textlayout import Style, text_width, wrap
from kiosk_app.printing.texts import SLIP_LANGUAGES, slip_labels
from kiosk_app.slips import slip_for
from tests.printing_helpers import ink_outside_margins, journey_ticket, site, slip

KEPT_AT_LEAST = 0.9   # share of a text row's ink that survives an opening with a 2x2 element


def _shifted(image: Image.Image, dx: int, dy: int) -> Image.Image:
    """``image`` moved by (dx, dy) dots on white (ink = 0); what leaves the image is dropped."""
    out = Image.new("L", image.size, 255)
    out.paste(image, (dx, dy))
    return out


def opened(gray: Image.Image) -> Image.Image:
    """Morphological opening of the ink with a 2x2 element: ink survives only inside a 2x2 block of ink."""
    eroded = gray
    for dx, dy in ((-1, 0), (0, -1), (-1, -1)):
        eroded = ImageChops.lighter(eroded, _shifted(gray, dx, dy))
    dilated = eroded
    for dx, dy in ((1, 0), (0, 1), (1, 1)):
        dilated = ImageChops.darker(dilated, _shifted(eroded, dx, dy))
    return dilated


def _row_ink(gray: Image.Image) -> list[int]:
    data = gray.tobytes()
    return [data[y * gray.width:(y + 1) * gray.width].count(0) for y in range(gray.height)]


@dataclass(frozen=True)
class Band:
    top: int
    bottom: int
    kept: float


def ink_bands(image: Image.Image) -> list[Band]:
    """Rows of ink between blank rows (a text line, the number, a rule, the QR code) inside the margins, each with
    the share of its ink that a 2x2 opening keeps: about 1 for 2-dot strokes, about 0.5 or less for 1-dot ones."""
    margin = int(16 * image.width / 576) + 6   # inside the margin and a box's frame: text rows only
    gray = image.convert("L").crop((margin, 0, image.width - margin, image.height))
    ink, kept = _row_ink(gray), _row_ink(opened(gray))
    bands, top = [], None
    for y, n in enumerate([*ink, 0]):
        if n and top is None:
            top = y
        elif not n and top is not None:
            total = sum(ink[top:y])
            if total >= 30:   # a stray accent or full stop alone says nothing about stroke width
                bands.append(Band(top, y, sum(kept[top:y]) / total))
            top = None
    return bands


def test_slip_legibility_measure_tells_one_dot_strokes_from_two() -> None:
    for stroke, expected in ((1, 0.0), (2, 1.0)):
        image = Image.new("1", (200, 40), 1)
        draw = ImageDraw.Draw(image)
        for x in range(30, 170, 8):
            draw.rectangle((x, 8, x + stroke - 1, 30), fill=0)      # vertical stems
        draw.rectangle((30, 8, 170, 8 + stroke - 1), fill=0)        # and a horizontal bar
        (band,) = ink_bands(image)
        assert band.kept == pytest.approx(expected, abs=0.05), stroke


@pytest.mark.parametrize("lang", SLIP_LANGUAGES)
def test_slip_legibility_strokes_are_two_dots_wide_in_every_script(lang: str) -> None:
    walk_in = slip(lang)
    journey = slip_for(site(), journey_ticket(see_reception=True), lang=lang, concern_id=None)
    for s in (walk_in, journey):
        for width in (576, 384):
            bands = ink_bands(render_slip(s, width))
            assert len(bands) > 10
            thin = [b for b in bands if b.kept < KEPT_AT_LEAST]
            assert not thin, f"{lang} {width} dots: rows with 1-dot strokes (kept share, rows): " + ", ".join(
                f"{b.kept:.2f} y={b.top}-{b.bottom}" for b in thin)


def _tail_from(text: str, number: str) -> str:
    return text[text.index(number):]


@pytest.mark.parametrize("lang", SLIP_LANGUAGES)
def test_slip_legibility_about_25_minutes_never_breaks_before_the_unit(lang: str) -> None:
    """"etwa 25 Minuten" at every width from one line down to the width of "25 Minuten": the number and its unit
    share a line, alone (the client's line, bold) and after "Estimated waiting time:" (the German line)."""
    labels = slip_labels(lang)
    for texts, style in ((labels.client, Style(lang, 26, bold=True)), (labels.german, Style("de", 18))):
        minutes = texts.wait_minutes(25)
        unit = _tail_from(minutes, "25")   # in every site language the unit follows the number to the end
        assert unit != "25", minutes
        for text in (minutes, f"{texts.estimated_wait}: {minutes}"):
            width = int(text_width(text, style)) + 1
            while width >= text_width(unit, style):
                lines = wrap(text, style, width)
                assert any(unit in line for line in lines), (lang, width, lines)
                assert all(text_width(line, style) <= width for line in lines)
                width -= 3


@contextmanager
def recorded_wraps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[str]]]]:
    """Every paragraph the slip wraps, with the lines it became."""
    seen: list[tuple[str, list[str]]] = []

    def recording(text: str, style: Style, width: float) -> list[str]:
        lines = wrap(text, style, width)
        seen.append((text, lines))
        return lines

    with monkeypatch.context() as m:
        m.setattr(slip_mod, "wrap", recording)
        yield seen


def _cat(ch: str) -> str:
    return unicodedata.category(ch)


def bad_breaks(text: str, lines: list[str]) -> list[str]:
    """Line breaks in a bad place, judged from the lines alone."""
    problems = []
    if [w for line in lines for w in line.split(" ") if w] != [w for w in text.replace("\n", " ").split(" ") if w]:
        problems.append("a word was broken (room, ticket or any other)")
    for a, b in zip(lines, lines[1:], strict=False):
        if not a.strip() or not b.strip():
            continue
        last, first = a.split()[-1], b.split()[0]
        clause_end = _cat(last[-1]) in ("Po", "Pd")   # "11:00," or "Wartezeit:" may end a line
        if any(c.isdigit() for c in last) and _cat(first[0])[0] == "L" and not clause_end:
            problems.append(f"number | unit: {last!r} | {first!r}")
        if any(c.isdigit() for c in first) and not clause_end:
            problems.append(f"label | number: {last!r} | {first!r}")
        if _cat(a[-1]) in ("Ps", "Pi"):
            problems.append(f"after an opening bracket: {a!r}")
        opened_at = last.startswith("(") or (a.count("(") > a.count(")") and a.rsplit("(", 1)[1].count(" ") < 2)
        if opened_at and ")" in " ".join(b.split()[:2]):
            problems.append(f"short bracket split: {a!r} | {b!r}")
        if first in ("·", "–", "-", ":"):
            problems.append(f"line starts with {first!r}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("lang", SLIP_LANGUAGES)
def test_slip_legibility_every_concern_and_journey_breaks_well_and_fits(lang: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every walk-in concern of the real site (longest agency names, directions, uk/ru floor wording) and a journey
    (stops, later day, documents, late), at both widths: no bad break, nothing in the margins."""
    centre = site()
    slips = [slip(lang, concern_id=c.id) for c in centre.concerns]
    slips += [slip_for(centre, journey_ticket(see_reception=late), lang=lang, concern_id=None)
              for late in (False, True)]
    problems = []
    with recorded_wraps(monkeypatch) as seen:
        for s in slips:
            for width in (576, 384):
                image = render_slip(s, width)
                if outside := ink_outside_margins(image):
                    problems.append(f"{s.concern or 'journey'} {width}: ink in the margin at {outside}")
    assert len(seen) > 100
    problems += [f"{p}: {lines}" for text, lines in seen for p in bad_breaks(text, lines)]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_slip_legibility_judge_of_breaks_catches_the_old_ones() -> None:
    assert bad_breaks("Voraussichtliche Wartezeit: etwa 25 Minuten",
                      ["Voraussichtliche Wartezeit: etwa 25", "Minuten"])
    assert bad_breaks("Aufenthaltstitel abholen (nur Termin)", ["Aufenthaltstitel abholen (nur", "Termin)"])
    assert bad_breaks("Raum E.04 · Erdgeschoss", ["Raum E.04", "· Erdgeschoss"])
    assert bad_breaks("Raum E.04", ["Raum E.", "04"])
    assert not bad_breaks("Sie werden ab 11:00 Uhr aufgerufen, mit derselben Nummer.",
                          ["Sie werden ab 11:00 Uhr aufgerufen,", "mit derselben Nummer."])


def test_slip_legibility_wrap_keeps_what_belongs_together() -> None:
    style = Style("uk", 26, bold=True)
    text = "Кабінет E.04 · Рівень 2 (кнопка ліфта 2)"
    for width in range(int(text_width(text, style)), int(text_width("(кнопка ліфта 2)", style)), -5):
        lines = wrap(text, style, width)
        assert not bad_breaks(text, lines), (width, lines)
        assert any("(кнопка ліфта 2)" in line for line in lines)
    ro = Style("ro", 26, bold=True)
    lines = wrap("aproximativ 25 de\u00a0minute", ro, text_width("aproximativ 25 de", ro) + 2)
    assert lines == ["aproximativ", "25 de\u00a0minute"]   # the no-break space is kept, and kept from breaking
    ar = Style("ar", 26, bold=True)
    lines = wrap("حوالي 25 دقيقة", ar, text_width("25 دقيقة", ar) + 2)
    assert lines == ["حوالي", "25 دقيقة"]


def test_slip_legibility_an_overlong_word_is_not_cut_inside_its_number() -> None:
    style = Style("de", 26)
    word = "Wartemarkenausgabeschalter-1.12"
    width = text_width("Wartemarkenausgabeschalter-1.", style) + 1
    lines = wrap(word, style, width)
    assert lines == ["Wartemarkenausgabeschalter-", "1.12"]   # not "...-1." and "12"

