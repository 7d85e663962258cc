"""No dead ends at the kiosk, without a window: a closed office names itself, when it opens next and reception; an
appointment-only concern says how to get one; the wait reads as the slip does; tiles tell look-alikes apart;
"call me in my language" reaches the CheckIn online and through the outbox; what each screen reads aloud."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from host_support.site_file import load_site
from kiosk_app import guidance, pictograms, readout
from kiosk_app import texts as T
from kiosk_app.backend import CheckInRequest
from kiosk_app.core_backend import CoreBackend, _check_in
from kiosk_app.outbox import Outbox
from kiosk_app.reader import ScreenReader
from kiosk_app.texts import Texts
from ui_common.speech import FakePlayer, spoken_number

from .engine_helpers import mini_site
from .fakes import FakeCoreLink
from .test_kiosk_flow import KIA, TUESDAY_10, make

BERLIN = ZoneInfo("Europe/Berlin")
TEXTS = Texts()


def _message(lang: str, concern: str, now: datetime = TUESDAY_10) -> guidance.MessageView:
    flow, *_ = make(now=now)
    flow.choose_language(lang)
    flow.walk_in()
    flow.choose_concern(concern)
    assert flow.step == "message" and flow.message is not None
    return guidance.message_view(flow.site, flow.message, lang, TEXTS, now)


def test_kiosk_closed_office_names_itself_when_it_opens_and_reception() -> None:
    view = _message("de", "weiterqualifizierung")   # Wednesday and Friday only: closed on Tuesday
    assert view.heading == "Berufliche Weiterqualifizierung" and view.office == "Weiterqualifizierung"
    assert view.lines == ("Diese Stelle ist jetzt geschlossen. Sie öffnet morgen um 09:00 Uhr.",
                          "Der Empfang hilft Ihnen weiter: Raum E.01.\nErdgeschoss, direkt am Eingang")
    assert view.hours_title == "Öffnungszeiten"
    assert view.hours == (("Mittwoch", "09:00-15:00"), ("Freitag", "09:00-12:30"))
    ar = _message("ar", "weiterqualifizierung")
    assert ar.lines[0] == "هذا المكتب مغلق الآن. يفتح غدًا الساعة 09:00."
    assert ar.lines[1].startswith("سيساعدك الاستقبال: الغرفة E.01.\nالطابق الأرضي")
    assert ar.hours[0][0] == "الأربعاء"   # Babel's weekday name


@pytest.mark.parametrize(("now", "de", "fr"), [
    # Thursday noon: the Ausländeramt opens again in the afternoon
    (datetime(2026, 11, 26, 12, 30, tzinfo=BERLIN), "Sie öffnet heute wieder um 14:00 Uhr.",
     "Réouverture aujourd'hui à 14:00."),
    # Friday afternoon: over the weekend to Monday
    (datetime(2026, 11, 27, 13, 0, tzinfo=BERLIN), "Sie öffnet wieder am Montag um 07:30 Uhr.",
     "Réouverture lundi à 07:30."),
    # Tuesday after closing: Wednesday has no hours, so Thursday
    (datetime(2026, 11, 24, 12, 0, tzinfo=BERLIN), "Sie öffnet wieder am Donnerstag um 07:30 Uhr.",
     "Réouverture jeudi à 07:30."),
])
def test_kiosk_next_opening_over_days_and_weekends(now: datetime, de: str, fr: str) -> None:
    site = load_site(KIA)
    assert guidance.opens_again(site, "auslaenderamt", now, "de", TEXTS) == de
    assert guidance.opens_again(site, "auslaenderamt", now, "fr", TEXTS) == fr


def test_kiosk_next_opening_keeps_local_time_across_the_clock_change() -> None:
    site = load_site(KIA)
    saturday = datetime(2026, 10, 24, 11, 0, tzinfo=BERLIN)   # summer time ends on Sunday 25 October
    when = guidance.next_opening(site.agency("auslaenderamt"), saturday)
    assert when == datetime(2026, 10, 26, 7, 30, tzinfo=BERLIN) and when.utcoffset() != saturday.utcoffset()
    assert guidance.next_opening(site.agency("auslaenderamt").model_copy(update={"hours": {}}), saturday) is None


def test_kiosk_appointment_only_says_how_to_get_one_and_names_reception() -> None:
    site = load_site(KIA)
    view = _message("de", "aufenthaltstitel-termin")
    assert view.office == "Ausländeramt" and view.offer_code
    assert view.lines[1] == "So bekommen Sie einen Termin:\n" + site.agency("auslaenderamt").appointments["de"]
    assert view.lines[2].startswith("Der Empfang hilft Ihnen weiter: Raum E.01.")
    ar = _message("ar", "aufenthaltstitel-termin")
    assert ar.lines[1] == "كيف تحصل على موعد:\n" + site.agency("auslaenderamt").appointments["ar"]
    assert not ar.hours


@pytest.mark.parametrize(("minutes", "de", "ar"), [
    (0, "wenige Minuten", "بضع دقائق"), (4, "wenige Minuten", "بضع دقائق"), (5, "etwa 5 Minuten", None),
    (12, "etwa 12 Minuten", None)])
def test_kiosk_wait_reads_as_the_slip_says_it(minutes: int, de: str, ar: str | None) -> None:
    assert guidance.wait_line(2, minutes, "de", TEXTS) == f"Vor Ihnen: 2\nWartezeit: {de}"
    if ar is not None:
        assert guidance.wait_line(0, minutes, "ar", TEXTS).endswith(f"وقت الانتظار: {ar}")


def test_kiosk_tiles_tell_look_alikes_apart_and_say_appointment_only_once() -> None:
    flow, *_ = make()
    tiles = {t.concern: t for t in flow.tiles()}
    assert tiles["jobcenter"].subtitle == "Bürgergeld – Geld zum Leben und für die Miete"
    assert tiles["arbeitsagentur"].subtitle.startswith("Arbeit oder Ausbildung suchen")
    only = tiles["aufenthaltstitel-termin"]
    assert only.availability == "appointment_only" and only.title == only.title_de == "Aufenthaltstitel abholen"
    assert tiles["aufenthalt"].subtitle == ""
    assert pictograms.shapes("jobcenter") != pictograms.shapes("employment")
    assert pictograms.shapes("jobcenter") != pictograms.shapes("briefcase")


def test_kiosk_call_in_my_language_is_offered_outside_german_and_reaches_the_check_in() -> None:
    flow, backend, printer, sync = make()
    flow.choose_language("de")
    flow.walk_in()
    flow.choose_concern("jobcenter")
    assert not flow.announce_offered
    flow.set_announce(True)
    assert not flow.announce
    flow.reset()
    for lang in ("ps", "ti"):   # no voice to call it in: offered as a chime and the number in English, and said so
        flow.choose_language(lang)
        assert flow.announce_offered and not flow.announce_spoken
        question, note, short = T.announce_texts(flow.announce_spoken)
        assert "Englisch" in question and "Englisch" in note and "Englisch" in short
        assert TEXTS.raw(lang, question) != question   # translated
        flow.reset()
    assert T.announce_texts(True)[0] == T.ANNOUNCE
    flow.choose_language("ar")
    flow.walk_in()
    flow.choose_concern("jobcenter")
    assert flow.announce_offered and not flow.announce   # off unless chosen
    flow.set_announce(True)
    flow.to_confirm()
    assert readout.summary_lines(TEXTS, flow)[-1] == "النداء بلغتك أيضًا: نعم"
    flow.confirm()
    sync.drain()
    assert backend.requests[-1].announce and backend.requests[-1].body()["announce"] is True
    flow.reset()
    assert not flow.announce


def test_kiosk_offline_ticket_keeps_the_call_in_my_language_for_later(tmp_path: Path) -> None:
    site = mini_site()
    link = FakeCoreLink(lambda topic, payload: None)   # the core does not answer
    outbox = Outbox(tmp_path / "outbox.sqlite", "kiosk-1")
    backend = CoreBackend(site, "kiosk-1", link, outbox, reply_timeout_s=0.05)
    result = backend.check_in(CheckInRequest("ar", concern="job", announce=True))
    assert result.kind == "issued" and result.ticket is not None and result.ticket.offline
    entry = outbox.pending()[0]
    assert entry.payload["announce"] is True
    handed_in = _check_in(entry.cid, entry.payload)   # what the flush sends, later
    assert handed_in.announce and handed_in.offline_number == entry.number
    outbox.close()


def _pieces(lang: str, step_setup: str) -> list[tuple[str, str]]:
    flow, backend, printer, sync = make()
    if step_setup != "welcome":
        flow.choose_language(lang)
    if step_setup == "details":
        flow.walk_in()
        flow.choose_concern("jobcenter")
    elif step_setup == "done":
        flow.walk_in()
        flow.choose_concern("jobcenter")
        flow.confirm()
        sync.drain()
        assert flow.step == "done"
    elif step_setup == "closed":
        flow.walk_in()
        flow.choose_concern("weiterqualifizierung")
    return readout.screen_text(flow, TEXTS, scanner_side="left", slip_side="right")


def test_kiosk_read_aloud_text_of_each_screen() -> None:
    welcome = dict(_pieces("de", "welcome"))
    assert welcome["de"] == "Deutsch. Bitte wählen Sie Ihre Sprache"
    assert welcome["ar"].startswith("العربية. ") and "ps" not in welcome and "ti" not in welcome
    # one piece per line: each is spoken and played on its own (no sound runs into the player's time limit)
    assert _pieces("de", "start") == [("de", "Ich habe einen Termin"), ("de", "Einladung scannen oder Code eingeben"),
                                      ("de", "Der Scanner ist links vom Bildschirm. Halten Sie den Code auf Ihrer "
                                             "Einladung davor."),
                                      ("de", "Ich habe keinen Termin"), ("de", "Anliegen auswählen")]

    def text(lang: str, step: str) -> str:
        pieces = _pieces(lang, step)
        assert {p[0] for p in pieces} == {lang}
        return "\n".join(p[1] for p in pieces)

    details_de, details_ar = text("de", "details"), text("ar", "details")
    assert "Wie viele Personen" in details_de and "Sprache aufgerufen" not in details_de
    assert details_ar.endswith("عندها يسمع كل من حولك رقمك بلغتك. النداء بالألمانية يتم دائمًا.")
    done = text("de", "done").split("\n")
    assert done[:2] == ["Bitte nehmen Sie Ihr Ticket", "Ihre Nummer: J 1."]
    assert "Wartezeit: wenige Minuten" in done and "Ihr Ticket kommt rechts heraus." in done
    closed = text("de", "closed")
    assert "Sie öffnet morgen um 09:00 Uhr." in closed and "Raum E.01" in closed
    assert spoken_number("J-017") == "J 17" and spoken_number("917") == "917"


def test_kiosk_reader_speaks_off_the_caller_restarts_on_a_tap_and_stops(tmp_path: Path) -> None:
    spoken: list[tuple[str, str]] = []
    started = threading.Event()

    def speak(text: str, lang: str, out: Path) -> Path:
        spoken.append((lang, text))
        out.write_bytes(b"RIFF")
        return out

    class SignallingPlayer(FakePlayer):
        def play(self, wav: Path) -> None:
            started.set()
            super().play(wav)

    player = SignallingPlayer(seconds=5)
    reader = ScreenReader(player, folder=tmp_path, speak=speak)
    try:
        reader.read([("de", "Erster Text"), ("ps", "no voice"), ("de", "Zweiter")])
        assert started.wait(5)
        started.clear()
        reader.read([("ar", "نص")])   # a second tap: the first reading stops, the new one starts
        assert started.wait(5)
        assert reader.busy            # the kiosk does not start over while it reads
        reader.stop()                # the screen changed
        assert not reader.busy
        deadline = threading.Event()
        for _ in range(100):
            if len(player.played) == 2:
                break
            deadline.wait(0.05)
        assert [p.stopped for p in player.played] == [True, True]
        assert spoken == [("de", "Erster Text"), ("ar", "نص")]   # "Zweiter" was dropped, Pashto never spoken
        assert not ScreenReader.can_read("ps") and not ScreenReader.can_read("ti") and ScreenReader.can_read("fa")
    finally:
        reader.close()
        reader.close()   # Kivy sends on_stop twice: the second close does nothing
    assert not list(tmp_path.glob("*.wav"))
