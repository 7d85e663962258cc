"""The queue service: turns incoming MQTT commands into stored events and the messages to publish.

It knows nothing of sockets: `handle()` takes an `Incoming` and returns `Publication`s; the MQTT runner
(`runner.py`) feeds it from one worker thread. Per command, with the clock read once: parse and
de-duplicate (`intake`), decide and commit (`decide`), then publish what changed (`publish`). Retained state
is coalesced and only produced by `flush_state()`, so a burst of check-ins updates the board once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import queue_protocol as p
from queue_rules.engine import Rejected
from queue_rules.site import Site
from queue_rules.state import DayState, evolve, local_day

from . import publish
from .decide import (
    BOOKING_FAILURE_WINDOW,
    BOOKING_FAILURES_PER_KIOSK,
    Answer,
    Decider,
    Decision,
    StorageFailed,
    commit,
)
from .device_presence import PresenceRecorder
from .intake import Incoming, Refusal, ReplyMemory, Request, parse
from .publish import Publication
from .ratelimit import FailureLimiter
from .store import Store

__all__ = ["BOOKING_FAILURES_PER_KIOSK", "BOOKING_FAILURE_WINDOW", "Incoming", "Publication", "QueueService",
           "utcnow"]

log = logging.getLogger("arkaden.core")


def utcnow() -> datetime:
    return datetime.now(UTC)


class QueueService:
    """The core's logic behind one worker thread: today's state, rebuilt from the store, and every command."""

    def __init__(
        self, site: Site, store: Store, *, clock: Callable[[], datetime] = utcnow,
        always_open: bool = False, reply_cache_size: int = 20_000,
        booking_limiter: FailureLimiter | None = None,
    ):
        self.site = site
        self.store = store
        self.clock = clock
        self.topics = p.Topics(site.site.id)
        self.stats: Counter[str] = Counter()
        self.booking_limiter = booking_limiter or FailureLimiter(BOOKING_FAILURES_PER_KIOSK, BOOKING_FAILURE_WINDOW)
        self.decider = Decider(site, store, always_open=always_open, booking_limiter=self.booking_limiter)
        self.replies = ReplyMemory(store, reply_cache_size)
        self.changes = publish.ChangeTracker(site, self.topics)
        self.presence = PresenceRecorder(self.topics, store, self.stats)
        self._kiosks = frozenset(k.id for k in site.kiosks)
        self._desks = frozenset(d.id for d in site.reception)
        self._stale = False
        self.state = self._rebuild(clock())

    # --- state -----------------------------------------------------------------------------------

    def _rebuild(self, now: datetime) -> DayState:
        """Today's state, replayed from the event log."""
        state = DayState(tz=self.site.tz, estimate_window=self.site.policy.estimate_window)
        self.replies.reload(now)
        erased = self.store.erase_notes_before(local_day(now, self.site.tz))
        if erased:
            log.info("deleted %d handover notes of earlier days", erased)
        count = 0
        for e in self.store.events(day=local_day(now, self.site.tz)):
            evolve(state, e)
            count += 1
        log.info("state rebuilt from %d events of today", count)
        self.mark_all_dirty()
        return state

    def _try_rebuild(self, now: datetime) -> bool:
        """After a storage failure memory may hold unstored changes: refuse everything until rebuilt."""
        try:
            self.state = self._rebuild(now)
        except Exception as exc:  # the database is still away
            log.error("state rebuild failed, refusing commands until storage is back: %s", exc)
            self._stale = True
            return False
        self._stale = False
        return True

    def roll_over_if_new_day(self, now: datetime | None = None) -> None:
        """At local midnight yesterday's visits leave the board, before any command of the new day is decided."""
        now = self.clock() if now is None else now
        today = local_day(now, self.site.tz)
        if self.state.day is not None and self.state.day != today:
            log.info("a new day (%s): numbers restart, yesterday's open visits leave the board", today)
            self._try_rebuild(now)

    def mark_all_dirty(self) -> None:
        self.changes.mark_all()

    # --- entry point -----------------------------------------------------------------------------

    def handle(self, msg: Incoming) -> list[Publication]:
        """Process one message. Never raises: bad input becomes an error reply and event."""
        if self.presence.accepts(msg.topic):  # a device's presence: the device log, nothing to answer
            self.presence.receive(msg, self.clock())
            return []
        self.stats["received"] += 1
        now = self.clock()
        try:
            request = parse(self.topics, msg, kiosks=self._kiosks, desks=self._desks)
        except Refusal as refused:
            return self._refuse(msg, refused.command_id, refused.code, refused.message, now)
        self.roll_over_if_new_day(now)
        if self._stale and not self._try_rebuild(now):
            return self._refuse(msg, request.command.id, "storage", "storage is unavailable; nothing was changed", now)
        try:
            previous = self.replies.known(request.key)
            if previous is not None:
                self.stats["duplicates"] += 1
                return publish.reply(self.topics, msg, previous.encode())
            return self._carry_out(request, msg, now)
        except Rejected as exc:
            return self._refuse(msg, request.command.id, exc.code, exc.message, now)
        except Exception:  # a bug: say so, keep the stored truth, rebuild memory from it
            log.exception("internal error on %s", msg.topic)
            self.stats["internal_errors"] += 1
            self._try_rebuild(now)
            return self._refuse(msg, request.command.id, "internal", "internal error; nothing was changed", now)

    def _carry_out(self, request: Request, msg: Incoming, now: datetime) -> list[Publication]:
        outcome = self.decider.decide(self.state, request, now)
        if isinstance(outcome, Answer):
            self.stats["lookups"] += 1
            return publish.reply(self.topics, msg, outcome.reply.to_bytes())
        seqs, reply = self._commit(outcome, request.key, now)
        out = publish.reply(self.topics, msg, reply.encode())
        for seq, e in zip(seqs, outcome.events, strict=True):
            out.extend(publish.event_publications(self.topics, self.site, self.state, seq, e))
        self.stats["commands_ok"] += 1
        return out

    def _commit(self, decision: Decision, key: str, now: datetime) -> tuple[list[int], str]:
        """Store the events and the reply (or only the reply, when nothing changed), then remember the reply."""
        if not decision.events:  # e.g. a double press: answer, and answer a retry the same way, also after a restart
            reply = decision.make_reply().model_dump_json(exclude_none=True)
            try:
                self.store.save_reply(key, reply, at=now)
            except Exception as exc:  # the answer still stands in memory
                log.error("could not store the reply to %s: %s", key[:160], exc)
            self.replies.remember(key, reply, now)
            return [], reply
        state = self.state
        try:
            seqs, reply = commit(self.store, state, decision, key, tz=self.site.tz,
                                 before_apply=lambda e: self.changes.before_apply(e, state))
        except StorageFailed:
            self.stats["store_errors"] += 1
            self._try_rebuild(now)
            raise Rejected("storage", "the command could not be stored; nothing was changed") from None
        self.replies.remember(key, reply, now)
        for e in decision.events:
            self.changes.applied(e, state)
        return seqs, reply

    def _refuse(self, msg: Incoming, command_id: str | None, code: str, message: str,
                now: datetime) -> list[Publication]:
        self.stats[f"rejected_{code}"] += 1
        self.stats["rejected"] += 1
        log.warning("refused %s: %s: %s", msg.topic[:200], code, message)
        return publish.refusal(self.topics, msg, command_id, code, message, now)

    # --- retained state ----------------------------------------------------------------------------

    def flush_state(self) -> list[Publication]:
        """Retained state changed since the last flush: queues, counters, board, reception list."""
        return self.changes.flush(self.state, self.clock())
