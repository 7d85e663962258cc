"""`write_report`: the period's figures into bericht.html, bericht.pdf, charts/*.png and csv/<table>.csv."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from queue_rules.figures import Figure
from queue_rules.site import Site

from .cells import Report, Table
from .front import facts, methods
from .html_page import render_html
from .inputs import Inputs
from .pdf_doc import render_pdf, report_fonts
from .sections import arrivals, devices, journeys, needs, visits, waits
from .sections.checkins import checkin_counts
from .source import ReportSource

TITLE = "Entwicklungs- und Erfahrungsbericht"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def build_report(site: Site, figures: Sequence[Figure], source: ReportSource) -> Report:
    """The report as data, every cell already suppressed where it must be."""
    inp = Inputs.of(site, figures, source.first_day, source.last_day)
    counts = checkin_counts(inp)
    sections = [visits.build(inp), arrivals.build(inp, counts), waits.build(inp), needs.build(counts),
                journeys.build(inp), devices.build(inp)]
    sections = [replace(s, summary=tuple(_sentence(x) for x in s.summary)) for s in sections]
    return Report(TITLE, source.site_name or site.site.name, facts(site, source), tuple(sections), methods(site))


def write_csv(table: Table, path: Path) -> None:
    """UTF-8 with a byte-order mark, semicolons, a header row; suppressed cells as their marks."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([table.corner, *table.columns])
        for row in table.rows:
            writer.writerow([row.header, *(c.csv for c in row.cells)])


def write_report(site: Site, figures: Sequence[Figure], source: ReportSource, out_dir: Path) -> list[Path]:
    """Writes out_dir/bericht.html, out_dir/bericht.pdf, out_dir/charts/*.png, out_dir/csv/<table>.csv; returns them."""
    report_fonts()  # a missing font fails before anything is written
    report = build_report(site, figures, source)
    out_dir = Path(out_dir)
    charts_dir, csv_dir = out_dir / "charts", out_dir / "csv"
    charts_dir.mkdir(parents=True, exist_ok=True)
    csv_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for chart in report.charts():
        path = charts_dir / f"{chart.slug}.png"
        chart.draw(path)
        written.append(path)
    for table in report.tables():
        path = csv_dir / f"{table.slug}.csv"
        write_csv(table, path)
        written.append(path)
    html = out_dir / "bericht.html"
    html.write_text(render_html(report), encoding="utf-8")
    pdf = out_dir / "bericht.pdf"
    render_pdf(report, charts_dir, pdf)
    return [html, pdf, *written]
