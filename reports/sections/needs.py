"""Section 4, Sprachen und Bedarfe: languages chosen at check-in, interpreter requests, party sizes, step-free way."""

from __future__ import annotations

from functools import partial

from queue_rules.figures import PARTY_CAP

from ..cells import Cell, Chart, Row, Section, Table, share
from ..charts_bars import paired_bars
from ..names import language_name
from ..protect import Key, Ledger
from .checkins import CheckinCounts
from .common import leaders, listing, spoken, spoken_pct


def _share(led: Ledger, k: Key, n: Key) -> Cell:
    return share(led.value(k), led.value(n), inputs_suppressed=led.cell(k).suppressed or led.cell(n).suppressed)


def _size_label(s: int) -> str:
    if s >= PARTY_CAP:
        return f"{PARTY_CAP} und mehr Personen"
    return "1 Person" if s == 1 else f"{s} Personen"


def build(counts: CheckinCounts) -> Section:
    led = counts.ledger
    langs = counts.languages
    languages = Table(
        "sprachen", "Sprachen beim Check-in", "Sprache",
        ("Check-ins", "mit Dolmetschwunsch", "Dolmetschwunsch (%)"),
        tuple(Row(language_name(lang), (led.cell(("l", lang)), led.cell(("i", lang)),
                                        _share(led, ("i", lang), ("l", lang)))) for lang in langs)
        + (Row("Alle Sprachen", (led.cell(("lt",)), led.cell(("it",)), _share(led, ("it",), ("lt",))),
               total=True),),
        note="Die Sprache, die am Kiosk gewählt wurde (am Empfang die eingetragene); der Dolmetschwunsch gilt für "
             "diese Sprache.")
    parties = Table(
        "personen", "Personen je Check-in", "Gruppe",
        ("Check-ins", "Anteil (%)"),
        tuple(Row(_size_label(s), (led.cell(("p", str(s))), _share(led, ("p", str(s)), ("pt",))))
              for s in counts.sizes)
        + (Row("Alle Check-ins", (led.cell(("pt",)), _share(led, ("pt",), ("pt",))), total=True),),
        note="Wie viele Personen mit einer Nummer kamen (die Person selbst mitgezählt).")
    needs = Table(
        "bedarfe", "Besondere Bedarfe beim Check-in", "Bedarf",
        ("Check-ins", "Anteil an allen Check-ins (%)"),
        (Row("Dolmetschwunsch", (led.cell(("it",)), _share(led, ("it",), ("lt",)))),
         Row("stufenloser Weg", (led.cell(("sf",)), _share(led, ("sf",), ("lt",))))))
    shown = [lang for lang in langs if led.value(("l", lang)) > 0]
    chart = Chart(
        "sprachen", "Check-ins und Dolmetschwünsche nach Sprache",
        "Grauer Balken: Check-ins in der Sprache; schraffierter Balken: davon mit Dolmetschwunsch. Statt eines "
        "Balkens steht „< 5“ für 1 bis 4, „•“ für einen zum Schutz gesperrten Wert. Sprachen ohne Check-in fehlen.",
        partial(paired_bars,
                rows=[(language_name(lang), led.cell(("l", lang)), led.cell(("i", lang))) for lang in shown],
                first="Check-ins", second="davon mit Dolmetschwunsch", axis="Check-ins im Zeitraum"))
    blocks = (languages, chart, parties, needs) if shown else (languages, parties, needs)
    return Section("sprachen", "Sprachen und Bedarfe", _summary(counts), blocks)


def _summary(counts: CheckinCounts) -> tuple[str, ...]:
    led = counts.ledger
    if led.value(("lt",)) == 0:
        return ("Im Zeitraum wurden keine Check-ins mit Sprache gezählt.",)
    out = []
    top, certain = leaders([(language_name(lang), led.cell(("l", lang))) for lang in counts.languages])
    total = spoken(led.cell(("lt",)))
    if total and top:
        most = "am häufigsten" if certain else "unter den ausgewiesenen am häufigsten"
        out.append(f"Von {total} Check-ins wurden {most} diese Sprachen gewählt: {listing(top)}.")
    chosen = sum(1 for lang in counts.languages if led.value(("l", lang)) > 0)
    out.append(f"Insgesamt wurde{'n' if chosen != 1 else ''} {chosen} Sprache{'n' if chosen != 1 else ''} gewählt.")
    interpreters = spoken(led.cell(("it",)))
    if interpreters:
        pct = spoken_pct(_share(led, ("it",), ("lt",)))
        itop, icertain = leaders([(language_name(lang), led.cell(("i", lang))) for lang in counts.languages], 2)
        text = f"Um eine Dolmetschung baten {interpreters} Check-ins" + (f" ({pct})" if pct else "")
        if itop:
            text += (", am häufigsten für " if icertain else ", unter den ausgewiesenen am häufigsten für ") \
                + listing(itop)
        out.append(text + ".")
    step_free = spoken(led.cell(("sf",)))
    if step_free:
        out.append("Niemand bat um einen stufenlosen Weg." if step_free == "0"
                   else f"Um einen stufenlosen Weg baten {step_free} Check-ins.")
    alone = spoken(led.cell(("p", "1")))
    alone_pct = spoken_pct(_share(led, ("p", "1"), ("pt",)))
    if alone and alone_pct:
        out.append(f"Allein kamen {alone} der Check-ins ({alone_pct}).")
    return tuple(out)
