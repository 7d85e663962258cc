"""Section 2, Ankünfte: check-ins by hour and weekday, as a heat map and a table with sums."""

from __future__ import annotations

from collections import Counter
from functools import partial

from ..cells import Chart, Row, Section, Table
from ..charts_grid import heatmap
from ..inputs import Inputs
from ..names import WEEKDAYS_DE, WEEKDAYS_SHORT, fmt_hour, fmt_int
from .checkins import CheckinCounts
from .common import leaders, listing, spoken


def build(inp: Inputs, counts: CheckinCounts) -> Section:
    led, weekdays, hours = counts.ledger, counts.weekdays, counts.hours
    in_period = Counter(d.weekday() for d in inp.days)
    table = Table(
        "ankuenfte", "Check-ins nach Stunde und Wochentag", "Uhrzeit",
        tuple(WEEKDAYS_DE[wd] for wd in weekdays) + ("Zusammen",),
        tuple(Row(fmt_hour(h), tuple(led.cell(("c", str(wd), str(h))) for wd in weekdays)
                  + (led.cell(("ch", str(h))),)) for h in hours)
        + (Row("Alle Stunden", tuple(led.cell(("cw", str(wd))) for wd in weekdays) + (led.cell(("g",)),),
               total=True),),
        note="Summen über alle Tage des Zeitraums; er enthält "
             + ", ".join(f"{fmt_int(in_period[wd])} × {WEEKDAYS_DE[wd]}" for wd in weekdays) + ". "
             "Gezählt wird die Ankunft (bei Nummern, die ein Kiosk ohne Verbindung ausgab, die Zeit der Ausgabe), "
             "in Ortszeit.")
    blocks: list[Table | Chart] = []
    if hours:
        grid = [[led.cell(("c", str(wd), str(h))) for h in hours] for wd in weekdays]
        blocks.append(Chart(
            "ankuenfte", "Check-ins nach Stunde und Wochentag (Wärmebild)",
            "Je dunkler ein Feld, desto mehr Check-ins; die Zahl steht im Feld. Schraffierte Felder sind gesperrt: "
            "„< 5“ für 1 bis 4 Check-ins, „•“ zum Schutz eines solchen Felds.",
            partial(heatmap, rows=[WEEKDAYS_SHORT[wd] for wd in weekdays],
                    columns=[f"{h:02d}" for h in hours], cells=grid, row_title="Wochentag",
                    column_title="Stunde (Beginn, Ortszeit)", scale_label="Check-ins")))
    blocks.append(table)
    return Section("ankuenfte", "Ankünfte", _summary(counts), tuple(blocks))


def _summary(counts: CheckinCounts) -> tuple[str, ...]:
    led, weekdays, hours = counts.ledger, counts.weekdays, counts.hours
    if led.value(("g",)) == 0:
        return ("Im Zeitraum wurden keine Check-ins gezählt.",)
    out = []
    total = spoken(led.cell(("g",)))
    if total:
        out.append(f"Im Zeitraum wurden {total} Nummern ausgegeben.")
    cells = [(f"{WEEKDAYS_DE[wd].lower()}s zwischen {h} und {h + 1} Uhr", led.cell(("c", str(wd), str(h))))
             for wd in weekdays for h in hours]
    top, certain = leaders(cells, 1)
    if top:
        where = "Die meisten Check-ins gab es" if certain else \
            "Unter den ausgewiesenen Feldern gab es die meisten Check-ins"
        out.append(f"{where} {listing(top)}.")
    days, day_certain = leaders([(WEEKDAYS_DE[wd], led.cell(("cw", str(wd)))) for wd in weekdays], 1)
    slots, slot_certain = leaders([(f"{h} bis {h + 1} Uhr", led.cell(("ch", str(h)))) for h in hours], 1)
    if days and slots and day_certain and slot_certain:
        out.append(f"Über den ganzen Zeitraum war der {listing(days)} der stärkste Wochentag und die Stunde von "
                   f"{listing(slots)} die stärkste Stunde.")
    return tuple(out)
