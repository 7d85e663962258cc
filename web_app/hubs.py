"""Live pages: who is watching which ticket or counter, and what to tell them when the core publishes something.

A phone page's ticket is watched once however many browsers show it: one question to the core per change, not
one per browser. A call of its number reaches its browsers at once, drawn from the public call itself; other
changes (its own events, its queue moving) ask the core again, a little later, so a burst costs one question.
A desk page is redrawn from the retained state when anything of its counter may have changed.
Every browser gets its own bounded queue: a slow phone drops updates, never the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import queue_protocol as p
from queue_rules.site import Site

from .feed import CoreFeed

log = logging.getLogger("arkaden.web")
QUEUE_DEPTH = 8
QUEUE_REFRESH_S = 2.0    # a queue moved: ask again after this (many moves, one question)
OWN_EVENT_REFRESH_S = 0.2
WATCH_LINGER_S = 30.0    # a ticket nobody watches any more is forgotten after this
MAX_QUESTIONS = 32       # refreshes in flight at once: a waiting area of phones never floods the core
# queue-move refreshes of all watches together, at most this many a second, spread out: with 2 000 phones the
# "people ahead" line is then 40 s old at worst, and a call (pushed at once from the public call) never waits
# behind a burst of redraws (measured: push p99 546 ms without the limit, 17 ms with it)
QUEUE_REFRESHES_PER_S = 50.0
RETRY_S = 5.0            # the core did not answer: keep the page, ask again after this


_RUNNING: set[asyncio.Future[None]] = set()


def keep(task: asyncio.Future[None]) -> None:
    """Hold a task until it is done (the loop keeps only weak references: an unheld task may vanish mid-way)."""
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


class Subscriber:
    """One browser's stream: the latest updates, oldest dropped first when it falls behind."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_DEPTH)

    def put(self, message: str) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(message)


@dataclass
class TicketWatch:
    token: str
    info: p.TicketInfo | None = None
    call: p.TicketCalled | None = None
    closed: bool = False
    browsers: set[Subscriber] = field(default_factory=set)
    refresh: asyncio.TimerHandle | None = None
    idle_since: float | None = None
    refreshed_at: float = 0.0


Render = Callable[[TicketWatch], str]


