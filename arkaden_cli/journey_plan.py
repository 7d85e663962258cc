"""A day's booked journeys for the demo and the day simulation: realistic chains of stops at the real site.

Chains are what newcomers typically settle in one visit (permit, recognition, job centre; arrival advice,
health insurance, German course...). Each journey gets slots that its agencies' hours and counters allow,
one after another with a gap, and is stored like an agency's import would. Bookings take at most half of a
service's counters at any time; the other half is for walk-ins.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from queue_core.store import BookingInput
from queue_rules import journeys
from queue_rules.site import Site

# (weight, services in order); services a site lacks are skipped
CHAINS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (6, ("aufenthaltstitel", "anerkennung", "jobcenter")),
    (5, ("ankommen", "gesundheit", "deutschkurs")),
    (4, ("jobcenter", "arbeitsagentur")),
    (3, ("beschaeftigung", "jobcenter")),
    (3, ("anerkennung", "weiterqualifizierung")),
    (3, ("case-management", "seiteneinstieg")),
    (2, ("aufenthaltstitel", "gesundheit", "bank-versicherung")),
    (2, ("ankommen", "jobcenter", "deutschkurs", "gesundheit")),
    (4, ("aufenthaltstitel",)),
    (3, ("anerkennung",)),
)
LANGUAGES = (("uk", 22), ("ar", 18), ("fa", 12), ("tr", 10), ("ru", 8), ("de", 6), ("ps", 5), ("ti", 3), ("en", 4))
GAP_MINUTES = (10, 15, 20, 30)


def day_journeys(site: Site, day: date, count: int, rng: random.Random, *, start: time = time(8, 0),
                 ref_prefix: str = "demo") -> list[BookingInput]:
    """Bookings of `count` journeys on a day, each as an import row with the journey reference `<prefix>-<n>`."""
    services = {s.id for s in site.services}
    chains = [(w, tuple(s for s in chain if s in services)) for w, chain in CHAINS]
    chains = [(w, c) for w, c in chains if c]
    languages = [lang for lang, _ in LANGUAGES if lang in site.site.languages] or ["de"]
    weights = [w for lang, w in LANGUAGES if lang in site.site.languages] or [1]
    booked: list[tuple[str, datetime, int]] = []
    out: list[BookingInput] = []
    for n in range(count):
        chain = rng.choices([c for _, c in chains], [w for w, _ in chains])[0]
        language = rng.choices(languages, weights)[0]
        party = rng.choices((1, 2, 3, 4), (55, 20, 15, 10))[0]
        interpreter = language not in ("de", "en") and rng.random() < 0.35
        step_free = rng.random() < 0.05
        earliest = datetime.combine(day, start, tzinfo=site.tz) + timedelta(minutes=rng.randrange(0, 180, 5))
        stops = _fit(site, chain, day, earliest, booked, rng)
        if stops is None:
            continue
        for i, (service, slot) in enumerate(stops):
            minutes = journeys.slot_step_minutes(site, service)
            booked.append((service, slot, minutes))
            out.append(BookingInput(agency=site.service(service).agency, service=service, slot=slot,
                                    minutes=minutes, language=language, party_size=party, interpreter=interpreter,
                                    step_free=step_free, ref=f"{ref_prefix}-{n}-{i}",
                                    journey_ref=f"{ref_prefix}-{day:%Y%m%d}-{n}"))
    return out


def _fit(site: Site, chain: tuple[str, ...], day: date, earliest: datetime,
         booked: list[tuple[str, datetime, int]], rng: random.Random) -> list[tuple[str, datetime]] | None:
    """The first free slot of each service in turn, each after the one before ends plus a gap; None if none fits."""
    stops = []
    after = earliest
    for service in chain:
        half = max(1, sum(1 for c in site.counters if service in c.services) // 2)  # the rest is for walk-ins
        free = journeys.free_slots(site, service, day, booked, after=after, capacity=half)
        if not free:
            return None
        stops.append((service, free[0]))
        after = free[0] + timedelta(minutes=journeys.slot_step_minutes(site, service) + rng.choice(GAP_MINUTES))
    return stops
