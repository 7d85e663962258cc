"""Section 5, Wege durchs Haus: clients with several matters, warm handovers, referrals with return, booked stops."""

from __future__ import annotations

from functools import partial

from queue_rules.figures import JOURNEY_STOPS_CAP

from ..cells import Cell, Chart, Row, Section, Table, share
from ..charts_grid import heatmap
from ..inputs import Inputs
from ..protect import Key, Ledger
from .common import leaders, listing, spoken, spoken_pct

OUTCOMES = (("one_day", "an einem Tag erledigt"), ("two_days", "in zwei Tagen erledigt"), ("open", "offen"))
Pair = tuple[str, str]


def _pairs_ledger(led: Ledger, inp: Inputs, pairs: list[Pair]) -> None:
    h, hn, r, rr = (inp.totals(m, "ab") for m in ("handover", "handover_note", "referral", "referral_returned"))
    for f, t in pairs:
        k = f"{f}\t{t}"
        led.put(("h", f, t), h.get(k, 0))
        led.put(("hn", f, t), hn.get(k, 0))
        led.put(("r", f, t), r.get(k, 0))
        led.put(("rr", f, t), rr.get(k, 0))
        # what a reader can subtract: handovers without a note, referrals not come back, handovers that were
        # not referrals (a referral is a handover too)
        led.put(("hx", f, t), h.get(k, 0) - hn.get(k, 0), hidden=True)
        led.put(("rx", f, t), r.get(k, 0) - rr.get(k, 0), hidden=True)
        led.put(("hr", f, t), h.get(k, 0) - r.get(k, 0), hidden=True)
        led.tie(("h", f, t), [("hn", f, t), ("hx", f, t)])
        led.tie(("r", f, t), [("rr", f, t), ("rx", f, t)])
        led.tie(("h", f, t), [("r", f, t), ("hr", f, t)])
    for m in ("h", "hn", "r", "rr", "hx", "rx", "hr"):
        led.sum_of((m + "t",), [(m, f, t) for f, t in pairs], hidden=m in ("hx", "rx", "hr"))
    led.tie(("ht",), [("hnt",), ("hxt",)])
    led.tie(("rt",), [("rrt",), ("rxt",)])
    led.tie(("ht",), [("rt",), ("hrt",)])


def _ledger(inp: Inputs, pairs: list[Pair], booked_pairs: list[Pair]) -> Ledger:
    led = Ledger()
    journeys = inp.totals("journeys", "ab")
    stops = [str(s) for s in range(2, JOURNEY_STOPS_CAP + 1)]
    for s in stops:
        for o, _ in OUTCOMES:
            led.put(("j", s, o), journeys.get(f"{s}\t{o}", 0))
        led.sum_of(("js", s), [("j", s, o) for o, _ in OUTCOMES])
    for o, _ in OUTCOMES:
        led.sum_of(("jo", o), [("j", s, o) for s in stops])
    led.sum_of(("jt",), [("js", s) for s in stops])
    led.tie(("jt",), [("jo", o) for o, _ in OUTCOMES])
    _pairs_ledger(led, inp, pairs)
    booked = inp.totals("booked_on", "ab")
    for f, t in booked_pairs:
        led.put(("b", f, t), booked.get(f"{f}\t{t}", 0))
    led.sum_of(("bt",), [("b", f, t) for f, t in booked_pairs])
    return led


def _returned_share(led: Ledger, back: Key, sent: Key) -> Cell:
    return share(led.value(back), led.value(sent),
                 inputs_suppressed=led.cell(back).suppressed or led.cell(sent).suppressed)


