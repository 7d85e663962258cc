"""Section 3, Wartezeiten: per agency median and 90th percentile wait, share within target, serving time, no-shows."""

from __future__ import annotations

from functools import partial

from ..cells import Cell, Chart, Row, Section, Table, share
from ..charts_bars import wait_bars
from ..histogram import Histogram
from ..inputs import Inputs
from ..protect import Ledger
from .common import spoken, spoken_pct


def _all_waits(inp: Inputs, agency: str | None) -> Histogram:
    h = inp.histogram("wait_walk_in", agency)
    h += inp.histogram("wait_booked", agency)
    return h


def _ledger(inp: Inputs, agencies: list[str]) -> Ledger:
    led = Ledger()
    for a in agencies:
        led.put(("nw", a), inp.histogram("wait_walk_in", a).n)
        led.put(("nb", a), inp.histogram("wait_booked", a).n)
        led.sum_of(("n", a), [("nw", a), ("nb", a)])
    led.sum_of(("nwt",), [("nw", a) for a in agencies])
    led.sum_of(("nbt",), [("nb", a) for a in agencies])
    led.sum_of(("nt",), [("n", a) for a in agencies])
    led.tie(("nt",), [("nwt",), ("nbt",)])
    return led


def build(inp: Inputs) -> Section:
    agencies = inp.agencies("wait_walk_in", "wait_booked", "service_time", "no_shows")
    led = _ledger(inp, agencies)
    visits, no_shows = inp.totals("visits"), inp.totals("no_shows")
    target = inp.target
    keys: list[tuple[str, str | None]] = [(inp.label(a), a) for a in agencies] + [("Alle Stellen", None)]

    def n_key(kind: str, a: str | None) -> tuple[str, ...]:
        return (kind, a) if a is not None else (kind + "t",)

    def no_show_share(a: str | None) -> Cell:
        if a is None:
            return share(sum(no_shows.values()), sum(visits.values()))
        return share(no_shows.get(a, 0), visits.get(a, 0))

    rows = []
    for label, a in keys:
        h = _all_waits(inp, a)
        rows.append(Row(label, (led.cell(n_key("n", a)), h.percentile_cell(0.5), h.percentile_cell(0.9),
                                h.within_cell(target), inp.histogram("service_time", a).percentile_cell(0.5),
                                no_show_share(a)), total=a is None))
    overview = Table(
        "wartezeiten", "Wartezeiten je Stelle", "Stelle",
        ("Wartende", "Median (Min.)", "90. Perzentil (Min.)", f"unter {target} Min. (%)",
         "Beratungsdauer, Median (Min.)", "nicht erschienen (%)"),
        tuple(rows),
        note=f"Wartende: Halte, die aufgerufen wurden. Ziel des Hauses: höchstens {target} Minuten Wartezeit "
             f"(policy.wait_target_minutes). „Nicht erschienen“: Anteil der Besuche der Stelle, die nach dem "
             f"letzten Aufruf als nicht erschienen endeten.")
    split_rows = []
    for label, a in keys:
        w, b = inp.histogram("wait_walk_in", a), inp.histogram("wait_booked", a)
        split_rows.append(Row(label, (led.cell(n_key("nw", a)), w.percentile_cell(0.5), w.percentile_cell(0.9),
                                      led.cell(n_key("nb", a)), b.percentile_cell(0.5), b.percentile_cell(0.9)),
                              total=a is None))
    split = Table(
        "wartezeiten_termin", "Wartezeiten ohne und mit Termin", "Stelle",
        ("ohne Termin: Wartende", "ohne Termin: Median (Min.)", "ohne Termin: 90. Perzentil (Min.)",
         "mit Termin: Wartende", "mit Termin: Median (Min.)", "mit Termin: 90. Perzentil (Min.)"),
        tuple(split_rows),
        note="Mit Termin zählt die Wartezeit erst ab dem Zeitpunkt, zu dem die Person aufgerufen werden durfte "
             "(Terminzeit abzüglich des Vorlaufs der Stelle, oder ihre spätere Ankunft).")
    bars = [(inp.label(a), _all_waits(inp, a).percentile_cell(0.5), _all_waits(inp, a).percentile_cell(0.9))
            for a in agencies if led.value(("n", a)) > 0]
    blocks: tuple[Table | Chart, ...] = (overview, split)
    if bars:
        chart = Chart(
            "wartezeiten", "Wartezeit je Stelle: Median und 90. Perzentil",
            f"Dunkler Balken: Median; hell schraffierter Balken: 90. Perzentil; gestrichelte Linie: Ziel von "
            f"{target} Minuten. Stellen mit weniger als 5 Wartenden zeigen keinen Balken („n < 5“).",
            partial(wait_bars, rows=bars, target=target))
        blocks = (overview, chart, split)
    return Section("wartezeiten", "Wartezeiten", _summary(inp, led, agencies), blocks)


def _summary(inp: Inputs, led: Ledger, agencies: list[str]) -> tuple[str, ...]:
    if led.value(("nt",)) == 0:
        return ("Im Zeitraum wurde keine Wartezeit gemessen.",)
    out = []
    h = _all_waits(inp, None)
    n = spoken(led.cell(("nt",)))
    med, p90, within = h.percentile_cell(0.5), h.percentile_cell(0.9), h.within_cell(inp.target)
    if n:
        out.append(f"Im Zeitraum wurden {n} Wartende aufgerufen.")
    if med.value is not None and p90.value is not None:
        text = f"Über alle Stellen lag der Median der Wartezeit bei {med.text} Minuten, das 90. Perzentil bei " \
               f"{p90.text} Minuten"
        pct = spoken_pct(within)
        out.append(text + (f"; {pct} wurden vor Ablauf von {inp.target} Minuten aufgerufen." if pct else "."))
    walk, booked = inp.histogram("wait_walk_in").percentile_cell(0.5), inp.histogram("wait_booked").percentile_cell(0.5)
    if walk.value is not None and booked.value is not None:
        out.append(f"Ohne Termin lag der Median bei {walk.text} Minuten, mit Termin bei {booked.text} Minuten.")
    medians = [(inp.label(a), _all_waits(inp, a).percentile_cell(0.5)) for a in agencies]
    shown = [(label, c) for label, c in medians if c.value is not None]
    longest = max(shown, key=lambda lc: lc[1].value or 0, default=None)
    shortest = min(shown, key=lambda lc: lc[1].value or 0, default=None)
    if longest and shortest and longest[1].value != shortest[1].value:
        out.append(f"Unter den Stellen mit mindestens 5 Wartenden war der Median bei {longest[0]} am längsten "
                   f"({longest[1].text} Minuten), bei {shortest[0]} am kürzesten ({shortest[1].text} Minuten).")
    service = inp.histogram("service_time").percentile_cell(0.5)
    if service.value is not None:
        out.append(f"Eine Beratung dauerte im Median {service.text} Minuten.")
    return tuple(out)
