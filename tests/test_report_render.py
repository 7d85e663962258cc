"""The committee report (reports/): suppression of small counts and of their complements, percentiles from
histograms, CSVs, a self-contained escaped HTML page, and the PDF rendered to PNGs for a look."""

from __future__ import annotations

import ast
import csv
import itertools
import math
import random
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from host_support.site_file import load_site
from queue_rules.figures import Figure
from queue_rules.site import Site, parse_site
from reports.build import build_report, write_csv, write_report
from reports.cells import FEW, PROTECTED, SMALL, Report, Table, share
from reports.histogram import Histogram
from reports.names import language_name
from reports.protect import Ledger, Status, protect
from reports.source import ReportSource

REPO = Path(__file__).resolve().parents[1]
SITE_FILE = REPO / "sites" / "kia-aachen-arkaden.toml"
ARTIFACTS = REPO / "artifacts" / "report-render"
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)      # two calendar weeks, Monday to Sunday
WORKDAYS = [FIRST + timedelta(days=i) for i in range(14) if (FIRST + timedelta(days=i)).weekday() < 5]


def _site(text_change: tuple[str, str] | None = None) -> Site:
    if text_change is None:
        return load_site(SITE_FILE)
    text = SITE_FILE.read_text(encoding="utf-8")
    assert text_change[0] in text
    return parse_site(text.replace(text_change[0], text_change[1], 1), "test-site")


def _day(i: int, d: date) -> list[Figure]:
    """One working day of a small fake period; every number chosen by hand."""
    f: list[Figure] = []

    def add(measure: str, a: str = "", b: str = "", n: int = 1) -> None:
        if n:
            f.append(Figure(d, measure, a, b, n))

    walk = {"jobcenter": 20 + i, "auslaenderamt": 12, "ki": 9, "gesundheitskiosk": 6, "deutschkurs": 7,
            "kammern": 3 if i == 0 else 0, "anerkennung": 2 if i < 5 else 0}
    booked = {"jobcenter": 8, "auslaenderamt": 6 + i % 3, "ki": 4, "deutschkurs": 5}
    for a, n in walk.items():
        add("visits", a, "walk_in", n)
    for a, n in booked.items():
        add("visits", a, "booked", n)
    # jobcenter's walk-in waits: 5, 12, 30 and 50 minutes (the percentile test works them out by hand)
    for minute, n in ((5, 5), (12, 8), (30, 5), (50, walk["jobcenter"] - 18)):
        add("wait_walk_in", "jobcenter", str(minute), n)
    add("wait_booked", "jobcenter", "2", 4)
    add("wait_booked", "jobcenter", "10", 4)
    for a in ("auslaenderamt", "ki", "gesundheitskiosk", "deutschkurs", "anerkennung"):
        add("wait_walk_in", a, str(10 + i), walk[a])
    for a in ("auslaenderamt", "ki", "deutschkurs"):
        add("wait_booked", a, str(3 + i % 4), booked[a])
    add("wait_walk_in", "kammern", "25", walk["kammern"])   # 3 waits in the period: no median
    for a in walk:
        add("service_time", a, str(8 + i % 5), walk[a] + booked.get(a, 0))
    add("no_shows", "jobcenter", "", 1)                       # 10 of 325 visits: 3 %
    add("no_shows", "auslaenderamt", "", 1 if i < 3 else 0)   # 3 of 183: suppressed
    total = 0
    for h in range(8, 16):
        n = 10 + (h % 3) * 4
        add("checkins", f"{h:02d}", "", n)
        total += n
    if d.weekday() == 0:
        add("checkins", "16", "", 2)                         # Monday 16-17: 2 each, 4 in the period
        total += 2
    languages = {"ar": 20, "uk": 15, "fa": 10, "tr": 8, "en": 6, "ti": 1 if i == 0 else 0,
                 "kmr": 2 if d.weekday() == 0 else 0}
    languages["de"] = total - sum(languages.values())
    for lang, n in languages.items():
        add("language", lang, "", n)
    for lang, n in {"ar": 7, "uk": 4, "fa": 3, "ti": 1 if i == 0 else 0}.items():
        add("interpreter", lang, "", n)
    parties = {"2": 20, "3": 5, "6": 1 if i == 0 else 0}
    parties["1"] = total - sum(parties.values())
    for size, n in parties.items():
        add("party_size", size, "", n)
    add("step_free", "", "", {0: 3, 5: 1}.get(i, 0))          # 4 in the period
    add("journeys", "2", "one_day", 3)
    add("journeys", "3", "two_days", 1)
    add("journeys", "2", "open", 1 if i == 0 else 0)
    add("handover", "ki", "jobcenter", 2)
    add("handover_note", "ki", "jobcenter", 1)
    add("referral", "ki", "jobcenter", 1)
    add("referral_returned", "ki", "jobcenter", 1 if i % 2 == 0 else 0)
    add("handover", "ki", "auslaenderamt", 1 if i == 0 else 0)
    add("handover", "jobcenter", "arbeitsagentur", 1)
    add("booked_on", "ki", "auslaenderamt", 1)
    add("device_down", "kiosk", "kiosk-eingang", 15 if i == 0 else 0)
    add("device_outages", "kiosk", "kiosk-eingang", 1 if i == 0 else 0)
    add("paper_out", "printer", "drucker-eingang", 20 if i == 3 else 0)
    add("device_down", "button_box", "box-cm-1", 30 if i == 2 else 0)
    add("offline_tickets", "kiosk-eingang", "", 3 if i == 0 else 0)
    return f