def build(inp: Inputs) -> Section:
    pairs = inp.agency_pairs("handover", "handover_note", "referral", "referral_returned")
    booked_pairs = inp.agency_pairs("booked_on")
    led = _ledger(inp, pairs, booked_pairs)
    stops = [str(s) for s in range(2, JOURNEY_STOPS_CAP + 1)]

    def stop_label(s: str) -> str:
        return f"{s} und mehr Anliegen" if int(s) >= JOURNEY_STOPS_CAP else f"{s} Anliegen"

    journeys = Table(
        "wege", "Personen mit mehreren Anliegen", "Anliegen (Stationen)",
        tuple(label for _, label in OUTCOMES) + ("zusammen",),
        tuple(Row(stop_label(s), tuple(led.cell(("j", s, o)) for o, _ in OUTCOMES) + (led.cell(("js", s)),))
              for s in stops)
        + (Row("Alle", tuple(led.cell(("jo", o)) for o, _ in OUTCOMES) + (led.cell(("jt",)),), total=True),),
        note="Gezählt am Tag des ersten Check-ins. „In zwei Tagen“: der Rest am folgenden Tag erledigt; „offen“: "
             "nicht alles erledigt, oder weitere Termine später.")

    def arrow(f: str, t: str) -> str:
        return f"{inp.label(f)} → {inp.label(t)}"

    handovers = Table(
        "uebergaben", "Übergaben zwischen Stellen", "von → an",
        ("Übergaben", "davon mit Notiz", "davon Überweisungen mit Rückkehr", "davon zurückgekommen",
         "zurückgekommen (%)"),
        tuple(Row(arrow(f, t), (led.cell(("h", f, t)), led.cell(("hn", f, t)), led.cell(("r", f, t)),
                                led.cell(("rr", f, t)), _returned_share(led, ("rr", f, t), ("r", f, t))))
              for f, t in pairs)
        + (Row("Alle Übergaben", (led.cell(("ht",)), led.cell(("hnt",)), led.cell(("rt",)), led.cell(("rrt",)),
                                  _returned_share(led, ("rrt",), ("rt",))), total=True),),
        note="Eine Übergabe gibt eine Person mit derselben Nummer an die nächste Stelle weiter (warme Übergabe, "
             "auch die nächste Station eines Wegs). Eine Überweisung mit Rückkehr führt danach zur ersten Stelle "
             "zurück; „zurückgekommen“: dort wieder beraten.")
    booked = Table(
        "termine_schalter", "Am Schalter gebuchte Termine", "von → an", ("Termine",),
        tuple(Row(arrow(f, t), (led.cell(("b", f, t)),)) for f, t in booked_pairs)
        + (Row("Alle", (led.cell(("bt",)),), total=True),),
        note="Termine, die eine Beraterin oder ein Berater für die Person bei einer anderen Stelle gebucht hat "
             "(Überweisung mit Termin).")
    blocks: list[Table | Chart] = [journeys]
    if pairs:
        froms = sorted({f for f, _ in pairs}, key=lambda a: [p[0] for p in pairs].index(a))
        order = inp.agencies("handover")
        tos = sorted({t for _, t in pairs}, key=lambda a: order.index(a) if a in order else len(order))
        grid = [[led.cell(("h", f, t)) if (f, t) in pairs else Cell("", 0) for t in tos] for f in froms]
        blocks.append(Chart(
            "uebergaben", "Übergaben zwischen Stellen (von Zeile an Spalte)",
            "Je dunkler ein Feld, desto mehr Übergaben; die Zahl steht im Feld, leere Felder: keine. Schraffierte "
            "Felder sind gesperrt: „< 5“ für 1 bis 4 Übergaben, „•“ zum Schutz eines solchen Felds.",
            partial(heatmap, rows=[inp.label(f) for f in froms], columns=[inp.label(t) for t in tos],
                    cells=grid, row_title="von", column_title="an", scale_label="Übergaben")))
    blocks.append(handovers)
    blocks.append(booked)
    return Section("wege", "Wege durchs Haus", _summary(inp, led, pairs), tuple(blocks))


def _summary(inp: Inputs, led: Ledger, pairs: list[Pair]) -> tuple[str, ...]:
    out = []
    total = spoken(led.cell(("jt",)))
    if led.value(("jt",)) == 0:
        out.append("Im Zeitraum wurden keine Personen mit mehreren Anliegen gezählt.")
    elif total:
        parts = [(spoken(led.cell(("jo", o))), label) for o, label in OUTCOMES]
        text = f"{total} Personen kamen mit mehreren Anliegen"
        if all(n for n, _ in parts):
            text += f": {parts[0][0]} hatten alles an einem Tag erledigt, {parts[1][0]} in zwei Tagen, " \
                    f"bei {parts[2][0]} blieb etwas offen"
        out.append(text + ".")
    handovers = spoken(led.cell(("ht",)))
    if handovers and led.value(("ht",)):
        notes = spoken(led.cell(("hnt",)))
        out.append(f"Es gab {handovers} Übergaben mit derselben Nummer" + (f", {notes} davon mit Notiz" if notes
                                                                           else "") + ".")
        top, certain = leaders([(f"{inp.label(f)} → {inp.label(t)}", led.cell(("h", f, t))) for f, t in pairs], 2)
        if top:
            lead = ("Der häufigste Weg" if len(top) == 1 else "Die häufigsten Wege") \
                + ("" if certain else " unter den ausgewiesenen") + (" war" if len(top) == 1 else " waren")
            out.append(f"{lead}: {listing(top)}.")
    sent, back = spoken(led.cell(("rt",))), spoken(led.cell(("rrt",)))
    if sent and led.value(("rt",)):
        pct = spoken_pct(_returned_share(led, ("rrt",), ("rt",)))
        out.append(f"{sent} Personen wurden mit Rückkehr überwiesen" + (f"; {back} kamen zurück" if back else "")
                   + (f" ({pct})" if back and pct else "") + ".")
    booked = spoken(led.cell(("bt",)))
    if booked and led.value(("bt",)):
        out.append(f"An den Schaltern wurden {booked} Termine bei anderen Stellen gebucht.")
    return tuple(out)
