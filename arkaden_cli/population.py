"""Who comes to the centre, as the demo assumes it: concerns, languages, families, no-shows and handovers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# Who comes to the centre: weights per walk-in concern id (unknown concerns get DEFAULT_CONCERN_WEIGHT).
CONCERN_WEIGHTS = {
    "aufenthalt": 22, "jobcenter": 18, "gesundheit": 12, "ankommen": 10, "arbeitsagentur": 8,
    "deutschkurs": 8, "schule-kita": 6, "anerkennung": 5, "bank-versicherung": 3, "weiterqualifizierung": 2,
}
DEFAULT_CONCERN_WEIGHT = 2
# Languages chosen at the kiosk (unknown site languages get DEFAULT_LANGUAGE_WEIGHT).
LANGUAGE_WEIGHTS = {
    "uk": 22, "ar": 18, "fa": 12, "tr": 10, "ru": 8, "de": 8, "en": 5, "ps": 5, "kmr": 4, "ro": 4,
    "fr": 2, "ti": 2,
}
DEFAULT_LANGUAGE_WEIGHT = 1
PARTY_SIZES = ((1, 45), (2, 20), (3, 15), (4, 12), (5, 8))
FAMILY_CONCERNS = {"schule-kita", "ankommen", "gesundheit"}
INTERPRETER_SHARE = {"de": 0.0, "en": 0.05}  # other languages: DEFAULT_INTERPRETER_SHARE
DEFAULT_INTERPRETER_SHARE = 0.3
STEP_FREE_SHARE = 0.05  # walk-ins asking for the step-free way
APPOINTMENT_ONLY_TAP = 0.03  # someone taps a tile that needs an appointment (refused by the core)
NO_SHOW_SHARE = 0.06
TRANSFER_SHARE = 0.12
PAUSE_SHARE = 0.03
REFER_SHARE = 0.05  # referral with return: to another service, then back to the first desk

# Referrals with return: from service -> (to service, internal note).
REFERRALS: dict[str, tuple[str, str]] = {
    "case-management": ("gesundheit", "Krankenversicherung klären, dann zurück zu mir"),
    "jobcenter": ("gesundheit", "Nachweis Krankenversicherung fehlt, danach Antrag fertig machen"),
    "beschaeftigung": ("anerkennung", "Gleichwertigkeit klären lassen, dann Erlaubnis"),
}

# Warm handovers: from service -> [(to service, internal note)]. Notes are private (never public).
TRANSFERS: dict[str, list[tuple[str, str]]] = {
    "auslaender-info": [
        ("jobcenter", "Arbeitserlaubnis liegt vor, bitte Leistungsantrag besprechen"),
        ("beschaeftigung", "Antrag Beschäftigungserlaubnis, Unterlagen vollständig"),
        ("case-management", "Mehrere offene Themen, Begleitung gewünscht"),
    ],
    "ankommen": [
        ("deutschkurs", "Sucht Integrationskurs, Ziel B1"),
        ("gesundheit", "Noch keine Krankenversicherung geklärt"),
        ("auslaender-info", "Fragen zur Fiktionsbescheinigung"),
    ],
    "seiteneinstieg": [("case-management", "Familie neu zugezogen, Begleitung gewünscht")],
    "jobcenter": [
        ("arbeitsagentur", "Berufsberatung gewünscht"),
        ("deutschkurs", "Berufssprachkurs klären"),
    ],
    "arbeitsagentur": [("anerkennung", "Abschluss aus dem Ausland, Anerkennung klären")],
    "anerkennung": [
        ("weiterqualifizierung", "Anpassungsqualifizierung prüfen"),
        ("hwk", "Handwerksberuf, Gleichwertigkeit prüfen"),
        ("ihk", "Kaufmännischer Abschluss, Gleichwertigkeit prüfen"),
    ],
    "gesundheit": [("ankommen", "Weitere Fragen zum Alltag")],
}


def arrivals_per_minute(t: datetime) -> float:
    """A morning's arrival rate: a crowd at the door, a busy first hours, a quieter end."""
    minutes = t.hour * 60 + t.minute
    if minutes < 8 * 60:
        return 1.2
    if minutes < 9 * 60 + 30:
        return 0.8
    if minutes < 11 * 60:
        return 0.6
    if minutes < 12 * 60 + 30:
        return 0.4
    return 0.25


@dataclass(frozen=True)
class Person:
    """Who comes with a walk-in's number: the language chosen, the party, what they need."""

    language: str
    party_size: int
    interpreter: bool
    step_free: bool = False


class People:
    """Draws walk-ins as the demo and the simulated days assume them (the weights above), from one random stream."""

    def __init__(self, languages: Sequence[str], rng: random.Random):
        self.rng = rng
        self.languages = list(languages)
        self.weights = [LANGUAGE_WEIGHTS.get(lang, DEFAULT_LANGUAGE_WEIGHT) for lang in self.languages]

    def language(self) -> str:
        return self.rng.choices(self.languages, self.weights)[0]

    def walk_in(self, concern_id: str, *, step_free: bool = False) -> Person:
        """One client for a concern; with ``step_free`` also whether he asks for the step-free way."""
        rng = self.rng
        language = self.language()
        sizes, weights = zip(*PARTY_SIZES, strict=True)
        party = rng.choices(sizes, weights)[0]
        if concern_id in FAMILY_CONCERNS and party == 1 and rng.random() < 0.5:
            party = rng.choice((2, 3, 4, 5))
        interpreter = rng.random() < INTERPRETER_SHARE.get(language, DEFAULT_INTERPRETER_SHARE)
        return Person(language, party, interpreter, step_free and rng.random() < STEP_FREE_SHARE)
