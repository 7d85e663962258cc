"""The screen-fit audit's language check: German texts on a screen in another language (`untranslated`), read from
the texts an audit report lists (`ui_common.fit_audit.Report`), so it runs without a window."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .fit_audit import Problem, Report
from .languages import language


def untranslated(report: Report, lang: str, german: Mapping[str, str]) -> list[Problem]:
    """German texts on a screen in ``lang``: ``german`` maps each German source text (a catalogue's msgid or
    German msgstr, a site file's German name or direction) to its translation into ``lang``.

    A German text counts when it is a label's whole text or a whole part of it (between " · ", " / ", " – ", ": ",
    ", ", "; "), or, from three words on, anywhere in it; a single German word inside a sentence is someone's
    note (reception shows the counsellors' notes as written), not a text left untranslated. It does not count when
    its translation is shown anywhere on the screen (a bilingual heading, the German title under the client's
    words), nor inside a translated text (a name kept in German). Format fields ("Raum {room}") match any value.
    """
    if lang == "de":
        return []
    pairs = _Pairs.of(german)
    rtl = language(lang).rtl
    texts = [(t.widget, _readings(t.text, rtl)) for t in report.texts]
    screen = "\n".join(r for _, readings in texts for r in readings)
    shown = {t for t, pattern in pairs.translations.items() if pattern.search(screen)}
    problems = []
    for widget, readings in texts:
        found: set[str] = set()
        for text in readings:
            rest = pairs.any_translation.sub("\x00", text) if pairs.any_translation is not None else text
            if pairs.any_german is None or not pairs.any_german.search(rest):
                continue
            parts = {q for p in [*_PARTS.split(rest), rest] for q in (p.strip(), p.strip(" :."))}
            found |= {g for g, pattern in pairs.german.items() if german[g] not in shown and (
                pattern.search(rest) if g in pairs.phrases else any(pattern.fullmatch(p) for p in parts))}
        found = {g for g in found if not any(g != h and g in h for h in found)}   # the longest German text only
        for g in sorted(found):
            problems.append(Problem("untranslated", report.screen, widget,
                                    f"German {_short(g)!r} shown; {lang}: {_short(german[g])!r}", lang))
    return problems


_PARTS = re.compile(r"\s+[·|/–—-]\s+|[:;,]\s+|\x00")
_LTR_RUN = re.compile(r"[A-Za-z0-9\u00C0-\u024F](?:[A-Za-z0-9\u00C0-\u024F.,:/+ \-]*[A-Za-z0-9\u00C0-\u024F])?")


def _readings(text: str, rtl: bool) -> tuple[str, ...]:
    """The text, and for a right-to-left screen also with its left-to-right runs turned back into reading order
    (the kiosk hands them to Kivy reversed, so that they come out right)."""
    text = " ".join(text.split())
    return (text, _LTR_RUN.sub(lambda m: m.group(0)[::-1], text)) if rtl else (text,)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _pattern(text: str) -> re.Pattern[str]:
    """A German text or translation as a label may show it: any spacing, format fields for any value, whole words."""
    text = " ".join(text.split())
    parts = _FIELD.split(text)
    body = ".+?".join(r"\s+".join(re.escape(w) for w in part.split(" ")) for part in parts)
    start = r"(?<!\w)" if re.match(r"\w", text) else ""
    end = r"(?!\w)" if re.search(r"\w$", text) else ""
    return re.compile(start + body + end)


_FIELD = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class _Pairs:
    german: dict[str, re.Pattern[str]]
    phrases: frozenset[str]   # German texts of three words or more: found anywhere in a label
    translations: dict[str, re.Pattern[str]]
    any_german: re.Pattern[str] | None
    any_translation: re.Pattern[str] | None

    @staticmethod
    def of(german: Mapping[str, str]) -> _Pairs:
        key = tuple(sorted(german.items()))
        if key not in _compiled:
            useful = {g: t for g, t in german.items() if t and t != g and re.search(r"[^\W\d_]", _FIELD.sub("", g))}
            g_pat = {g: _pattern(g) for g in useful}
            t_pat = {t: _pattern(t) for t in set(useful.values())}
            _compiled.clear()   # one language at a time: keep the last one only
            phrases = frozenset(g for g in useful if len(re.findall(r"\w+", _FIELD.sub("", g))) >= 3)
            _compiled[key] = _Pairs(g_pat, phrases, t_pat, _either(g_pat.values()), _either(t_pat.values()))
        return _compiled[key]


_compiled: dict[tuple[tuple[str, str], ...], _Pairs] = {}


def _either(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern for several, the longest first (so a whole sentence wins over a word in it)."""
    ordered = sorted((p.pattern for p in patterns), key=len, reverse=True)
    return re.compile("|".join(f"(?:{p})" for p in ordered)) if ordered else None
