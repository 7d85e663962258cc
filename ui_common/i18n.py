"""Translations from gettext catalogues (.po files, read with Babel; no compile step).

Layout: ``<locale_dir>/<lang>/LC_MESSAGES/<domain>.po``, as ``pybabel extract/update`` write it. Entries that
were machine-translated carry the ``fuzzy`` flag and a translator comment; gettext tools treat fuzzy as "needs
review", which is what they are. arkaden shows them anyway (a reviewed-later translation serves a client better
than German), and `untranslated()` lists what is missing so a test can keep the catalogues complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po


class CatalogueError(ValueError):
    pass


@dataclass
class Catalogue:
    """One language's messages of one domain."""

    lang: str
    messages: dict[str, str] = field(default_factory=dict)
    review: set[str] = field(default_factory=set)  # msgids whose translation awaits a native speaker

    def gettext(self, msgid: str) -> str:
        return self.messages.get(msgid) or msgid


def po_path(locale_dir: Path, lang: str, domain: str) -> Path:
    return locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"


def load_catalogue(locale_dir: Path, lang: str, domain: str) -> Catalogue:
    """The catalogue of a language; the source language (German) needs none and gets an empty one."""
    path = po_path(locale_dir, lang, domain)
    if not path.is_file():
        if lang == "de":
            return Catalogue(lang)
        raise CatalogueError(f"{path}: no catalogue for language {lang!r}")
    try:
        with path.open("rb") as fh:
            po = read_po(fh, domain=domain)
    except Exception as exc:  # Babel raises several types for broken files
        raise CatalogueError(f"{path}: cannot read the catalogue: {exc}") from exc
    cat = Catalogue(lang)
    for msg in po:
        if not msg.id or not isinstance(msg.id, str) or not isinstance(msg.string, str) or not msg.string:
            continue
        cat.messages[msg.id] = msg.string
        if msg.fuzzy:
            cat.review.add(msg.id)
    return cat


class Translations:
    """All languages of one domain, loaded on first use."""

    def __init__(self, locale_dir: Path, domain: str):
        self.locale_dir, self.domain = locale_dir, domain
        self._loaded: dict[str, Catalogue] = {}

    def catalogue(self, lang: str) -> Catalogue:
        if lang not in self._loaded:
            self._loaded[lang] = load_catalogue(self.locale_dir, lang, self.domain)
        return self._loaded[lang]

    def gettext(self, lang: str, msgid: str) -> str:
        return self.catalogue(lang).gettext(msgid)

    def untranslated(self, lang: str, msgids: list[str]) -> list[str]:
        cat = self.catalogue(lang)
        return [m for m in msgids if m not in cat.messages]