def _figures() -> list[Figure]:
    return [f for i, d in enumerate(WORKDAYS) for f in _day(i, d)]


def _source(site: Site) -> ReportSource:
    return ReportSource(site.site.name, FIRST, LAST, "sqlite:////var/lib/arkaden/core.sqlite", 8, 2, 4321,
                        datetime(2026, 3, 16, 7, 30, tzinfo=UTC))


@pytest.fixture(scope="module")
def site() -> Site:
    return _site()


@pytest.fixture(scope="module")
def report(site: Site) -> Report:
    return build_report(site, _figures(), _source(site))


def _table(report: Report, slug: str) -> Table:
    return next(t for t in report.tables() if t.slug == slug)


def _row(table: Table, header: str) -> list[str]:
    return [c.text for c in next(r for r in table.rows if r.header == header).cells]


def _column(table: Table, title: str) -> list[str]:
    i = table.columns.index(title)
    return [r.cells[i].text for r in table.rows]


# --- percentiles -----------------------------------------------------------------------------------------------

def _nearest_rank(times: list[int], q: float) -> int:
    """By hand: sort every single time, take the one at rank ceil(q·N) (1-based)."""
    ordered = sorted(times)
    return ordered[math.ceil(round(q * len(ordered), 9)) - 1]


def test_report_percentile_is_the_nearest_rank_of_the_whole_minute_histogram() -> None:
    h = Histogram([(3, 2), (7, 5), (12, 2), (40, 1)])          # N = 10
    assert (h.percentile(0.5), h.percentile(0.9)) == (7, 12)    # ranks 5 and 9
    thirty = Histogram([(m, 1) for m in range(30)])             # 0.9 · 30 is exactly 27: minute 26, not 27
    assert thirty.percentile(0.9) == 26 == _nearest_rank(list(range(30)), 0.9)
    assert Histogram([(1, 1), (2, 1)]).percentile(0.5) == 1     # rank ceil(1) = 1
    assert Histogram([(44, 3), (45, 2)]).below(45) == 3         # within a 45-minute target: bins under 45


def test_report_shows_jobcenter_waits_as_worked_out_by_hand(report: Report) -> None:
    waits = [m for i in range(len(WORKDAYS))
             for m, n in ((5, 5), (12, 8), (30, 5), (50, 2 + i)) for _ in range(n)]
    assert len(waits) == 245
    median, p90 = _nearest_rank(waits, 0.5), _nearest_rank(waits, 0.9)
    assert (median, p90) == (12, 50)                            # ranks 123 and 221 of 245
    split = _table(report, "wartezeiten_termin")
    assert _row(split, "Jobcenter")[:3] == ["245", "12", "50"]
    booked = [2] * 40 + [10] * 40
    assert _row(split, "Jobcenter")[3:] == ["80", str(_nearest_rank(booked, 0.5)), str(_nearest_rank(booked, 0.9))]
    overview = _table(report, "wartezeiten")
    everything = waits + booked
    within = round(100 * sum(1 for m in everything if m < 45) / len(everything))
    assert _row(overview, "Jobcenter")[:4] == ["325", str(_nearest_rank(everything, 0.5)),
                                               str(_nearest_rank(everything, 0.9)), str(within)]


