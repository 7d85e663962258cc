"""What the sub-commands share: the site file, the store, the broker login and the demo clock, each or a clear exit."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as daytime
from pathlib import Path
from typing import TYPE_CHECKING

from device_link.broker_auth import BrokerSettings, add_arguments, settings_or_exit
from host_support.sim_clock import SIM_CLOCK_HELP, SimClock, sim_clock_argument
from host_support.site_file import load_site
from queue_rules.site import Site, SiteConfigError

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only by the commands that use it
    from queue_core.store import Store


def site_or_exit(path: str) -> Site:
    """The site file, or its problems on stderr and exit status 2."""
    try:
        return load_site(path)
    except SiteConfigError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def store_from(args: argparse.Namespace) -> Store:
    """The database named by --db-url (or $ARKADEN_DB_URL, or the default), migrated to the newest schema."""
    from queue_core.store import Store, default_db_url

    store = Store(args.db_url or default_db_url())
    store.migrate()
    return store


def broker_from(args: argparse.Namespace) -> BrokerSettings:
    """Host, port and login from --host/--port/--broker-config/--broker-user/--tls-* (see device_link.broker_auth)."""
    return settings_or_exit(args)


def clock(site: Site, start: str | None, scale: float, now: Callable[[], datetime],
          sim: SimClock | None = None) -> Callable[[], datetime]:
    """The core's clock: ``sim`` (--sim-clock) when given; else ``now``, or (older demo options, kept for now)
    a day that starts at ``start`` (HH:MM today at the site) when the command starts and runs ``scale`` times faster."""
    if sim is not None:
        return sim.now
    if start is None and scale == 1:
        return now
    first = datetime.combine(datetime.now(site.tz).date(), daytime.fromisoformat(start), site.tz) if start else now()
    return SimClock.starting(first, scale).now


def with_sim_clock(parser: argparse.ArgumentParser) -> None:
    """--sim-clock SPEC (host_support.sim_clock): demo and tests only; without it, the real clock."""
    parser.add_argument("--sim-clock", type=sim_clock_argument, default=None, metavar="SPEC", help=SIM_CLOCK_HELP)


def with_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db-url", default=None,
                        help="SQLAlchemy URL (default: $ARKADEN_DB_URL or SQLite in ~/.local/share/arkaden)")


def with_broker(parser: argparse.ArgumentParser) -> None:
    add_arguments(parser)  # --host, --port and the login options


# say "broker lost" only when it stays away this long (the simulator and the watcher)
LOST_AFTER_S = 1.0


def stop_event_with_signals() -> tuple[threading.Event, Callable[[], None]]:
    """An event set by Ctrl-C or SIGTERM (when called from the main thread), and a restore function."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return stop, lambda: None
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return stop, restore


# a checkout run without installing (PYTHONPATH): child processes get the same packages as this one
SOURCE_ROOT = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a benchmark child process: this one's, with the packages of this checkout first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SOURCE_ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def parse_day(text: str) -> date | None:
    """A day as people write it here: 2026-12-02 or 02.12.2026; None when it is neither."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None
