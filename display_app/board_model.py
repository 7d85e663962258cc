"""The wall display's view model (no Kivy): which calls, queues and hint one display shows, and when it blinks.

Besides the calls, a short "later" list: numbers queued at a room from a later time (a journey's next booked stop),
shown as number, room and time only, like every other public line of the board.

Only today is shown (the site's local day, from the wall clock): a call, a "later" number or a whole board of an
earlier day is never shown, whether it is an old retained board met at the morning's start or what was on the
screen when the display ran through midnight without a message (`roll_over`, every tick).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

import queue_protocol as p
from queue_rules.site import Site
from queue_rules.state import local_day

log = logging.getLogger("arkaden.display")

HISTORY = 32  # own call history kept for "recent" (bounded: a display runs for months)
CONNECT_GRACE_S = 10.0  # "Verbinde …" at the start; after that without a broker: "Keine Verbindung"
MISSED_CALL_S = 30.0  # a call on a board that no event brought, at most this old: announced as new


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CallView:
    """One call as a display shows it."""

    number: str
    room: str
    counter: str        # counter id
    counter_label: str
    agency: str         # the agency's short name
    at: datetime
    announce: str | None = None   # the client's language for the spoken call: said, never shown


@dataclass(frozen=True)
class LaterView:
    """A number that will be called at a room from a later time: number, room and time only (public)."""

    number: str
    room: str
    at: datetime
    time: str           # "11:15", local


@dataclass(frozen=True)
class QueueView:
    """One agency's line on the board: how many wait and for about how long."""

    agency: str         # agency id
    short: str
    waiting: int
    wait_min: int       # lowest and highest estimate over the agency's services that have people waiting
    wait_max: int


@dataclass(frozen=True)
class BoardSettings:
    current_slots: int = 4
    recent_slots: int = 6
    later_slots: int = 3
    highlight_seconds: float = 10.0
    blink_period: float = 0.5      # on/off half-period of a newly called number
    hint_seconds: float = 6.0
    page_seconds: float = 8.0      # how long one page of the waiting list shows when it has several


def _call(c: p.BoardCall) -> CallView:
    return CallView(c.number, c.room, c.counter, c.counter_label, c.agency, c.at)


