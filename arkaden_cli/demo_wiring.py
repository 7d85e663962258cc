"""What the demo starts, as command lines: the core, the button bridge and the apps in their windows; the banner.

Every child gets the run's simulated clock (`--sim-clock`), its files in the run's folder (Kivy's settings
in `state/kivy/<app>`, the kiosk's outbox in `state/kiosk`), and, under the private Xvfb, its DISPLAY and
cookie and a `--snapshot-dir`.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import queue_protocol as p
from arkaden_cli.demo_layout import Area, Window, layout
from arkaden_cli.demo_procs import Child
from arkaden_cli.demo_run import Options, RunFolder
from arkaden_cli.population import CONCERN_WEIGHTS
from host_support.sim_clock import SimClock
from queue_rules.site import ButtonBox, Site

if TYPE_CHECKING:
    from arkaden_cli.demo_boxes import SimulatedBox
    from arkaden_cli.demo_kiosk import PrintingKiosk

DEMO_JOURNEYS = 24
LANDSCAPE, PORTRAIT = (1920, 1080), (1080, 1920)


def book_the_morning(site: Site, db_url: str) -> list[tuple[datetime, str]]:
    """Today's booked journeys, imported as an agency's file would be; their first slots and codes, by slot."""
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


def box_counters(site: Site, n: int) -> list[ButtonBox]:
    """``n`` button boxes at the busiest walk-in counters, one agency each."""
    weight = {c.service: 0 for c in site.concerns}
    for c in site.concerns:
        weight[c.service] += CONCERN_WEIGHTS.get(c.id, 0)

    def busy(box: ButtonBox) -> int:
        return sum(weight.get(s, 0) for s in site.counter(box.counter).services)

    chosen: list[ButtonBox] = []
    agencies: set[str] = set()
    for box in sorted(site.button_boxes, key=lambda b: -busy(b)):
        agency = site.agency_of_service(site.counter(box.counter).services[0]).id
        if len(chosen) < n and agency not in agencies:
            chosen.append(box)
            agencies.add(agency)
    return chosen


# the demo's desk account (a demo on one machine: the password is no secret)
DEMO_DESK_USER, DEMO_DESK_PASSWORD, DEMO_DESK_AGENCY = "demo", "arkaden-demo", "jobcenter"


class Wiring:
    """The command lines of the demo's children, for one run."""

    def __init__(self, site: Site, site_file: Path, run: RunFolder, clock: SimClock, snapshot_seconds: float):
        self.site, self.site_file, self.run, self.clock = site, site_file, run, clock
        self.snapshot_seconds = snapshot_seconds
        self.x_env: dict[str, str] = {}   # DISPLAY and XAUTHORITY of the private Xvfb; empty: the screen's
        self.host, self.port, self.db_url = "", 0, ""
        self.web_url = ""

    def connect(self, host: str, port: int, db_url: str) -> None:
        self.host, self.port, self.db_url = host, port, db_url

    def _cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "arkaden_cli", *args, "--site", str(self.site_file), "--host", self.host,
                "--port", str(self.port)]

    def core(self) -> Child:
        return Child("core", [*self._cli("core"), "--always-open", "--db-url", self.db_url,
                              "--sim-clock", self.clock.spec()])

    def web(self, port: int) -> Child | None:
        """`arkaden web` on this machine only (plain HTTP on 127.0.0.1), with one desk account for the demo."""
        if not self.site.web:
            return None
        from web_app.accounts import AccountStore

        with_counters = {self.site.agency_of_counter(c.id).id for c in self.site.counters}
        agency = DEMO_DESK_AGENCY if DEMO_DESK_AGENCY in with_counters else sorted(with_counters)[0]
        users = self.run.state / "web-users.json"
        store = AccountStore(users)
        store.add(DEMO_DESK_USER, agency, DEMO_DESK_PASSWORD)
        store.lock_path.unlink(missing_ok=True)  # `arkaden users`' lock file: nobody else writes the demo's file
        self.web_url = f"http://127.0.0.1:{port}"
        return Child("web", [*self._cli("web"), "--listen", f"127.0.0.1:{port}", "--insecure-http",
                             "--users", str(users), "--sim-clock", self.clock.spec()])

    def buttons(self) -> Child:
        return Child("buttons", [*self._cli("buttons"), "--ports", str(self.run.boxes / "*"),
                                 "--device-id", "buttons-demo"])

    @staticmethod
    def headless_area(size: tuple[int, int]) -> Area:
        return Area(0, 0, size[0], size[1])

    def windows(self, screen: tuple[Area, bool]) -> list[Window]:
        """The kiosk, the first wall display and reception, side by side on the screen."""
        area, decorated = screen
        apps: list[tuple[str, int, int]] = []
        if self.site.kiosks:
            apps.append(("kiosk", *(PORTRAIT if self.site.kiosks[0].orientation == "portrait" else LANDSCAPE)))
        if self.site.displays:
            apps.append(("display", *(PORTRAIT if self.site.displays[0].orientation == "portrait" else LANDSCAPE)))
        if self.site.reception:
            apps.append(("reception", *LANDSCAPE))
        return layout(apps, area, decorated=decorated) if apps else []

    def apps(self, windows: Sequence[Window]) -> list[Child]:
        where = {w.name: w for w in windows}
        out = []
        if "kiosk" in where:
            out.append(self._app("kiosk", where["kiosk"], "--kiosk", self.site.kiosks[0].id, "--input", "mouse",
                                 "--fake-printer", "--data-dir", str(self.run.state / "kiosk")))
        if "display" in where:
            out.append(self._app("display", where["display"], "--display", self.site.displays[0].id,
                                 "--sound", "off"))
        if "reception" in where:
            out.append(self._app("reception", where["reception"], "--operator", "demo"))
        return out

    def _app(self, name: str, window: Window, *args: str) -> Child:
        argv = [*self._cli(name), *args, "--window", window.geometry, "--sim-clock", self.clock.spec()]
        env = {"KIVY_HOME": str(self.run.kivy_home(name)), "SDL_AUDIODRIVER": "dummy"}
        if self.x_env:  # headless: the private X server, software GL, and screenshots
            env.update(self.x_env, LIBGL_ALWAYS_SOFTWARE="1")
            argv += ["--snapshot-dir", str(self.run.screens), "--snapshot-seconds", f"{self.snapshot_seconds:g}"]
        self.run.kivy_home(name).mkdir(parents=True, exist_ok=True)
        return Child(name, argv, env)

    def banner(self, o: Options, booked: Sequence[tuple[datetime, str]], windows: Sequence[Window],
               children: Sequence[Child], kiosks: Sequence[PrintingKiosk], boxes: dict[str, SimulatedBox],
               end: datetime) -> list[str]:
        pids = ", ".join(f"{c.name} {c.pid}" for c in children)
        shown = ", ".join(f"{w.name} {w.geometry}" for w in windows) or "none"
        codes = ", ".join(c for _, c in booked[:3])
        tz = self.site.tz
        start = self.clock.start.astimezone(tz)
        until = "Ctrl-C (--run-on)" if o.run_on else f"{end:%H:%M} simulated"
        public = p.Topics(self.site.site.id).all_public()
        slips = (f"the simulated kiosk {', '.join(f'{k.id} prints to {k.printer_url}' for k in kiosks)}; "
                 "each slip as PNG into slips/") if kiosks else "none: the site file has no second kiosk to simulate"
        return [
            "=" * 78,
            f"arkaden demo — {self.site.site.name}",
            f"  output   {self.run.root}",
            f"  site     {self.site_file}",
            f"  broker   mosquitto on {self.host}:{self.port} (dev config)",
            f"  database {self.db_url}",
            f"  time     simulated morning from {start:%H:%M} on {start:%d.%m.%Y}, {o.speed:g} simulated minutes "
            f"per real minute, until {until}",
            f"  clock    --sim-clock {self.clock.spec()}  (for arkaden watch / simulate)",
            f"  bookings {len(booked)} journeys (codes {codes}, …): type one at the kiosk",
            f"  windows  {shown}" + (f" on a private Xvfb ({self.x_env['DISPLAY']}), screenshots every "
                                     f"{self.snapshot_seconds:g} s into screens/" if self.x_env else ""),
            f"  slips    {slips}",
            f"  boxes    {', '.join(sorted(boxes)) or 'none'} press keys on pseudo-terminals for `arkaden buttons`",
            *([f"  web      {self.web_url}/desk (log in as {DEMO_DESK_USER} / {DEMO_DESK_PASSWORD}), the public "
               f"board {self.web_url}/board; the slips' QR codes open their phone pages ({self.web_url}/t/…)"]
              if self.web_url else []),
            f"  pids     {pids}",
            f"  watch    mosquitto_sub -h {self.host} -p {self.port} -t '{public}' -v",
            "  stop     Ctrl-C" + (f" (or wait {o.seconds:g} s)" if o.seconds > 0 else ""),
            "=" * 78,
        ]
