"""The `arkaden` command: core service, bookings, protocol docs, database, benchmark and demo."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("arkaden")


def _site(path: str):  # type: ignore[no-untyped-def]
    from .site import SiteConfigError, load_site

    try:
        return load_site(path)
    except SiteConfigError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .store import Store, default_db_url

    store = Store(args.db_url or default_db_url())
    store.migrate()
    return store


def _clock(site, start: str | None, scale: float):  # type: ignore[no-untyped-def]
    """The core's clock: real time, or (for demos) a day that starts at `start` and runs `scale` times faster."""
    import time
    from datetime import datetime, time as daytime, timedelta

    from .service import utcnow

    if start is None and scale == 1:
        return utcnow
    first = datetime.combine(datetime.now(site.tz).date(), daytime.fromisoformat(start), site.tz) if start else utcnow()
    t0 = time.monotonic()
    return lambda: first + timedelta(seconds=(time.monotonic() - t0) * scale)


def _broker(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Host, port and login from --host/--port/--broker-config/--broker-user/--tls-* (see broker_auth)."""
    from .broker_auth import settings_or_exit

    return settings_or_exit(args)


def cmd_core(args: argparse.Namespace) -> int:
    from . import sd_notify
    from .core_runner import CoreRunner
    from .service import QueueService

    site = _site(args.site)
    broker = _broker(args)
    store = _store(args)
    clock = _clock(site, args.clock_start, args.clock_scale)
    service = QueueService(site, store, always_open=args.always_open, clock=clock)
    runner = CoreRunner(service, broker.host, broker.port, auth=broker.auth)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    log.info("core for site %s running (broker %s:%d%s, db %s)", site.site.id, broker.host, broker.port,
             f" as {broker.auth.username or 'certificate'}" if broker.auth else "", store.url.split("@")[-1])
    # READY once started (the database is migrated and today's state rebuilt); the broker may come later
    sd_notify.serve(stop, alive=runner.alive, status=runner.status)
    log.info("stopping")
    sd_notify.notify_stopping()
    runner.stop()
    store.close()
    return 0


def cmd_bookings_add(args: argparse.Namespace) -> int:
    from .bookings import BookingError, make_booking

    site = _site(args.site)
    try:
        booking = make_booking(site, code=args.code, service=args.service, slot=args.slot, minutes=args.minutes,
                               language=args.language, party_size=args.party_size)
    except BookingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    added = _store(args).add_bookings([booking])
    print("added 1 booking" if added else "booking exists already")
    return 0


def cmd_bookings_import(args: argparse.Namespace) -> int:
    from .bookings import BookingError, read_csv

    site = _site(args.site)
    try:
        bookings = read_csv(site, Path(args.file))
    except (BookingError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    added = _store(args).add_bookings(bookings)
    print(f"read {len(bookings)} bookings, added {added} new")
    return 0


def cmd_protocol_docs(args: argparse.Namespace) -> int:
    from .protocol import docs

    text = docs.render()
    target = Path(args.out)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `arkaden protocol-docs`", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    store = _store(args)
    print(f"database at newest schema: {store.url.split('@')[-1]}")
    return 0


def _printer_url_problems(site) -> list[str]:  # type: ignore[no-untyped-def]
    """Each printer URL parsed as the kiosk will (kiosk_app is imported here only, never by the core)."""
    try:
        from kiosk_app.printing.factory import PrinterURLError, parse_printer_url
    except ImportError as exc:
        return [f"printer URLs not checked: the kiosk extra is not installed ({exc})"]
    problems = []
    for i, printer in enumerate(site.printers):
        try:
            parse_printer_url(printer.url)
        except PrinterURLError as exc:
            problems.append(f"printers[{i}] ({printer.id}).url: {exc}")
    return problems


def cmd_site_check(args: argparse.Namespace) -> int:
    site = _site(args.site)
    problems = _printer_url_problems(site)
    if problems:
        for problem in problems:
            print(f"{args.site}: {problem}", file=sys.stderr)
        if any(not p.startswith("printer URLs not checked") for p in problems):
            return 2
    print(f"{args.site}: ok — {len(site.agencies)} agencies, {len(site.services)} services, "
          f"{len(site.concerns)} concerns, {len(site.counters)} counters, {len(site.device_ids())} devices")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from datetime import date, datetime

    from .stats import stats_for_day

    site = _site(args.site)
    day = date.fromisoformat(args.day) if args.day else datetime.now(site.tz).date()
    rows = stats_for_day(site, _store(args), day)
    if args.json:
        print(json.dumps({"day": day.isoformat(), "services": rows}))
        return 0
    print(f"{day}  {'service':24} {'arrived':>7} {'served':>6} {'no-show':>7} {'wait ø':>7} {'service ø':>9}")
    for r in rows:
        wait = "-" if r["mean_wait_min"] is None else f"{r['mean_wait_min']:.0f} min"
        svc = "-" if r["mean_service_min"] is None else f"{r['mean_service_min']:.0f} min"
        print(f"{'':12}{r['service']:24} {r['arrivals']:>7} {r['served']:>6} {r['no_shows']:>7} {wait:>7} {svc:>9}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    result = bench.run(quick=args.quick)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    return demo.run(site_path=args.site, seconds=args.seconds, db_url=args.db_url, speed=args.speed)


def cmd_simulate(args: argparse.Namespace) -> int:
    from . import simulate

    site = _site(args.site)
    broker = _broker(args)
    simulate.run(site, broker.host, broker.port, seconds=args.seconds, speed=args.speed, auth=broker.auth)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from . import watch

    site = _site(args.site)
    broker = _broker(args)
    watch.watch(site, broker.host, broker.port, seconds=args.seconds, auth=broker.auth)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arkaden", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING, ERROR")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db-url", default=None,
                       help="SQLAlchemy URL (default: $ARKADEN_DB_URL or SQLite in ~/.local/share/arkaden)")

    def with_broker(p: argparse.ArgumentParser) -> None:
        from .broker_auth import add_arguments

        add_arguments(p)  # --host, --port and the login options (issue 6)

    p = sub.add_parser("core", help="run the queue core service")
    p.add_argument("--site", required=True)
    p.add_argument("--always-open", action="store_true", help="ignore agencies' opening hours (demo, tests)")
    p.add_argument("--clock-start", default=None, help="demo only: the core's day starts at this local time (HH:MM)")
    p.add_argument("--clock-scale", type=float, default=1.0, help="demo only: the core's clock runs this much faster")
    with_db(p)
    with_broker(p)
    p.set_defaults(func=cmd_core)

    bookings = sub.add_parser("bookings", help="add booked appointments").add_subparsers(dest="what", required=True)
    p = bookings.add_parser("add", help="add one booking")
    p.add_argument("--site", required=True)
    p.add_argument("--code", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--slot", required=True, help="local time, e.g. 2026-11-23T09:30")
    p.add_argument("--minutes", type=int, default=30)
    p.add_argument("--language", default="de")
    p.add_argument("--party-size", type=int, default=1)
    with_db(p)
    p.set_defaults(func=cmd_bookings_add)
    p = bookings.add_parser("import", help="add bookings from CSV (code,service,slot,minutes,language,party_size)")
    p.add_argument("--site", required=True)
    p.add_argument("file")
    with_db(p)
    p.set_defaults(func=cmd_bookings_import)

    p = sub.add_parser("protocol-docs", help="write (or --check) docs/protocol.md from the payload models")
    p.add_argument("--out", default="docs/protocol.md")
    p.add_argument("--check", action="store_true")
    p.set_defaults(func=cmd_protocol_docs)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="what", required=True)
    p = db.add_parser("upgrade", help="migrate the database to the newest schema")
    with_db(p)
    p.set_defaults(func=cmd_db_upgrade)

    site = sub.add_parser("site", help="site files").add_subparsers(dest="what", required=True)
    p = site.add_parser("check", help="validate a site file")
    p.add_argument("site")
    p.set_defaults(func=cmd_site_check)

    p = sub.add_parser("stats", help="a day's figures per service, rebuilt from the event log")
    p.add_argument("--site", required=True)
    p.add_argument("--day", default=None, help="YYYY-MM-DD (default: today at the site)")
    p.add_argument("--json", action="store_true")
    with_db(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("bench", help="measure latencies and throughput against a private Mosquitto")
    p.add_argument("--json", action="store_true", help="one JSON object on one line")
    p.add_argument("--quick", action="store_true", help="fewer samples (for tests)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="run a private broker, the core and a simulated morning")
    p.add_argument("--site", default="sites/kia-aachen-arkaden.toml")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until Ctrl-C)")
    p.add_argument("--speed", type=float, default=60, help="simulated minutes per real minute")
    with_db(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("simulate", help="play arrivals and counsellors against a running core")
    p.add_argument("--site", required=True)
    p.add_argument("--seconds", type=float, default=0)
    p.add_argument("--speed", type=float, default=60)
    with_broker(p)
    p.set_defaults(func=cmd_simulate)

    from . import cli_devices  # kiosk, slips, button boxes, displays, reception
    from .provisioning import command as provisioning  # broker security and provisioning

    provisioning.add_parser(sub)

    p = sub.add_parser("watch", help="print the public calls and board, as a display sees them")
    p.add_argument("--site", required=True)
    p.add_argument("--seconds", type=float, default=0)
    with_broker(p)
    p.set_defaults(func=cmd_watch)

    cli_devices.add_parsers(sub, with_broker)
    return parser


def main(argv: list[str] | None = None) -> int:
    from . import logs

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "kiosk":
        args.kiosk_args = extra + (["--log-level", args.log_level] if args.log_level else [])
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logs.setup(args.log_level)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
