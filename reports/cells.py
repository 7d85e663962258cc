"""The report as data: cells (shown, suppressed or empty), tables, charts, sections; the same for HTML, PDF and CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from queue_rules.figures import HISTOGRAM_CAP_MINUTES

from .names import fmt_int

THRESHOLD = 5           # a count of fewer clients than this is not shown
SMALL = "< 5"           # a count of 1 to 4 clients
PROTECTED = "•"         # not shown, so that no "< 5" can be worked back from totals (a count of at least 5),
                        # or a share that would reveal such a count
FEW = "n < 5"           # a median, percentile or share from fewer than 5 clients
NONE = "–"              # nothing to show: no data


@dataclass(frozen=True)
class Cell:
    text: str                 # as shown in the HTML and PDF
    value: int | None = None  # the number behind it, for charts and sentences; None when suppressed or empty
    suppressed: bool = False
    csv: str = ""             # as written to the CSV (plain digits, no thousands separator)
    upper: int | None = None  # for a suppressed count: the most it can be, as a reader can work out from the rest


def count(n: int) -> Cell:
    return Cell(fmt_int(n), n, csv=str(n))


def small() -> Cell:
    return Cell(SMALL, suppressed=True, csv=SMALL, upper=THRESHOLD - 1)


def protected(upper: int | None = None) -> Cell:
    return Cell(PROTECTED, suppressed=True, csv=PROTECTED, upper=upper)


def few() -> Cell:
    return Cell(FEW, suppressed=True, csv=FEW)


def empty() -> Cell:
    return Cell(NONE, csv="")


def text(value: str) -> Cell:
    return Cell(value, csv=value)


def minutes(m: int) -> Cell:
    """A whole number of minutes; the histogram's last bin means that many or more."""
    if m >= HISTOGRAM_CAP_MINUTES:
        return Cell(f"≥ {HISTOGRAM_CAP_MINUTES}", m, csv=f">={HISTOGRAM_CAP_MINUTES}")
    return Cell(fmt_int(m), m, csv=str(m))


def share(k: int, n: int, *, inputs_suppressed: bool = False) -> Cell:
    """k of n in whole percent, unless it would reveal a count of 1 to 4 (k or n − k), or n is under 5.

    A share of exactly 0 % or 100 % reveals only a count of 0, which may be shown. `inputs_suppressed`: k or n
    is a suppressed cell elsewhere in the report, which the share and the other one would reveal.
    """
    if n <= 0:
        return empty()
    k = min(max(k, 0), n)
    if n < THRESHOLD:
        return few()
    if inputs_suppressed or 0 < k < THRESHOLD or 0 < n - k < THRESHOLD:
        return protected()
    exact = 100 * k / n
    pct = int(exact + 0.5)
    if 0 < exact < 1:
        return Cell("< 1", 0, csv="<1")
    if 99 < exact < 100:
        return Cell("> 99", 99, csv=">99")
    return Cell(str(pct), pct, csv=str(pct))


@dataclass(frozen=True)
class Row:
    header: str
    cells: tuple[Cell, ...]
    total: bool = False   # a sum or "all" row, set apart


@dataclass(frozen=True)
class Table:
    slug: str                      # the CSV's file name: csv/<slug>.csv
    title: str
    corner: str                    # the header of the row-header column
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""
    in_document: bool = True       # False: written as CSV only (agency × day)

    def marks(self) -> set[str]:
        return {c.text for r in self.rows for c in r.cells if c.suppressed}


@dataclass(frozen=True)
class Chart:
    slug: str                      # charts/<slug>.png
    title: str
    caption: str                   # what it shows and how suppressed cells are drawn; also the image's alt text
    draw: Callable[[Path], None]   # writes the PNG


@dataclass(frozen=True)
class Paragraph:
    text: str


Block = Table | Chart | Paragraph


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    summary: tuple[str, ...]       # sentences built from numbers shown in the section
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]      # which period and which data: label, value
    sections: tuple[Section, ...]
    methods: Section
    legend: tuple[tuple[str, str], ...] = field(default=(
        (SMALL, "1 bis 4 Personen (oder Besuche)"),
        (PROTECTED, "gesperrt, damit sich kein Wert unter 5 zurückrechnen lässt (mindestens 5), "
                    "oder ein Anteil, der einen solchen Wert verriete"),
        (FEW, "Median, Perzentil oder Anteil aus weniger als 5 Personen: nicht ausgewiesen"),
        (NONE, "keine Daten"),
    ))

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]