# --- suppression -----------------------------------------------------------------------------------------------

def test_report_a_small_cell_and_its_complement_are_suppressed() -> None:
    led = Ledger()
    parts = [led.put(("p", str(i)), v) for i, v in enumerate((3, 20, 9, 40))]
    led.sum_of(("total",), parts)
    texts = [led.cell(p).text for p in parts]
    assert texts[0] == SMALL
    assert texts.count(PROTECTED) == 1, texts     # the total is shown, so one more part is not
    assert led.cell(("total",)).text == "72"
    assert texts[texts.index(PROTECTED)] != "40"   # the largest part stays: a part of at least 8, the smallest
    assert texts[2] == PROTECTED


def test_report_two_small_cells_that_add_up_too_closely_are_protected_too() -> None:
    led = Ledger()
    parts = [led.put(("p", str(i)), v) for i, v in enumerate((1, 1, 30))]
    led.sum_of(("total",), parts)
    # 1 + 1 with the total shown would give both away (two "< 5" summing to 2): a third cell goes
    assert [led.cell(p).text for p in parts].count(PROTECTED) + (led.cell(("total",)).text == PROTECTED) == 1


def _feasible(led: Ledger, status: dict[tuple[str, ...], Status]) -> dict[tuple[str, ...], set[int]]:
    """Every value each suppressed cell can take, given all shown numbers and marks: an exact search over the
    integers (stronger than the interval propagation the report uses), for small ledgers."""
    bound = max(led.values.values()) + 1
    domain = {k: range(1, 5) if status[k] is Status.SMALL else range(5, bound) if status[k] is Status.PROTECTED
              else range(0, bound) for k in led.values if status[k] is not Status.SHOWN}
    fixed = {k: v for k, v in led.values.items() if status[k] is Status.SHOWN}
    seen: dict[tuple[str, ...], set[int]] = {k: set() for k in domain}

    def search(assigned: dict[tuple[str, ...], int]) -> None:
        for total, parts in led.equations:           # a sum with one open cell decides it
            members = (total, *parts)
            open_ = [m for m in members if m not in assigned]
            if len(open_) == 1:
                m = open_[0]
                rest = sum(assigned[p] for p in parts if p != m)
                v = assigned[total] - rest if m != total else rest
                if v not in domain[m]:
                    return
                search(assigned | {m: v})
                return
            if not open_ and sum(assigned[p] for p in parts) != assigned[total]:
                return
        todo = [k for k in domain if k not in assigned]
        if not todo:
            for k in domain:
                seen[k].add(assigned[k])
            return
        k = min(todo, key=lambda m: len(domain[m]))
        for v in domain[k]:
            search(assigned | {k: v})

    search(dict(fixed))
    return seen


@pytest.mark.parametrize("seed", range(8))
def test_report_no_small_cell_of_a_table_with_sums_can_be_worked_out(seed: int) -> None:
    """Checked by brute force over every integer table that fits what is shown: a "< 5" keeps at least 2 values."""
    rnd = random.Random(seed)
    rows, cols = 3, 3
    led = Ledger()
    for r, c in itertools.product(range(rows), range(cols)):
        led.put(("c", str(r), str(c)), rnd.choice([0, 1, 2, 3, 6, 9, 14]))
    for r in range(rows):
        led.sum_of(("r", str(r)), [("c", str(r), str(c)) for c in range(cols)])
    for c in range(cols):
        led.sum_of(("k", str(c)), [("c", str(r), str(c)) for r in range(rows)])
    led.sum_of(("g",), [("r", str(r)) for r in range(rows)])
    led.tie(("g",), [("k", str(c)) for c in range(cols)])
    status = protect(led.values, led.equations, led.hidden)
    seen = _feasible(led, status)
    for k, values in seen.items():
        assert led.values[k] in values
        if status[k] is Status.SMALL:
            assert len(values) >= 2, f"{k} can be worked out: {sorted(values)} (seed {seed})"


