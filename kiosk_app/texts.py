"""Every sentence the kiosk shows, as German msgids (Babel extracts the N_() calls), and their translations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from host_support.package_data import package_path
from ui_common.i18n import Translations

DOMAIN = "kiosk"


def _locale_dir() -> Path:
    """The catalogues, package data read in place (gettext and Babel open them by path)."""
    return package_path("kiosk_app", "locale")


LOCALE_DIR = _locale_dir()


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; the translation is looked up when shown."""
    return msgid


# welcome and start
CHOOSE_LANGUAGE = N_("Bitte wählen Sie Ihre Sprache")
HAVE_APPOINTMENT = N_("Ich habe einen Termin")
HAVE_APPOINTMENT_HINT = N_("Einladung scannen oder Code eingeben")
NO_APPOINTMENT = N_("Ich habe keinen Termin")
NO_APPOINTMENT_HINT = N_("Anliegen auswählen")
# where the scanner is, seen from the client (kiosk.scanner_at)
SCANNER_BELOW = N_("Der Scanner ist unter dem Bildschirm. Halten Sie den Code auf Ihrer Einladung davor.")
SCANNER_LEFT = N_("Der Scanner ist links vom Bildschirm. Halten Sie den Code auf Ihrer Einladung davor.")
SCANNER_RIGHT = N_("Der Scanner ist rechts vom Bildschirm. Halten Sie den Code auf Ihrer Einladung davor.")
# read aloud (the speaker button)
READ_ALOUD = N_("Vorlesen")
# booking code
ENTER_CODE = N_("Geben Sie Ihren Termin-Code ein")
DELETE = N_("Löschen")
CONTINUE = N_("Weiter")
BACK = N_("Zurück")
START_OVER = N_("Neu beginnen")
CODE_TOO_SHORT = N_("Der Code ist zu kurz.")
MISTYPED_CODE = N_("Dieser Code stimmt nicht. Bitte prüfen Sie jedes Zeichen.")
YOUR_APPOINTMENTS = N_("Ihre Termine heute")
LATER_DAYS = N_("Ihre Termine an anderen Tagen")
TOMORROW = N_("Morgen")
CHECK_IN_AGAIN = N_("Bitte melden Sie sich an diesem Morgen wieder mit demselben Code an.")
BRING = N_("Bitte bringen Sie mit:")
ALREADY_CHECKED_IN = N_("Sie sind bereits angemeldet.")
CHECK_IN_NOW = N_("Jetzt anmelden")
NO_BOOKING = N_("Für diesen Code gibt es heute keinen Termin.")
UNREADABLE = N_("Der Code konnte nicht gelesen werden.")
# walk-in
CHOOSE_CONCERN = N_("Worum geht es?")
ONLY_WITH_APPOINTMENT = N_("Nur mit Termin")
CLOSED_NOW = N_("Jetzt geschlossen")
APPOINTMENT_ONLY_EXPLAINED = N_("Dafür brauchen Sie einen Termin. Haben Sie eine Einladung? "
                                "Dann scannen Sie den Code oder geben Sie ihn ein.")
CLOSED_EXPLAINED = N_("Diese Stelle ist jetzt geschlossen.")
OPENS_TODAY = N_("Sie öffnet heute wieder um {time} Uhr.")
OPENS_TOMORROW = N_("Sie öffnet morgen um {time} Uhr.")
OPENS_ON = N_("Sie öffnet wieder am {day} um {time} Uhr.")
HOW_TO_GET_APPOINTMENT = N_("So bekommen Sie einen Termin:")
RECEPTION_HELPS = N_("Der Empfang hilft Ihnen weiter: Raum {room}.")
OPENING_HOURS = N_("Öffnungszeiten")
PARTY_SIZE = N_("Wie viele Personen sind Sie?")
INTERPRETER = N_("Brauchen Sie einen Dolmetscher für Ihre Sprache?")
STEP_FREE = N_("Brauchen Sie einen Weg ohne Stufen?")
ANNOUNCE = N_("Soll Ihre Nummer auch in Ihrer Sprache aufgerufen werden?")
ANNOUNCE_NOTE = N_("Dann hören alle in der Nähe Ihre Nummer in Ihrer Sprache. Auf Deutsch wird immer aufgerufen.")
ANNOUNCE_SHORT = N_("Aufruf auch in Ihrer Sprache:")
# where the displays have no voice for the language (Pashto, Tigrinya): a chime, then the number in English
ANNOUNCE_CHIME = N_("Möchten Sie bei Ihrem Aufruf zusätzlich einen besonderen Ton und Ihre Nummer auf Englisch hören?")
ANNOUNCE_CHIME_NOTE = N_("Nach dem Aufruf auf Deutsch ertönt ein besonderer Ton, dann wird Ihre Nummer auf Englisch "
                         "gesagt. Alle in der Nähe hören es.")
