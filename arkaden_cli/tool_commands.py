"""`arkaden demo|simulate|watch|bench|dev-broker`: the tools around the centre, for trying it out and measuring it."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import time as dtime
from pathlib import Path

from queue_rules.site import Site

from .common import broker_from, site_or_exit, with_broker, with_sim_clock


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import suite

    result = suite.run(quick=args.quick)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    return demo.run(site_path=args.site, seconds=args.seconds, db_url=args.db_url, speed=args.speed,
                    until=args.until, run_on=args.run_on, out=args.out, headless=args.headless, boxes=args.boxes,
                    snapshot_seconds=args.snapshot_seconds, seed=args.seed)


def _time_of_day(text: str) -> dtime:
    try:
        return dtime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day such as 11:30") from None


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text}: between 0.1 and 3600 simulated minutes per real minute")
    return value


def cmd_simulate(args: argparse.Namespace) -> int:
    from . import simulate

    site = site_or_exit(args.site)
    if args.day:
        return _simulate_day(site, args)
    broker = broker_from(args)
    simulate.run(site, broker.host, broker.port, seconds=args.seconds, speed=args.speed, auth=broker.auth,
                 clock=args.sim_clock, seed=args.seed)
    return 0


def _simulate_day(site: Site, args: argparse.Namespace) -> int:
    import logging

    from .day_sim import simulate_day

    logging.getLogger("arkaden.core").setLevel(logging.ERROR)  # refusals (closed agencies) are part of the day
    with_rule = simulate_day(site, seed=args.seed, journeys=args.journeys)
    without = simulate_day(site, seed=args.seed, journeys=args.journeys, journey_priority=False)
    if args.json:
        print(json.dumps({"with_rule": with_rule.as_dict(), "without_rule": without.as_dict()}, indent=2))
        return 0
    print(f"a busy simulated day at {site.site.name} (seed {args.seed}): {with_rule.journeys} journeys with "
          f"{with_rule.journey_stops} stops, {with_rule.walk_ins} walk-ins served")
    print(f"{'':44} {'with the rule':>14} {'without':>10}")
    for key, label in (("journey_same_day_share", "journeys finished the same day (share)"),
                       ("journey_gap_min_p50", "wait between two stops, median (min)"),
                       ("journey_gap_min_p90", "wait between two stops, 90th pct. (min)"),
                       ("journey_wait_past_slot_min_p90", "wait past the next slot, 90th pct. (min)"),
                       ("booked_stops_missed_late", "booked stops missed: earlier stop ran late"),
                       ("walk_in_wait_min_p50", "walk-ins' wait, median (min)"),
                       ("walk_in_wait_min_p90", "walk-ins' wait, 90th pct. (min)")):
        print(f"{label:44} {getattr(with_rule, key):>14} {getattr(without, key):>10}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from host_support.sim_clock import real_now

    from . import watch

    site = site_or_exit(args.site)
    broker = broker_from(args)
    watch.watch(site, broker.host, broker.port, seconds=args.seconds, auth=broker.auth,
                clock=args.sim_clock.now if args.sim_clock else real_now)
    return 0


def cmd_dev_broker(args: argparse.Namespace) -> int:
    """The development broker (anonymous, loopback only) from the shipped config, until Ctrl-C."""
    from .dev_broker import BrokerUnavailable, MosquittoBroker

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    broker = MosquittoBroker(Path(args.dir), port=args.port)
    try:
        broker.start()
    except BrokerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"development broker on {broker.host}:{broker.port} (anonymous, loopback only); Ctrl-C stops it",
          flush=True)
    try:
        while not stop.wait(0.5):
            if not broker.running:
                print("error: the broker stopped by itself", file=sys.stderr)
                return 1
    finally:
        broker.stop()
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help="measure latencies and throughput against a private Mosquitto")
    p.add_argument("--json", action="store_true", help="one JSON object on one line")
    p.add_argument("--quick", action="store_true", help="fewer samples (for tests)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="the whole centre on one machine playing a simulated morning (docs/demo.md)")
    p.add_argument("--site", default="sites/kia-aachen-arkaden.toml", help="the site file (default: the Aachen-"
                   "Arkaden example; a second kiosk in it prints the simulated slips)")
    p.add_argument("--speed", type=_speed, default=60,
                   help="simulated minutes per real minute (default 60: the morning takes about 4.5 minutes)")
    p.add_argument("--until", type=_time_of_day, default=None, metavar="HH:MM",
                   help="the simulated time the demo stops at (default 12:30, the end of the morning)")
    p.add_argument("--run-on", action="store_true", help="do not stop after the morning: until Ctrl-C (or --seconds)")
    p.add_argument("--seconds", type=float, default=0, help="stop after this many real seconds (0: no limit)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="the output folder (default: a new .demo/run-<date>-<time>-<pid>/ here)")
    p.add_argument("--headless", action="store_true",
                   help="run the windows on a private Xvfb and write screenshots, even with a screen")
    p.add_argument("--boxes", type=int, default=3, metavar="N",
                   help="counters whose counsellors use a simulated button box (default 3; 0: none)")
    p.add_argument("--snapshot-seconds", type=float, default=5.0, metavar="S",
                   help="headless: real seconds between two screenshots of a window (default 5)")
    p.add_argument("--seed", type=int, default=None, help="the same morning again: who comes when")
    p.add_argument("--db-url", default=None, help="another database, e.g. PostgreSQL (default: a fresh SQLite "
                   "database in the run's folder)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("simulate", help="play arrivals and counsellors against a running core, or (--day) a "
                                        "whole day in process and print the journey figures")
    p.add_argument("--site", required=True)
    p.add_argument("--seconds", type=float, default=0)
    p.add_argument("--speed", type=float, default=60)
    p.add_argument("--day", action="store_true", help="simulate a whole busy day in process (seconds, no broker)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--journeys", type=int, default=40)
    p.add_argument("--json", action="store_true")
    with_sim_clock(p)  # follow a demo's clock
    with_broker(p)
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("watch", help="print the public calls and board, as a display sees them")
    p.add_argument("--site", required=True)
    p.add_argument("--seconds", type=float, default=0)
    with_sim_clock(p)  # follow a demo's clock
    with_broker(p)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("dev-broker", help="run the development Mosquitto (anonymous, loopback only) for trying "
                                          "devices out")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--dir", default=".dev-broker", help="where the broker keeps its config copy and log")
    p.set_defaults(func=cmd_dev_broker)