class PhoneHub:
    """The tickets phone pages show, refreshed from the core when they may have changed."""

    def __init__(self, site: Site, feed: CoreFeed, clock: Callable[[], datetime]):
        self.site, self.feed, self.clock = site, feed, clock
        self.watches: dict[str, TicketWatch] = {}
        self._by_number: dict[str, TicketWatch] = {}
        self._by_id: dict[str, TicketWatch] = {}
        self._renderers: dict[Subscriber, tuple[Render, str]] = {}
        self._questions: asyncio.Semaphore | None = None
        self._forgot_at = 0.0
        feed.listen(self._on_message)

    async def lookup(self, token: str) -> TicketWatch | None:
        """The watch of a token, asking the core when it is new; None when the core knows no such ticket today."""
        watch = self.watches.get(token)
        if watch is not None and watch.info is not None and watch.browsers and not watch.closed:
            return watch  # watched by an open page: kept fresh by the core's messages
        info = await self._ask(token)  # a TimeoutError goes to the page: "try again shortly", not "unknown"
        if info is None:
            return None
        watch = self.watches.setdefault(token, TicketWatch(token))
        self._learn(watch, info)
        return watch

    async def _ask(self, token: str) -> p.TicketInfo | None:
        """The core's answer; None when it knows no such ticket today. Raises TimeoutError when it did not answer."""
        if self._questions is None:  # made on the loop that uses it
            self._questions = asyncio.Semaphore(MAX_QUESTIONS)
        command = p.LookupBooking(id=self.feed.new_id(), ticket_token=token)
        async with self._questions:
            reply = await self.feed.ask(self.feed.topics.lookup(self.feed.device_id), command, p.LookupReply)
        if reply is None:
            raise TimeoutError("the core did not answer")
        if not reply.ok:
            return None
        return reply.ticket  # a slip of an earlier day answers with appointments only: no live page for it

    def _learn(self, watch: TicketWatch, info: p.TicketInfo) -> None:
        if watch.info is not None and watch.info.number != info.number:
            self._by_number.pop(watch.info.number, None)
        watch.info = info
        if info.status != "waiting":
            watch.call = None  # the core's answer now says where he is called (or that he was served)
        watch.closed = info.status in ("done", "cancelled")
        self._by_number[info.number] = watch
        self._by_id[info.id] = watch

    # --- browsers --------------------------------------------------------------------------------

    def join(self, watch: TicketWatch, render: Render, key: str = "") -> Subscriber:
        """A browser of a ticket; browsers with the same ``key`` (language) get one drawing of each change."""
        sub = Subscriber()
        watch.browsers.add(sub)
        watch.idle_since = None
        self._renderers[sub] = (render, key)
        return sub

    def streams(self) -> int:
        return len(self._renderers)

    def leave(self, watch: TicketWatch, sub: Subscriber) -> None:
        watch.browsers.discard(sub)
        self._renderers.pop(sub, None)
        if not watch.browsers:
            watch.idle_since = asyncio.get_running_loop().time()

    def _push(self, watch: TicketWatch) -> None:
        drawn: dict[str, str] = {}
        for sub in list(watch.browsers):
            render, key = self._renderers[sub]
            try:
                if key not in drawn:
                    drawn[key] = render(watch)
                sub.put(drawn[key])
            except Exception:  # a page that cannot be drawn must not stop the others
                log.exception("could not draw a phone page")

    # --- what the core publishes -------------------------------------------------------------------

    def _on_message(self, family: str, payload: p.Payload | None) -> None:
        if isinstance(payload, p.TicketCalled):
            watch = self._by_number.get(payload.number)
            if watch is not None and watch.info is not None:
                watch.call = payload
                self._push(watch)          # at once, from the public call
                self._schedule(watch, OWN_EVENT_REFRESH_S)
        elif isinstance(payload, p.AuditEvent):
            ticket = payload.data.get("ticket")
            watch = self._by_id.get(ticket) if isinstance(ticket, str) else None
            if watch is not None:
                self._schedule(watch, OWN_EVENT_REFRESH_S)
        elif isinstance(payload, p.QueueState):
            now = asyncio.get_running_loop().time()
            every = max(QUEUE_REFRESH_S, len(self.watches) / QUEUE_REFRESHES_PER_S)
            for watch in list(self.watches.values()):
                if (watch.info is not None and watch.info.service == payload.service and watch.browsers
                        and watch.refresh is None):
                    due = max(QUEUE_REFRESH_S, watch.refreshed_at + every - now)
                    self._schedule(watch, due + random.uniform(0, every / 2))
        elif family == "link" and self.feed.connected:
            for watch in self.watches.values():  # back after a lost connection: what did we miss?
                if watch.browsers:
                    self._schedule(watch, OWN_EVENT_REFRESH_S + random.uniform(0, len(self.watches) / 100))
        now = asyncio.get_running_loop().time()
        if now - self._forgot_at > 1.0:
            self._forgot_at = now
            self._forget_idle()

    def _schedule(self, watch: TicketWatch, delay: float) -> None:
        loop = asyncio.get_running_loop()
        if watch.refresh is not None:
            if watch.refresh.when() <= loop.time() + delay:
                return  # one is due sooner already
            watch.refresh.cancel()
        watch.refresh = loop.call_later(delay, lambda: keep(asyncio.ensure_future(self._refresh(watch))))

    async def _refresh(self, watch: TicketWatch) -> None:
        watch.refresh = None
        watch.refreshed_at = asyncio.get_running_loop().time()
        if not watch.browsers:
            return
        try:
            info = await self._ask(watch.token)
        except TimeoutError:  # the core is restarting or busy: the page stays as it is, and we ask again
            self._schedule(watch, RETRY_S + random.uniform(0, RETRY_S))
            return
        if info is None:   # the day ended, or the visit closed and was purged: the page stops
            watch.closed = True
        else:
            before = watch.info
            self._learn(watch, info)
            if before == info and watch.call is None:
                return
        self._push(watch)

    def _forget_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        for token, watch in list(self.watches.items()):
            if watch.idle_since is not None and now - watch.idle_since > WATCH_LINGER_S:
                del self.watches[token]
                if watch.info is not None:
                    if self._by_number.get(watch.info.number) is watch:
                        del self._by_number[watch.info.number]
                    if self._by_id.get(watch.info.id) is watch:
                        del self._by_id[watch.info.id]
                if watch.refresh is not None:
                    watch.refresh.cancel()


