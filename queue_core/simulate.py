"""A simulated morning (`arkaden simulate`) and a text wall display (`arkaden watch`), both over MQTT.

`run` plays kiosks and counsellors against a running core: clients check in at the kiosks, counsellors
call them, serve them, recall, mark no-shows and hand clients over to another service. Simulated time
runs at `speed` simulated minutes per real minute; every action prints one short line.

`watch` is what a wall display sees: it subscribes to the public topics only and prints the calls and,
every few seconds, a compact board.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import protocol as p
from .core_runner import make_client
from .site import Site

Out = Callable[[str], None]

REPLY_TIMEOUT_S = 5.0
LOST_AFTER_S = 1.0  # say "broker lost" only when it stays away this long

# Who comes to the centre: weights per walk-in concern id (unknown concerns get DEFAULT_CONCERN_WEIGHT).
CONCERN_WEIGHTS = {
    "aufenthalt": 26, "jobcenter": 18, "gesundheit": 12, "ankommen": 10, "arbeitsagentur": 8,
    "deutschkurs": 8, "schule-kita": 6, "anerkennung": 5, "bank-versicherung": 3, "weiterqualifizierung": 2,
}
DEFAULT_CONCERN_WEIGHT = 2
# Languages chosen at the kiosk (unknown site languages get DEFAULT_LANGUAGE_WEIGHT).
LANGUAGE_WEIGHTS = {
    "uk": 22, "ar": 18, "fa": 12, "tr": 10, "ru": 8, "de": 8, "en": 5, "ps": 5, "kmr": 4, "ro": 4,
    "fr": 2, "ti": 2,
}
DEFAULT_LANGUAGE_WEIGHT = 1
PARTY_SIZES = ((1, 45), (2, 20), (3, 15), (4, 12), (5, 8))
FAMILY_CONCERNS = {"schule-kita", "ankommen", "gesundheit"}
INTERPRETER_SHARE = {"de": 0.0, "en": 0.05}  # other languages: DEFAULT_INTERPRETER_SHARE
DEFAULT_INTERPRETER_SHARE = 0.3
APPOINTMENT_ONLY_TAP = 0.03  # someone taps a tile that needs an appointment (refused by the core)
NO_SHOW_SHARE = 0.06
TRANSFER_SHARE = 0.12
PAUSE_SHARE = 0.03

# Warm handovers: from service -> [(to service, internal note)]. Notes are private (never public).
TRANSFERS: dict[str, list[tuple[str, str]]] = {
    "auslaender-info": [
        ("jobcenter", "Arbeitserlaubnis liegt vor, bitte Leistungsantrag besprechen"),
        ("beschaeftigung", "Antrag Beschäftigungserlaubnis, Unterlagen vollständig"),
        ("case-management", "Mehrere offene Themen, Begleitung gewünscht"),
    ],
    "ankommen": [
        ("deutschkurs", "Sucht Integrationskurs, Ziel B1"),
        ("gesundheit", "Noch keine Krankenversicherung geklärt"),
        ("auslaender-info", "Fragen zur Fiktionsbescheinigung"),
    ],
    "seiteneinstieg": [("case-management", "Familie neu zugezogen, Begleitung gewünscht")],
    "jobcenter": [
        ("arbeitsagentur", "Berufsberatung gewünscht"),
        ("deutschkurs", "Berufssprachkurs klären"),
    ],
    "arbeitsagentur": [("anerkennung", "Abschluss aus dem Ausland, Anerkennung klären")],
    "anerkennung": [
        ("weiterqualifizierung", "Anpassungsqualifizierung prüfen"),
        ("hwk", "Handwerksberuf, Gleichwertigkeit prüfen"),
        ("ihk", "Kaufmännischer Abschluss, Gleichwertigkeit prüfen"),
    ],
    "gesundheit": [("ankommen", "Weitere Fragen zum Alltag")],
}


def arrivals_per_minute(t: datetime) -> float:
    """A morning's arrival rate: a crowd at the door, a busy first hours, a quieter end."""
    minutes = t.hour * 60 + t.minute
    if minutes < 8 * 60:
        return 1.5
    if minutes < 9 * 60 + 30:
        return 1.0
    if minutes < 11 * 60:
        return 0.8
    if minutes < 12 * 60 + 30:
        return 0.5
    return 0.3


