"""`arkaden bench`: checkin_ms_by_day_size — what one check-in costs the core as the day fills up.

In-process, on the real site file, with durable commits (SQLite, WAL, synchronous=FULL, in a temporary file)
and no broker: each sample is `handle()` of one check-in plus the `flush_state()` after it, the work the core's
worker does per command. The day is filled beforehand by folding issued, called and finished tickets through
the engine and storing them in one go (as a day of that size would have left the event log), so the core
starts by rebuilding its state from them like after a restart.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_rules import engine
from queue_rules.events import Event
from queue_rules.site import Site
from queue_rules.state import DayState, evolve, local_day

from .common import stats

SIZES_QUICK = (100, 1_000)
SIZES = (100, 1_000, 3_000, 10_000)
GROWTH_TARGET = 1.5  # the median at the largest day over the smallest
OPEN_TICKETS = 100  # still open at the time measured, whatever the day's size: the rest were served
DAY = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # a Wednesday, 07:30 in Aachen


def _filled_day(site: Site, store: Store, tickets: int) -> datetime:
    """Store a day with `tickets` check-ins, all but the last OPEN_TICKETS called and done (so what grows is the
    day, not the queue); returns the clock after them."""
    state = DayState(tz=site.tz, estimate_window=site.policy.estimate_window)
    services = sorted({c.service for c in site.concerns if c.walk_in})
    counters = {s: [c.id for c in site.counters if s in c.services] for s in services}
    now = DAY
    log: list[Event] = []
    for i in range(tickets):
        now += timedelta(seconds=2)
        service = services[i % len(services)]
        arrival = engine.Arrival(ticket=uuid.uuid4().hex, token=secrets.token_urlsafe(12), service=service,
                                 language="de", kiosk=site.kiosks[0].id)
        log.append(engine.check_in(state, site, arrival, now=now, actor="kiosk:bench"))
        evolve(state, log[-1])
        if i < tickets - OPEN_TICKETS and counters[service]:
            counter = counters[service][i % len(counters[service])]
            for action in ("next", "done"):
                now += timedelta(seconds=1)
                for e in engine.counter_action(state, site, counter, action, now=now, actor="counter:bench"):
                    evolve(state, e)
                    log.append(e)
    day = local_day(DAY, site.tz)
    for start in range(0, len(log), 2_000):
        store.append(log[start:start + 2_000], tz_day=day)
    return now


def _one_size(site: Site, tickets: int, samples: int, workdir: Path) -> dict[str, float]:
    store = Store(f"sqlite:///{workdir / f'day-{tickets}.db'}")
    store.migrate()
    try:
        clock = [_filled_day(site, store, tickets)]
        service = QueueService(site, store, clock=lambda: clock[0], always_open=True)
        service.flush_state()
        topics = p.Topics(site.site.id)
        kiosk = site.kiosks[0].id
        concerns = [c.id for c in site.concerns if c.walk_in]
        times = []
        for i in range(samples):
            clock[0] += timedelta(seconds=3)
            body = json.dumps({"v": 1, "id": f"bench-{tickets}-{i}", "concern": concerns[i % len(concerns)]})
            msg = Incoming(topics.checkin(kiosk), body.encode(), topics.reply(kiosk), b"b")
            t0 = time.perf_counter()
            service.handle(msg)
            service.flush_state()
            times.append((time.perf_counter() - t0) * 1000)
        return stats(times)
    finally:
        store.close()


def measure(site: Site, quick: bool = False) -> dict[str, object]:
    """checkin_ms_by_day_size: p50/p99 per day size, and how much the median grows from the smallest to the
    largest (the target: at most 1.5x)."""
    logging.getLogger("arkaden.core").setLevel(logging.ERROR)
    sizes = SIZES_QUICK if quick else SIZES
    samples = 40 if quick else 200
    with tempfile.TemporaryDirectory(prefix="arkaden-bench-day-") as tmp:
        by_size = {str(n): _one_size(site, n, samples, Path(tmp)) for n in sizes}
    first, last = by_size[str(sizes[0])], by_size[str(sizes[-1])]
    return {"checkin_ms_by_day_size": {**by_size, "growth_p50": round(last["p50"] / first["p50"], 2),
                                       "growth_p99": round(last["p99"] / first["p99"], 2)}}
