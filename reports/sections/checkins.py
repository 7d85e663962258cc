"""The check-in counts of sections 2 and 4 in one ledger: by weekday and hour, language, interpreter, party size and
step-free way all add up to the same number of check-ins, so one suppression must hold across them."""

from __future__ import annotations

from dataclasses import dataclass

from queue_rules.figures import PARTY_CAP
from queue_rules.site import WEEKDAYS

from ..inputs import Inputs
from ..protect import Ledger


@dataclass(frozen=True)
class CheckinCounts:
    ledger: Ledger
    weekdays: tuple[int, ...]      # 0 = Monday, the columns of the heat map
    hours: tuple[int, ...]         # its rows
    languages: tuple[str, ...]
    sizes: tuple[int, ...]


def _grid(inp: Inputs) -> tuple[dict[tuple[int, int], int], tuple[int, ...], tuple[int, ...]]:
    counts: dict[tuple[int, int], int] = {}
    for f in inp.rows("checkins"):
        if f.a.isdigit():
            key = (f.day.weekday(), int(f.a))
            counts[key] = counts.get(key, 0) + f.n
    in_period = {d.weekday() for d in inp.days}
    open_days = {i for i, wd in enumerate(WEEKDAYS) if any(a.hours.get(wd) or not a.hours for a in inp.site.agencies)}
    weekdays = tuple(sorted(({wd for wd, _ in counts} | open_days) & in_period))
    hours = tuple(range(min(h for _, h in counts), max(h for _, h in counts) + 1)) if counts else ()
    return counts, weekdays, hours


def checkin_counts(inp: Inputs) -> CheckinCounts:
    led = Ledger()
    grid, weekdays, hours = _grid(inp)
    for wd in weekdays:
        for h in hours:
            led.put(("c", str(wd), str(h)), grid.get((wd, h), 0))
    for h in hours:
        led.sum_of(("ch", str(h)), [("c", str(wd), str(h)) for wd in weekdays])
    for wd in weekdays:
        led.sum_of(("cw", str(wd)), [("c", str(wd), str(h)) for h in hours])
    led.sum_of(("g",), [("ch", str(h)) for h in hours])
    led.tie(("g",), [("cw", str(wd)) for wd in weekdays])

    chosen, interpreter = inp.totals("language"), inp.totals("interpreter")
    site_languages = list(inp.site.site.languages)
    languages = tuple(site_languages + sorted((set(chosen) | set(interpreter)) - set(site_languages)))
    for lang in languages:
        led.put(("l", lang), chosen.get(lang, 0))
        led.put(("i", lang), interpreter.get(lang, 0))
        # a reader can subtract: check-ins in this language without an interpreter
        led.put(("ni", lang), chosen.get(lang, 0) - interpreter.get(lang, 0), hidden=True)
        led.tie(("l", lang), [("i", lang), ("ni", lang)])
    led.sum_of(("lt",), [("l", lang) for lang in languages])
    led.sum_of(("it",), [("i", lang) for lang in languages])
    led.sum_of(("nit",), [("ni", lang) for lang in languages], hidden=True)
    led.tie(("lt",), [("it",), ("nit",)])
    led.tie(("g",), [("lt",)])

    sizes = tuple(range(1, PARTY_CAP + 1))
    parties = inp.totals("party_size")
    for s in sizes:
        led.put(("p", str(s)), parties.get(str(s), 0))
    led.sum_of(("pt",), [("p", str(s)) for s in sizes])
    led.tie(("lt",), [("pt",)])
    led.tie(("g",), [("pt",)])

    step_free = sum(inp.totals("step_free").values())
    led.put(("sf",), step_free)
    led.put(("nsf",), led.value(("lt",)) - step_free, hidden=True)
    led.tie(("lt",), [("sf",), ("nsf",)])
    return CheckinCounts(led, weekdays, hours, languages, sizes)
