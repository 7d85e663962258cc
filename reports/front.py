"""The report's header (which period, which data) and its methods note."""

from __future__ import annotations

import re

from queue_rules.figures import HISTOGRAM_CAP_MINUTES
from queue_rules.site import Site

from .cells import FEW, PROTECTED, SMALL, THRESHOLD, Paragraph, Row, Section, Table, text
from .names import fmt_date, fmt_datetime, fmt_int
from .source import ReportSource


def without_password(url: str) -> str:
    """The database URL with any password masked, in case the caller left one in."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _days(n: int) -> str:
    """"1 Tag", "8 Tage"."""
    return f"{fmt_int(n)} Tag" if n == 1 else f"{fmt_int(n)} Tage"


def _of_days(n: int) -> str:
    """"von 1 Tag", "von 8 Tagen"."""
    return f"von {fmt_int(n)} Tag" if n == 1 else f"von {fmt_int(n)} Tagen"


def _data(source: ReportSource) -> str:
    stored = "aus den gespeicherten Tageszahlen (deren Ereignisprotokoll schon gelöscht sein kann)"
    fresh = f"eben aus dem Ereignisprotokoll berechnet ({fmt_int(source.events)} Einträge gelesen)"
    total = source.days_from_figures + source.days_from_log
    if total == 0:
        return "Für den Zeitraum liegen keine Tageszahlen vor."
    if source.days_from_log == 0:
        return f"Zahlen {_of_days(total)}, alle {stored}"
    if source.days_from_figures == 0:
        return f"Zahlen {_of_days(total)}, alle {fresh}"
    return f"Zahlen {_of_days(total)}: {_days(source.days_from_figures)} {stored}, " \
           f"{_days(source.days_from_log)} {fresh}"


def facts(site: Site, source: ReportSource) -> tuple[tuple[str, str], ...]:
    calendar = (source.last_day - source.first_day).days + 1
    generated = source.generated_at.astimezone(site.tz) if source.generated_at.tzinfo else source.generated_at
    return (
        ("Zeitraum", f"{fmt_date(source.first_day)} bis {fmt_date(source.last_day)} "
                     f"({fmt_int(calendar)} Kalendertag{'e' if calendar != 1 else ''})"),
        ("Daten", _data(source)),
        ("Datenbank", without_password(source.database)),
        ("Standort", f"{site.site.name} ({len(site.agencies)} Stellen laut Standortdatei)"),
        ("Erstellt", fmt_datetime(generated)),
    )


def methods(site: Site) -> Section:
    target = site.policy.wait_target_minutes
    texts = (
        "Alle Zahlen sind anonyme Tageszahlen: Zählungen je Tag und Stelle, Stunde, Sprache oder Gerät. Sie "
        "nennen keine Person, keine Nummer, keinen Buchungscode und keine Notiz. Uhrzeiten und Tage gelten in "
        f"Ortszeit ({site.site.timezone}).",
        "Keine Zahl gilt einer einzelnen Beraterin oder einem einzelnen Berater, und keine einem einzelnen "
        "Schalter (an einem Schalter sitzt oft eine Person): alle Zahlen gelten je Stelle, und die Tageszahlen, "
        "aus denen der Bericht entsteht, enthalten auch keine anderen. Der Bericht dient nicht der Leistungs- "
        "oder Verhaltenskontrolle einzelner Beschäftigter; eine solche würde der Personalrat nicht mittragen. Aus "
        "demselben Grund sind Tastenboxen (an den Schaltern) und Empfangsplätze nur zusammen ausgewiesen.",
        "Wartezeit ohne Termin: vom Einreihen bei einer Stelle (Check-in, Übergabe oder Überweisung dorthin) bis "
        "zum ersten Aufruf. Wartezeit mit Termin: ab dem Zeitpunkt, zu dem die Person aufgerufen werden durfte "
        "(Terminzeit abzüglich des Vorlaufs der Stelle, oder ihre Ankunft, wenn sie später kam), bis zum ersten "
        "Aufruf. Beratungsdauer: vom Aufruf (oder Beginn) bis zum Ende des Halts.",
        "Zeiten werden als Häufigkeiten ganzer Minuten gespeichert: 12 Minuten und 59 Sekunden zählen als 12 "
        f"Minuten, {HISTOGRAM_CAP_MINUTES} Minuten und mehr als {HISTOGRAM_CAP_MINUTES} („≥ "
        f"{HISTOGRAM_CAP_MINUTES}“). So lassen sich Tage zu jedem Zeitraum zusammenzählen, ohne einzelne Zeiten "
        "aufzubewahren.",
        "Median und 90. Perzentil nach dem Rangverfahren: das q-Perzentil von N Zeiten ist die kleinste "
        "Minutenzahl m, bei der mindestens ⌈q · N⌉ Zeiten höchstens m Minuten betragen (der Median ist q = 0,5). "
        f"„Unter {target} Min.“ zählt die Zeiten, deren volle Minutenzahl unter dem Ziel von {target} Minuten "
        "liegt (policy.wait_target_minutes).",
        f"Schutz kleiner Zahlen: Eine Zahl, die weniger als {THRESHOLD} Personen (oder ihre Besuche) beschreibt, "
        f"steht als „{SMALL}“; 0 wird gezeigt. Damit sich ein solcher Wert nicht aus Summen oder Differenzen "
        f"zurückrechnen lässt, bleiben weitere Felder gesperrt („{PROTECTED}“, jeweils mindestens {THRESHOLD}). "
        "Geprüft wird das je Abschnitt für alle seine Tabellen, Diagramme und CSV-Dateien zusammen: zu jedem "
        f"Feld „{SMALL}“ (und zu jeder nicht gezeigten Differenz unter {THRESHOLD}) muss es eine andere Tabelle "
        "geben, die zu allen gezeigten Zahlen, Summen und Zeichen passt und in der dieses Feld einen anderen Wert "
        "hat; wer die Zahlen kombiniert, kann es also nicht genau zurückrechnen. Gezeigt werden zuerst die großen "
        f"Zahlen und Summen, ein „{PROTECTED}“ steht nur, wo die Zahl sonst "
        f"einen kleinen Wert verriete. Mediane, Perzentile und Anteile aus weniger als {THRESHOLD} Personen stehen "
        f"als „{FEW}“. Ein Anteil k von n wird nur gezeigt, wenn k und n − k jeweils 0 oder mindestens "
        f"{THRESHOLD} sind und keine der beiden Zahlen gesperrt ist, sonst „{PROTECTED}“. Die Diagramme zeigen "
        "gesperrte Felder ohne Wert (schraffiert oder markiert), die Sätze nennen sie nicht. Minuten der Geräte "
        "zählen keine Personen und werden ungekürzt gezeigt.",
        "Jede Tabelle liegt auch als CSV-Datei im Ordner csv/ (dazu besuche_tage.csv mit den Besuchen je Tag "
        "und Stelle): UTF-8 mit Byte-Order-Mark (damit Tabellenkalkulationen die Umlaute erkennen), Trennzeichen "
        "Semikolon, erste Zeile die Spaltenköpfe, ganze Zahlen ohne Tausenderpunkt, Anteile in ganzen Prozent, "
        f"gesperrte Felder als „{SMALL}“, „{PROTECTED}“ oder „{FEW}“, leere Felder: keine Daten.",
    )
    names = Table(
        "stellen", "Stellen im Haus", "Kurzname", ("Name laut Standortdatei", "Nummern"),
        tuple(Row(a.short, (text(a.name), text(f"{a.prefix}-…"))) for a in site.agencies),
        note="In Tabellen und Diagrammen stehen die Kurznamen.")
    return Section("methodik", "Methodik und Lesehilfe", (), (*(Paragraph(t) for t in texts), names))