class BoardModel:
    """State of one wall display, fed from the public topics; `clock` is monotonic seconds (blink, hint, pages),
    `now` the wall clock whose local day decides what is today's (both injectable)."""

    def __init__(self, site: Site, display_id: str, settings: BoardSettings = BoardSettings(),
                 clock: Callable[[], float] | None = None, now: Callable[[], datetime] = utcnow):
        import time

        displays = {d.id: d for d in site.displays}
        if display_id not in displays:
            raise KeyError(f"no display {display_id!r} in the site file (known: {', '.join(displays) or 'none'})")
        self.site, self.display, self.settings = site, displays[display_id], settings
        self.clock = clock or time.monotonic
        self.now = now
        self.day: date = local_day(now(), site.tz)
        wanted = set(self.display.agencies) or {a.id for a in site.agencies}
        self.agencies = [a for a in site.agencies if a.id in wanted]
        self.counters = {c.id for c in site.counters if any(site.service(s).agency in wanted for s in c.services)}
        self.services = {s.id for s in site.services if s.agency in wanted}
        self.languages = list(site.site.languages)
        self.current: list[CallView] = []
        self.recent: list[CallView] = []
        self.queues: list[QueueView] = [QueueView(a.id, a.short, 0, 0, 0) for a in self.agencies]
        self.later: list[LaterView] = []
        self._agency_names = {a.id for a in self.agencies} | {a.short for a in self.agencies}
        self._by_id = {a.id: a for a in self.agencies}
        self.connected = False
        self.ever_connected = False
        self.started = self.clock()
        self.calls_received = 0
        self.calls_shown = 0
        self.boards_applied = 0
        self.stale_dropped = 0      # calls and boards of an earlier day, not shown
        self._board_current: list[CallView] = []
        self._board_recent: list[CallView] = []
        self._board_at: datetime | None = None
        self._history: deque[CallView] = deque(maxlen=HISTORY)
        self._lit: dict[tuple[str, str], float] = {}  # (number, counter) -> when its highlight started
        self._known: set[tuple[str, str]] = set()  # (number, counter) calls seen, as events or on a board
        self._missed: list[CallView] = []
        self.calls_missed = 0       # calls found on a board, never received as events (announced late)
        self.hint_override: str | None = None  # the tour shows each language in turn
        self.page_override: int | None = None  # and each page of the waiting list

    # --- input ---------------------------------------------------------------------------------

    def shows_counter(self, counter: str) -> bool:
        return counter in self.counters

    def apply_board(self, data: dict[str, Any]) -> bool:
        """A BoardState (retained; also right after connecting). False when it is not a valid one."""
        try:
            board = p.BoardState.model_validate(data)
        except ValidationError as exc:
            log.warning("ignoring an invalid board: %s", exc.errors()[0]["msg"] if exc.errors() else exc)
            return False
        self.roll_over()
        self.boards_applied += 1
        self._board_at = board.at
        if self._earlier(board.at):   # e.g. last evening's, still retained at the broker: nothing of it is today's
            log.info("a board of %s, not today (%s): showing no calls and no waiting until today's",
                     local_day(board.at, self.site.tz), self.day)
            self.stale_dropped += 1
            board = p.BoardState(current=[], recent=[], queues=[], later=[], at=board.at)
        self._board_current = self._todays(board.current)
        self._board_recent = self._todays(board.recent)
        self._missed_calls(board.at)
        sums: dict[str, list[int]] = {a.id: [0, 10**9, 0] for a in self.agencies}
        for q in board.queues:
            if q.service in self.services and q.agency in sums:
                s = sums[q.agency]
                s[0] += q.waiting
                if q.waiting:
                    s[1], s[2] = min(s[1], q.estimated_wait_min), max(s[2], q.estimated_wait_min)
        self.queues = [QueueView(a.id, a.short, sums[a.id][0], sums[a.id][1] if sums[a.id][0] else 0, sums[a.id][2])
                       for a in self.agencies]
        later = sorted((x for x in board.later if x.agency in self._agency_names and not self._earlier(x.at)),
                       key=lambda x: x.at)
        self.later = [LaterView(x.number, x.room, x.at, x.at.astimezone(self.site.tz).strftime("%H:%M"))
                      for x in later][: self.settings.later_slots]
        self._arrange()
        return True

    def _missed_calls(self, board_at: datetime) -> None:
        """Calls on a board that this display never got as events, made in the last MISSED_CALL_S: they were
        published while it reconnected (its session has no queue). They count as new calls: highlighted, and in
        `take_missed()` for the announcement. Not at the first board after the start (those are old news)."""
        if self.boards_applied <= 1:
            self._known.update((c.number, c.counter) for c in self._board_current)
            return
        for c in self._board_current:
            key = (c.number, c.counter)
            if key in self._known:
                continue
            self._known.add(key)
            if c.counter in self.counters and (board_at - c.at).total_seconds() <= MISSED_CALL_S:
                self._lit[key] = self.clock()
                self._history.appendleft(c)
                self._missed.append(c)
                self.calls_missed += 1

    def take_missed(self) -> list[CallView]:
        """The calls found missed on the last boards (see `_missed_calls`), once each, for the announcement."""
        missed, self._missed = self._missed, []
        return missed

    def apply_call(self, data: dict[str, Any]) -> CallView | None:
        """A TicketCalled event: the call if this display shows it (it is then highlighted), else None."""
        try:
            called = p.TicketCalled.model_validate(data)
        except ValidationError:
            log.warning("ignoring an invalid call event")
            return None
        self.calls_received += 1
        if called.counter not in self.counters:
            return None
        self.roll_over()
        if self._earlier(called.at):   # a late message of yesterday: neither shown nor said
            log.info("ignoring a call of %s, not today (%s)", local_day(called.at, self.site.tz), self.day)
            self.stale_dropped += 1
            return None
        call = CallView(called.number, called.room, called.counter, called.counter_label, called.agency, called.at,
                        called.announce)
        self.calls_shown += 1
        # the board that follows will list it; until then the event puts it at the top itself
        self._board_current = [c for c in self._board_current if c.counter != call.counter and c.number != call.number]
        self._board_current.insert(0, call)
        self._history.appendleft(call)
        self.later = [x for x in self.later if x.number != call.number]   # it is called now, not later
        self._lit[(call.number, call.counter)] = self.clock()
        self._known.add((call.number, call.counter))
        self._arrange()
        return call

    def set_connected(self, connected: bool) -> None:
        self.connected = connected
        self.ever_connected = self.ever_connected or connected

    def connection_lost(self) -> bool:
        """No broker, and either it was there before or the start's grace (`CONNECT_GRACE_S`) is over: the board
        says "no connection" rather than "connecting"."""
        return not self.connected and (self.ever_connected or self.clock() - self.started >= CONNECT_GRACE_S)

    # --- the day -------------------------------------------------------------------------------

    def _earlier(self, at: datetime) -> bool:
        return local_day(at, self.site.tz) < self.day

    def _todays(self, calls: list[p.BoardCall]) -> list[CallView]:
        """The calls of a board this display shows: its counters', none of an earlier day."""
        return [_call(c) for c in calls if c.counter in self.counters and not self._earlier(c.at)]

    def roll_over(self) -> bool:
        """At the site's local midnight (by the wall clock, also without any message) everything of the day before
        leaves the screen: calls, recent calls, "later" numbers, and the waiting counts of a board of that day.
        True when something changed (the screen must be redrawn)."""
        today = local_day(self.now(), self.site.tz)
        if today <= self.day:
            return False
        self.day = today
        log.info("a new day (%s): yesterday's calls leave the board", today)
        self._board_current = [c for c in self._board_current if not self._earlier(c.at)]
        self._board_recent = [c for c in self._board_recent if not self._earlier(c.at)]
        self._history = deque((c for c in self._history if not self._earlier(c.at)), maxlen=HISTORY)
        self.later = [x for x in self.later if not self._earlier(x.at)]
        self._known.clear()   # numbers restart: A-001 of today is not yesterday's
        if self._board_at is not None and self._earlier(self._board_at):   # its waiting lines are yesterday's too
            self.queues = [QueueView(a.id, a.short, 0, 0, 0) for a in self.agencies]
        self._arrange()
        return True

    def _arrange(self) -> None:
        n_cur = self.settings.current_slots
        current = sorted(self._board_current, key=lambda c: c.at, reverse=True)
        self.current = current[:n_cur]
        on_board = {c.number for c in self.current}
        seen: set[str] = set()
        recent = []
        for c in sorted([*current[n_cur:], *self._board_recent, *self._history], key=lambda c: c.at, reverse=True):
            if c.number in on_board or c.number in seen:
                continue
            seen.add(c.number)
            recent.append(c)
        self.recent = recent[: self.settings.recent_slots]

    # --- time ----------------------------------------------------------------------------------

    def lit(self, call: CallView) -> bool:
        """Whether a call is still in its highlight time."""
        started = self._lit.get((call.number, call.counter))
        return started is not None and self.clock() - started < self.settings.highlight_seconds

    def blink_on(self, call: CallView) -> bool:
        """Highlighted and in the bright half of its blink."""
        started = self._lit.get((call.number, call.counter))
        if started is None:
            return False
        age = self.clock() - started
        return age < self.settings.highlight_seconds and int(age / self.settings.blink_period) % 2 == 0

    def expire(self) -> None:
        """Forget highlights that are over (the dict stays as small as the calls of the last seconds)."""
        now = self.clock()
        for key in [k for k, t in self._lit.items() if now - t >= self.settings.highlight_seconds]:
            del self._lit[key]

    def hint_language(self) -> str:
        """The language the rotating hint is in now."""
        if self.hint_override is not None:
            return self.hint_override
        return self.languages[int(self.clock() / self.settings.hint_seconds) % len(self.languages)]

    def agency_name(self, agency_id: str, lang: str) -> str:
        """An agency's short name in ``lang`` (the site file's German one where it has none)."""
        agency = self._by_id.get(agency_id)
        return agency.short_in(lang) if agency is not None else agency_id

    def queue_page(self, pages: int) -> int:
        """The page of the waiting list shown now (0 when it has one)."""
        pages = max(1, pages)
        if self.page_override is not None:
            return self.page_override % pages
        return int(self.clock() / self.settings.page_seconds) % pages

    def wall_time(self, now: datetime) -> str:
        return now.astimezone(self.site.tz).strftime("%H:%M")
