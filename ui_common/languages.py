"""The languages the centre serves: each one's own name, script and writing direction (no Kivy here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Script = Literal["Latn", "Cyrl", "Arab", "Ethi"]


@dataclass(frozen=True)
class Language:
    code: str          # gettext / site code (ISO 639-1, or 639-3 where there is no 639-1 code)
    native: str        # the language named in its own script, as the client knows it
    german: str        # the name reception and counsellors use
    script: Script     # ISO 15924: selects the font and the shaper (HarfBuzz script tag)
    rtl: bool = False

    @property
    def direction(self) -> Literal["ltr", "rtl"]:
        return "rtl" if self.rtl else "ltr"


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("de", "Deutsch", "Deutsch", "Latn"),
    Language("en", "English", "Englisch", "Latn"),
    Language("ar", "العربية", "Arabisch", "Arab", rtl=True),
    Language("fa", "فارسی/دری", "Farsi/Dari", "Arab", rtl=True),
    Language("ps", "پښتو", "Paschtu", "Arab", rtl=True),
    Language("uk", "Українська", "Ukrainisch", "Cyrl"),
    Language("ru", "Русский", "Russisch", "Cyrl"),
    Language("tr", "Türkçe", "Türkisch", "Latn"),
    Language("kmr", "Kurmancî", "Kurmandschi (Kurdisch)", "Latn"),
    Language("ro", "Română", "Rumänisch", "Latn"),
    Language("fr", "Français", "Französisch", "Latn"),
    Language("ti", "ትግርኛ", "Tigrinya", "Ethi"),
)}


class UnknownLanguage(KeyError):
    pass


def language(code: str) -> Language:
    """The language for a code, or UnknownLanguage naming the codes that exist."""
    try:
        return LANGUAGES[code]
    except KeyError:
        raise UnknownLanguage(f"unknown language {code!r}; known: {', '.join(LANGUAGES)}") from None


def script_of_text(text: str) -> Script:
    """The script a piece of text needs, from its letters (for names shown outside their language's screen)."""
    for ch in text:
        cp = ord(ch)
        if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0xFB50 <= cp <= 0xFEFF:
            return "Arab"
        if 0x1200 <= cp <= 0x139F or 0x2D80 <= cp <= 0x2DDF or 0xAB00 <= cp <= 0xAB2F:
            return "Ethi"
        if 0x0400 <= cp <= 0x04FF:
            return "Cyrl"
    return "Latn"
