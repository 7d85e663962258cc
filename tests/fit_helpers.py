"""For the screen-fit tests: the German texts each screen language must not show, and the audit's findings read back
from a tour's JSON-lines file, with the language check added and listed per app and kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from babel.messages.pofile import read_po
from pydantic import BaseModel

from queue_rules.site import Site
from ui_common.fit_audit import Problem, read_reports
from ui_common.fit_language import untranslated

REPO = Path(__file__).resolve().parents[1]
LOCALES = {"kiosk": (REPO / "kiosk_app" / "locale", ("kiosk",)),
           "display": (REPO / "display_app" / "locale", ("display",)),
           "reception": (REPO / "display_app" / "locale", ("reception", "display"))}


def catalogue_texts(locale_dir: Path, domain: str, lang: str) -> dict[str, str]:
    """German text -> its translation into ``lang``: each msgid, and the German catalogue's msgstr where it has one."""
    def read(code: str) -> dict[str, str]:
        path = locale_dir / code / "LC_MESSAGES" / f"{domain}.po"
        if not path.is_file():
            return {}
        with path.open("rb") as fh:
            return {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id and isinstance(m.string, str)
                    and m.string}

    german, other = read("de"), read(lang)
    pairs = {}
    for msgid, text in other.items():
        pairs[msgid] = text
        pairs[german.get(msgid) or msgid] = text
    return pairs


def _translations(node: object) -> Iterator[dict[str, str]]:
    """Every translated text of a site model: a dict of language code -> text that has a German one."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _translations(getattr(node, name))
    elif isinstance(node, dict):
        if "de" in node and all(isinstance(v, str) for v in node.values()):
            yield node
        else:
            for value in node.values():
                yield from _translations(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _translations(value)


def site_texts(site: Site, lang: str) -> dict[str, str]:
    """The site file's German names, titles and directions -> their translation into ``lang``."""
    return {t["de"]: t[lang] for t in _translations(site) if t.get(lang)}


def german_texts(app: str, site: Site, lang: str) -> dict[str, str]:
    """What a screen of ``app`` in ``lang`` must not show in German: catalogue texts and site texts."""
    locale_dir, domains = LOCALES[app]
    pairs = site_texts(site, lang)
    for domain in domains:
        pairs.update(catalogue_texts(locale_dir, domain, lang))
    return pairs


def screen_language(app: str, png: Path) -> str:
    """The language a tour's screenshot is in: the kiosk's folder (``ar/03-...``), the display's hint language
    (``display-landscape-ar.png``; German without one), reception's (``reception-en-filtered.png``); "" for the
    kiosk's welcome, which names every language in its own."""
    if app == "kiosk":
        return "" if png.parent.name == "all" else png.parent.name
    if app == "reception":
        return png.stem.split("-")[1]
    last = png.stem.rsplit("-", 1)[-1]
    return last if last.isalpha() and len(last) in (2, 3) else "de"


def findings(app: str, jsonl: Path, site: Site) -> list[Problem]:
    """Every problem of a tour's audit file, the language check included, each with its screen's language."""
    problems = []
    cache: dict[str, dict[str, str]] = {}
    for png, report in read_reports(jsonl):
        lang = screen_language(app, png)
        screen = f"{png.parent.name}/{png.name}" if app == "kiosk" else png.name
        problems += [Problem(p.kind, screen, p.widget, p.detail, lang) for p in report.problems]
        if lang and lang != "de":
            german = cache.setdefault(lang, german_texts(app, site, lang))
            problems += [Problem(p.kind, screen, p.widget, p.detail, lang)
                         for p in untranslated(report, lang, german)]
    return problems


def summary(app: str, problems: list[Problem], examples: int = 20) -> str:
    """Counts per kind, then the findings of each kind (the first ``examples`` of each), one per line."""
    if not problems:
        return f"{app}: no problems"
    counts = Counter(p.kind for p in problems)
    lines = [f"{app}: {len(problems)} problems: " + ", ".join(f"{k} {n}" for k, n in counts.most_common())]
    for kind, n in counts.most_common():
        lines.append(f"  {kind} ({n}):")
        lines += [f"    {p.line()}" for p in [p for p in problems if p.kind == kind][:examples]]
        if n > examples:
            lines.append(f"    ... and {n - examples} more")
    return "\n".join(lines)
