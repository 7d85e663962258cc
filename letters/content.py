"""What a letter says, in plain data: each text once per language of the letter (the client's, then German).

Built from the site and the journey alone; the PDF layout (``layout.py``) only places it. No names or other
personal data: a journey has none, only its code, language and appointments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from queue_protocol.scan import booking_qr
from queue_rules import codes
from queue_rules.journeys import BookedStop, Journey
from queue_rules.site import Room, Site
from ui_common.languages import language

from .texts import LetterTexts, language_name, letter_texts, long_date

# One text per language of the letter, in the order of Letter.langs.
Texts = tuple[str, ...]


class LetterError(ValueError):
    """A letter that cannot be made (no appointments, a language without a catalogue)."""


@dataclass(frozen=True)
class StopSide:
    """One appointment in one language: who, what, where."""

    agency: str
    service: str
    rooms: tuple[str, ...]        # "Raum E.10, Erdgeschoss" (or "ask at reception")
    directions: tuple[str, ...]   # how to get there, one per room that has directions


@dataclass(frozen=True)
class StopEntry:
    time: str                     # "09:30", the same in every language
    rooms: tuple[str, ...]        # room numbers, the same in every language
    sides: tuple[StopSide, ...]


@dataclass(frozen=True)
class DayEntry:
    heading: Texts                # the date written out in each language
    stops: tuple[StopEntry, ...]


@dataclass(frozen=True)
class Letter:
    """Everything a letter shows."""

    langs: tuple[str, ...]        # ("ar", "de"), or ("de",) for a German reader
    rtl: tuple[bool, ...]
    column_labels: Texts          # each language named in its own script
    code: str                     # "XXXX-XXX", for the keypad
    qr_text: str                  # what the kiosk scanner reads
    site_name: str
    title: Texts
    intro: Texts
    days: tuple[DayEntry, ...]
    bring_heading: Texts
    documents: tuple[Texts, ...]
    notes: tuple[Texts, ...]
    issued: Texts
    page_labels: tuple[LetterTexts, ...]  # "Seite {page} von {pages}" once the page count is known

    @property
    def bilingual(self) -> bool:
        return len(self.langs) > 1


def translated(names: dict[str, str], lang: str) -> str:
    """A site text in the language, else English, else German (every site text has German)."""
    return names.get(lang) or names.get("en") or names.get("de") or ""


def rooms_of_service(site: Site, service: str) -> list[Room]:
    """The rooms of the counters that serve a service, each once, in the site file's order."""
    ids = dict.fromkeys(c.room for c in site.counters if service in c.services)
    return [site.room(r) for r in ids]


def _side(site: Site, stop: BookedStop, lang: str, texts: LetterTexts) -> StopSide:
    agency = site.agency_of_service(stop.service)
    rooms = rooms_of_service(site, stop.service)
    return StopSide(
        # the German speaker gets the agency's full name; the client its short name, as on the signs
        agency=agency.name if lang == "de" else agency.short,
        service=translated(site.service(stop.service).name, lang),
        rooms=tuple(texts.room(r.number, r.floor) for r in rooms) or (texts.room_at_reception,),
        directions=tuple(d for d in dict.fromkeys(translated(r.directions, lang) for r in rooms) if d),
    )


def _notes(site: Site, journey: Journey, langs: tuple[str, ...], texts: tuple[LetterTexts, ...]) -> list[Texts]:
    notes: list[Texts] = []
    if journey.party_size > 1:
        notes.append(tuple(t.party(journey.party_size) for t in texts))
    if journey.interpreter and journey.language != "de":
        notes.append(tuple(t.interpreter(language_name(journey.language, lang)) for t, lang in zip(
            texts, langs, strict=True)))
    if journey.step_free:
        numbers = (r.number for s in journey.stops for r in rooms_of_service(site, s.service) if not r.step_free)
        with_steps = tuple(dict.fromkeys(numbers))
        notes.append(tuple(
            t.step_free + " " + (t.rooms_with_steps(with_steps) if with_steps else t.all_step_free) for t in texts))
    return notes


def build_letter(site: Site, journey: Journey, lang: str, *, issued: date) -> Letter:
    """The letter of a journey for a reader of ``lang`` (with German beside it unless ``lang`` is German)."""
    if not journey.stops:
        raise LetterError(f"journey {codes.display(journey.code)} has no appointments")
    langs = (lang,) if lang == "de" else (lang, "de")
    try:
        texts = tuple(letter_texts(x) for x in langs)
    except ValueError as exc:  # LetterTextsError, and a language ui_common does not know
        raise LetterError(str(exc)) from None
    tz = site.tz
    stops = sorted(journey.stops, key=lambda s: s.slot)
    days = []
    for day, group in groupby(stops, key=lambda s: s.slot.astimezone(tz).date()):
        entries = tuple(StopEntry(
            time=f"{s.slot.astimezone(tz):%H:%M}",
            rooms=tuple(r.number for r in rooms_of_service(site, s.service)),
            sides=tuple(_side(site, s, x, t) for x, t in zip(langs, texts, strict=True)),
        ) for s in group)
        days.append(DayEntry(tuple(long_date(day, x) for x in langs), entries))
    documents = site.documents_for(list(dict.fromkeys(s.service for s in stops)))
    return Letter(
        langs=langs,
        rtl=tuple(language(x).rtl for x in langs),
        column_labels=tuple(language(x).native for x in langs),
        code=codes.display(journey.code),
        qr_text=booking_qr(codes.normalise(journey.code)),
        site_name=site.site.name,
        title=tuple(t.title for t in texts),
        intro=tuple(f"{t.intro} {t.bring_letter}" for t in texts),
        days=tuple(days),
        bring_heading=tuple(t.bring_heading for t in texts),
        documents=tuple(tuple(translated(d.name, x) for x in langs) for d in documents),
        notes=tuple(_notes(site, journey, langs, texts)),
        issued=tuple(t.issued(issued) for t in texts),
        page_labels=texts,
    )
