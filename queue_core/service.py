"""The queue service: turns incoming MQTT commands into stored events and the messages to publish.

It knows nothing of sockets: `handle()` takes an `Incoming` and returns `Publication`s; the MQTT runner
(`runner.py`) feeds it from one worker thread. Per command, with the clock read once: parse and
de-duplicate (`intake`), decide and commit (`decide`), then publish what changed (`publish`). Retained state
is coalesced and only produced by `flush_state()`, so a burst of check-ins updates the board once.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

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
from .intake import Incoming, Refusal, ReplyMemory, Request, Senders, parse
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
        self.replies = ReplyMemory(store, reply_cache_size)
        self.decider = Decider(site, store, always_open=always_open, booking_limiter=self.booking_limiter,
                               answers=lambda key: (found.reply if (found := self.replies.known(key)) else None))
        self.changes = publish.ChangeTracker(site, self.topics)
        self.presence = PresenceRecorder(self.topics, store, self.stats)
        self.senders = Senders.of(site)
        self._stale = False
        self._grouping = False
        self.rebuilds = 0
        self.state = self._rebuild(clock())

    # --- state -----------------------------------------------------------------------------------

    def _rebuild(self, now: datetime) -> DayState:
        """Today's state, replayed from the event log."""
        self.rebuilds += 1
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
        if self._grouping:  # not while a group commit holds the write lock: the whole group is handled again
            raise _GroupFailed("memory must be rebuilt")
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
            request = parse(self.topics, msg, self.senders)
        except Refusal as refused:
            return self._refuse(msg, refused.reply_to, refused.command_id, refused.code, refused.message, now)
        self.roll_over_if_new_day(now)
        refuse = partial(self._refuse, msg, request.reply_to, request.command.id)
        if self._stale and not self._try_rebuild(now):
            return refuse("storage", "storage is unavailable; nothing was changed", now)
        try:
            previous = self.replies.known(request.key)
            if previous is not None and not previous.same_command(request):
                return refuse("id_reused", f"the id {request.command.id!r} was used before by another command of "
                                           "this device; nothing was changed (give every command a new id)", now)
            if previous is not None:
                self.stats["duplicates"] += 1
                settled = _refused_with(previous.reply)
                if settled is not None:  # refused by another command (`superseded`): a refusal like any other
                    return refuse(*settled, now)
                return publish.reply(request.reply_to, msg.correlation, previous.reply.encode())
            return self._carry_out(request, msg, now)
        except Rejected as exc:
            return refuse(exc.code, exc.message, now)
        except Exception:  # a bug: say so, keep the stored truth, rebuild memory from it
            log.exception("internal error on %s", msg.topic[:200])
            self.stats["internal_errors"] += 1
            self._try_rebuild(now)
            return refuse("internal", "internal error; nothing was changed", now)

    def handle_batch(self, msgs: list[Incoming]) -> list[list[Publication]]:
        """Several messages with one commit (group commit): each is decided in turn on the state the ones before
        left, their events and replies go to the store in one transaction, and only then are their publications
        returned, so every answer still comes after its command is stored. If anything in the group fails to be
        stored (or memory had to be rebuilt meanwhile), nothing of it is kept and each message is handled again
        on its own, so a bad one cannot take the others with it."""
        commands = [m for m in msgs if not self.presence.accepts(m.topic)]
        if len(commands) < 2:
            return [self.handle(m) for m in msgs]
        out: dict[int, list[Publication]] = {i: self.handle(m) for i, m in enumerate(msgs)
                                             if self.presence.accepts(m.topic)}  # written apart, never batched
        self.roll_over_if_new_day()
        stored = False
        self.replies.begin()
        self._grouping = True
        try:
            with self.store.batch():
                grouped = {i: self.handle(m) for i, m in enumerate(msgs) if i not in out}
            stored = True
        except (Exception, _GroupFailed) as exc:
            log.warning("a group commit of %d commands failed (%s); handling them one by one", len(commands), exc)
        finally:
            self._grouping = False
            self.replies.end(stored)
        if not stored:
            self.stats["group_commit_failures"] += 1
            self._try_rebuild(self.clock())
            grouped = {i: self.handle(m) for i, m in enumerate(msgs) if i not in out}
        self.stats["group_commits"] += 1
        out.update(grouped)
        return [out[i] for i in range(len(msgs))]

    def _carry_out(self, request: Request, msg: Incoming, now: datetime) -> list[Publication]:
        outcome = self.decider.decide(self.state, request, now)
        if isinstance(outcome, Answer):
            self.stats["lookups"] += 1
            return publish.reply(request.reply_to, msg.correlation, outcome.reply.to_bytes())
        seqs, reply = self._commit(outcome, request, now)
        out = publish.reply(request.reply_to, msg.correlation, reply.encode())
        for seq, e in zip(seqs, outcome.events, strict=True):
            out.extend(publish.event_publications(self.topics, self.site, self.state, seq, e))
        self.stats["commands_ok"] += 1
        return out

    def _commit(self, decision: Decision, request: Request, now: datetime) -> tuple[list[int], str]:
        """Store the events and the reply (or only the reply, when nothing changed), then remember the reply."""
        key, digest = request.key, request.digest
        if not decision.events:  # e.g. a double press: answer, and answer a retry the same way, also after a restart
            reply = decision.make_reply().model_dump_json(exclude_none=True)
            try:
                self.store.save_reply(key, reply, at=now, digest=digest)
            except Exception as exc:  # the answer still stands in memory
                log.error("could not store the reply to %s: %s", key[:160], exc)
            self.replies.remember(key, reply, digest, now)
            return [], reply
        state = self.state
        try:
            seqs, reply = commit(self.store, state, decision, key, digest, tz=self.site.tz,
                                 before_apply=lambda e: self.changes.before_apply(e, state))
        except StorageFailed:
            self.stats["store_errors"] += 1
            self._try_rebuild(now)
            raise Rejected("storage", "the command could not be stored; nothing was changed") from None
        self.replies.remember(key, reply, digest, now)
        for other, answer in decision.answers:
            if self.replies.known(other) is None:
                self.replies.remember(other, answer, None, now)
        for e in decision.events:
            self.changes.applied(e, state)
        return seqs, reply

    def _refuse(self, msg: Incoming, reply_to: str | None, command_id: str | None, code: str, message: str,
                now: datetime) -> list[Publication]:
        self.stats[f"rejected_{code}"] += 1
        self.stats["rejected"] += 1
        log.warning("refused %s: %s: %s", ascii(msg.topic[:200]), code, ascii(message))
        return publish.refusal(self.topics, msg, reply_to, command_id, code, message, now)

    # --- retained state ----------------------------------------------------------------------------

    def flush_state(self) -> list[Publication]:
        """Retained state changed since the last flush: queues, counters, board, reception list. Nothing while
        memory may hold changes the store refused (a failed commit whose rebuild failed too): what is published is
        always what is stored, and the rebuild marks everything for the next flush."""
        if self._stale:
            return []
        return self.changes.flush(self.state, self.clock())


class _GroupFailed(BaseException):
    """Ends a group commit at once (not an Exception: `handle` must not turn it into a refusal)."""


def _refused_with(reply: str) -> tuple[str, str] | None:
    """The code and message of a stored first answer that is a refusal (settled by another command), else None.
    Every other stored answer is `ok`: a refusal of the command itself is never stored."""
    error = json.loads(reply).get("error")
    return (str(error["code"]), str(error["message"])) if isinstance(error, dict) else None
