"""Section 6, Geräte: minutes offline in opening hours, outages, paper out, and the kiosks' offline tickets.

Kiosks, printers and wall displays stand in public and are shown one by one. Button boxes sit at a counter and a
reception place is a workplace: their downtime could tell when a person was at work, so they are shown per kind,
all together (no figure per counter or counsellor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from ..cells import Cell, Chart, Row, Section, Table, count, empty, text
from ..charts_bars import paired_bars
from ..inputs import Inputs
from ..names import DEVICE_GROUPS_DE, device_kind, fmt_int
from ..protect import Ledger
from .common import spoken

ONE_BY_ONE = ("kiosk", "printer", "display")


@dataclass
class _Line:
    label: str
    kind: str
    devices: int = 1
    down: int = 0
    outages: int = 0
    paper: int = 0
    kiosks: list[str] = field(default_factory=list)


def _lines(inp: Inputs, kiosks: set[str]) -> list[_Line]:
    kinds = dict(inp.site.device_ids())
    for k in kiosks:
        kinds.setdefault(k, "kiosk")
    for m in ("device_down", "device_outages", "paper_out"):
        for f in inp.rows(m):
            kinds.setdefault(f.b, f.a)
    order = {k: i for i, k in enumerate((*ONE_BY_ONE, "button_box", "reception"))}
    lines: dict[str, _Line] = {}
    for device, kind in sorted(kinds.items(), key=lambda dk: (order.get(dk[1], len(order)), dk[1], dk[0])):
        key = device if kind in ONE_BY_ONE else f"group:{kind}"
        if key in lines:
            lines[key].devices += 1
        else:
            lines[key] = _Line(device if kind in ONE_BY_ONE else DEVICE_GROUPS_DE.get(kind, device_kind(kind)), kind)
        if kind == "kiosk":
            lines[key].kiosks.append(device)
    group_of = {device: (device if kind in ONE_BY_ONE else f"group:{kind}") for device, kind in kinds.items()}
    for measure, attr in (("device_down", "down"), ("device_outages", "outages"), ("paper_out", "paper")):
        for f in inp.rows(measure):
            line = lines[group_of[f.b]]
            setattr(line, attr, getattr(line, attr) + f.n)
    return list(lines.values())


def build(inp: Inputs) -> Section:
    offline = inp.totals("offline_tickets")
    lines = _lines(inp, set(offline))
    kiosks = sorted({k for line in lines for k in line.kiosks} | set(offline))
    led = Ledger()
    for k in kiosks:
        led.put(("o", k), offline.get(k, 0))
    led.sum_of(("ot",), [("o", k) for k in kiosks])
    rows = []
    for line in lines:
        kind = device_kind(line.kind) if line.kind in ONE_BY_ONE else \
            f"{fmt_int(line.devices)} {'Gerät' if line.devices == 1 else 'Geräte, zusammen'}"
        tickets: Cell = led.cell(("o", line.label)) if line.kind == "kiosk" else empty()
        paper: Cell = count(line.paper) if line.kind == "printer" or line.paper else empty()
        rows.append(Row(line.label, (text(kind), count(line.down), count(line.outages), paper, tickets)))
    rows.append(Row("Alle Geräte", (text(""), count(sum(x.down for x in lines)), count(sum(x.outages for x in lines)),
                                    count(sum(x.paper for x in lines)), led.cell(("ot",))), total=True))
    table = Table(
        "geraete", "Geräte: Ausfälle in den Öffnungszeiten", "Gerät",
        ("Art", "Minuten offline", "Ausfälle", "Minuten ohne Papier", "Nummern ohne Verbindung"),
        tuple(rows),
        note="Nur Zeiten, in denen mindestens eine Stelle geöffnet hatte. Ein Ausfall zählt an dem Tag, an dem er "
             "zuerst in die Öffnungszeit fiel. Minuten sind keine Personenzahlen und werden ungekürzt gezeigt; "
             "die Nummern, die ein Kiosk ohne Verbindung zum Server ausgab, zählen Personen. Tastenboxen und "
             "Empfangsplätze stehen an Arbeitsplätzen und sind daher nur zusammen ausgewiesen.")
    chart = Chart(
        "geraete", "Minuten offline und ohne Papier je Gerät",
        "Grauer Balken: Minuten offline in den Öffnungszeiten; schraffierter Balken: Minuten, in denen ein Drucker "
        "kein Papier meldete. Tastenboxen und Empfangsplätze zusammen je Art.",
        partial(paired_bars,
                rows=[(line.label, count(line.down), count(line.paper) if line.kind == "printer" else empty())
                      for line in lines],
                first="offline", second="ohne Papier", axis="Minuten in den Öffnungszeiten"))
    return Section("geraete", "Geräte", _summary(lines, led), (table, chart))


def _summary(lines: list[_Line], led: Ledger) -> tuple[str, ...]:
    out = []
    down, outages = sum(x.down for x in lines), sum(x.outages for x in lines)
    if down == 0:
        out.append("In den Öffnungszeiten war kein Gerät offline.")
    else:
        out.append(f"Die Geräte waren in den Öffnungszeiten zusammen {fmt_int(down)} Minuten offline, bei "
                   f"{fmt_int(outages)} {'Ausfall' if outages == 1 else 'Ausfällen'}.")
        single = [x for x in lines if x.kind in ONE_BY_ONE and x.down]
        if single:
            worst = max(single, key=lambda x: x.down)
            out.append(f"Von den einzeln ausgewiesenen Geräten war {worst.label} ({device_kind(worst.kind)}) am "
                       f"längsten offline: {fmt_int(worst.down)} Minuten.")
    paper = sum(x.paper for x in lines)
    if paper:
        out.append(f"Drucker meldeten zusammen {fmt_int(paper)} Minuten lang, dass das Papier fehlte.")
    tickets = spoken(led.cell(("ot",)))
    if tickets and led.value(("ot",)):
        out.append(f"Ohne Verbindung zum Server gaben die Kiosks {tickets} Nummern aus.")
    return tuple(out)
