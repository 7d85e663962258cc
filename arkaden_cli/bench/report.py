"""The report's figures for `arkaden bench`: folding a busy day into daily figures, the purge, and writing the report
for a month and for a year of figures (the seeded busy days repeated), at the real site on SQLite."""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def run(quick: bool = False) -> dict[str, float]:
    import logging

    from host_support.site_file import load_site
    from queue_core import retention
    from queue_core.store import Store
    from queue_rules.figures import Figure
    from reports.build import write_report
    from reports.source import ReportSource

    from ..common import SOURCE_ROOT
    from ..day_sim import simulate_days

    logging.getLogger("arkaden.core").setLevel(logging.ERROR)
    for noisy in ("fontTools", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    site = load_site(SOURCE_ROOT / "sites" / "kia-aachen-arkaden.toml")
    first = date(2026, 11, 2)
    days = 1 if quick else 5
    with tempfile.TemporaryDirectory(prefix="arkaden-bench-report-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'days.db'}")
        store.migrate()
        played = simulate_days(site, store, first, days, seed=1, journeys=40, walk_in_rate=0.4)
        fold_ms, events = [], []
        for day in played:
            t0 = time.perf_counter()
            _, n = retention.make_figures(site, store, day)
            fold_ms.append((time.perf_counter() - t0) * 1000)
            events.append(n)
        t0 = time.perf_counter()
        retention.purge(site, store, today=played[-1] + timedelta(days=40), retention_days=30)
        purge_s = time.perf_counter() - t0
        stored = store.stored_figures(first, played[-1])
        store.close()

        def period(n_days: int) -> tuple[list[Figure], date]:
            """The stored days' figures repeated over n_days working days."""
            out: list[Figure] = []
            day, i = first, 0
            while i < n_days:
                if day.weekday() < 5:
                    src = played[i % len(played)]
                    out += [dataclasses.replace(f, day=day) for f in stored if f.day == src]
                    i += 1
                day += timedelta(days=1)
            return out, day - timedelta(days=1)

        timings = {}
        for name, n_days in (("month", 21), ("year", 60 if quick else 250)):  # --quick: a quarter for "year"
            figures, last = period(n_days)
            source = ReportSource(site_name=site.site.name, first_day=first, last_day=last, database="bench",
                                  days_from_figures=n_days, days_from_log=0, events=0, generated_at=datetime.now(UTC))
            t0 = time.perf_counter()
            write_report(site, figures, source, Path(tmp) / name)
            timings[name] = time.perf_counter() - t0
    return {
        "report_day_events": round(statistics.fmean(events)),
        "report_fold_day_ms": round(statistics.fmean(fold_ms), 1),
        "report_purge_s": round(purge_s, 2),
        "report_month_s": round(timings["month"], 2),
        "report_year_s": round(timings["year"], 2),
    }

