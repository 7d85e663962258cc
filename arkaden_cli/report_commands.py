"""`arkaden report` (the committee report for a period) and `arkaden purge` (retention of personal data)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from .common import parse_day, site_or_exit, store_from, with_db

T = TypeVar("T")


def _fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(2)


def _day(text: str | None, option: str, default: date | None = None) -> date:
    if text is None:
        if default is None:
            raise _fail(f"{option} DATE is required (2026-12-02 or 02.12.2026)")
        return default
    day = parse_day(text)
    if day is None:
        raise _fail(f"{option}: {text!r} is not a date (2026-12-02 or 02.12.2026)")
    return day


def _with_database(what: str, url: str, work: Callable[[], T]) -> T:
    """Run `work`; a database that is down or refuses is one clear line, not a traceback."""
    import sqlalchemy as sa

    try:
        return work()
    except sa.exc.OperationalError as exc:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise _fail(f"{what}: cannot use the database {shown}: {reason}") from None


def cmd_report(args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from queue_core.retention import period_figures
    from reports.build import write_report
    from reports.source import ReportSource

    site = site_or_exit(args.site)
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if last < first:
        raise _fail(f"--to {last} is before --from {first}")
    if (last - first).days > 3 * 366:
        raise _fail("the period is longer than three years; make one report per year")
    out = Path(args.out)
    store = _with_database("report", args.db_url or "", lambda: store_from(args))
    try:
        period = _with_database("report", store.url, lambda: period_figures(site, store, first, last))
    finally:
        store.close()
    source = ReportSource(
        site_name=site.site.name, first_day=first, last_day=last,
        database=sa.engine.make_url(store.url).render_as_string(hide_password=True),
        days_from_figures=period.days_from_figures, days_from_log=period.days_from_log, events=period.events,
        generated_at=datetime.now(UTC))
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2 subsets fonts; its INFO lines are noise here
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    try:
        files = write_report(site, period.figures, source, out)
    except OSError as exc:
        raise _fail(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    print(f"report {first} – {last}: {period.days_from_figures + period.days_from_log} day(s) with data "
          f"({period.days_from_figures} from stored figures, {period.days_from_log} from the event log)")
    for f in files:
        if f.suffix in (".html", ".pdf"):
            print(f"  {f}")
    print(f"  {out / 'csv'}/ ({sum(1 for f in files if f.suffix == '.csv')} tables), {out / 'charts'}/")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from queue_core.retention import purge

    site = site_or_exit(args.site)
    today = _day(args.today, "--today", datetime.now(site.tz).date())
    keep = args.retention_days
    if keep is not None and keep < 3:
        raise _fail("--retention-days must be at least 3 (a day's figures need the days before and after it)")
    store = _with_database("purge", args.db_url or "", lambda: store_from(args))
    try:
        result = _with_database("purge", store.url, lambda: purge(site, store, today=today, retention_days=keep))
    finally:
        store.close()
    summary = {"figures_stored_for": [d.isoformat() for d in result.figured],
               "deleted_before": result.cut.isoformat(), "deleted": result.purged.as_dict()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        kept = keep if keep is not None else site.policy.retention_days
        print(f"purge: figures stored for {len(result.figured)} day(s); personal data from before "
              f"{result.cut} (older than {kept} days) deleted:")
        for table, n in result.purged.as_dict().items():
            print(f"  {table:<12} {n}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="the committee report for a period: HTML with charts, PDF and CSV tables")
    p.add_argument("--site", required=True)
    p.add_argument("--from", dest="first", default=None, help="first day (2026-11-01 or 01.11.2026)")
    p.add_argument("--to", dest="last", default=None, help="last day, included")
    p.add_argument("--out", required=True, help="folder for bericht.html, bericht.pdf, charts/ and csv/")
    with_db(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("purge", help="store the daily figures, then delete personal data past the retention period")
    p.add_argument("--site", required=True)
    p.add_argument("--retention-days", type=int, default=None,
                   help="override the site's policy.retention_days (default 30)")
    p.add_argument("--today", default=None, help=argparse.SUPPRESS)  # tests and the demo's simulated day
    p.add_argument("--json", action="store_true", help="print what was deleted as JSON")
    with_db(p)
    p.set_defaults(func=cmd_purge)

