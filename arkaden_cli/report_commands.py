"""`arkaden report` (the committee report for a period) and `arkaden purge` (retention of personal data)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .common import parse_day, site_or_exit, store_from, with_db

if TYPE_CHECKING:
    from queue_core.store import Store

T = TypeVar("T")


def _fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(2)


def _day(text: str, option: str) -> date:
    day = parse_day(text)
    if day is None:
        raise _fail(f"{option}: {text!r} is not a date (2026-12-02 or 02.12.2026)")
    return day


def _with_database(what: str, shown: str, work: Callable[[], T]) -> T:
    """Run `work`; a database that is down, refuses, is not a database or has no driver is one clear line."""
    import sqlalchemy as sa

    try:
        return work()
    except sa.exc.DBAPIError as exc:  # down, refused, not a database file, …
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise _fail(f"{what}: cannot use the database {shown}: {reason}") from None
    except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        raise _fail(f"{what}: cannot use the database {shown}: no driver for it ({exc})") from None


def _existing_store(what: str, args: argparse.Namespace) -> tuple[Store, str]:
    """The database the core writes, and its URL as it may be shown (no password); a SQLite file that is not
    there is a mistyped path, not an empty centre."""
    import sqlalchemy as sa

    from queue_core.store import default_db_url

    url = args.db_url or default_db_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise _fail(f"{what}: --db-url {url!r} is not a database URL "
                    "(e.g. sqlite:////var/lib/arkaden/arkaden.db or postgresql+psycopg://user@host/db)") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database or "").is_file():
            raise _fail(f"{what}: there is no database at {parsed.database} (check --db-url or $ARKADEN_DB_URL)")
    return _with_database(what, shown, lambda: store_from(args)), shown


def cmd_report(args: argparse.Namespace) -> int:
    from queue_core.retention import period_figures
    from reports.build import write_report
    from reports.source import ReportSource

    site = site_or_exit(args.site)
    first, last = _day(args.first, "--from"), _day(args.last, "--to")
    if last < first:
        raise _fail(f"--to {last} is before --from {first}")
    if (last - first).days > 3 * 366:
        raise _fail("the period is longer than three years; make one report per year")
    if not args.out.strip():
        raise _fail("--out: give the folder for the report (it is created if needed)")
    out = Path(args.out)
    store, shown = _existing_store("report", args)
    try:
        period = _with_database("report", shown, lambda: period_figures(site, store, first, last))
    finally:
        store.close()
    source = ReportSource(
        site_name=site.site.name, first_day=first, last_day=last,
        database=shown,
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
    real_today = datetime.now(site.tz).date()
    today = _day(args.today, "--today") if args.today else real_today
    if not date(2000, 1, 1) <= today <= real_today:
        raise _fail(f"--today {today}: give a day between 2000-01-01 and today ({real_today}); "
                    "a later one would delete current data")
    keep = args.retention_days
    if keep is not None and not 3 <= keep <= 3650:
        raise _fail("--retention-days must be 3 to 3650 (a day's figures need the days before and after it)")
    store, shown = _existing_store("purge", args)
    try:
        result = _with_database("purge", shown, lambda: purge(site, store, today=today, retention_days=keep))
    except ValueError as exc:  # the store refused to delete a day whose figures are not stored
        raise _fail(f"purge: {exc}") from None
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
    p.add_argument("--from", dest="first", required=True, help="first day (2026-11-01 or 01.11.2026)")
    p.add_argument("--to", dest="last", required=True, help="last day, included")
    p.add_argument("--out", required=True, help="folder for bericht.html, bericht.pdf, charts/ and csv/")
    with_db(p)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("purge", help="store the daily figures, then delete personal data past the retention period")
    p.add_argument("--site", required=True)
    p.add_argument("--retention-days", type=int, default=None,
                   help="instead of the site file's policy.retention_days (3 to 3650)")
    p.add_argument("--today", default=None, help=argparse.SUPPRESS)  # tests and the demo's simulated day
    p.add_argument("--json", action="store_true", help="print what was deleted as JSON")
    with_db(p)
    p.set_defaults(func=cmd_purge)