def test_report_suppresses_the_small_agency_and_a_complement_in_every_view(report: Report) -> None:
    by_agency = _table(report, "besuche_stellen")
    assert _row(by_agency, "IHK / HWK") == [SMALL, "0", SMALL, FEW]       # 3 visits in the period
    walk_in = _column(by_agency, "Ohne Termin")[:-1]
    assert walk_in.count(SMALL) == 1 and walk_in.count(PROTECTED) >= 1    # the column total is shown
    assert by_agency.rows[-1].cells[0].text not in (SMALL, PROTECTED)
    days = _table(report, "besuche_tage")
    assert _column(days, "IHK / HWK") == [SMALL] + ["0"] * 13             # one day with 3, in the CSV
    weeks = _table(report, "besuche_zeitraum")
    assert _row(weeks, "IHK / HWK")[0] == SMALL
    for table in (by_agency, weeks):
        _assert_no_line_with_a_single_hole(table)


def _assert_no_line_with_a_single_hole(table: Table) -> None:
    """The brief's rule, checked on the table as printed: no row or column whose total is shown has exactly one
    suppressed count."""
    grid = [[c.text for c in r.cells] for r in table.rows]
    counts = [i for i, title in enumerate(table.columns) if "%" not in title]
    for row in grid[:-1]:
        cells = [row[i] for i in counts]
        if cells[-1] not in (SMALL, PROTECTED):
            assert sum(c in (SMALL, PROTECTED) for c in cells[:-1]) != 1, (table.slug, row)
    for i in counts:
        column = [row[i] for row in grid]
        if column[-1] not in (SMALL, PROTECTED):
            assert sum(c in (SMALL, PROTECTED) for c in column[:-1]) != 1, (table.slug, table.columns[i], column)


def test_report_small_counts_of_check_ins_are_suppressed_in_the_heat_map_table(report: Report) -> None:
    arrivals = _table(report, "ankuenfte")
    assert _row(arrivals, "16–17 Uhr")[0] == SMALL                           # Mondays: 2 + 2
    assert _row(arrivals, "16–17 Uhr")[-1] == SMALL                          # and its hour total
    _assert_no_line_with_a_single_hole(arrivals)
    needs = _table(report, "bedarfe")
    assert _row(needs, "stufenloser Weg") == [SMALL, PROTECTED]              # 4 step-free of 1.000
    languages = _table(report, "sprachen")
    assert _row(languages, "Tigrinya") == [SMALL, SMALL, FEW]
    assert _row(languages, "Kurmandschi (Kurdisch)")[0] == SMALL


def test_report_shares_and_medians_from_few_clients_are_suppressed(report: Report) -> None:
    assert share(3, 50).text == PROTECTED           # k < 5
    assert share(48, 50).text == PROTECTED          # n − k < 5: with n shown it would give k away
    assert share(0, 50).text == "0" and share(50, 50).text == "100"   # only a zero is revealed
    assert share(2, 4).text == FEW
    assert share(20, 50, inputs_suppressed=True).text == PROTECTED
    assert share(25, 50).text == "50"
    overview = _table(report, "wartezeiten")
    assert _row(overview, "IHK / HWK")[:5] == [SMALL, FEW, FEW, FEW, FEW]    # 3 waits, 3 services
    assert _row(overview, "Ausländeramt")[-1] == PROTECTED                   # 3 no-shows
    assert _row(overview, "Jobcenter")[-1] == "3"                            # 10 of 325 visits
    handovers = _table(report, "uebergaben")
    assert _row(handovers, "Integrationszentrum → Ausländeramt")[0] == SMALL
    assert _row(handovers, "Integrationszentrum → Jobcenter") == ["20", "10", "10", "5", "50"]


def test_report_summary_sentences_name_no_suppressed_number(report: Report) -> None:
    text = {s.slug: " ".join(s.summary) for s in report.sections}
    assert "IHK" not in text["besuche"] and " 3 " not in text["besuche"]
    assert "Um einen stufenlosen Weg baten weniger als 5 Check-ins." in text["sprachen"]
    assert "Ohne Verbindung zum Server gaben die Kiosks weniger als 5 Nummern aus." in text["geraete"]
    visits = _table(report, "besuche_stellen")
    shown = {c.text for r in visits.rows for c in r.cells if not c.suppressed}
    for number in re.findall(r"\d[\d.]*", text["besuche"]):
        assert number.rstrip(".") in shown, number


