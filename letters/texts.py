"""The letter's own words (gettext domain ``letter``, German msgids), dates in the reader's language, language names.

The msgids below are extracted into ``letters/locale/letter.pot`` by Babel; see ``letters/locale/README.md``.
Catalogues are read from the ``.po`` files at run time and compiled in memory with their fuzzy entries (machine
translations awaiting review serve a client better than German alone), so plural forms work per language.
"""

from __future__ import annotations

import gettext
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from host_support.package_data import PackageDataError, package_path
from ui_common.languages import LANGUAGES, UnknownLanguage, language

DOMAIN = "letter"
LETTER_LANGUAGES = tuple(LANGUAGES)  # every language the centre serves has a catalogue


class LetterTextsError(ValueError):
    """A language without a (readable) letter catalogue."""


def locale_dir() -> Path:
    """The letter catalogues (``letters/locale``), package data read in place."""
    try:
        return package_path("letters", "locale")  # Babel reads the .po files by path
    except PackageDataError as exc:
        raise LetterTextsError(str(exc)) from None


def load_translations(lang: str, directory: Path | None = None) -> gettext.GNUTranslations:
    """A language's letter catalogue, compiled in memory, fuzzy entries included."""
    try:
        language(lang)
    except UnknownLanguage as exc:
        raise LetterTextsError(str(exc.args[0])) from None
    path = (directory or locale_dir()) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        raise LetterTextsError(f"{path}: no letter catalogue for language {lang!r}")
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, domain=DOMAIN, abort_invalid=True)  # plural forms from the header
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=True)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    except Exception as exc:  # Babel and gettext raise several types for broken files
        raise LetterTextsError(f"{path}: cannot read the letter catalogue: {exc}") from exc


def long_date(day: date, lang: str, form: str = "full") -> str:
    """A date as the reader's language writes it ("Dienstag, 24. November 2026"); ISO where Babel has no locale."""
    try:
        return format_date(day, form, locale=lang)
    except (UnknownLocaleError, ValueError):
        return day.isoformat()


def language_name(code: str, in_lang: str) -> str:
    """The name of language ``code`` as a reader of ``in_lang`` writes it inside a sentence.

    German names and a language's own name are the centre's ("Farsi/Dari", "فارسی/دری"); other names are Babel's,
    which also knows where a language writes its own name in lower case ("українська").
    """
    known = LANGUAGES.get(code)
    if in_lang == "de" and known:
        return known.german
    try:
        name = Locale.parse(in_lang).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    if known and in_lang == code and (name is None or name.casefold() != known.native.casefold()):
        return known.native
    return name or (known.native if known else code)


class LetterTexts:
    """The letter's labels in one language."""

    def __init__(self, lang: str, tr: gettext.NullTranslations):
        self.lang, self._tr = lang, tr

    @property
    def title(self) -> str:
        # TRANSLATORS: the letter's heading: the client's booked appointments at the centre
        return self._tr.gettext("Ihre Termine")

    @property
    def intro(self) -> str:
        # TRANSLATORS: beside the QR code; the kiosk at the entrance scans it, or the client types the code in
        return self._tr.gettext("Ihre Termine im Zentrum. Bitte kommen Sie pünktlich. Scannen Sie am Eingang "
                                "diesen Code am Kiosk oder tippen Sie ihn ein.")

    @property
    def bring_letter(self) -> str:
        # TRANSLATORS: follows the introduction
        return self._tr.gettext("Bitte bringen Sie dieses Schreiben mit.")

    def room(self, number: str, floor: int) -> str:
        # TRANSLATORS: {room} is a room number such as "E.10"; {floor} a floor name such as "Erdgeschoss"
        return self._tr.gettext("Raum {room}, {floor}").format(room=number, floor=self.floor(floor))

    def floor(self, floor: int) -> str:
        # Floors are named, not numbered: in Ukrainian and Russian usage the ground floor is the first floor.
        named = {
            # TRANSLATORS: after a comma ("Room E.10, ground floor"); in Ukrainian/Russian usage the FIRST floor
            0: self._tr.gettext("Erdgeschoss"),
            # TRANSLATORS: after a comma; English "1st floor"; in Ukrainian/Russian usage the SECOND floor
            1: self._tr.gettext("1. Obergeschoss"),
            # TRANSLATORS: after a comma; English "2nd floor"; in Ukrainian/Russian usage the THIRD floor
            2: self._tr.gettext("2. Obergeschoss"),
            # TRANSLATORS: after a comma; English "3rd floor"; in Ukrainian/Russian usage the FOURTH floor
            3: self._tr.gettext("3. Obergeschoss"),
        }
        if floor in named:
            return named[floor]
        # TRANSLATORS: a floor without its own name; {floor} is the number used in the building's signs
        return self._tr.gettext("Etage {floor}").format(floor=floor)

    @property
    def room_at_reception(self) -> str:
        # TRANSLATORS: instead of a room number, for a service the site has not given a room
        return self._tr.gettext("Den Raum nennt Ihnen der Empfang.")

    @property
    def bring_heading(self) -> str:
        # TRANSLATORS: heading of the list of documents to bring to the appointments
        return self._tr.gettext("Bitte mitbringen:")

    def party(self, n: int) -> str:
        # TRANSLATORS: how many people the appointments are booked for; {n} is a number (2 or more in practice)
        return self._tr.ngettext("Angemeldet für {n} Person.", "Angemeldet für {n} Personen.", n).format(n=n)

    def interpreter(self, language_name: str) -> str:
        # TRANSLATORS: {language} is a language's name, e.g. "Arabisch"; write it so a bare name fits
        return self._tr.gettext("Eine Dolmetscherin oder ein Dolmetscher für {language} wird da sein.").format(
            language=language_name)

    @property
    def step_free(self) -> str:
        # TRANSLATORS: the client asked for access without steps (wheelchair, pram); the centre has noted it
        return self._tr.gettext("Stufenloser Zugang ist vorgemerkt.")

    @property
    def all_step_free(self) -> str:
        # TRANSLATORS: follows "Stufenloser Zugang ist vorgemerkt." when no room of the journey has steps
        return self._tr.gettext("Alle Räume erreichen Sie ohne Stufen.")

    def rooms_with_steps(self, rooms: tuple[str, ...]) -> str:
        # TRANSLATORS: {rooms} is one or more room numbers such as "1.15" or "1.15, 2.20"
        return self._tr.ngettext("Zu Raum {rooms} führen Stufen. Bitte melden Sie sich am Empfang.",
                                 "Zu den Räumen {rooms} führen Stufen. Bitte melden Sie sich am Empfang.",
                                 len(rooms)).format(rooms=", ".join(rooms))

    def issued(self, day: date) -> str:
        # TRANSLATORS: at the bottom of the letter; {date} is a date such as "20. November 2026"
        return self._tr.gettext("Ausgestellt am {date}").format(date=long_date(day, self.lang, "long"))

    def page(self, page: int, pages: int) -> str:
        # TRANSLATORS: at the bottom of a letter of two or more pages
        return self._tr.gettext("Seite {page} von {pages}").format(page=page, pages=pages)


@lru_cache(maxsize=32)
def _texts(lang: str, directory: Path | None) -> LetterTexts:
    return LetterTexts(lang, load_translations(lang, directory))


def letter_texts(lang: str, directory: Path | None = None) -> LetterTexts:
    """The letter's labels in ``lang`` (catalogue read once per process)."""
    return _texts(lang, directory)
