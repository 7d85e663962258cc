"""The committee report of a seeded simulated month: its figures against values the test computes itself from
the raw event log (not with the report's or the tally's functions), small cells suppressed, device downtime,
and the same tables after a purge that deleted the whole month's personal data."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from arkaden_cli.day_sim import simulate_days
from host_support.site_file import load_site
from queue_core.store import Store
from queue_rules.site import Site

REPO = Path(__file__).resolve().parents[1]
SITE_FILE = REPO / "sites" / "kia-aachen-arkaden.toml"
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 27)  # four working weeks of November 2026
SMALL = "< 5"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(SITE_FILE)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory, site: Site) -> str:
    """A month in one SQLite database: the whole population, plus a kiosk that was down and out of paper."""
    url = f"sqlite:///{tmp_path_factory.mktemp('month') / 'arkaden.db'}"
    store = Store(url)
    store.migrate()
    simulate_days(site, store, FIRST, 20, seed=11, journeys=10, walk_in_rate=0.2)
    kiosk = site.kiosks[0]
    at = datetime(2026, 11, 10, 9, 0, tzinfo=site.tz)   # a Tuesday morning: 35 minutes down, then 20 without paper
    store.record_presence(at=at - timedelta(hours=2), device=kiosk.id, kind="kiosk", online=True, paper="ok")
    store.record_presence(at=at, device=kiosk.id, kind="kiosk", online=False, paper="")
    store.record_presence(at=at + timedelta(minutes=35), device=kiosk.id, kind="kiosk", online=True, paper="ok")
    store.record_presence(at=at + timedelta(minutes=50), device=kiosk.id, kind="kiosk", online=True, paper="out")
    store.record_presence(at=at + timedelta(minutes=70), device=kiosk.id, kind="kiosk", online=True, paper="ok")
    store.close()
    return url


def _report(url: str, out: Path, first: date = FIRST, last: date = LAST) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([sys.executable, "-m", "arkaden_cli", "report", "--site", str(SITE_FILE), "--db-url", url,
                          "--from", first.isoformat(), "--to", last.isoformat(), "--out", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run


def _table(out: Path, slug: str) -> dict[str, dict[str, str]]:
    """csv/<slug>.csv as {row header: {column: cell}}."""
    text = (out / "csv" / f"{slug}.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))  # the report's documented separator
    head = rows[0]
    return {r[0]: dict(zip(head[1:], r[1:], strict=False)) for r in rows[1:]}


def _raw(url: str) -> list[dict[str, Any]]:
    """The event log as stored: each row's JSON, in log order (read without the store's or the rules' code)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT data FROM event_log ORDER BY seq")).all()
    engine.dispose()
    return [json.loads(r[0]) for r in rows]


def _when(text: str, site: Site) -> datetime:
    return datetime.fromisoformat(text).astimezone(site.tz)


def _nearest_rank(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1]