def test_report_has_no_figure_per_counter_or_counsellor(report: Report, site: Site) -> None:
    html = _html(report)
    for counter in site.counters:
        assert f">{counter.id}<" not in html
    for box in site.button_boxes:
        assert box.id not in html
    assert "Tastenboxen" in html
    assert re.search(r"Beraterin|Berater", _html(report))


# --- CSV, HTML ------------------------------------------------------------------------------------------------

def _read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: no UTF-8 byte-order mark"
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def test_report_every_csv_reads_back_with_its_header_and_marks(report: Report, tmp_path: Path) -> None:
    for table in report.tables():
        write_csv(table, tmp_path / f"{table.slug}.csv")
        rows = _read_csv(tmp_path / f"{table.slug}.csv")
        assert rows[0] == [table.corner, *table.columns]
        assert len(rows) == len(table.rows) + 1
        for written, row in zip(rows[1:], table.rows, strict=True):
            assert written[0] == row.header
            assert written[1:] == [c.csv for c in row.cells]
    days = _read_csv(tmp_path / "besuche_tage.csv")
    assert days[1][0] == "2026-03-02" and len(days) == 15
    ihk = days[0].index("IHK / HWK")
    assert [row[ihk] for row in days[1:]] == [SMALL] + ["0"] * 13
    stellen = _read_csv(tmp_path / "besuche_stellen.csv")
    assert stellen[-1][:4] == ["Alle Stellen", "598", "239", "837"]    # no thousands separator in the CSV


def _html(report: Report) -> str:
    from reports.html_page import render_html

    return render_html(report)


def test_report_html_loads_nothing_from_outside_and_has_table_headers(report: Report) -> None:
    html = _html(report)
    assert "http" not in html.lower()
    for attr, value in re.findall(r'\b(src|href)="([^"]*)"', html):
        assert "//" not in value and ":" not in value, (attr, value)
        assert attr == "href" and value.startswith("#") or value.startswith("charts/"), value
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html
    assert '<th scope="col">' in html and '<th scope="row">' in html
    in_methods = sum(isinstance(b, Table) for b in report.methods.blocks)
    assert html.count("<table>") == len([t for t in report.tables() if t.in_document]) + in_methods + 1  # + legend


def test_report_html_escapes_names_from_the_site_file() -> None:
    site = _site(('short = "Jobcenter"', 'short = "Job<b>center</b> & \\"Co\\""'))
    html = _html(build_report(site, _figures(), _source(site)))
    assert "Job&lt;b&gt;center&lt;/b&gt; &amp; &quot;Co&quot;" in html
    assert "<b>center" not in html


def test_report_names_languages_in_german() -> None:
    assert language_name("kmr") == "Kurmandschi (Kurdisch)"
    assert language_name("ar") == "Arabisch" and language_name("fa") == "Persisch"
    assert language_name("xx-Yy") == "xx-Yy"


def test_report_of_an_empty_period_says_so(site: Site) -> None:
    empty = build_report(site, [], _source(site))
    text = " ".join(x for s in empty.sections for x in s.summary)
    assert "keine Besuche" in text and "keine Check-ins" in text and "keine Wartezeit" in text
    assert "<!DOCTYPE html>" in _html(empty)


def test_report_header_says_which_period_and_which_data(report: Report) -> None:
    facts = dict(report.facts)
    assert facts["Zeitraum"] == "2. März 2026 bis 15. März 2026 (14 Kalendertage)"
    assert facts["Daten"].startswith("Zahlen von 10 Tagen: 8 Tage aus den gespeicherten Tageszahlen")
    assert "2 Tage eben aus dem Ereignisprotokoll berechnet (4.321 Einträge gelesen)" in facts["Daten"]
    assert facts["Datenbank"] == "sqlite:////var/lib/arkaden/core.sqlite"
    from reports.front import without_password

    assert without_password("postgresql+psycopg://arkaden:geheim@db/arkaden") == \
        "postgresql+psycopg://arkaden:***@db/arkaden"


