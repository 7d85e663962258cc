"""Kiosk pieces without a window: contrast, catalogues, fonts and bidi order, pictograms, tiles, outbox, slips."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from host_support.site_file import load_site
from kiosk_app import pictograms, texts
from kiosk_app.backend import Ticket
from kiosk_app.concerns import opening_hours, tiles
from kiosk_app.outbox import Outbox
from kiosk_app.palette import MIN_CONTRAST, PALETTE, contrast_ratio, hex_rgb
from kiosk_app.printing.port import PrinterStatus
from kiosk_app.slips import slip_for
from kiosk_app.status import DeviceStatus
from ui_common import typeset
from ui_common.languages import LANGUAGES, language

REPO = Path(__file__).resolve().parents[1]
KIA = REPO / "sites" / "kia-aachen-arkaden.toml"
REVIEW_NOTE = "machine translation, needs review by a native speaker"


def test_kiosk_contrast_formula_matches_wcag_examples() -> None:
    assert contrast_ratio(hex_rgb("#000000"), hex_rgb("#FFFFFF")) == pytest.approx(21.0)
    assert contrast_ratio(hex_rgb("#777777"), hex_rgb("#FFFFFF")) == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio(hex_rgb("#FFFFFF"), hex_rgb("#FFFFFF")) == pytest.approx(1.0)


def test_kiosk_palette_text_contrast_is_at_least_7_to_1() -> None:
    low = {name: round(contrast_ratio(hex_rgb(fg), hex_rgb(bg)), 2)
           for name, (fg, bg) in PALETTE.text_pairs().items()
           if contrast_ratio(hex_rgb(fg), hex_rgb(bg)) < MIN_CONTRAST}
    assert low == {}


def test_kiosk_catalogues_translate_every_msgid_in_every_language() -> None:
    translations = texts.Texts().translations
    msgids = texts.all_msgids()
    assert len(msgids) == len(set(msgids)) > 40
    for lang in LANGUAGES:
        assert translations.untranslated(lang, msgids) == [], lang


def test_kiosk_machine_translations_are_marked_for_review() -> None:
    for lang in LANGUAGES:
        path = texts.LOCALE_DIR / lang / "LC_MESSAGES" / "kiosk.po"
        with path.open("rb") as fh:
            po = read_po(fh)
        for msg in po:
            if not msg.id:
                continue
            if lang == "de":
                assert msg.string == msg.id and not msg.fuzzy
            else:
                assert msg.fuzzy and REVIEW_NOTE in msg.user_comments, (lang, msg.id)
            if "{n}" in msg.id:
                assert "{n}" in msg.string, (lang, msg.id)


def test_kiosk_template_matches_the_source() -> None:
    """kiosk.pot is what `pybabel extract -k N_` finds in kiosk_app (re-extract when this fails)."""
    found = {m[2] for m in extract_from_dir(str(REPO / "kiosk_app"), keywords={"N_": None})}
    with (texts.LOCALE_DIR / "kiosk.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    assert template == found == set(texts.all_msgids())


def test_kiosk_fonts_cover_every_translation_and_site_text() -> None:
    site = load_site(KIA)
    t = texts.Texts()
    for code, lang in LANGUAGES.items():
        have = typeset.covered(lang.script)
        strings = [t.raw(code, m) for m in texts.all_msgids()] + [lang.native]
        strings += [c.title.get(code, "") for c in site.concerns] + [r.directions.get(code, "") for r in site.rooms]
        strings += [x.name.get(code, "") for x in site.services] + [d.name.get(code, "") for d in site.documents]
        missing = {ch for s in strings for ch in s if ord(ch) not in have and not ch.isspace()}
        assert missing == set(), (code, missing)


def test_kiosk_text_styles_carry_direction_script_and_language() -> None:
    # numbers inside right-to-left text are ordered by the text provider (tests/test_rtl_text.py checks it on screen)
    assert typeset.style("ar")["font_direction"] == "rtl" and typeset.style("ti")["font_script_name"] == "Ethi"
    assert typeset.style("fa")["text_language"] == "fa"


def test_kiosk_every_site_pictogram_has_a_drawing() -> None:
    for path in (KIA, REPO / "tests" / "sites" / "mini.toml"):
        for c in load_site(path).concerns:
            assert c.pictogram in pictograms.SHAPES, c.pictogram
    ends = {"rline": 6, "circle": 4, "arc": 4, "disc": 4, "rect": 5, "tri": 7}  # where each op's coordinates stop
    for name, ops in pictograms.SHAPES.items():
        assert ops, name
        for op in ops:
            coords = op[1] if op[0] == "line" else op[1:ends[op[0]]]
            assert all(0 <= v <= 1 for v in coords), (name, op)   # inside the unit square


def test_kiosk_tiles_and_opening_hours() -> None:
    site = load_site(KIA)
    thursday_15 = datetime(2026, 11, 26, 15, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    states = {t.concern: t.availability for t in tiles(site, "fa", thursday_15)}
    assert states["jobcenter"] == "open" and states["aufenthaltstitel-termin"] == "appointment_only"
    assert states["weiterqualifizierung"] == "closed"
    hours = opening_hours(site, "auslaenderamt")
    assert [(h.weekday, h.ranges) for h in hours][2] == (3, "07:30-12:00, 14:00-17:30")


def test_kiosk_outbox_numbers_survive_a_restart_and_run_out(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    day = date(2026, 11, 24)
    box = Outbox(path, "kiosk-1")
    a = box.issue(day, (900, 902), {"concern": "job"})
    b = box.issue(day, (900, 902), {"concern": "job"})
    box.close()
    again = Outbox(path, "kiosk-1")           # a restarted kiosk continues the block
    c = again.issue(day, (900, 902), {"concern": "job"})
    assert [a.number, b.number, c.number] == [900, 901, 902]
    assert again.issue(day, (900, 902), {"concern": "job"}) is None    # used up: no number twice
    assert again.issue(date(2026, 11, 25), (900, 902), {"concern": "job"}).number == 900  # a new day
    assert len({a.cid, b.cid, c.cid}) == 3 and c.payload["offline_number"] == 902
    again.mark_sent(a.cid, "J-900")
    again.mark_rejected(b.cid, "no_booking: nope")
    assert again.counts() == {"pending": 2, "sent": 1, "rejected": 1}
    assert [e.number for e in again.pending()] == [902, 900]


def test_kiosk_outbox_forgets_handed_in_entries_after_the_retention_period(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite", "kiosk-1", keep_days=3)
    old = [box.issue(date(2026, 11, 2), (900, 909), {"concern": "job", "language": "ar"}) for _ in range(3)]
    box.mark_sent(old[0].cid, "J-900")
    box.mark_rejected(old[1].cid, "no_booking: nope")  # old[2] was never handed in: it stays until it is
    box.issue(date(2026, 11, 4), (900, 909), {"concern": "job"})
    assert len(box.all()) == 4, "within three days nothing goes"
    box.issue(date(2026, 11, 6), (900, 909), {"concern": "job"})
    assert [(e.day, e.state) for e in box.all()] == [("2026-11-02", "pending"), ("2026-11-04", "pending"),
                                                     ("2026-11-06", "pending")]
    box.mark_sent(old[2].cid, "J-902")
    assert box.forget_before(date(2026, 11, 3)) == 1 and len(box.all()) == 2


def test_kiosk_outbox_hands_out_distinct_numbers_under_concurrency(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", "k")
    got: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(10):
            e = box.issue(date(2026, 1, 5), (1, 999), {})
            with lock:
                got.append(e.number)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(1, 41))


def test_kiosk_slip_carries_concern_in_two_languages_and_directions() -> None:
    site = load_site(KIA)
    ticket = Ticket("J-017", "tok-abcdefgh", "jobcenter", "jobcenter", ("2.05",), 2, 4, 20,
                    datetime(2026, 11, 24, 9, 0, tzinfo=UTC), print_id="kiosk-eingang-1")
    slip = slip_for(site, ticket, lang="ti", concern_id=None)
    assert (slip.concern, slip.concern_de) == ("ጆብሰንተር", "Jobcenter")
    assert slip.directions == "ካልኣይ ደርቢ፣ ብየማን ሊፍት" and slip.directions_de == "2. Obergeschoss, rechts vom Aufzug"
    assert (slip.ticket_id, slip.waiting_ahead, slip.estimated_wait_min, slip.lang) == ("kiosk-eingang-1", 4, 20, "ti")


def test_kiosk_device_status_merges_printer_scanner_and_outbox() -> None:
    sent: list[dict] = []
    status = DeviceStatus(sent.append)
    status.printer(PrinterStatus(paper="out", cover="closed", online="yes"))
    status.printer(PrinterStatus(paper="out", cover="closed", online="yes"))   # unchanged: not sent again
    status.scanner("connected")
    status.outbox({"pending": 2, "sent": 0, "rejected": 1})
    assert len(sent) == 3
    assert sent[-1] == {"paper": "out", "cover": "closed", "printer_online": "yes", "scanner": "connected",
                        "outbox_pending": "2", "outbox_rejected": "1"}


def test_kiosk_languages_are_named_in_their_own_script() -> None:
    assert [language(c).native for c in ("ar", "fa", "ps", "ti")] == ["العربية", "فارسی/دری", "پښتو", "ትግርኛ"]