def _model(site: Site, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The test's own reading of the log: check-ins by language, visits and waits per agency."""
    agency_of = {s.id: s.agency for s in site.services}
    languages: Counter[str] = Counter()
    interpreters: Counter[str] = Counter()
    visits: Counter[str] = Counter()
    waits: dict[str, list[int]] = defaultdict(list)
    hours: Counter[tuple[int, int]] = Counter()
    service: dict[str, str] = {}
    queued: dict[str, datetime] = {}
    called_here: dict[str, bool] = {}
    for e in events:
        kind, ticket = e["type"], e.get("ticket")
        if kind == "ticket_issued":
            languages[e["language"]] += 1
            interpreters[e["language"]] += e["interpreter"]
            arrived = _when(e.get("arrived_at") or e["at"], site)
            hours[(arrived.weekday(), arrived.hour)] += 1
            service[ticket] = e["service"]
            visits[agency_of[e["service"]]] += 1
            called_here[ticket] = False
            if not e.get("see_reception"):
                queued[ticket] = (max(_when(e["eligible_at"], site), arrived) if e.get("slot")
                                  else _when(e["order_at"], site))
        elif kind in ("ticket_transferred", "ticket_referred"):
            service[ticket] = e["to_service"]
            visits[agency_of[e["to_service"]]] += 1
            queued[ticket], called_here[ticket] = _when(e["at"], site), False
        elif kind == "ticket_advanced":
            service[ticket] = e["service"]
            visits[agency_of[e["service"]]] += 1
            queued[ticket] = max(_when(e["at"], site), _when(e["eligible_at"], site))
            called_here[ticket] = False
        elif kind == "ticket_moved":
            visits[agency_of[service[ticket]]] -= 1
            service[ticket] = e["to_service"]
            visits[agency_of[e["to_service"]]] += 1
        elif kind == "ticket_returned" and not called_here[ticket]:
            queued[ticket] = _when(e["at"], site)
        elif kind == "ticket_called":
            called_here[ticket] = True
            if ticket in queued:
                seconds = (_when(e["at"], site) - queued.pop(ticket)).total_seconds()
                waits[agency_of[service[ticket]]].append(min(int(seconds // 60), 600))
    return {"languages": languages, "interpreters": interpreters, "visits": visits, "waits": waits, "hours": hours}


def _agency_row(table: dict[str, dict[str, str]], site: Site, agency: str) -> dict[str, str]:
    a = site.agency(agency)
    for label in (a.short, a.name):
        if label in table:
            return table[label]
    raise AssertionError(f"no row for {agency} ({a.short!r}) in {sorted(table)}")


def _shown(cell: str, true: int) -> None:
    """A count is shown as itself, or as "< 5" when it is 1 to 4, or protected (a mark) when it could be derived."""
    if 1 <= true <= 4:
        assert cell == SMALL, f"{true} clients must read {SMALL!r}, not {cell!r}"
    elif cell.strip().isdigit():
        assert int(cell) == true, f"{cell} != {true}"
    else:
        assert not cell.strip()[:1].isdigit(), f"unreadable cell {cell!r}"


def test_report_month_figures_match_the_log_and_small_cells_are_suppressed(
        month: str, site: Site, tmp_path: Path) -> None:
    out = tmp_path / "bericht"
    _report(month, out)
    model = _model(site, _raw(month))

    langs = _table(out, "sprachen")
    names = {"ar": "Arabisch", "uk": "Ukrainisch", "fa": "Persisch", "de": "Deutsch", "ti": "Tigrinya"}
    for code, name in names.items():
        row = langs[name]
        _shown(row["Check-ins"], model["languages"][code])
        _shown(row["mit Dolmetschwunsch"], model["interpreters"][code])
    assert any(1 <= n <= 4 for n in model["interpreters"].values()), "the month should have a small cell to hide"

    visits = _table(out, "besuche_stellen")
    for agency in ("auslaenderamt", "jobcenter", "gesundheitskiosk", "ki", "kammern"):
        _shown(_agency_row(visits, site, agency)["Zusammen"], model["visits"][agency])
    assert sum(model["visits"].values()) == int(visits["Alle Stellen"]["Zusammen"])

    waits = _table(out, "wartezeiten")
    checked = 0
    for agency, values in model["waits"].items():
        if len(values) < 5:
            continue
        row = _agency_row(waits, site, agency)
        assert int(row["Median (Min.)"]) == _nearest_rank(values, 0.5), agency
        assert int(row["90. Perzentil (Min.)"]) == _nearest_rank(values, 0.9), agency
        checked += 1
    assert checked >= 5, "most agencies had enough waits for a median"

    devices = _table(out, "geraete")
    kiosk = site.kiosks[0]
    assert devices[kiosk.id]["Minuten offline"] == "35" and devices[kiosk.id]["Ausfälle"] == "1"
    assert devices[kiosk.printer or kiosk.id]["Minuten ohne Papier"] == "20", "device minutes are not suppressed"

    html = (out / "bericht.html").read_text(encoding="utf-8")
    assert "2. November 2026 bis 27. November 2026" in html, "the report names its period"
    assert (out / "bericht.pdf").read_bytes().startswith(b"%PDF")


def test_report_month_the_years_report_is_the_same_after_a_purge_of_the_whole_month(
        month: str, site: Site, tmp_path: Path) -> None:
    import shutil

    db = Path(month.removeprefix("sqlite:///"))
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    url = f"sqlite:///{copy}"
    before, after = tmp_path / "before", tmp_path / "after"
    year = (date(2026, 1, 1), date(2026, 12, 31))
    first = _report(url, before, *year)
    assert "20 from the event log" in first.stdout
    purge = subprocess.run([sys.executable, "-m", "arkaden_cli", "purge", "--site", str(SITE_FILE), "--db-url", url,
                            "--today", (LAST + timedelta(days=4)).isoformat(), "--retention-days", "3", "--json"],
                           capture_output=True, text=True, timeout=300)
    assert purge.returncode == 0, purge.stderr
    assert json.loads(purge.stdout)["deleted"]["events"] > 2000
    assert _raw(url) == [], "the month's event log is gone"
    second = _report(url, after, *year)
    assert "20 from stored figures" in second.stdout
    for table in sorted((before / "csv").glob("*.csv")):
        assert (after / "csv" / table.name).read_text() == table.read_text(), f"{table.name} changed by the purge"
