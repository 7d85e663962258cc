"""The web pages' words: gettext catalogues (German source) and the site's own texts (service names, rooms'
directions, documents) in the reader's language, German where none is given.

Two domains: `desk` (the counsellors' pages, German and English) and `phone` (the client's phone page and the
public board, every site language), in `locale/<lang>/LC_MESSAGES/<domain>.po`; `locale/README.md` says how to
extract and update them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from queue_rules.site import Site
from ui_common.i18n import Translations
from ui_common.languages import LANGUAGES

LOCALE_DIR = Path(__file__).with_name("locale")
DESK_LANGUAGES = ("de", "en")  # the counsellors' page; the phone page speaks every site language


def N_(msgid: str) -> str:
    """Marks a text for extraction where it is translated later (``_(REFUSALS[code])``)."""
    return msgid


def translations(domain: str) -> Translations:
    return Translations(LOCALE_DIR, domain)


def translator(tr: Translations, lang: str) -> Callable[..., str]:
    """``_("Noch {n} vor Ihnen", n=3)`` in ``lang``: the catalogue's text, formatted with the arguments."""

    def gettext(msgid: str, **kw: Any) -> str:
        text = tr.gettext(lang, msgid)
        return text.format(**kw) if kw else text

    return gettext


def direction(lang: str) -> str:
    language = LANGUAGES.get(lang)
    return "rtl" if language is not None and language.rtl else "ltr"


def native_name(lang: str) -> str:
    language = LANGUAGES.get(lang)
    return language.native if language else lang


def language_name(code: str, lang: str) -> str:
    """A client's language named in the reader's language: the centre's own German names ("Farsi/Dari"), in
    other languages Babel's CLDR names ("Arabic"; Kurmanji as Kurdish, which CLDR files it under)."""
    known = LANGUAGES.get(code)
    if lang == "de" and known is not None:
        return known.german
    try:
        names: Mapping[str, str] = Locale.parse(lang).languages
    except (ValueError, UnknownLocaleError):
        names = {}
    return names.get(code) or names.get({"kmr": "ku"}.get(code, code)) or (known.german if known else code)


def service_name(site: Site, service_id: str, lang: str) -> str:
    try:
        names = site.service(service_id).name
    except KeyError:
        return service_id
    return names.get(lang) or names["de"]


def directions(site: Site, room_numbers: list[str], lang: str) -> str:
    """The way to the first of these rooms, in the reader's language (German, or nothing, when none is given)."""
    for room in site.rooms:
        if room.number in room_numbers:
            return room.directions.get(lang) or room.directions.get("de", "")
    return ""


def floor_of(site: Site, room_numbers: list[str]) -> int | None:
    return next((r.floor for r in site.rooms if r.number in room_numbers), None)


def documents(site: Site, service_ids: list[str], lang: str) -> list[str]:
    return [d.name.get(lang) or d.name["de"] for d in site.documents_for(service_ids)]


def pick_language(site: Site, wanted: str | None, fallback: str) -> str:
    """``wanted`` if the site offers it, else ``fallback`` if offered, else German."""
    offered = site.site.languages
    for lang in (wanted, fallback):
        if lang and lang in offered:
            return lang
    return "de"
