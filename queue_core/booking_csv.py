"""Bookings in a CSV file: the header checked, the delimiter (`,` `;` or tab) sniffed, each row's values by column."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

COLUMNS = ("ref", "service", "slot", "minutes", "language", "party_size", "interpreter", "step_free", "journey",
           "status")
REQUIRED = ("ref", "service", "slot")
DELIMITERS = ",;\t"


class CsvError(ValueError):
    """The file as a whole cannot be read as bookings (no header, a required column missing)."""


@dataclass(frozen=True)
class CsvRow:
    """One data row: its first line in the file and its text by column (empty where the row has none)."""

    line: int
    values: dict[str, str]
    problems: dict[str, str] = field(default_factory=dict)   # "" for the row as a whole
    names: dict[str, str] = field(default_factory=dict)      # a column is named as itself


@dataclass(frozen=True)
class CsvTable:
    rows: list[CsvRow]
    problems: list[tuple[int, str]]   # about the header: columns that are ignored


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def read_table(text: str) -> CsvTable:
    """Split CSV text into rows; an Excel `sep=;` first line is honoured, otherwise the header decides."""
    text = text.removeprefix("\ufeff")
    first, _, rest = text.partition("\n")
    offset = 0
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, text, offset = first.strip()[4], rest, 1
    else:
        delimiter = max(DELIMITERS, key=first.count)   # ties (no delimiter at all) go to ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_column(c) for c in next(reader, [])]
        if not any(header):
            raise CsvError(f"no header line: the first line must name the columns, e.g. {','.join(COLUMNS)}")
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise CsvError(f"missing column(s) {', '.join(missing)} (the first line has: {', '.join(header)}; "
                           f"expected {','.join(COLUMNS)})")
        twice = sorted({c for c in header if c and header.count(c) > 1})
        if twice:
            raise CsvError(f"column(s) {', '.join(twice)} appear more than once in the first line")
        problems = [(1 + offset, f"column {c!r} is not one of {', '.join(COLUMNS)}; it is ignored")
                    for c in header if c and c not in COLUMNS]
        rows, end = [], reader.line_num
        for cells in reader:
            line, end = end + 1 + offset, reader.line_num
            if not any(c.strip() for c in cells):
                continue   # blank lines and the empty ";;;;" rows spreadsheets leave at the end
            row_problems = {}
            if len(cells) > len(header):
                row_problems[""] = f"{len(cells)} values but the first line names {len(header)} columns"
            values = {h: c.strip() for h, c in zip(header, cells, strict=False) if h in COLUMNS}
            rows.append(CsvRow(line, values, row_problems))
    except csv.Error as exc:
        raise CsvError(f"line {reader.line_num + offset}: {exc}") from None
    return CsvTable(rows, problems)
