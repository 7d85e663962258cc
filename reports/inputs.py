"""The figures of the report's period, looked up by measure, agency and day; the site for names and targets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from queue_rules.figures import Figure, combine
from queue_rules.site import Site

from .histogram import Histogram
from .names import agency_short, days_of


@dataclass(frozen=True)
class Inputs:
    site: Site
    first_day: date
    last_day: date
    figures: tuple[Figure, ...]
    _by_measure: dict[str, list[Figure]] = field(default_factory=dict, repr=False, compare=False)
    _histograms: dict[tuple[str, str | None], Histogram] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, site: Site, figures: Sequence[Figure], first_day: date, last_day: date) -> Inputs:
        kept = tuple(combine(f for f in figures if first_day <= f.day <= last_day))
        by: dict[str, list[Figure]] = {}
        for f in kept:
            by.setdefault(f.measure, []).append(f)
        return cls(site, first_day, last_day, kept, by)

    @property
    def days(self) -> list[date]:
        return days_of(self.first_day, self.last_day)

    @property
    def target(self) -> int:
        return self.site.policy.wait_target_minutes

    def rows(self, measure: str) -> list[Figure]:
        return self._by_measure.get(measure, [])

    def totals(self, measure: str, by: str = "a") -> Counter[str]:
        """n added up over the period by a, b or "ab" (a and b joined with a tab)."""
        out: Counter[str] = Counter()
        for f in self.rows(measure):
            key = {"a": f.a, "b": f.b, "ab": f"{f.a}\t{f.b}", "": ""}[by]
            out[key] += f.n
        return out

    def histogram(self, measure: str, agency: str | None = None) -> Histogram:
        """A time measure's histogram over the period, for one agency or all (a fresh copy each time)."""
        if not self._histograms:
            for m in ("wait_walk_in", "wait_booked", "service_time"):
                for f in self.rows(m):
                    if f.b.isdigit():
                        for key in ((m, f.a), (m, None)):
                            self._histograms.setdefault(key, Histogram()).add(int(f.b), f.n)
        found = Histogram()
        found += self._histograms.get((measure, agency), Histogram())
        return found

    def agencies(self, *measures: str) -> list[str]:
        """The site's agencies in site order, then any other agency id found in these measures' figures."""
        ids = [a.id for a in self.site.agencies]
        extra = sorted({f.a for m in measures for f in self.rows(m)} - set(ids))
        return ids + extra

    def agency_pairs(self, *measures: str) -> list[tuple[str, str]]:
        """Every (from, to) found in these measures, in site order of both."""
        order = {a: i for i, a in enumerate(self.agencies(*measures))}
        found = {(f.a, f.b) for m in measures for f in self.rows(m)}
        unknown = len(order)
        return sorted(found, key=lambda p: (order.get(p[0], unknown), order.get(p[1], unknown), p))

    def label(self, agency_id: str) -> str:
        return agency_short(self.site, agency_id)
