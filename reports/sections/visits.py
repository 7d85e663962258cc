"""Section 1, Besuche: visits per agency (walk-in and booked), per week or month, per day (CSV and chart)."""

from __future__ import annotations

from functools import partial

from ..cells import Cell, Chart, Row, Section, Table, share
from ..charts_bars import daily_panels
from ..inputs import Inputs
from ..names import buckets
from ..protect import Ledger
from .common import join_de, leaders, listing, spoken, spoken_pct

KINDS = ("walk_in", "booked")
NOTE = ("Ein Besuch ist ein Halt an einer Stelle: ein Check-in, eine Übergabe oder Überweisung dorthin oder die "
        "nächste Station eines Wegs durchs Haus. Eine Person mit drei Anliegen zählt daher dreimal.")


def _ledger(inp: Inputs, agencies: list[str], unit_buckets: list[tuple[str, list[str]]]) -> Ledger:
    per_day: dict[tuple[str, str], int] = {}
    per_kind: dict[tuple[str, str], int] = {}
    for f in inp.rows("visits"):
        per_day[(f.a, f.day.isoformat())] = per_day.get((f.a, f.day.isoformat()), 0) + f.n
        per_kind[(f.a, f.b)] = per_kind.get((f.a, f.b), 0) + f.n
    led = Ledger()
    days = [d.isoformat() for d in inp.days]
    for a in agencies:
        for d in days:
            led.put(("d", a, d), per_day.get((a, d), 0))
        for kind in KINDS:
            led.put(("k", a, kind), per_kind.get((a, kind), 0))
        led.sum_of(("t", a), [("k", a, kind) for kind in KINDS])
        for label, ds in unit_buckets:
            led.sum_of(("w", a, label), [("d", a, d) for d in ds])
        led.tie(("t", a), [("w", a, label) for label, _ in unit_buckets])
    for kind in KINDS:
        led.sum_of(("kt", kind), [("k", a, kind) for a in agencies])
    for label, _ in unit_buckets:
        led.sum_of(("wt", label), [("w", a, label) for a in agencies])
    led.sum_of(("g",), [("kt", kind) for kind in KINDS])
    led.tie(("g",), [("t", a) for a in agencies])
    led.tie(("g",), [("wt", label) for label, _ in unit_buckets])
    return led


def _booked_share(led: Ledger, walk: tuple[str, ...], booked: tuple[str, ...], total: tuple[str, ...]) -> Cell:
    cells = [led.cell(k) for k in (walk, booked, total)]
    return share(led.value(booked), led.value(total), inputs_suppressed=any(c.suppressed for c in cells))


def build(inp: Inputs) -> Section:
    agencies = inp.agencies("visits")
    unit, raw_buckets = buckets(inp.first_day, inp.last_day)
    unit_buckets = [(label, [d.isoformat() for d in ds]) for label, ds in raw_buckets]
    led = _ledger(inp, agencies, unit_buckets)

    by_agency = Table(
        "besuche_stellen", "Besuche je Stelle", "Stelle",
        ("Ohne Termin", "Mit Termin", "Zusammen", "Anteil mit Termin (%)"),
        tuple(Row(inp.label(a), (led.cell(("k", a, "walk_in")), led.cell(("k", a, "booked")), led.cell(("t", a)),
                                 _booked_share(led, ("k", a, "walk_in"), ("k", a, "booked"), ("t", a))))
              for a in agencies)
        + (Row("Alle Stellen", (led.cell(("kt", "walk_in")), led.cell(("kt", "booked")), led.cell(("g",)),
                                _booked_share(led, ("kt", "walk_in"), ("kt", "booked"), ("g",))), total=True),),
        note=NOTE)
    unit_title = {"Woche": "Kalenderwoche", "Monat": "Monat", "Quartal": "Quartal"}[unit]
    by_bucket = Table(
        "besuche_zeitraum", f"Besuche je Stelle und {unit_title}", "Stelle",
        tuple(label for label, _ in unit_buckets) + ("Zusammen",),
        tuple(Row(inp.label(a), tuple(led.cell(("w", a, label)) for label, _ in unit_buckets)
                  + (led.cell(("t", a)),)) for a in agencies)
        + (Row("Alle Stellen", tuple(led.cell(("wt", label)) for label, _ in unit_buckets) + (led.cell(("g",)),),
               total=True),),
        note=f"Die erste und die letzte Spalte können einen angeschnittenen {unit_title} zeigen.")
    days = [d.isoformat() for d in inp.days]
    by_day = Table(
        "besuche_tage", "Besuche je Tag und Stelle", "Tag", tuple(inp.label(a) for a in agencies),
        tuple(Row(d, tuple(led.cell(("d", a, d)) for a in agencies)) for d in days), in_document=False)
    panels = [(inp.label(a), [led.cell(("d", a, d)) for d in days]) for a in agencies if led.value(("t", a)) > 0]
    without = [inp.label(a) for a in agencies if led.value(("t", a)) == 0]
    chart = Chart(
        "besuche_tage", "Besuche je Tag, nach Stelle",
        "Balken: Besuche an einem Tag, jede Stelle mit eigener Skala. Ein Kreuz unter der Achse markiert einen Tag "
        "mit 1 bis 4 Besuchen, ein Kreis einen zum Schutz gesperrten Tag; beide ohne Balken."
        + (f" Ohne Besuche im Zeitraum: {', '.join(without)}." if without else "")
        + " Die Zahlen je Tag stehen in csv/besuche_tage.csv.",
        partial(daily_panels, panels=panels, days=inp.days))
    return Section("besuche", "Besuche", _summary(inp, led, agencies),
                   (by_agency, chart, by_bucket, by_day))


def _summary(inp: Inputs, led: Ledger, agencies: list[str]) -> tuple[str, ...]:
    total = spoken(led.cell(("g",)))
    if led.value(("g",)) == 0:
        return ("Im Zeitraum wurden keine Besuche gezählt.",)
    out = []
    walk, booked = spoken(led.cell(("kt", "walk_in"))), spoken(led.cell(("kt", "booked")))
    first = f"Im Zeitraum wurden {total} Besuche an den Stellen des Hauses gezählt" if total else \
        "Die Zahl aller Besuche im Zeitraum ist zum Schutz kleiner Zahlen nicht ausgewiesen"
    if walk and booked:
        first += f", {walk} ohne und {booked} mit Termin"
    out.append(first + ".")
    pct = spoken_pct(_booked_share(led, ("kt", "walk_in"), ("kt", "booked"), ("g",)))
    if pct:
        out.append(f"Mit Termin kamen {pct} der Besuche.")
    top, certain = leaders([(inp.label(a), led.cell(("t", a))) for a in agencies])
    if top:
        lead = "Die meisten Besuche hatten" if certain else "Die meisten Besuche unter den ausgewiesenen Zahlen hatten"
        out.append(f"{lead}: {listing(top)}.")
    idle = [inp.label(a) for a in agencies if led.value(("t", a)) == 0]
    if idle:
        out.append(f"Keine Besuche {'hatten' if len(idle) > 1 else 'hatte'} {join_de(idle)}.")
    return tuple(out)
