"""`arkaden demo`: a private Mosquitto, the core, a simulated morning and a text wall display, in one go.

Everything lives in `.demo/` under the current directory: the broker's files, the logs of the child
processes and (unless --db-url says otherwise) a fresh SQLite database. Child processes are listed in
`children()`; adding one (e.g. the kiosk or the display app) is one more line there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import queue_protocol as p
from arkaden_cli import simulate
from arkaden_cli.common import child_env
from arkaden_cli.dev_broker import BrokerUnavailable, MosquittoBroker, find_mosquitto, stop_process
from device_link.link import BadReply, Link
from queue_rules.site import Site

CORE_READY_TIMEOUT_S = 30.0
PREFIX_WIDTH = 8


@dataclass
class Context:
    """What a child process may need to know to join the demo."""

    site_path: Path
    site_id: str
    host: str
    port: int
    db_url: str
    workdir: Path
    speed: float = 60.0


@dataclass
class Child:
    """One process of the demo; its output goes to `.demo/<name>.log`."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def start(self, workdir: Path) -> None:
        self.log = workdir / f"{self.name}.log"
        env = child_env(**self.env)
        with self.log.open("ab") as log:
            # a session of its own: Ctrl-C reaches the demo only, which then stops the children in order
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace") if self.log else ""
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def children(ctx: Context) -> list[Child]:
    """The demo's processes, started in this order and stopped in reverse. The core comes first."""
    py = sys.executable
    return [
        Child("core", [py, "-m", "arkaden_cli", "core", "--site", str(ctx.site_path), "--host", ctx.host,
                       "--port", str(ctx.port), "--always-open", "--db-url", ctx.db_url,
                       # the core keeps the simulated morning's time, so its wait estimates are in simulated minutes
                       "--clock-start", simulate.MORNING_START.isoformat(timespec="minutes"),
                       "--clock-scale", str(ctx.speed)]),
    ] + _display_children(ctx)


def _display_children(ctx: Context) -> list[Child]:
    """With a screen (DISPLAY set), the first kiosk (landscape, mouse, slips recorded instead of printed), the
    first wall display and the reception monitor join, in windows; without one (CI, ssh) the demo is text-only."""
    if not os.environ.get("DISPLAY"):
        return []
    from host_support.site_file import load_site

    site = load_site(ctx.site_path)
    py, base = sys.executable, ["--site", str(ctx.site_path), "--host", ctx.host, "--port", str(ctx.port), "--windowed"]
    out = []
    if site.kiosks:
        out.append(Child("kiosk", [py, "-m", "arkaden_cli", "kiosk", "--kiosk", site.kiosks[0].id,
                                   "--orientation", "landscape", "--input", "mouse", "--fake-printer",
                                   "--data-dir", str(ctx.workdir / "kiosk"), *base]))
    if site.displays:
        out.append(Child("display", [py, "-m", "arkaden_cli", "display", "--display", site.displays[0].id,
                                     "--sound", "off", *base]))
    if site.reception:
        out.append(Child("reception", [py, "-m", "arkaden_cli", "reception", "--operator", "demo", *base]))
    return out


def wait_for_core(site: Site, host: str, port: int, timeout: float, alive: Callable[[], bool]) -> bool:
    """True once the core answers a request (a booking lookup for a code that does not exist)."""
    link = Link(site, host, port, lambda _line: None, name="demo")
    link.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and alive():
            if link.connected.wait(0.5):
                kiosk = site.kiosks[0].id if site.kiosks else "demo"
                ping = p.LookupBooking(id=link.new_id(), booking_code="DEMO-PING")
                try:
                    if link.request(link.topics.lookup(kiosk), ping, p.LookupReply, timeout=0.5) is not None:
                        return True
                except BadReply:
                    return True  # something answered: the core is up, if odd

        return False
    finally:
        link.stop()


