"""The display's texts (German msgids, translated in display_app/locale/<lang>/LC_MESSAGES/display.po)."""

from __future__ import annotations

from pathlib import Path

from host_support.package_data import package_path
from ui_common.i18n import Translations

DOMAIN = "display"


def _locale_dir() -> Path:
    """The catalogues, package data read in place (gettext and Babel open them by path)."""
    return package_path("display_app", "locale")


LOCALE_DIR = _locale_dir()


def N_(msgid: str) -> str:
    """Marks a msgid for `pybabel extract -k N_` without translating it."""
    return msgid


HINT = N_("Bitte warten Sie, bis Ihre Nummer angezeigt wird.")
ANNOUNCEMENT = N_("Nummer {number}, bitte zu Raum {room}, {counter}.")
HEADING_CALLS = N_("Aufruf")
HEADING_RECENT = N_("Zuletzt aufgerufen")
HEADING_WAITING = N_("Wartende")
HEADING_LATER = N_("Später")
HEADING_ROOM = N_("Raum")
WAIT_ABOUT = N_("ca. {minutes} Min.")
NO_CONNECTION = N_("Keine Verbindung zur Zentrale – die Anzeige erholt sich von selbst")
CONNECTING = N_("Verbinde …")

MSGIDS = [HINT, ANNOUNCEMENT, HEADING_CALLS, HEADING_RECENT, HEADING_WAITING, HEADING_LATER, HEADING_ROOM,
          WAIT_ABOUT, NO_CONNECTION, CONNECTING]

# the board's fixed headings: German, and under it the language the hint rotates through
HEADINGS = {"calls": HEADING_CALLS, "room": HEADING_ROOM, "recent": HEADING_RECENT, "waiting": HEADING_WAITING,
            "later": HEADING_LATER}


def translations() -> Translations:
    return Translations(LOCALE_DIR, DOMAIN)


def second_language(rotation: str) -> str:
    """The language of the headings' second line: the hint's, English while the hint is German (never twice)."""
    return "en" if rotation == "de" else rotation


def headings(texts: Translations, rotation: str) -> dict[str, tuple[str, str]]:
    """Each heading as (German line, second line in the rotating language)."""
    german, second = "de", second_language(rotation)   # (a name, not a literal, in gettext(): pybabel skips it)
    return {key: (texts.gettext(german, msgid), texts.gettext(second, msgid)) for key, msgid in HEADINGS.items()}