DeskRender = Callable[[str, p.TicketInfo | None], str]


@dataclass
class CounterWatch:
    counter: str
    browsers: dict[Subscriber, DeskRender] = field(default_factory=dict)
    journey: p.TicketInfo | None = None
    asked_for: str | None = None
    redraw: asyncio.TimerHandle | None = None


class DeskHub:
    """The counters desk pages show: redrawn when the reception list, the counter or the link changes."""

    def __init__(self, site: Site, feed: CoreFeed):
        self.site, self.feed = site, feed
        self.counters: dict[str, CounterWatch] = {}
        feed.listen(self._on_message)

    def join(self, counter: str, render: DeskRender) -> tuple[CounterWatch, Subscriber]:
        watch = self.counters.setdefault(counter, CounterWatch(counter))
        sub = Subscriber()
        watch.browsers[sub] = render
        self._check_journey(watch)
        return watch, sub

    def leave(self, watch: CounterWatch, sub: Subscriber) -> None:
        watch.browsers.pop(sub, None)

    def _on_message(self, family: str, payload: p.Payload | None) -> None:
        if family in ("tickets", "counter_state", "link", "presence"):
            for watch in self.counters.values():
                if watch.browsers:
                    self._check_journey(watch)
                    self._schedule(watch)
        elif isinstance(payload, p.AuditEvent):
            ticket = payload.data.get("ticket")
            for watch in self.counters.values():
                if watch.journey is not None and watch.journey.id == ticket:
                    watch.asked_for = None  # its stops may have changed: ask again
                    self._check_journey(watch)

    def current_ticket(self, counter: str) -> str | None:
        row = self.feed.snapshot.current_row(counter)
        return row.id if row else None

    def _check_journey(self, watch: CounterWatch) -> None:
        """The current client's journey comes from the core once per client (and again after his events)."""
        ticket = self.current_ticket(watch.counter)
        if ticket is None:
            watch.journey, watch.asked_for = None, None
            return
        if watch.asked_for == ticket:
            return
        watch.asked_for = ticket
        keep(asyncio.ensure_future(self._ask_journey(watch, ticket)))

    async def _ask_journey(self, watch: CounterWatch, ticket: str) -> None:
        command = p.DeskLookup(id=self.feed.new_id(), ticket=ticket)
        reply = await self.feed.ask(self.feed.topics.desk_lookup(self.feed.device_id), command, p.DeskReply)
        if reply is not None and reply.ok and reply.ticket is not None and watch.asked_for == ticket:
            watch.journey = reply.ticket
            self._schedule(watch)
        elif watch.asked_for == ticket:
            watch.asked_for = None  # try again at the next change

    def _schedule(self, watch: CounterWatch) -> None:
        if watch.redraw is None:
            watch.redraw = asyncio.get_running_loop().call_later(0.02, self._redraw, watch)

    def _redraw(self, watch: CounterWatch) -> None:
        watch.redraw = None
        journey = watch.journey
        for sub, render in list(watch.browsers.items()):
            try:
                sub.put(render(watch.counter, journey))
            except Exception:
                log.exception("could not draw a desk page")


class BoardHub:
    """The public board's browsers: the retained board, pushed whenever the core publishes a new one."""

    def __init__(self, feed: CoreFeed):
        self.feed = feed
        self.browsers: dict[Subscriber, Callable[[p.BoardState | None], str]] = {}
        feed.listen(self._on_message)

    def join(self, render: Callable[[p.BoardState | None], str]) -> Subscriber:
        sub = Subscriber()
        self.browsers[sub] = render
        return sub

    def leave(self, sub: Subscriber) -> None:
        self.browsers.pop(sub, None)

    def _on_message(self, family: str, payload: p.Payload | None) -> None:
        if family in ("board", "link"):
            for sub, render in list(self.browsers.items()):
                try:
                    sub.put(render(self.feed.snapshot.board))
                except Exception:
                    log.exception("could not draw the board")
