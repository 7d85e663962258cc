"""`arkaden demo`: the whole centre on one machine, playing a simulated morning (docs/demo.md).

A private Mosquitto (dev config), the core with the site file, a kiosk, a wall display and the reception
monitor as windows laid out side by side (under a private Xvfb when there is no screen, writing screenshots),
the button-box bridge with simulated boxes on pseudo-terminals, a simulated kiosk whose slips go through the
real printer stack to a simulated LAN printer (which runs out of paper mid-morning), and the simulated
clients and counsellors. All follow one simulated clock. Everything the run writes is in its own folder
(arkaden_cli.demo_run); it stops by itself after the morning, or on Ctrl-C, and leaves no process behind.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from types import FrameType

import queue_protocol as p
from arkaden_cli import demo_end, simulate, watch
from arkaden_cli.demo_boxes import SimulatedBox
from arkaden_cli.demo_headless import HeadlessError, PrivateX, ScreenGrabber
from arkaden_cli.demo_kiosk import PrintingKiosk, morning_faults
from arkaden_cli.demo_layout import Area, screen_area
from arkaden_cli.demo_procs import Child
from arkaden_cli.demo_run import MORNING_END, Options, RunFolder
from arkaden_cli.demo_wiring import Wiring, book_the_morning, box_counters
from arkaden_cli.dev_broker import BrokerUnavailable, MosquittoBroker, find_mosquitto, free_port
from device_link.link import BadReply, Link
from host_support.sim_clock import SimClock
from queue_rules.site import Site

CORE_READY_TIMEOUT_S = 30.0
CLOCK_LEAD_S = 8.0          # the simulated 07:55 comes this long after the start: the core and the windows are up
PREFIX_WIDTH = 8


class Output:
    """Thread-safe, line-by-line output with a fixed-width prefix per source; a copy goes to `demo.log`."""

    def __init__(self, log: Path):
        self.lock = threading.Lock()
        self._log = log.open("a", encoding="utf-8")

    def prefixed(self, prefix: str) -> Callable[[str], None]:
        head = f"{prefix:<{PREFIX_WIDTH}}| "

        def out(line: str) -> None:
            self.lines([head + part for part in line.split("\n")])

        return out

    def lines(self, lines: list[str]) -> None:
        with self.lock:
            for line in lines:
                print(line, flush=True)
                if not self._log.closed:
                    self._log.write(line + "\n")
            if not self._log.closed:
                self._log.flush()

    def close(self) -> None:
        with self.lock:
            self._log.close()


def wait_for_core(site: Site, host: str, port: int, timeout: float, alive: Callable[[], bool],
                  stop: threading.Event) -> bool:
    """True once the core answers a request (a booking lookup for a code that does not exist)."""
    kiosk = site.kiosks[0].id if site.kiosks else "demo"
    # asked as the first kiosk: the core answers a look-up only on the asking kiosk's own reply topic
    link = Link(site, host, port, lambda _line: None, name="demo", speaks_for=[kiosk])
    link.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and alive() and not stop.is_set():
            if link.connected.wait(0.5):
                ping = p.LookupBooking(id=link.new_id(), booking_code="DEMO-PING")
                try:
                    if link.request(link.topics.lookup(kiosk), ping, p.LookupReply, timeout=0.5,
                                    as_device=kiosk) is not None:
                        return True
                except BadReply:
                    return True  # something answered: the core is up, if odd
        return False
    finally:
        link.stop()


class Demo:
    """One run: starts everything in order, watches it, and stops all of it in reverse order."""

    def __init__(self, site: Site, site_file: Path, run: RunFolder, options: Options, *,
                 web_port: int | None = None):
        self.site, self.site_file, self.run, self.o = site, site_file, run, options
        self.web_port = web_port
        self.stop = threading.Event()
        self.hurry = threading.Event()     # a second Ctrl-C: skip the report, just stop
        self.output = Output(run.logs / "demo.log")
        self.say = self.output.prefixed("demo")
        self.broker = MosquittoBroker(run.state / "broker")
        self.xserver: PrivateX | None = None
        self.grabber: ScreenGrabber | None = None
        self.children: list[Child] = []
        self.kiosks: list[PrintingKiosk] = []
        self.boxes: dict[str, SimulatedBox] = {}  # by counter
        self.threads: list[threading.Thread] = []
        self.db_url = options.db_url or run.db_url()
        self.day = datetime.now(site.tz).date()
        start = simulate.morning_start(site)
        self.clock = SimClock(start, round(time.time() + CLOCK_LEAD_S, 3), max(float(options.speed), 0.01))
        self.end = datetime.combine(self.day, options.until, site.tz)

    def _signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop.is_set():
            self.hurry.set()
        self.stop.set()

    def main(self) -> int:
        previous = {sig: signal.signal(sig, self._signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        # this process's own log (the simulated kiosk's printer and links) goes to a file, not between the lines
        root = logging.getLogger()
        handlers, root.handlers = root.handlers, [logging.FileHandler(self.run.logs / "sim.log", encoding="utf-8")]
        root.handlers[0].setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        code = 2
        try:
            code = self._start_and_watch()
            return code
        finally:
            self.stop.set()
            self._shutdown(report=code in (0, 1))
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for h in root.handlers:
                h.close()
            root.handlers = handlers
            self.output.close()

    def _start_and_watch(self) -> int:
        wiring = Wiring(self.site, self.site_file, self.run, self.clock, self.o.snapshot_seconds)
        try:
            screen = self._screen(wiring)
            self.broker.start()
        except (BrokerUnavailable, HeadlessError) as exc:
            print(f"arkaden demo: cannot start: {exc}", file=sys.stderr)
            return 2
        wiring.connect(self.broker.host, self.broker.port, self.db_url)
        booked = book_the_morning(self.site, self.db_url)
        for box in box_counters(self.site, self.o.boxes):
            self.boxes[box.counter] = SimulatedBox(box.id, self.run.boxes / box.id)
        core = self._start(wiring.core())
        if not wait_for_core(self.site, self.broker.host, self.broker.port, CORE_READY_TIMEOUT_S, core.alive,
                              self.stop):
            if self.stop.is_set():
                return 0
            print(f"arkaden demo: the core did not answer within {CORE_READY_TIMEOUT_S:.0f} s. "
                  f"Last lines of {core.log}:\n{core.log_tail()}", file=sys.stderr)
            return 1
        if self.boxes:
            self._start(wiring.buttons())
        web = wiring.web(self.web_port or free_port())
        if web is not None:
            self._start(web)
        windows = wiring.windows(screen)
        for child in wiring.apps(windows):
            self._start(child)
        self._start_kiosks()
        if self.xserver is not None:
            self.grabber = ScreenGrabber(self.xserver, self.run.screens, self.o.snapshot_seconds,
                                         lambda: f"{self.clock.now().astimezone(self.site.tz):%H%M%S}")
            self.grabber.start()
        self.output.lines(wiring.banner(self.o, booked, windows, self.children, self.kiosks, self.boxes, self.end))
        self._background("display", lambda: watch.watch(self.site, self.broker.host, self.broker.port, stop=self.stop,
                                                         out=self.output.prefixed("display"), clock=self.clock.now))
        events = []
        for kiosk in self.kiosks[:1]:
            out_at, refill = morning_faults(self.clock.start, self.end)
            events += [(out_at, f"the printer of {kiosk.id} runs out of paper", functools.partial(kiosk.paper, "out")),
                       (refill, f"somebody refills the printer of {kiosk.id}", functools.partial(kiosk.paper, "ok"))]
        self._background("sim", lambda: simulate.run(
            self.site, self.broker.host, self.broker.port, stop=self.stop, out=self.output.prefixed("sim"),
            journeys=booked, clock=self.clock, kiosks={k.id: k for k in self.kiosks},
            boxes=self.boxes, events=events, seed=self.o.seed))
        return self._watch()

    def _screen(self, wiring: Wiring) -> tuple[Area, bool]:
        """The screen the windows go on, and whether a window manager decorates them: this one (DISPLAY), or a
        private Xvfb (no screen, or --headless)."""
        if os.environ.get("DISPLAY") and not self.o.headless:
            screen = screen_area(dict(os.environ))
            if screen is not None:
                return screen
            self.say(f"cannot open the screen {os.environ['DISPLAY']}: running headless")
        self.xserver = PrivateX(self.run.state / "x11")
        self.xserver.start(self.run.logs)
        if self.xserver.child is not None:
            self.children.append(self.xserver.child)
        wiring.x_env = self.xserver.env
        return wiring.headless_area(self.xserver.size), False

    def _start(self, child: Child) -> Child:
        child.start(self.run.logs)
        self.children.append(child)
        return child

    def _start_kiosks(self) -> None:
        """The kiosks the simulated clients use: every kiosk but the one on screen, each with its printer."""
        for kiosk in self.site.kiosks[1:]:
            station = PrintingKiosk(self.site, kiosk.id, self.broker.host, self.broker.port, self.run.slips,
                                    self.output.prefixed("printer"), self.clock.now)
            station.start()
            self.kiosks.append(station)

    def _background(self, name: str, target: Callable[[], object]) -> None:
        def body() -> None:
            try:
                target()
            except Exception as exc:  # say it, and let the demo go on with the rest
                self.output.prefixed(name)(f"stopped with an error: {exc!r}")

        t = threading.Thread(target=body, name=f"demo-{name}", daemon=True)
        t.start()
        self.threads.append(t)

    def _watch(self) -> int:
        """Until the morning is over (unless --run-on), --seconds passed, Ctrl-C, or a child died."""
        deadline = time.monotonic() + self.o.seconds if self.o.seconds > 0 else float("inf")
        while not self.stop.wait(0.2):
            dead = [c for c in self.children if not c.alive()]
            if dead:
                for c in dead:
                    self.say(f"{c.name} exited unexpectedly (exit {c.exit_code()}); last lines of {c.log}:\n"
                             f"{c.log_tail()}")
                return 1
            if time.monotonic() >= deadline:
                self.say(f"{self.o.seconds:g} s are over")
                return 0
            if not self.o.run_on and self.clock.now() >= self.end:
                self.say(f"the morning is over ({self.end:%H:%M})")
                return 0
        self.say("stopping (Ctrl-C again: at once, without the report)")
        return 0

    def _shutdown(self, *, report: bool) -> None:
        for t in self.threads:
            t.join(timeout=0 if self.hurry.is_set() else 15)
        if self.grabber is not None:
            self.grabber.stop()
            if self.grabber.error:
                self.say(f"the screen could not be saved: {self.grabber.error}")
        # the core first: it logs its own clean stop, so the devices switching off after it are nobody's outage
        # in the day's report (device downtime counts only while the core ran)
        for child in self.children:
            if child.name == "core":
                child.stop(timeout=2 if self.hurry.is_set() else 10)
        for kiosk in self.kiosks:
            kiosk.stop()
        for child in reversed(self.children):  # apps, bridge; Xvfb last
            if child.name not in ("xvfb", "core"):
                child.stop(timeout=2 if self.hurry.is_set() else 10)
        for box in self.boxes.values():
            box.close()
        line = ""
        if report and self.children and not self.hurry.is_set():
            self.say(f"writing the report for {self.day} …")
            line = demo_end.write_report(self.site_file, self.db_url, self.day, self.run, self.hurry)
        self.broker.stop()
        if self.xserver is not None:
            self.xserver.stop()
        if self.children:
            self.say("stopped: simulation, apps, button bridge, printer, core, broker"
                     + (" and the private X server" if self.xserver else ""))
            self.output.lines(demo_end.summary(self.run, line or "report: not written"))


def run(site_path: str, seconds: float = 0, db_url: str | None = None, speed: float = 60, *,
        until: dtime | None = None, run_on: bool = False, out: str | None = None, headless: bool = False,
        boxes: int = 3, snapshot_seconds: float = 5.0, seed: int | None = None) -> int:
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
    if out and Path(out).is_dir() and any(Path(out).iterdir()):
        print(f"arkaden demo: {out} is not empty; give --out a new or empty folder", file=sys.stderr)
        return 2
    options = Options(seconds=seconds, speed=speed, until=until or MORNING_END, run_on=run_on, out=out,
                      headless=headless, db_url=db_url, boxes=boxes, snapshot_seconds=snapshot_seconds, seed=seed)
    folder = RunFolder.create(out)
    print(f"arkaden demo: this run's output goes to {folder.root}", flush=True)
    web_port = free_port() if site.web else None
    if web_port is not None:  # the slips' QR codes then open the demo's own phone pages
        site_file, site = local_phone_pages(site_file, folder.state / "site.toml", f"http://127.0.0.1:{web_port}")
    return Demo(site, site_file, folder, options, web_port=web_port).main()


def local_phone_pages(site_file: Path, copy: Path, url: str) -> tuple[Path, Site]:
    """A copy of the site file whose web servers' `public_url` is the demo's own address (else as it was)."""
    from queue_rules.site import parse_site

    text = site_file.read_text(encoding="utf-8")
    changed = re.sub(r'(?m)^public_url\s*=\s*"[^"]*"', f'public_url = "{url}"', text)
    try:
        site = parse_site(changed, str(copy))
    except ValueError:  # a site file written differently: keep it as it is
        return site_file, parse_site(text, str(site_file))
    copy.write_text(changed, encoding="utf-8")
    return copy, site