class Printer:
    """Thread-safe, line-by-line output with a fixed-width prefix per source."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def prefixed(self, prefix: str) -> Callable[[str], None]:
        head = f"{prefix:<{PREFIX_WIDTH}}| "

        def out(line: str) -> None:
            with self.lock:
                print(head + line, flush=True)

        return out


DEMO_JOURNEYS = 24


def book_the_morning(site: Site, db_url: str) -> list[tuple[datetime, str]]:
    """Today's booked journeys, imported as an agency's file would be; their first slots and codes, by slot."""
    import random

    from arkaden_cli.journey_plan import day_journeys
    from queue_core.store import Store
    from queue_rules import codes

    store = Store(db_url)
    try:
        store.migrate()
        today = datetime.now(site.tz).date()
        summary = store.import_bookings(day_journeys(site, today, DEMO_JOURNEYS, random.Random(today.toordinal()),
                                                     ref_prefix=f"demo{today:%Y%m%d}"))
        found = [j for code in summary.journeys if (j := store.journey(code)) is not None and j.stops]
    finally:
        store.close()
    return sorted((j.stops[0].slot, codes.display(j.code)) for j in found)


def run(site_path: str, seconds: float, db_url: str | None, speed: float) -> int:
    from arkaden_cli import watch
    from host_support.site_file import load_site
    from queue_rules.site import SiteConfigError

    try:
        find_mosquitto()
    except BrokerUnavailable as exc:
        print(f"arkaden demo: cannot start: {exc}", file=sys.stderr)
        return 2
    site_file = Path(site_path).resolve()
    try:
        site = load_site(site_file)
    except SiteConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    workdir = Path.cwd() / ".demo"
    workdir.mkdir(parents=True, exist_ok=True)
    fresh_db = db_url is None
    if db_url is None:
        db_file = workdir / "demo.db"
        db_file.unlink(missing_ok=True)  # every demo starts a fresh day
        db_url = f"sqlite:///{db_file}"

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    broker = MosquittoBroker(workdir / "broker")
    procs: list[Child] = []
    threads: list[threading.Thread] = []
    printer = Printer()
    say = printer.prefixed("demo")
    code = 0
    try:
        try:
            broker.start()
        except BrokerUnavailable as exc:
            print(f"arkaden demo: cannot start the broker: {exc}", file=sys.stderr)
            return 2
        booked = book_the_morning(site, db_url)
        say(f"{len(booked)} booked journeys today (codes {', '.join(c for _, c in booked[:3])}, …); "
            "their clients check in with the code shortly before the first slot")
        ctx = Context(site_file, site.site.id, broker.host, broker.port, db_url, workdir, speed)
        for child in children(ctx):
            child.start(workdir)
            procs.append(child)
        core = procs[0]
        if not wait_for_core(site, broker.host, broker.port, CORE_READY_TIMEOUT_S, core.alive):
            if stop.is_set():
                return 0
            print(f"arkaden demo: the core did not answer within {CORE_READY_TIMEOUT_S:.0f} s. "
                  f"Last lines of {core.log}:\n{core.log_tail()}", file=sys.stderr)
            return 1
        public = p.Topics(site.site.id).all_public()
        banner = [
            "=" * 78,
            f"arkaden demo — {site.site.name}",
            f"  site     {site_file}",
            f"  broker   mosquitto on {broker.host}:{broker.port} (dev config, files in {broker.workdir})",
            f"  core     pid {core.proc.pid if core.proc else '?'}, log {core.log}, always open",
            f"  database {db_url}" + ("  (fresh for this demo)" if fresh_db else ""),
            f"  time     simulated morning from 07:55, {speed:g} simulated minutes per real minute",
            "  output   'sim' = kiosks and counsellors (private), 'display' = what a wall display shows (public)",
            f"  watch    mosquitto_sub -h {broker.host} -p {broker.port} -t '{public}' -v",
            "  stop     Ctrl-C" + (f" (or wait {seconds:g} s)" if seconds > 0 else ""),
            "=" * 78,
        ]
        with printer.lock:
            print("\n".join(banner), flush=True)

        def background(name: str, target: Callable[[], object]) -> None:
            def body() -> None:
                try:
                    target()
                except Exception as exc:  # say it, and let the demo go on with the rest
                    printer.prefixed(name)(f"stopped with an error: {exc!r}")
            t = threading.Thread(target=body, name=f"demo-{name}", daemon=True)
            t.start()
            threads.append(t)

        background("display", lambda: watch.watch(site, broker.host, broker.port, stop=stop,
                                                     out=printer.prefixed("display")))
        background("sim", lambda: simulate.run(site, broker.host, broker.port, speed=speed, stop=stop,
                                               out=printer.prefixed("sim"), journeys=booked))
        deadline = time.monotonic() + seconds if seconds > 0 else float("inf")
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(0.2)
            dead = [c for c in procs if not c.alive()]
            if dead:
                for c in dead:
                    say(f"{c.name} exited unexpectedly (code {c.proc.returncode if c.proc else '?'}); "
                        f"last lines of {c.log}:\n{c.log_tail()}")
                code = 1
                break
        say("stopping …")
        return code
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        for child in reversed(procs):
            child.stop()
        broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if procs:
            say("stopped: simulation, core and broker")