def test_report_import_runs_nothing() -> None:
    """Every module of reports/ only imports, defines and names constants at import time: no pyplot, no
    backend chosen, no file opened."""
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)
    for path in sorted((REPO / "reports").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name}: no module docstring"
        for node in tree.body[1:]:
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                continue
            assert isinstance(node, allowed), f"{path.name}:{node.lineno}: runs at import: {ast.unparse(node)[:60]}"
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                calls = [n for n in ast.walk(node.value) if isinstance(n, ast.Call)]
                assert all(ast.unparse(c.func) in ("str.maketrans", "dict") for c in calls), \
                    f"{path.name}:{node.lineno}: calls at import: {ast.unparse(node)[:60]}"
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {f"{n.module}.{a.name}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert not any("pyplot" in name for name in imported), f"{path.name} imports pyplot"
        assert "matplotlib.use(" not in path.read_text(encoding="utf-8"), path.name


def test_report_without_a_font_fails_naming_the_package(monkeypatch: pytest.MonkeyPatch, site: Site,
                                                        tmp_path: Path) -> None:
    from reports import pdf_doc

    monkeypatch.setattr(pdf_doc, "FONT_CHOICES", (("/nonexistent/a.ttf", "/nonexistent/b.ttf"),))
    with pytest.raises(pdf_doc.FontMissing, match="fonts-dejavu-core"):
        write_report(site, [], _source(site), tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- the whole report, rendered ------------------------------------------------------------------------------

@pytest.mark.slow
def test_report_writes_html_pdf_charts_and_csvs_and_renders_the_pages(site: Site) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: install the Debian package poppler-utils", pytrace=False)
    out = ARTIFACTS / "report"
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    files = write_report(site, _figures(), _source(site), out)
    names = {f.relative_to(out).as_posix() for f in files}
    assert {"bericht.html", "bericht.pdf", "charts/besuche_tage.png", "charts/ankuenfte.png",
            "charts/uebergaben.png", "csv/besuche_tage.csv", "csv/geraete.csv"} <= names
    assert all(f.is_file() and f.stat().st_size > 0 for f in files)
    html = (out / "bericht.html").read_text(encoding="utf-8")
    for src in re.findall(r'src="([^"]+)"', html):
        assert (out / src).is_file(), src
    for path in out.glob("csv/*.csv"):
        assert len(_read_csv(path)) > 1
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(out / "bericht.pdf"), str(ARTIFACTS / "seite")],
                   check=True, timeout=120)
    pages = sorted(ARTIFACTS.glob("seite-*.png"))
    assert len(pages) >= 8
    info = subprocess.run(["pdfinfo", str(out / "bericht.pdf")], capture_output=True, text=True, check=True)
    assert re.findall(r"Pages:\s+(\d+)", info.stdout) == [str(len(pages))]
    text = subprocess.run(["pdftotext", str(out / "bericht.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Entwicklungs- und Erfahrungsbericht" in text and "Seite 1 von" in text
    assert "Ausländeramt" in text and "< 5" in text and "Methodik" in text


@pytest.mark.slow
def test_report_html_in_a_real_browser_shows_every_chart_and_fetches_nothing(site: Site, tmp_path: Path) -> None:
    """Debian's chromium renders the page offline: every image loads (no broken picture), nothing is fetched from
    the network, and the screenshot lands in artifacts/report-render/ for a person to look at."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail("chromium is missing: install the Debian package chromium (./scripts/test does)", pytrace=False)
    out = tmp_path / "bericht"
    write_report(site, _figures(), _source(site), out)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "bericht-html.png"
    profile = tmp_path / "profile"
    common = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
              f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9", "--window-size=1280,2400"]
    # the DOM after load: each <img> says whether it decoded (naturalWidth > 0); a proxy that refuses every
    # connection would leave any network asset broken
    probe = out / "probe.html"
    page = (out / "bericht.html").read_text(encoding="utf-8")
    probe.write_text(page.replace("</body>", "<script>window.addEventListener('load',()=>{document.title="
                                  "[...document.images].map(i=>i.naturalWidth>0?'ok':'broken:'+i.src).join(' ');});"
                                  "</script></body>"), encoding="utf-8")
    dom = subprocess.run([*common, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.S)
    assert title is not None
    states = title[1].split()
    assert len(states) >= 6 and set(states) == {"ok"}, states
    run = subprocess.run([*common, f"--screenshot={shot}", (out / "bericht.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1280, 2400)
        assert len(image.convert("L").getcolors(1 << 16) or []) > 20, "the page rendered (not a blank sheet)"
