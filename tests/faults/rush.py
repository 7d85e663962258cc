"""A morning rush of the fault scenarios: kiosks and button boxes of the rush site, started together, stopped together,
and the checks of what they did against the event log."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import queue_protocol as p
from arkaden_cli.dev_broker import MosquittoBroker
from queue_core.store import Store
from queue_rules import events as ev
from queue_rules.site import Site

from .checks import Log, called_twice, differences, duplicate_numbers, fold, retained_state
from .clients import BoxClient, FaultClient, Pacing, RealKiosk, RetryingKiosk
from .conftest import CHECKINS, REAL_KIOSKS, RETRYING_KIOSKS

CONCERNS = ["residence", "job"]
AWAY_SLACK_S = 0.2   # a call stamped this close to a display's disconnect or resubscription counts as in the gap


@dataclass
class Rush:
    """The rush's devices; `start()` lets them go, `finish()` waits for the kiosks and stops the boxes."""

    site: Site
    broker: MosquittoBroker
    data_dir: Path
    checkins: int = CHECKINS
    stop: threading.Event = field(default_factory=threading.Event)
    retrying: list[RetryingKiosk] = field(default_factory=list)
    real: list[RealKiosk] = field(default_factory=list)
    boxes: list[BoxClient] = field(default_factory=list)
    mqtts: list[FaultClient] = field(default_factory=list)

    def connect(self) -> None:
        """Connect every device (a fifth of the check-ins go through the kiosk's own backend)."""
        t = p.Topics(self.site.site.id)
        per_real = max(1, self.checkins // 5 // len(REAL_KIOSKS))
        rest = self.checkins - per_real * len(REAL_KIOSKS)
        per_retrying = rest // len(RETRYING_KIOSKS)
        host, port = self.broker.host, self.broker.port
        for i, kiosk in enumerate(RETRYING_KIOSKS):
            client = FaultClient(host, port, self.site.site.id, kiosk, [t.reply(kiosk)])
            self.mqtts.append(client)
            count = per_retrying + (rest - per_retrying * len(RETRYING_KIOSKS) if i == 0 else 0)
            self.retrying.append(RetryingKiosk(client, kiosk, CONCERNS, count,
                                               Pacing(0.1, 0.3, random.Random(i)), self.stop))
        for i, kiosk in enumerate(REAL_KIOSKS):
            self.real.append(RealKiosk(self.site, kiosk, host, port, self.data_dir, CONCERNS, per_real,
                                       Pacing(0.2, 0.5, random.Random(10 + i)), self.stop))
        for i, box in enumerate(self.site.button_boxes):
            client = FaultClient(host, port, self.site.site.id, box.id, [t.reply(box.id)])
            self.mqtts.append(client)
            self.boxes.append(BoxClient(client, box.counter, box.id, Pacing(0.5, 1.5, random.Random(100 + i)),
                                        self.stop))

    def start(self) -> None:
        for kiosk in self.real:
            kiosk.begin()
        for thread in [*self.retrying, *self.boxes]:
            thread.start()

    def answered(self) -> int:
        """Check-ins answered so far (online or offline)."""
        return (sum(1 for k in self.retrying for s in k.sent if s.answer is not None)
                + sum(len(k.done) for k in self.real))

    def wait_answered(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.answered() < count:
            assert time.monotonic() < deadline, f"only {self.answered()} of {count} check-ins answered in {timeout} s"
            time.sleep(0.02)

    def finish(self, timeout: float | None = None) -> float:
        """Wait for every kiosk's last check-in and every outbox to be handed in, then stop the boxes; the seconds
        the outboxes took after the last check-in."""
        timeout = 90 + self.checkins / 5 if timeout is None else timeout
        deadline = time.monotonic() + timeout
        for thread in [*self.retrying, *self.real]:
            thread.join(max(0.1, deadline - time.monotonic()))
            assert not thread.is_alive(), f"{thread.name} still checking in after {timeout} s"
        last = time.monotonic()
        while any(k.pending() for k in self.real):
            assert time.monotonic() < deadline, f"outboxes not handed in: {[k.pending() for k in self.real]}"
            time.sleep(0.1)
        drained = time.monotonic() - last
        self.stop.set()
        for box in self.boxes:
            box.join(20)
            assert not box.is_alive(), f"{box.name} still pressing"
        return drained

    def close(self) -> None:
        self.stop.set()
        for kiosk in self.real:
            kiosk.close()
        for client in self.mqtts:
            client.close()


@dataclass
class Tally:
    """What the devices saw, checked against the log: the figures of a scenario and the problems found."""

    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


def tally_checkins(rush: Rush, log: Log) -> Tally:
    """Every check-in landed exactly once, and the log holds no ticket that no client holds."""
    out = Tally()
    by_key = log.issued_by_key()
    cancelled = log.cancelled()
    accounted: set[str] = set()
    first_try = after_retry = resent = 0
    standing: list[int] = []   # per client check-in: how many of its tickets stand in the log (1, or lost/doubled)
    for kiosk in rush.retrying:
        for s in kiosk.sent:
            key = f"checkin:{s.device}:{s.cid}"
            accounted.add(key)
            out.check(s.answer is not None and bool(s.answer.get("ok")), f"check-in {s.cid}: answer {s.answer}")
            issued = by_key.get(key, [])
            standing.append(len([e for e in issued if e.ticket not in cancelled]))
            out.check(len(issued) == 1, f"check-in {s.cid} answered {s.answer} but issued {len(issued)} times")
            if s.answer and s.answer.get("ok") and len(issued) == 1:
                out.check(issued[0].number == s.answer["ticket"]["number"],
                          f"check-in {s.cid}: answered {s.answer['ticket']['number']}, stored {issued[0].number}")
            first_try += s.attempts == 1
            after_retry += s.attempts > 1
            resent += max(0, s.attempts - 1)
    offline = online = phantoms = superseded = 0
    for kiosk in rush.real:
        entries = {e.cid: e for e in kiosk.outbox.all()}
        for done in kiosk.done:
            result = done.result
            out.check(result.kind == "issued" and result.ticket is not None,
                      f"{kiosk.kiosk}: check-in not issued: {result}")
            if result.ticket is None:
                continue
            key = f"checkin:{kiosk.kiosk}:{result.ticket.print_id}"
            accounted.add(key)
            issued = [e for e in by_key.get(key, []) if e.ticket not in cancelled]
            standing.append(len(issued))
            out.check(len(issued) == 1, f"{kiosk.kiosk}: ticket {result.ticket.number} ({key}) stands "
                                        f"{len(issued)} times in the log")
            if result.ticket.offline:
                offline += 1
                entry = entries.get(result.ticket.print_id)
                out.check(entry is not None and entry.state == "sent",
                          f"{kiosk.kiosk}: offline ticket {result.ticket.number} not handed in: {entry}")
                if issued:
                    out.check(issued[0].offline and issued[0].number == result.ticket.number,
                              f"{kiosk.kiosk}: offline ticket {result.ticket.number} stored as {issued[0].number}")
                replaced = entry.payload.get("replaces") if entry else None
                if replaced:  # the online check-in it replaces: never issued, or issued and cancelled
                    gone = f"checkin:{kiosk.kiosk}:{replaced}"
                    accounted.add(gone)
                    phantom = by_key.get(gone, [])
                    superseded += not phantom
                    phantoms += len(phantom)
                    out.check(all(e.ticket in cancelled for e in phantom),
                              f"{kiosk.kiosk}: {replaced}, replaced by {result.ticket.number}, still stands")
            else:
                online += 1
    ghosts = sorted(f"{e.number} ({key})" for key, issued in by_key.items() if key not in accounted for e in issued)
    out.check(not ghosts, f"tickets no client holds: {ghosts}")
    out.figures.update(checkins=sum(len(k.sent) for k in rush.retrying) + sum(len(k.done) for k in rush.real),
                       answered_first_try=first_try, answered_after_retry=after_retry, resent_same_id=resent,
                       real_kiosk_online=online, real_kiosk_offline=offline, phantoms_cancelled=phantoms,
                       replaced_before_applied=superseded, ghost_tickets=len(ghosts),
                       checkins_lost=standing.count(0), checkins_doubled=sum(1 for n in standing if n > 1))
    return out


def tally_calls(rush: Rush, log: Log, watcher: FaultClient) -> Tally:
    """Nobody called twice, every call in the log announced once on the public call topic, every press settled."""
    out = Tally()
    numbers = log.numbers()
    cancelled = log.cancelled()
    called = log.called()
    t = watcher.topics
    announced = [m["number"] for m in watcher.messages(t.call()) if not m.get("recall")]
    # a display (clean_start=True, as every device's link) gets no call published while it is not subscribed
    away = [(start - AWAY_SLACK_S, (end or time.time()) + AWAY_SLACK_S) for start, end in watcher.away]
    in_gap = {numbers[e.ticket] for e in called if any(a <= e.at.timestamp() <= b for a, b in away)}
    in_log = [numbers[e.ticket] for e in called]
    missed_away = sorted(in_gap - set(announced))
    lost = sorted(set(in_log) - set(announced) - in_gap)
    duplicates = len(announced) - len(set(announced))
    out.check(not lost, f"calls stored but never announced: {lost}")
    out.check(duplicates == 0, f"calls announced twice: {sorted(n for n, c in Counter(announced).items() if c > 1)}")
    phantom_called = sorted(numbers[e.ticket] for e in called if e.ticket in cancelled)
    out.check(not phantom_called, f"cancelled (phantom) tickets that were called: {phantom_called}")
    presses = [s for b in rush.boxes for s in b.sent]
    refused = Counter(s.answer.get("error", {}).get("code", "?") for s in presses
                      if s.answer is not None and not s.answer.get("ok"))
    unanswered = [s.cid for s in presses if s.answer is None]
    out.check(not unanswered, f"presses never answered: {unanswered[:10]} ({len(unanswered)})")
    for s in presses:
        number = s.answer.get("number") if s.answer and s.answer.get("ok") else None
        if number is not None:
            out.check(any(numbers[e.ticket] == number and e.counter == s.device for e in called),
                      f"press {s.cid} answered {number} at {s.device}, never called there")
    out.figures.update(calls=len(called), calls_announced=len(announced), calls_lost=len(lost),
                       calls_missed_while_display_reconnected=len(missed_away),
                       call_duplicates=duplicates, phantoms_called=len(phantom_called), presses=len(presses),
                       presses_resent=sum(max(0, s.attempts - 1) for s in presses),
                       presses_refused=dict(refused), presses_unanswered=len(unanswered))
    return out


def check_run(rush: Rush, db_url: str, watcher: FaultClient, figures: dict[str, Any], now: datetime) -> list[str]:
    """After a rush (the core stopped cleanly): the problems found in the log, the devices' records and the
    published state; the figures go into `figures` (messages lost, duplicates ...)."""
    store = Store(db_url)
    try:
        log = Log.read(store)
        state = fold(store, rush.site)
    finally:
        store.close()
    checkins, calls = tally_checkins(rush, log), tally_calls(rush, log, watcher)
    twice_issued, twice_called, twice_applied = duplicate_numbers(log), called_twice(log), log.repeated_effects()
    published = retained_state(rush.broker.host, rush.broker.port, rush.site)
    drift = differences(state, rush.site, published, now)
    figures.update(checkins.figures)
    figures.update(calls.figures)
    figures.update(
        events=dict(Counter(e.type for _, e in log.events)), tickets_issued=len(log.of(ev.TicketIssued)),
        numbers_issued_twice=len(twice_issued), tickets_called_twice=len(twice_called),
        commands_applied_twice=len(twice_applied), retained_topics_differing=len(drift),
        messages_lost=checkins.figures["checkins_lost"] + calls.figures["calls_lost"]
        + calls.figures["presses_unanswered"],
        duplicates=checkins.figures["checkins_doubled"] + len(twice_issued) + len(twice_called) + len(twice_applied)
        + calls.figures["call_duplicates"])
    problems = checkins.problems + calls.problems
    problems += [f"number issued twice: {n}" for n in twice_issued]
    problems += [f"ticket called twice: {n}" for n in twice_called]
    problems += [f"command applied twice: {k}" for k in twice_applied]
    problems += ["the log does not fold to the published state: " + d for d in drift]
    return problems
