"""The web server's figures for `arkaden bench`: desk action → call, call → phone page in Chromium, 2 000 phones.

Everything runs as its own process: a private Mosquitto, the core, and `arkaden web` (plain HTTP on 127.0.0.1);
the bench process plays a display (an MQTT subscriber of the public calls), a kiosk (check-ins over MQTT, which
return the slips' tokens), a counsellor (a logged-in httpx session POSTing desk actions), Debian's headless
Chromium showing phone pages (through Selenium), and many phones' event streams (httpx.AsyncClient).

- ``desk_call_ms``: a desk action ``next`` POSTed → the TicketCalled at the display (300 samples, quick 40).
- ``phone_update_ms``: the call at the display (``time.time()``) → ``Date.now()`` in Chromium when a
  MutationObserver sees "your turn" in ``#phone-main``; a new ticket and page per sample, so 100 samples
  (quick 20): a page load each costs about a quarter of a second.
- ``phone_push_ms``: with ``web_connections`` phone streams open (2 000, quick 200; one ticket each), a series of
  calls (150, quick 40; one every 100 ms): the call at the display → that ticket's ``phone`` event with state
  ``called`` arriving on its stream. ``web_rss_mb`` is the web server's resident memory with all of them open;
  ``web_connections_lost`` counts streams that ended before their ticket was called (0 when all is well).
- ``web_bench_s``: the wall time of this whole part.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt

import queue_protocol as p
from arkaden_cli.common import child_env
from arkaden_cli.dev_broker import MosquittoBroker, free_port, stop_process
from device_link.mqtt_client import make_client

from .common import COUNTERS_PER_SERVICE, SERVICES, SITE_ID, site_toml, stats
from .core import GUARD_S, _Requester

if TYPE_CHECKING:
    import httpx
    from selenium.webdriver.remote.webdriver import WebDriver

TARGETS = {"desk_call_ms_p99": 100, "phone_update_ms_p99": 100, "phone_push_ms_p99": 250}
WEB_ID = "web"
ACCOUNT, AGENCY, PASSWORD = "bench-desk", "abh", "bench-desk-passwort"  # abh: the counters aufe-* and einb-*
DESK_COUNTERS = [f"aufe-{j}" for j in range(COUNTERS_PER_SERVICE)]    # desk_call_ms: service aufenthalt
PHONE_COUNTERS = [f"einb-{j}" for j in range(COUNTERS_PER_SERVICE)]   # phone_update_ms: service einbuergerung
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TIMEOUT_S = 5.0
PAUSE_S = 0.01       # between sequential samples: each action meets an idle server
CALL_SPACING_S = 0.1  # phone_push_ms: one call every 100 ms, across all 40 counters
PHONES_PER_CLIENT = 25
OPENING = 64         # phone streams being opened at once (each asks the core for its ticket once)
CHECKINS_IN_FLIGHT = 32

# Before the page's own scripts: note when its event stream delivered the first "phone" event (the server has
# joined the browser to the ticket by then), so a call is sent only to a page that is really listening.
HOOK_JS = """
(function () {
  var Native = window.EventSource;
  if (!Native) { return; }
  window.__benchOpened = new Promise(function (resolve) { window.__benchOpen = resolve; });
  window.EventSource = function (url, options) {
    var source = new Native(url, options);
    source.addEventListener("phone", function () { window.__benchOpen(true); });
    return source;
  };
  window.EventSource.prototype = Native.prototype;
})();
"""
# Once the stream is open: a MutationObserver on #phone-main records Date.now() when "your turn" appears.
OBSERVE_JS = """
var done = arguments[arguments.length - 1];
window.__benchOpened.then(function () {
  var main = document.getElementById("phone-main");
  window.__benchCalled = new Promise(function (resolve) {
    new MutationObserver(function (changes, observer) {
      if (main.querySelector("section.call")) { observer.disconnect(); resolve(Date.now()); }
    }).observe(main, {childList: true, subtree: true, characterData: true});
  });
  done(main.querySelector("section.call") === null);
});
"""
CALLED_JS = "var done = arguments[arguments.length - 1]; window.__benchCalled.then(done);"


@dataclass(frozen=True)
class _Call:
    number: str
    counter: str
    at: float    # perf_counter when paho handed the call over
    wall: float  # time.time() at the same moment: the browser's Date.now() reads the same clock


class _Display:
    """A wall display's stand-in: every public TicketCalled (not recalls), time-stamped on arrival."""

    def __init__(self, host: str, port: int):
        self.calls: list[_Call] = []
        self.cv = threading.Condition()
        subscribed = threading.Event()
        self.client = make_client(f"bench-web-display-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        self.client.subscribe(p.Topics(SITE_ID).call(), qos=1)
        if not subscribed.wait(TIMEOUT_S):
            raise RuntimeError("bench display: subscription not acknowledged")

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        at, wall = time.perf_counter(), time.time()
        data = json.loads(msg.payload)
        if data.get("recall"):
            return
        with self.cv:
            self.calls.append(_Call(str(data.get("number")), str(data.get("counter")), at, wall))
            self.cv.notify_all()

    def mark(self) -> int:
        with self.cv:
            return len(self.calls)

    def wait(self, since: int, *, counter: str | None = None, number: str | None = None,
             timeout: float = TIMEOUT_S) -> _Call | None:
        """The first call since ``mark()`` returned ``since`` to that counter (or of that number)."""
        found: list[_Call] = []

        def seen() -> bool:
            found[:] = [c for c in self.calls[since:]
                        if (counter is None or c.counter == counter) and (number is None or c.number == number)]
            return bool(found)

        with self.cv:
            return found[0] if self.cv.wait_for(seen, timeout) else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class _Kiosk(_Requester):
    """Check-ins over MQTT (v5 request/response), as a kiosk sends them; the reply carries the slip's token.
    ``counters`` sends counter commands as the benchmark site's desk web server "desk" (any counter)."""

    def __init__(self, host: str, port: int, name: str):
        super().__init__(host, port, name)
        self.counters = _Requester(host, port, "desk")

    def close(self) -> None:
        self.counters.close()
        super().close()

    def check_in_many(self, concerns: list[str]) -> list[tuple[str, str]]:
        """Many check-ins, a few dozen in flight at once; (number, token) in the order of ``concerns``."""
        out: list[tuple[str, str] | None] = [None] * len(concerns)
        slots = threading.BoundedSemaphore(CHECKINS_IN_FLIGHT)
        for i, concern in enumerate(concerns):
            if not slots.acquire(timeout=TIMEOUT_S):
                raise RuntimeError("check-ins: the core stopped answering")

            def on_reply(at: float, payload: bytes, i: int = i) -> None:
                reply = json.loads(payload)
                if reply.get("ok"):
                    out[i] = (str(reply["ticket"]["number"]), str(reply["ticket"]["token"]))
                slots.release()

            self.send(self.topics.checkin(self.name), {"concern": concern}, on_reply)
        for _ in range(CHECKINS_IN_FLIGHT):
            slots.acquire(timeout=TIMEOUT_S)
        missing = sum(x is None for x in out)
        if missing:
            raise RuntimeError(f"{missing} of {len(concerns)} check-ins were not answered ok")
        return [x for x in out if x is not None]


class _Desk:
    """A counsellor logged in to the desk pages (httpx), pressing counter actions as desk.js sends them."""

    def __init__(self, client: httpx.Client):
        self.client = client
        form = client.get("/login?lang=de")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if token is None:
            raise RuntimeError(f"no CSRF token on the login page ({form.status_code})")
        r = client.post("/login", data={"name": ACCOUNT, "password": PASSWORD, "csrf": token.group(1)})
        if r.status_code != 303:
            raise RuntimeError(f"the bench account could not log in ({r.status_code})")
        page = client.get(f"/desk/{DESK_COUNTERS[0]}")
        csrf = re.search(r'data-csrf="([^"]+)"', page.text)
        if csrf is None:
            raise RuntimeError(f"no desk page for {DESK_COUNTERS[0]} ({page.status_code})")
        self.csrf = csrf.group(1)
        self.called_at: dict[str, float] = {}

    def act(self, counter: str, action: str) -> dict[str, Any]:
        r = self.client.post(f"/desk/{counter}/act", data={"action": action},
                             headers={"Accept": "application/json", "X-CSRF-Token": self.csrf})
        answer = r.json() if r.status_code == 200 else {"ok": False, "status": r.status_code}
        return answer if isinstance(answer, dict) else {"ok": False}

    def ready_for_next(self, counter: str) -> None:
        """A `next` within 1.5 s of the counter's last call would keep that client (the double-press guard):
        finish him first with `done` (not measured)."""
        if time.monotonic() - self.called_at.get(counter, -GUARD_S) < GUARD_S:
            self.act(counter, "done")

    def next(self, counter: str) -> dict[str, Any]:
        answer = self.act(counter, "next")
        self.called_at[counter] = time.monotonic()
        return answer


@dataclass
class _Stack:
    workdir: Path
    broker: MosquittoBroker
    core: subprocess.Popen[bytes]
    web: subprocess.Popen[bytes]
    base: str

    def tail(self, name: str) -> str:
        try:
            return "\n".join((self.workdir / name).read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"

    def check(self) -> None:
        for name, proc in (("core", self.core), ("web", self.web)):
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} process exited ({proc.returncode}):\n{self.tail(name + '.log')}")


def _spawn(workdir: Path, name: str, args: list[str]) -> subprocess.Popen[bytes]:
    with (workdir / f"{name}.log").open("wb") as log:  # a new log per try
        return subprocess.Popen([sys.executable, "-m", "arkaden_cli", "--log-level", "WARNING", *args],
                                cwd=workdir, env=child_env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log)


@contextlib.contextmanager
def _stack(workdir: Path) -> Iterator[_Stack]:
    """Mosquitto, the core and `arkaden web` on the benchmark site with a [[web]] entry, and one desk account."""
    from web_app.accounts import AccountStore

    site = workdir / "bench-web-site.toml"
    site.write_text(site_toml() + f'\n[[web]]\nid = "{WEB_ID}"\n', encoding="utf-8")
    users = workdir / "users.json"
    AccountStore(users).add(ACCOUNT, AGENCY, PASSWORD)
    broker = MosquittoBroker(workdir / "broker")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        broker.start()
        procs.append(_spawn(workdir, "core", [
            "core", "--site", str(site), "--port", str(broker.port), "--db-url",
            f"sqlite:///{workdir / 'bench.db'}", "--always-open"]))
        for _attempt in range(3):  # free_port() is free now, not when uvicorn binds: another process may win it
            port = free_port()
            web = _spawn(workdir, "web", [
                "web", "--site", str(site), "--port", str(broker.port), "--listen", f"127.0.0.1:{port}",
                "--insecure-http", "--users", str(users)])
            procs.append(web)
            if _web_up(web, f"http://127.0.0.1:{port}", workdir / "web.log"):
                break
        else:
            raise RuntimeError("arkaden web found no free port in three tries")
        yield _Stack(workdir, broker, procs[0], web, f"http://127.0.0.1:{port}")
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        broker.stop()


def _web_up(web: subprocess.Popen[bytes], base: str, log: Path) -> bool:
    """Wait for `GET /healthz` = 200 (the server has its port and its MQTT link); False when it stopped because
    its port was taken meanwhile (free_port() is free when asked, not when uvicorn binds)."""
    import httpx

    deadline = time.monotonic() + 30
    with httpx.Client(base_url=base, timeout=2) as http:
        while time.monotonic() < deadline:
            if web.poll() is not None:
                text = log.read_text(errors="replace")
                if "address already in use" in text:
                    return False
                raise RuntimeError(f"arkaden web exited ({web.returncode}):\n{text[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get("/healthz").status_code == 200:
                    return True
            time.sleep(0.2)
    raise RuntimeError(f"arkaden web did not answer /healthz with 200 within 30 s:\n{log.read_text()[-2000:]}")


def _wait_for_core(stack: _Stack, kiosk: _Kiosk) -> None:
    """The core answers a question (about an unknown slip, so no ticket is made)."""
    deadline = time.monotonic() + 30
    while kiosk.request(kiosk.topics.lookup(kiosk.name), {"ticket_token": "bench-no-such-slip"}, timeout=1) is None:
        stack.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the core did not answer within 30 s:\n{stack.tail('core.log')}")


# --- desk_call_ms ---------------------------------------------------------------------------------


def _desk_calls(desk: _Desk, kiosk: _Kiosk, display: _Display, samples: int) -> list[float]:
    """Desk action `next` POSTed → the TicketCalled at the display; one waiting ticket per sample."""
    kiosk.check_in_many(["c-aufenthalt"] * samples)
    out = []
    for i in range(samples):
        counter = DESK_COUNTERS[i % len(DESK_COUNTERS)]
        desk.ready_for_next(counter)
        mark = display.mark()
        sent = time.perf_counter()
        answer = desk.next(counter)
        call = display.wait(mark, counter=counter)
        if call is not None and answer.get("ok"):
            out.append((call.at - sent) * 1000)
        time.sleep(PAUSE_S)
    return out


# --- phone_update_ms ------------------------------------------------------------------------------


def _browser() -> WebDriver:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=412,915", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(TIMEOUT_S)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK_JS})
    return driver


def _phone_updates(base: str, desk: _Desk, kiosk: _Kiosk, display: _Display, samples: int) -> list[float]:
    """Per sample: a new ticket, its phone page in Chromium, then its call; the display's time.time() → the
    MutationObserver's Date.now() when #phone-main says "your turn" (same machine clock, milliseconds)."""
    from selenium.common.exceptions import TimeoutException

    driver = _browser()
    out = []
    try:
        for i in range(samples):
            [(number, token)] = kiosk.check_in_many(["c-einbuergerung"])  # alone in its queue: the next call is his
            driver.get(f"{base}/t/{token}")
            if not driver.execute_async_script(OBSERVE_JS):
                raise RuntimeError(f"the phone page of {number} did not show a waiting ticket")
            counter = PHONE_COUNTERS[i % len(PHONE_COUNTERS)]
            desk.ready_for_next(counter)
            mark = display.mark()
            desk.next(counter)
            call = display.wait(mark, number=number)
            try:
                shown = driver.execute_async_script(CALLED_JS)
            except TimeoutException:
                shown = None
            if call is not None and isinstance(shown, int | float):
                out.append(shown - call.wall * 1000)
    finally:
        driver.quit()
    return out


# --- phone_connections ----------------------------------------------------------------------------


@dataclass
class _Stream:
    number: str
    token: str
    status: int = 0
    open: bool = False
    called_at: float | None = None
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    called: asyncio.Event = field(default_factory=asyncio.Event)


async def _follow(client: httpx.AsyncClient, s: _Stream, opening: asyncio.Semaphore) -> None:
    """One phone's event stream: open (a few at a time), then note when its `phone` event says "called"."""
    import httpx

    event = ""
    held = True
    await opening.acquire()
    try:
        async with client.stream("GET", f"/t/{s.token}/events") as r:
            s.status = r.status_code
            if r.status_code != 200:
                return
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "phone":
                    if not s.open:
                        s.open = True
                        s.opened.set()
                        opening.release()
                        held = False
                    if s.called_at is None and '"state":"called"' in line:
                        s.called_at = time.perf_counter()
                        s.called.set()
                elif line.startswith("data: ") and event == "closed":
                    return  # the visit ended (or the server thinks so)
    except httpx.HTTPError:
        pass
    finally:
        s.open = False
        s.opened.set()
        if held:
            opening.release()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


async def _phones(stack: _Stack, kiosk: _Kiosk, display: _Display, connections: int,
                  calls: int) -> dict[str, object]:
    """Many phones' streams open at once, then a series of calls; push latency per called ticket."""
    import httpx

    # One stream per ticket: every client in a waiting area follows his own slip on his own phone, so 2 000
    # streams are 2 000 waiting clients, a full waiting area of this house (about 200) ten times over. Few tickets
    # with many browsers each would spare the hub (it asks the core once per ticket, draws once per browser),
    # so it would measure less than the real shape does.
    concerns = [f"c-{svc}" for svc in SERVICES]
    tickets = await asyncio.to_thread(kiosk.check_in_many, [concerns[i % len(concerns)] for i in range(connections)])
    streams = [_Stream(number, token) for number, token in tickets]
    by_number = {s.number: s for s in streams}
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    timeout = httpx.Timeout(30.0, read=None)  # a quiet stream sends a comment every 15 s
    async with contextlib.AsyncExitStack() as clients:
        # a few dozen phones per client: one httpx pool with thousands of connections costs more in the bench
        # (the pool looks at all of them for every request) than the server spends on them
        pool = [await clients.enter_async_context(httpx.AsyncClient(base_url=stack.base, limits=limits,
                                                                      timeout=timeout))
                for _ in range(0, connections, PHONES_PER_CLIENT)]
        opening = asyncio.Semaphore(OPENING)
        tasks = [asyncio.create_task(_follow(pool[i // PHONES_PER_CLIENT], s, opening))
                 for i, s in enumerate(streams)]
        try:
            await asyncio.wait_for(asyncio.gather(*(s.opened.wait() for s in streams)), 60 + connections / 20)
            await asyncio.sleep(1.0)  # settled: the first refreshes are through
            held = sum(s.open for s in streams)
            rss = _rss_mb(stack.web.pid)
            pushes = await _push_series(kiosk, display, by_number, calls)
            lost = sum(not s.open and s.called_at is None for s in streams)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return {"phone_push_ms": stats(pushes), "web_rss_mb": rss, "web_connections": held,
            "web_connections_lost": lost}


async def _push_series(kiosk: _Kiosk, display: _Display, by_number: dict[str, _Stream], calls: int) -> list[float]:
    """`next` at the 40 counters in turn (MQTT, as a button box sends it), one every CALL_SPACING_S; the call at
    the display → the `phone` event with state "called" on that ticket's stream."""
    counters = [f"{svc[:4]}-{j}" for j in range(COUNTERS_PER_SERVICE) for svc in SERVICES]
    last: dict[str, float] = {}
    out = []
    for i in range(calls):
        counter = counters[i % len(counters)]
        wait = last.get(counter, -GUARD_S) + GUARD_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        last[counter] = time.monotonic()
        mark = display.mark()
        started = time.monotonic()
        # sent as the site's other web server "desk" would (a command's answer goes only to its sender's reply topic)
        kiosk.counters.send(kiosk.topics.counter_cmd(counter), {"action": "next"}, lambda at, payload: None)
        call = await asyncio.to_thread(display.wait, mark, counter=counter)
        s = by_number.get(call.number) if call is not None else None
        if call is not None and s is not None and s.status == 200:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(s.called.wait(), TIMEOUT_S)
            if s.called_at is not None:
                out.append((s.called_at - call.at) * 1000)
        await asyncio.sleep(max(0.0, CALL_SPACING_S - (time.monotonic() - started)))
    return out


# --- the whole part -------------------------------------------------------------------------------


def _raise_own_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Thousands of requests are not news: their loggers say warnings only, for a while."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def run(quick: bool = False) -> dict[str, object]:
    """Start Mosquitto, the core and `arkaden web`, measure, stop them; the web server's figures."""
    import httpx

    desk_samples, phone_samples = (40, 20) if quick else (300, 100)
    connections, push_calls = (200, 40) if quick else (2000, 150)
    _raise_own_file_limit(connections + 1024)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="arkaden-web-bench-") as tmp, _quiet("httpx", "httpcore", "selenium"), \
            _stack(Path(tmp)) as stack:
        kiosk = _Kiosk(stack.broker.host, stack.broker.port, "kiosk-1")
        display = _Display(stack.broker.host, stack.broker.port)
        http = httpx.Client(base_url=stack.base, timeout=15)
        try:
            _wait_for_core(stack, kiosk)
            desk = _Desk(http)
            desk_ms = _desk_calls(desk, kiosk, display, desk_samples)
            phone_ms = _phone_updates(stack.base, desk, kiosk, display, phone_samples)
            phones = asyncio.run(_phones(stack, kiosk, display, connections, push_calls))
            stack.check()
        finally:
            http.close()
            display.close()
            kiosk.close()
    return {"desk_call_ms": stats(desk_ms), "phone_update_ms": stats(phone_ms), **phones,
            "web_bench_s": round(time.monotonic() - started, 1)}