ANNOUNCE_CHIME_SHORT = N_("Aufruf auch mit Ton und auf Englisch:")


def announce_texts(spoken: bool) -> tuple[str, str, str]:
    """The question, its note and the confirm screen's short form for "call me in my language too" (``spoken``:
    the displays have a voice for the language; else they play a chime and say the number in English)."""
    if spoken:
        return ANNOUNCE, ANNOUNCE_NOTE, ANNOUNCE_SHORT
    return ANNOUNCE_CHIME, ANNOUNCE_CHIME_NOTE, ANNOUNCE_CHIME_SHORT


YES = N_("Ja")
NO = N_("Nein")
CHECK_DETAILS = N_("Bitte prüfen Sie Ihre Angaben")
PERSONS = N_("Personen")
PRINT_TICKET = N_("Ticket drucken")
ONE_MOMENT = N_("Einen Moment bitte …")
# after check-in
TAKE_TICKET = N_("Bitte nehmen Sie Ihr Ticket")
YOUR_NUMBER = N_("Ihre Nummer")
ROOM = N_("Raum")
AHEAD = N_("Vor Ihnen: {n}")
WAIT_IS = N_("Wartezeit: {wait}")
WAIT_UNKNOWN = N_("Die Wartezeit ist gerade nicht bekannt.")
CALLED_FROM = N_("Sie werden ab {time} Uhr aufgerufen.")
CALLED_HERE_FROM = N_("Hier werden Sie ab {time} Uhr aufgerufen, mit derselben Nummer.")
NEXT_TODAY = N_("Ihre weiteren Termine heute")
LATE = N_("Sie kommen zu spät zu Ihrem Termin.")
RECEPTION_FIRST_ROOM = N_("Bitte gehen Sie zuerst zum Empfang (Raum {room}).")
RECEPTION_FIRST = N_("Bitte gehen Sie zuerst zum Empfang.")
WATCH_SCREEN = N_("Ihre Nummer wird auf dem Bildschirm aufgerufen.")
# where the slip comes out, seen from the client (kiosk.slip_out)
SLIP_BELOW = N_("Ihr Ticket kommt unten heraus.")
SLIP_LEFT = N_("Ihr Ticket kommt links heraus.")
SLIP_RIGHT = N_("Ihr Ticket kommt rechts heraus.")
PRINTER_FAULT = N_("Der Drucker funktioniert gerade nicht.")
PHOTO_HINT = N_("Bitte merken Sie sich Ihre Nummer oder fotografieren Sie diese Seite.")
DONE = N_("Fertig")
# problems
ASK_RECEPTION = N_("Bitte gehen Sie zum Empfang.")
FAILED = N_("Das hat leider nicht geklappt.")
FULL_OFFLINE = N_("Die Anmeldung ist gerade nicht möglich.")
WEEKDAYS = (N_("Montag"), N_("Dienstag"), N_("Mittwoch"), N_("Donnerstag"), N_("Freitag"), N_("Samstag"),
            N_("Sonntag"))


class Texts:
    """Translated, display-ready text: the catalogue's string, formatted, in the order the label needs."""

    def __init__(self, locale_dir: Path = LOCALE_DIR):
        self.translations = Translations(locale_dir, DOMAIN)

    def raw(self, lang: str, msgid: str, **values: Any) -> str:
        text = self.translations.gettext(lang, msgid)
        return text.format(**values) if values else text

    def __call__(self, lang: str, msgid: str, **values: Any) -> str:
        return self.raw(lang, msgid, **values)


def all_msgids() -> list[str]:
    """Every msgid defined above (the catalogue tests check each one in each language)."""
    out: list[str] = []
    for name, value in globals().items():
        if name.isupper() and isinstance(value, str) and name not in ("DOMAIN",):
            out.append(value)
        elif name == "WEEKDAYS":
            out.extend(value)
    return out
