"""Checks across a site's tables: duplicate ids, references that name nothing, languages, number blocks."""

from __future__ import annotations

from typing import Any

from .site_parts import SiteTables


class CrossReferenceError(ValueError):
    """All cross-reference problems of a site, each as (field path, what is wrong)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{w}: {m}" for w, m in problems))


def reference_problems(s: SiteTables) -> list[tuple[str, str]]:
    """Every id that is duplicated or names nothing, and texts in languages the site does not offer."""

    def dupes(name: str, items: list[Any]) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                found.append((f"{name}[{i}].id", f"duplicate id {item.id!r}"))
            seen.add(item.id)

    def ref(where: str, value: str, known: set[str], what: str) -> None:
        if value not in known:
            hint = ", ".join(sorted(known)[:12])
            found.append((where, f"unknown {what} {value!r} (known: {hint})"))

    found: list[tuple[str, str]] = []
    for name in ("agencies", "services", "concerns", "documents", "rooms", "counters"):
        dupes(name, getattr(s, name))
    device_seen: dict[str, str] = {}
    for name in ("printers", "kiosks", "displays", "button_boxes", "reception"):
        for i, item in enumerate(getattr(s, name)):
            if item.id in device_seen:
                found.append((f"{name}[{i}].id", f"device id {item.id!r} is already used by {device_seen[item.id]}"))
            device_seen[item.id] = name
    prefixes: dict[str, str] = {}
    for i, a in enumerate(s.agencies):
        if a.prefix in prefixes:
            found.append((f"agencies[{i}].prefix",
                          f"prefix {a.prefix!r} is already used by agency {prefixes[a.prefix]!r}"))
        prefixes[a.prefix] = a.id
    agencies = {a.id for a in s.agencies}
    services = {x.id for x in s.services}
    rooms = {r.id for r in s.rooms}
    counters = {c.id for c in s.counters}
    printers = {p.id for p in s.printers}
    documents = {d.id for d in s.documents}
    for i, svc in enumerate(s.services):
        ref(f"services[{i}].agency", svc.agency, agencies, "agency")
        for j, doc in enumerate(svc.documents):
            ref(f"services[{i}].documents[{j}]", doc, documents, "document")
    for i, c in enumerate(s.concerns):
        ref(f"concerns[{i}].service", c.service, services, "service")
    for i, counter in enumerate(s.counters):
        ref(f"counters[{i}].room", counter.room, rooms, "room")
        for j, svc_id in enumerate(counter.services):
            ref(f"counters[{i}].services[{j}]", svc_id, services, "service")
    served = {svc for c in s.counters for svc in c.services}
    for i, svc in enumerate(s.services):
        if svc.id not in served:
            found.append((f"services[{i}]", f"service {svc.id!r} is served by no counter"))
    for i, k in enumerate(s.kiosks):
        if k.printer is not None:
            ref(f"kiosks[{i}].printer", k.printer, printers, "printer")
    blocks = sorted((k.offline_numbers, i) for i, k in enumerate(s.kiosks) if k.offline_numbers)
    for (first, _), (second, i) in zip(blocks, blocks[1:], strict=False):
        if second[0] <= first[1]:
            found.append((f"kiosks[{i}].offline_numbers",
                          f"block {list(second)} overlaps block {list(first)} of another kiosk"))
    for i, d in enumerate(s.displays):
        for j, a_id in enumerate(d.agencies):
            ref(f"displays[{i}].agencies[{j}]", a_id, agencies, "agency")
    for i, box in enumerate(s.button_boxes):
        ref(f"button_boxes[{i}].counter", box.counter, counters, "counter")
    languages = set(s.site.languages)
    if "de" not in languages:
        found.append(("site.languages", "must include 'de': every text falls back to German"))
    if len(languages) != len(s.site.languages):
        found.append(("site.languages", "lists a language twice"))

    def known_languages(where: str, texts: dict[str, str]) -> None:
        for lang in texts:
            if lang not in languages and lang != "en":
                found.append((f"{where}.{lang}", f"language {lang!r} is not in site.languages"))

    for i, svc in enumerate(s.services):
        known_languages(f"services[{i}].name", svc.name)
    for i, r in enumerate(s.rooms):
        known_languages(f"rooms[{i}].directions", r.directions)
    for i, document in enumerate(s.documents):
        known_languages(f"documents[{i}].name", document.name)
    for i, c in enumerate(s.concerns):
        known_languages(f"concerns[{i}].title", c.title)
        for lang, text in c.title.items():
            if len(text) > 40:
                found.append((f"concerns[{i}].title.{lang}", f"{len(text)} characters; a kiosk tile takes at most 40"))
    for i, c in enumerate(s.concerns):
        missing = languages - set(c.title)
        if missing:
            found.append((f"concerns[{i}].title", f"no title for language(s) {', '.join(sorted(missing))}"))
    return found
