"""The slip's own words (gettext domain ``slip``), in the client's language and in German.

The msgids below are extracted into ``kiosk_app/locale/slip.pot`` by Babel; see ``kiosk_app/locale/README.md``.
Catalogues are read from the ``.po`` files at run time (fuzzy entries included: machine translations awaiting
review serve a client better than English) and compiled in memory, so plural forms work per language.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from host_support.package_data import PackageDataError, package_path
from ui_common.languages import language

DOMAIN = "slip"
SLIP_LANGUAGES = ("de", "en", "ar", "fa", "ps", "uk", "ru", "tr", "kmr", "ro", "fr", "ti")


def locale_dir() -> Path:
    """The kiosk's catalogues (``kiosk_app/locale``), package data read in place."""
    try:
        return package_path("kiosk_app", "locale")  # Babel reads the .po files by path
    except PackageDataError as exc:
        raise SlipCatalogueError(str(exc)) from None


class SlipCatalogueError(ValueError):
    pass


def load_translations(lang: str, directory: Path | None = None) -> gettext.GNUTranslations:
    """A language's slip catalogue, compiled in memory."""
    language(lang)  # UnknownLanguage names the known codes
    path = (directory or locale_dir()) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        raise SlipCatalogueError(f"{path}: no slip catalogue for language {lang!r}")
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, domain=DOMAIN, abort_invalid=True)  # plural forms from the header
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=True)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    except Exception as exc:  # Babel and gettext raise several types for broken files
        raise SlipCatalogueError(f"{path}: cannot read the slip catalogue: {exc}") from exc


class SlipTexts:
    """The slip's labels in one language."""

    def __init__(self, lang: str, tr: gettext.NullTranslations):
        self.lang, self._tr = lang, tr

    @property
    def your_number(self) -> str:
        # TRANSLATORS: heading above the big ticket number on the printed slip
        return self._tr.gettext("Your number")

    def rooms(self, rooms: tuple[str, ...]) -> str:
        # TRANSLATORS: {rooms} is one or more room numbers such as "E.01" or "1.12, 1.14"
        label = self._tr.ngettext("Room {rooms}", "Rooms {rooms}", len(rooms))
        return label.format(rooms=", ".join(rooms))

    def floor(self, floor: int) -> str:
        # Floors are named, not numbered: in Ukrainian and Russian usage the ground floor is the first floor.
        named = {
            # TRANSLATORS: German "Erdgeschoss"; in Ukrainian/Russian usage this is the FIRST floor
            0: self._tr.gettext("Ground floor"),
            # TRANSLATORS: German "1. Obergeschoss"; in Ukrainian/Russian usage this is the SECOND floor
            1: self._tr.gettext("First floor"),
            # TRANSLATORS: German "2. Obergeschoss"; in Ukrainian/Russian usage this is the THIRD floor
            2: self._tr.gettext("Second floor"),
            # TRANSLATORS: German "3. Obergeschoss"; in Ukrainian/Russian usage this is the FOURTH floor
            3: self._tr.gettext("Third floor"),
        }
        if floor in named:
            return named[floor]
        # TRANSLATORS: a floor without its own name; {floor} is the number used in the building's signs
        return self._tr.gettext("Floor {floor}").format(floor=floor)

    @property
    def estimated_wait(self) -> str:
        # TRANSLATORS: heading; the estimate follows on the next line
        return self._tr.gettext("Estimated waiting time")

    def wait_minutes(self, minutes: int) -> str:
        if minutes < 5:
            # TRANSLATORS: estimated waiting time when it is short
            return self._tr.gettext("a few minutes")
        # TRANSLATORS: estimated waiting time, {n} is a number of minutes.
        # The slip keeps the number and the word after it on one line; join
        # a unit of two words with a no-break space (U+00A0), as ro "de minute".
        return self._tr.ngettext("about {n} minute", "about {n} minutes", minutes).format(n=minutes)

    @property
    def wait_unknown(self) -> str:
        # TRANSLATORS: the kiosk could not reach the queue system, so it cannot estimate the waiting time
        return self._tr.gettext("not known yet")

    @property
    def appointments_today(self) -> str:
        # TRANSLATORS: heading above the list of today's appointments at several agencies (one ticket number)
        return self._tr.gettext("Your appointments today")

    @property
    def now(self) -> str:
        # TRANSLATORS: marks the appointment in the list where the client should go now
        return self._tr.gettext("Now")

    def called_here_from(self, time: str) -> str:
        # TRANSLATORS: a later appointment of today; {time} is a time like "11:15"; the ticket number stays the same
        return self._tr.gettext("You will be called here from {time}, with the same number.").format(time=time)

    def called_from(self, time: str) -> str:
        # TRANSLATORS: instead of the waiting time, for a client who came early for the appointment; {time} is like
        # "10:45"
        return self._tr.gettext("You will be called from {time}.").format(time=time)

    @property
    def other_days(self) -> str:
        # TRANSLATORS: heading above the client's appointments on later days (same booking)
        return self._tr.gettext("Your appointments on other days")

    @property
    def tomorrow(self) -> str:
        # TRANSLATORS: the day of an appointment; the date follows, e.g. "Tomorrow, 25.11.2026"
        return self._tr.gettext("Tomorrow")

    @property
    def check_in_again(self) -> str:
        # TRANSLATORS: for the appointments on later days; "the same code" is the code on the invitation letter
        return self._tr.gettext("Please check in again that morning with the same code.")

    @property
    def bring(self) -> str:
        # TRANSLATORS: heading above the list of documents to bring (passport, certificates)
        return self._tr.gettext("Please bring:")

    @property
    def late(self) -> str:
        # TRANSLATORS: the client came too late for the booked time
        return self._tr.gettext("You are late for your appointment.")

    def reception_first(self, room: str) -> str:
        if room:
            # TRANSLATORS: {room} is the reception's room number, e.g. "E.01"
            return self._tr.gettext("Please go to reception first (room {room}).").format(room=room)
        # TRANSLATORS: the client came too late: reception decides what happens now
        return self._tr.gettext("Please go to reception first.")

    @property
    def privacy(self) -> str:
        # TRANSLATORS: privacy line at the bottom of the slip
        return self._tr.gettext("This slip carries no name. Keep it until you are called.")


@dataclass(frozen=True)
class SlipLabels:
    """The labels a slip needs: the client's language and German (one of them when the client reads German)."""

    client: SlipTexts
    german: SlipTexts

    @property
    def bilingual(self) -> bool:
        return self.client.lang != "de"


@lru_cache(maxsize=32)
def _texts(lang: str, directory: Path | None) -> SlipTexts:
    return SlipTexts(lang, load_translations(lang, directory))


def slip_labels(lang: str, directory: Path | None = None) -> SlipLabels:
    """Labels for a slip in ``lang`` plus German (catalogues read once per process)."""
    return SlipLabels(_texts(lang, directory), _texts("de", directory))