# --- the MQTT link -------------------------------------------------------------------------------


class Link:
    """One MQTT v5 client for all simulated devices: requests with correlation data, reconnects itself."""

    def __init__(self, site: Site, host: str, port: int, out: Out, *, name: str = "sim",
                 subscriptions: list[str] | None = None, on_public: Callable[[str, dict], None] | None = None):
        self.topics = p.Topics(site.site.id)
        self.run_id = uuid.uuid4().hex[:8]
        self.device = f"{name}-{self.run_id}"
        self.reply_topic = self.topics.reply(self.device)
        self.host, self.port, self.out = host, port, out
        self.subscriptions = subscriptions or []
        self.on_public = on_public
        self.ids = itertools.count(1)
        self.connected = threading.Event()
        self.ever_connected = False
        self._pending: dict[bytes, dict | None] = {}
        self._cv = threading.Condition()
        self.client = make_client(f"arkaden-{self.device}")
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=15, clean_start=True)
        self.client.loop_start()

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def new_id(self) -> str:
        return f"{self.device}-{next(self.ids)}"

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            return
        subs = [(self.reply_topic, 1)] + [(t, 1) for t in self.subscriptions]
        client.subscribe(subs)
        self.ever_connected = True
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()

    def _on_message(self, client, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        try:
            data = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            return
        if msg.topic == self.reply_topic:
            corr = getattr(msg.properties, "CorrelationData", None) if msg.properties else None
            with self._cv:
                if corr in self._pending:
                    self._pending[corr] = data
                    self._cv.notify_all()
        elif self.on_public is not None and isinstance(data, dict):
            try:
                self.on_public(msg.topic, data)
            except Exception:  # a callback must never break paho's loop
                pass

    def request(self, topic: str, payload: dict[str, Any], timeout: float = REPLY_TIMEOUT_S) -> dict | None:
        """Send a command with a unique id; the reply, or None if none came in time."""
        cid = self.new_id()
        corr = cid.encode()
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = self.reply_topic
        props.CorrelationData = corr
        with self._cv:
            self._pending[corr] = None
        try:
            self.client.publish(topic, json.dumps({"v": 1, "id": cid, **payload}).encode(), qos=1, properties=props)
            with self._cv:
                self._cv.wait_for(lambda: self._pending.get(corr) is not None, timeout)
                return self._pending.get(corr)
        finally:
            with self._cv:
                self._pending.pop(corr, None)


# --- the simulation --------------------------------------------------------------------------------


@dataclass
class Known:
    """What the simulation knows about a ticket it issued (never published)."""

    service: str
    party_size: int
    interpreter: bool


@dataclass(order=True)
class _Job:
    at: float  # simulated minutes since the start
    seq: int
    kind: str = field(compare=False)
    counter: str | None = field(default=None, compare=False)


class Morning:
    """Kiosks and counsellors as scheduled jobs on a simulated clock."""

    def __init__(self, site: Site, link: Link, out: Out, *, speed: float, start: datetime,
                 rng: random.Random | None = None):
        self.site, self.link, self.out = site, link, out
        self.topics = link.topics
        self.speed = max(float(speed), 0.01)
        self.start = start
        self.rng = rng or random.Random()
        self.jobs: list[_Job] = []
        self.seq = itertools.count()
        self.tickets: dict[str, Known] = {}
        self.current: dict[str, str | None] = {c.id: None for c in site.counters}
        self.waiting_at: dict[str, int] = {}  # from the public counter states, like a button box shows
        self.called_at: dict[str, float] = {}
        self.stats = {"checkins": 0, "calls": 0, "done": 0, "refused": 0, "no_reply": 0}
        self.kiosks = [k.id for k in site.kiosks] or ["sim-kiosk"]
        walk_in = [c for c in site.concerns if c.walk_in]
        self.concerns = walk_in
        self.concern_weights = [CONCERN_WEIGHTS.get(c.id, DEFAULT_CONCERN_WEIGHT) for c in walk_in]
        self.appointment_only = [c for c in site.concerns if not c.walk_in]
        self.languages = list(site.site.languages)
        self.language_weights = [LANGUAGE_WEIGHTS.get(lang, DEFAULT_LANGUAGE_WEIGHT) for lang in self.languages]
        services = {s.id for s in site.services}
        self.transfers = {src: [(dst, note) for dst, note in dests if dst in services]
                          for src, dests in TRANSFERS.items() if src in services}
        # the real clock, minus the time the broker was away (the morning pauses meanwhile)
        self._t0 = time.monotonic()
        self._paused = 0.0

    # --- clock ---

    def sim_minutes(self) -> float:
        return (time.monotonic() - self._t0 - self._paused) * self.speed / 60.0

    def clock(self, minutes: float | None = None) -> str:
        t = self.start + timedelta(minutes=self.sim_minutes() if minutes is None else minutes)
        return t.strftime("%H:%M")

    def now_local(self) -> datetime:
        return self.start + timedelta(minutes=self.sim_minutes())

    def schedule(self, after_min: float, kind: str, counter: str | None = None) -> None:
        heapq.heappush(self.jobs, _Job(self.sim_minutes() + max(after_min, 0.0), next(self.seq), kind, counter))

    def say(self, what: str, text: str) -> None:
        self.out(f"{self.clock()}  {what:<6} {text}")

    # --- setup ---

    def plan(self) -> None:
        self.schedule(0, "arrival")
        for i, c in enumerate(self.site.counters):  # counsellors reach their desks over the first minutes
            self.schedule(5 + self.rng.uniform(0, 8), "next", c.id)

    def on_public(self, topic: str, data: dict) -> None:
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        if parsed.spec.name == "counter_state" and parsed.param and isinstance(data.get("waiting"), int):
            self.waiting_at[parsed.param] = data["waiting"]

    # --- one step ---

    def step(self, job: _Job) -> None:
        if job.kind == "arrival":
            self.arrival()
            rate = arrivals_per_minute(self.now_local())
            self.schedule(self.rng.expovariate(rate), "arrival")
            return
        assert job.counter is not None
        getattr(self, f"counter_{job.kind}")(job.counter)

    def _refused(self, who: str, reply: dict | None, number: str | None = None) -> bool:
        """Print a refusal or a missing reply; True if the command did not go through."""
        if reply is None:
            self.stats["no_reply"] += 1
            self.say("!", f"{who}: no reply from the core (is it running?)")
            return True
        if not reply.get("ok"):
            err = reply.get("error") or {}
            self.stats["refused"] += 1
            subject = f"{number} " if number else ""
            self.say("refuse", f"{subject}{who}: {err.get('code', '?')} — {err.get('message', '')}")
            return True
        return False

    def arrival(self) -> None:
        rng = self.rng
        kiosk = rng.choice(self.kiosks)
        if self.appointment_only and rng.random() < APPOINTMENT_ONLY_TAP:
            concern = rng.choice(self.appointment_only)
        else:
            if not self.concerns:
                return
            concern = rng.choices(self.concerns, self.concern_weights)[0]
        language = rng.choices(self.languages, self.language_weights)[0]
        sizes, weights = zip(*PARTY_SIZES)
        party = rng.choices(sizes, weights)[0]
        if concern.id in FAMILY_CONCERNS and party == 1 and rng.random() < 0.5:
            party = rng.choice((2, 3, 4, 5))
        interpreter = rng.random() < INTERPRETER_SHARE.get(language, DEFAULT_INTERPRETER_SHARE)
        reply = self.link.request(self.topics.checkin(kiosk), {
            "concern": concern.id, "language": language, "party_size": party, "interpreter": interpreter})
        title = _short(concern.title.get("de", concern.id), 32)
        if self._refused(f"kiosk {title}", reply):
            return
        assert reply is not None
        ticket = reply.get("ticket") or {}
        number = str(ticket.get("number", "?"))
        self.tickets[number] = Known(concern.service, party, interpreter)
        self.stats["checkins"] += 1
        who = f"{language}, {party} Pers." + (", Dolmetsch" if interpreter else "")
        self.say("kiosk", f"{number}  {title} ({who})  {ticket.get('waiting_ahead', 0)} vor")

    def _where(self, counter_id: str) -> str:
        counter = self.site.counter(counter_id)
        return f"{self.site.room(counter.room).number} {counter.label}"

    def _service_minutes(self, counter_id: str, number: str) -> float:
        known = self.tickets.get(number)
        service = known.service if known else self.site.counter(counter_id).services[0]
        base = self.site.service(service).minutes
        if known:
            base *= 1 + 0.08 * (known.party_size - 1) + (0.2 if known.interpreter else 0)
        return min(max(self.rng.lognormvariate(math.log(base), 0.35), 2.0), base * 3)

    def counter_next(self, counter: str) -> None:
        waiting = self.waiting_at.get(counter)
        if waiting == 0 and self.current[counter] is None and counter in self.called_at:
            self.schedule(self.rng.uniform(0.5, 1.5), "next", counter)  # nobody waiting: look again soon
            return
        reply = self.link.request(self.topics.counter_cmd(counter), {"action": "next"})
        if self._refused(self._where(counter), reply):
            self.schedule(1 + self.rng.random(), "next", counter)
            return
        assert reply is not None
        number = reply.get("number")
        self.called_at[counter] = self.sim_minutes()
        self.current[counter] = number
        if not number:
            self.schedule(self.rng.uniform(1, 2), "next", counter)
            return
        self.stats["calls"] += 1
        self.say("call", f"{number} → {self._where(counter)}")
        if self.rng.random() < NO_SHOW_SHARE:
            self.schedule(self.rng.uniform(2.5, 4), "recall", counter)
        else:
            self.schedule(self.rng.uniform(0.5, 2.5), "start", counter)

    def counter_recall(self, counter: str) -> None:
        number = self.current[counter]
        reply = self.link.request(self.topics.counter_cmd(counter), {"action": "recall"})
        if self._refused(self._where(counter), reply, number):
            self._reset(counter)
            return
        self.say("recall", f"{number} → {self._where(counter)}")
        if self.rng.random() < 0.5:
            self.schedule(self.rng.uniform(0.5, 2), "start", counter)  # the client heard it after all
        else:
            self.schedule(self.rng.uniform(2.5, 4), "no_show", counter)

    def counter_no_show(self, counter: str) -> None:
        number = self.current[counter]
        reply = self.link.request(self.topics.counter_cmd(counter), {"action": "no_show"})
        if not self._refused(self._where(counter), reply, number):
            self.say("noshow", f"{number}   {self._where(counter)}")
        self._reset(counter, after=self.rng.uniform(0.3, 1))

    def counter_start(self, counter: str) -> None:
        number = self.current[counter]
        reply = self.link.request(self.topics.counter_cmd(counter), {"action": "start"})
        if self._refused(self._where(counter), reply, number):
            self._reset(counter)
            return
        self.schedule(self._service_minutes(counter, number or ""), "finish", counter)

    def counter_finish(self, counter: str) -> None:
        number = self.current[counter] or ""
        served = self.sim_minutes() - self.called_at.get(counter, self.sim_minutes())
        known = self.tickets.get(number)
        service = known.service if known else self.site.counter(counter).services[0]
        options = self.transfers.get(service, [])
        options = [(dst, note) for dst, note in options if dst != service]
        if options and self.rng.random() < TRANSFER_SHARE:
            dst, note = self.rng.choice(options)
            reply = self.link.request(self.topics.counter_cmd(counter),
                                      {"action": "transfer", "to_service": dst, "note": note})
            if not self._refused(self._where(counter), reply, number):
                if known:
                    known.service = dst
                name = self.site.service(dst).name.get("de", dst)
                self.say("handover", f"{number} → {_short(name, 34)}  „{note}“")
        else:
            reply = self.link.request(self.topics.counter_cmd(counter), {"action": "done"})
            if not self._refused(self._where(counter), reply, number):
                self.stats["done"] += 1
                self.say("done", f"{number}   {self._where(counter)} ({served:.0f} min)")
        self.current[counter] = None
        if self.rng.random() < PAUSE_SHARE:
            reply = self.link.request(self.topics.counter_cmd(counter), {"action": "pause"})
            if not self._refused(self._where(counter), reply):
                self.say("pause", f"{self._where(counter)}")
                self.schedule(self.rng.uniform(8, 15), "resume", counter)
                return
        self.schedule(self.rng.uniform(0.3, 2), "next", counter)

    def counter_resume(self, counter: str) -> None:
        reply = self.link.request(self.topics.counter_cmd(counter), {"action": "resume"})
        if not self._refused(self._where(counter), reply):
            self.say("resume", f"{self._where(counter)}")
        self.schedule(0, "next", counter)

    def _reset(self, counter: str, after: float | None = None) -> None:
        """After a refusal or a lost reply: forget what we thought and press next again later."""
        self.current[counter] = None
        self.schedule(after if after is not None else 1 + self.rng.random(), "next", counter)

    # --- the loop ---

    def loop(self, stop: threading.Event, seconds: float) -> None:
        deadline = time.monotonic() + seconds if seconds > 0 else math.inf
        lost_since: float | None = None
        said_lost = False
        while not stop.is_set() and time.monotonic() < deadline:
            if not self.link.connected.is_set():
                now = time.monotonic()
                lost_since = lost_since or now
                if not said_lost and now - lost_since > LOST_AFTER_S:
                    where = f"{self.link.host}:{self.link.port}"
                    if self.link.ever_connected:
                        self.say("!", f"lost the broker at {where}; retrying (the morning pauses)")
                    else:
                        self.say("!", f"waiting for the broker at {where} …")
                    said_lost = True
                stop.wait(0.2)
                continue
            if lost_since is not None:
                self._paused += time.monotonic() - lost_since
                if said_lost:
                    self.say("!", "broker is back; carrying on")
                lost_since, said_lost = None, False
            if not self.jobs:
                stop.wait(0.1)
                continue
            due = self.jobs[0].at - self.sim_minutes()
            if due > 0:
                stop.wait(min(due * 60.0 / self.speed, 0.2))
                continue
            job = heapq.heappop(self.jobs)
            try:
                self.step(job)
            except Exception as exc:  # keep going whatever happens; say what it was
                self.say("!", f"{job.kind} failed: {exc!r}")
                if job.counter:
                    self._reset(job.counter)
                elif job.kind == "arrival":
                    self.schedule(1, "arrival")


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _morning_start(site: Site) -> datetime:
    today = datetime.now(site.tz).replace(hour=7, minute=55, second=0, microsecond=0)
    return today


def _stop_event_with_signals() -> tuple[threading.Event, Callable[[], None]]:
    """An event set by Ctrl-C or SIGTERM (when called from the main thread), and a restore function."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return stop, lambda: None
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return stop, restore


def run(site: Site, host: str, port: int, *, seconds: float = 0, speed: float = 60,
        stop: threading.Event | None = None, out: Out = print, seed: int | None = None) -> dict[str, int]:
    """Play a morning against the core at host:port until `seconds` pass (0: until Ctrl-C) or `stop` is set."""
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if stop is None:
        stop, restore = _stop_event_with_signals()
    topics = p.Topics(site.site.id)
    link = Link(site, host, port, out, name="sim", subscriptions=[f"{topics.root}/public/counter/+"])
    morning = Morning(site, link, out, speed=speed, start=_morning_start(site), rng=random.Random(seed))
    link.on_public = morning.on_public
    out(f"simulating a morning at {site.site.name}: {len(site.counters)} counters, "
        f"{speed:g} simulated minutes per real minute")
    link.start()
    try:
        morning.plan()
        morning.loop(stop, seconds)
    finally:
        link.stop()
        restore()
    s = morning.stats
    out(f"simulation ends at {morning.clock()}: {s['checkins']} check-ins, {s['calls']} calls, {s['done']} served, "
        f"{s['refused']} refused, {s['no_reply']} without reply")
    return s


# --- watch: a text wall display --------------------------------------------------------------------


class Board:
    """The public state a wall display keeps: queues and the latest calls."""

    def __init__(self, site: Site):
        self.site = site
        self.topics = p.Topics(site.site.id)
        self.queues: dict[str, dict] = {}
        self.current: list[dict] = []
        self.lock = threading.Lock()
        self.changed = False

    def update(self, topic: str, data: dict, out: Out) -> None:
        try:
            parsed = self.topics.parse(topic)
        except p.TopicError:
            return
        name = parsed.spec.name
        if parsed.spec.audience != "public":  # a display never shows anything else
            return
        with self.lock:
            if name == "call":
                again = "  (erneut)" if data.get("recall") else ""
                out(f">>> {data.get('number', '?')}  →  Raum {data.get('room', '?')}, "
                    f"{data.get('counter_label', '?')}{again}")
            elif name == "queue" and parsed.param:
                self.queues[parsed.param] = {"agency": data.get("agency"), "waiting": data.get("waiting", 0),
                                             "estimated_wait_min": data.get("estimated_wait_min", 0)}
                self.changed = True
            elif name == "board":
                for q in data.get("queues") or []:
                    if isinstance(q, dict) and q.get("service"):
                        self.queues[q["service"]] = q
                self.current = [c for c in data.get("current") or [] if isinstance(c, dict)]
                self.changed = True

    def summary(self) -> list[str]:
        """Waiting per agency with the longest estimated wait among its services."""
        with self.lock:
            self.changed = False
            per: dict[str, list[int]] = {}
            for service, q in self.queues.items():
                agency = q.get("agency")
                try:
                    agency = self.site.agency(str(agency)).short
                except KeyError:
                    try:
                        agency = self.site.agency_of_service(service).short
                    except KeyError:
                        agency = str(agency)
                w = per.setdefault(agency, [0, 0])
                w[0] += int(q.get("waiting") or 0)
                w[1] = max(w[1], int(q.get("estimated_wait_min") or 0))
            busy = [(a, w) for a, w in per.items() if w[0] > 0]
            busy.sort(key=lambda x: -x[1][0])
            total = sum(w[0] for _, w in busy)
            parts = [f"{a} {w[0]} (~{w[1]} min)" for a, w in busy]
            lines = [f"--- board: {total} waiting ---"]
            line = ""
            for part in parts:
                if line and len(line) + len(part) + 3 > 100:
                    lines.append("    " + line)
                    line = ""
                line = f"{line} · {part}" if line else part
            if line:
                lines.append("    " + line)
            if self.current:
                now = ", ".join(f"{c.get('number')} {c.get('room')}" for c in self.current[:8])
                lines.append(f"    at the counters: {now}")
            return lines


def watch(site: Site, host: str, port: int, *, seconds: float = 0, stop: threading.Event | None = None,
          out: Out = print, board_every: float = 5.0) -> None:
    """Print the public calls as they come and a compact board every `board_every` seconds."""
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if stop is None:
        stop, restore = _stop_event_with_signals()
    topics = p.Topics(site.site.id)
    board = Board(site)
    connected = threading.Event()
    ever = [False]
    client = make_client(f"arkaden-watch-{uuid.uuid4().hex[:8]}")

    def on_connect(c, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            return
        c.subscribe(public_filters(topics), qos=1)
        if ever[0]:
            out("broker is back")
        ever[0] = True
        connected.set()

    def on_disconnect(c, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        connected.clear()

    def on_message(c, userdata, msg) -> None:  # type: ignore[no-untyped-def]
        try:
            data = json.loads(msg.payload) if msg.payload else {}
            if isinstance(data, dict):
                board.update(msg.topic, data, out)
        except Exception:  # bad payloads are not the display's problem
            pass

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    client.on_message = on_message
    client.connect_async(host, port, keepalive=15, clean_start=True)
    client.loop_start()
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    next_board = time.monotonic() + board_every
    lost_since: float | None = None
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(0.2)
            now = time.monotonic()
            if not connected.is_set():
                if lost_since is None:
                    lost_since = now
                elif now - lost_since > LOST_AFTER_S and lost_since > 0:
                    out(f"lost the broker at {host}:{port}; retrying" if ever[0]
                        else f"waiting for the broker at {host}:{port} …")
                    lost_since = -1.0  # said it
                continue
            lost_since = None
            if now >= next_board:
                next_board = now + board_every
                if board.changed:
                    for line in board.summary():
                        out(line)
    finally:
        client.disconnect()
        client.loop_stop()
        restore()


def public_filters(topics: p.Topics) -> list[tuple[str, int]]:
    """The only subscriptions a display (and `watch`) makes: public topics."""
    return [(topics.all_public(), 1)]
