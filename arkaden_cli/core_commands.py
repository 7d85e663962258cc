"""`arkaden core|db|stats|protocol-docs|site`: the queue core, its database and the site file."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from queue_rules.site import Site

from .common import broker_from, clock, site_or_exit, store_from, with_broker, with_db, with_sim_clock

log = logging.getLogger("arkaden")


def cmd_core(args: argparse.Namespace) -> int:
    from host_support import sd_notify
    from queue_core.runner import CoreRunner
    from queue_core.service import QueueService, utcnow

    site = site_or_exit(args.site)
    broker = broker_from(args)
    store = store_from(args)
    service = QueueService(site, store, always_open=args.always_open,
                           clock=clock(site, args.clock_start, args.clock_scale, utcnow, args.sim_clock))
    runner = CoreRunner(service, broker.host, broker.port, auth=broker.auth)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    runner.start()
    log.info("core for site %s running (broker %s:%d%s, db %s)", site.site.id, broker.host, broker.port,
             f" as {broker.auth.username or 'certificate'}" if broker.auth else "", store.url.split("@")[-1])
    if args.sim_clock is not None:
        log.info("simulated clock %s: it is %s at the site", args.sim_clock.spec(),
                 args.sim_clock.now().astimezone(site.tz).isoformat(timespec="seconds"))
    # READY once started (the database is migrated and today's state rebuilt); the broker may come later
    sd_notify.serve(stop, alive=runner.alive, status=runner.status)
    log.info("stopping")
    sd_notify.notify_stopping()
    runner.stop()
    store.close()
    return 0


def cmd_protocol_docs(args: argparse.Namespace) -> int:
    from queue_protocol import docs

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
    store = store_from(args)
    print(f"database at newest schema: {store.url.split('@')[-1]}")
    return 0


def _printer_url_problems(site: Site) -> list[str]:
    """Each printer URL parsed as the kiosk will (the kiosk's printing package, if its extra is installed)."""
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
    site = site_or_exit(args.site)
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

    from queue_rules.stats import day_stats

    site = site_or_exit(args.site)
    day = date.fromisoformat(args.day) if args.day else datetime.now(site.tz).date()
    rows = day_stats(site, list(store_from(args).events(day=day)))
    if args.json:
        print(json.dumps({"day": day.isoformat(), "services": rows}))
        return 0
    print(f"{day}  {'service':24} {'arrived':>7} {'served':>6} {'no-show':>7} {'wait ø':>7} {'service ø':>9}")
    for r in rows:
        wait = "-" if r["mean_wait_min"] is None else f"{r['mean_wait_min']:.0f} min"
        svc = "-" if r["mean_service_min"] is None else f"{r['mean_service_min']:.0f} min"
        print(f"{'':12}{r['service']:24} {r['arrivals']:>7} {r['served']:>6} {r['no_shows']:>7} {wait:>7} {svc:>9}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("core", help="run the queue core service")
    p.add_argument("--site", required=True)
    p.add_argument("--always-open", action="store_true", help="ignore agencies' opening hours (demo, tests)")
    p.add_argument("--clock-start", default=None, help="demo only: the core's day starts at this local time (HH:MM)")
    p.add_argument("--clock-scale", type=float, default=1.0, help="demo only: the core's clock runs this much faster")
    with_sim_clock(p)  # wins over --clock-start/--clock-scale
    with_db(p)
    with_broker(p)
    p.set_defaults(func=cmd_core)

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
