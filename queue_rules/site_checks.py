"""Checks across a site's tables: duplicate ids, references that name nothing, languages, number blocks."""

from __future__ import annotations

from typing import Any

from .site_parts import SiteTables

# Names the broker set-up gives accounts that are not in the site file: the queue core (its account and its
# presence, which every kiosk follows) and the button bridge `arkaden provision` makes when no --bridge is given.
CORE_ID = "core"
DEFAULT_BRIDGE_ID = "buttons"
RESERVED_IDS: dict[str, str] = {
    CORE_ID: "the queue core's broker account and presence",
    DEFAULT_BRIDGE_ID: "the default button bridge's broker account (`arkaden provision` without --bridge)",
}
# every table whose ids are broker accounts or presence identities (a kiosk publishes its printer's presence)
DEVICE_TABLES = ("printers", "kiosks", "displays", "button_boxes", "reception", "web")


def identity_places(s: SiteTables) -> dict[str, str]:
    """Every broker account and presence id of the site file, with where it is set (`kiosks[0].id`).

    Each is a topic parameter in the ACL (`presence/<id>`, `reply/<id>`, ...), so two devices with one id, or
    a device named like the core, could speak for each other: the ids must be unique across all tables.
    """
    places: dict[str, str] = {}
    for name in DEVICE_TABLES:
        for i, item in enumerate(getattr(s, name)):
            places.setdefault(item.id, f"{name}[{i}].id")
    return places


def _identity_problems(s: SiteTables) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for name in DEVICE_TABLES:
        for i, item in enumerate(getattr(s, name)):
            where = f"{name}[{i}].id"
            if item.id in RESERVED_IDS:
                found.append((where, f"id {item.id!r} is reserved for {RESERVED_IDS[item.id]}; choose another"))
            elif item.id in seen:
                found.append((where, f"id {item.id!r} is already used by {seen[item.id]}: every device id is a "
                                     "broker account or presence of its own and must be unique across printers, "
                                     "kiosks, displays, button boxes, reception desks and web servers"))
            seen.setdefault(item.id, where)
    return found


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
    found += _identity_problems(s)
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
    for i, desk in enumerate(s.reception):
        if desk.room is not None:
            ref(f"reception[{i}].room", desk.room, rooms, "room")
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
    for i, a in enumerate(s.agencies):
        known_languages(f"agencies[{i}].appointments", a.appointments)
        known_languages(f"agencies[{i}].short_names", a.short_names)
    for i, c in enumerate(s.concerns):
        known_languages(f"concerns[{i}].title", c.title)
        known_languages(f"concerns[{i}].subtitle", c.subtitle)
        for lang, text in c.subtitle.items():
            if len(text) > 48:
                found.append((f"concerns[{i}].subtitle.{lang}",
                              f"{len(text)} characters; a tile's subtitle takes at most 48"))
        for lang, text in c.title.items():
            if len(text) > 40:
                found.append((f"concerns[{i}].title.{lang}", f"{len(text)} characters; a kiosk tile takes at most 40"))
    for i, c in enumerate(s.concerns):
        missing = languages - set(c.title)
        if missing:
            found.append((f"concerns[{i}].title", f"no title for language(s) {', '.join(sorted(missing))}"))
    return found
