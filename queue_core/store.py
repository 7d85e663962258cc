"""Storage: the append-only event log, handover notes and command replies, in SQLite (WAL) or PostgreSQL;
the bookings and journeys are in journey_store, the daily figures and the purge in figure_store."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from queue_rules import events as ev

from .device_store import DeviceStore
from .figure_store import FigureStore
from .journey_store import BookingInput, BookingRow, ImportSummary, JourneyStore
from .tables import CommandReply, EventRecord, TicketNote, as_utc

__all__ = ["BookingInput", "BookingRow", "ImportSummary", "Store", "default_db_url"]

log = logging.getLogger("arkaden.store")


def default_db_url() -> str:
    """ARKADEN_DB_URL, else SQLite in the per-user data directory (XDG_DATA_HOME)."""
    url = os.environ.get("ARKADEN_DB_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "arkaden"
    return f"sqlite:///{base / 'arkaden.db'}"


class Store(JourneyStore, FigureStore, DeviceStore):
    """Data access for the core. Every write is one transaction."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = _make_engine(url)
        self._batch: Session | None = None

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group commit: `append` and `save_reply` inside share one transaction, committed (one fsync) when the
        block ends; if anything in it fails, nothing of it is stored and the exception goes on."""
        with Session(self.engine, expire_on_commit=False) as s:
            self._batch = s
            try:
                yield
                s.commit()
            except BaseException:
                s.rollback()
                raise
            finally:
                self._batch = None

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session for one write: the batch's (flushed, committed with the batch), else its own, committed."""
        if self._batch is not None:
            yield self._batch
            self._batch.flush()
            return
        with Session(self.engine, expire_on_commit=False) as s:
            yield s
            s.commit()

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from .migrations import upgrade

        upgrade(self.engine)

    # --- event log --------------------------------------------------------------------------

    def append(
        self, events: list[ev.Event], *, tz_day: date, command_key: str | None = None, reply: str | None = None,
        digest: str | None = None, erase_notes_of: tuple[str, ...] = (), bookings: tuple[BookingInput, ...] = (),
        answers: tuple[tuple[str, str], ...] = (),
    ) -> list[int]:
        """Store the events of one command (and its reply) atomically; returns their sequence numbers.

        A handover note goes to `ticket_note`, not into the append-only log, so it can be deleted: with
        `erase_notes_of` (visits that closed with this command) in the same transaction. `bookings` are made
        by the command (a desk's refer-with-appointment) and stored with it; `answers` are the replies to other
        commands this one settled (an offline ticket's `replaces`), unless those were answered already.
        """
        notes = [getattr(e, "note", "") for e in events]
        records = [
            EventRecord(at=e.at, day=tz_day, type=e.type, actor=e.actor[:80],
                        ticket=getattr(e, "ticket", None), command_key=command_key,
                        data=(e.model_copy(update={"note": ""}) if note else e).model_dump_json())
            for e, note in zip(events, notes, strict=True)
        ]
        with self._writing() as s:
            s.add_all(records)
            if command_key is not None and reply is not None:
                # stamped with the command's own time (the core's clock), as the purge and reload read it
                # merge, not add: a row can only be here already if it is older than the reply memory (two days):
                # the id is then a new command (inserting would fail the key for ever, as `storage`)
                s.merge(CommandReply(key=command_key, at=events[0].at if events else datetime.now(UTC), reply=reply,
                                     digest=digest))
            for other, answer in answers:   # the caller checked its reply memory: a row here is a stale one
                s.merge(CommandReply(key=other, at=events[0].at if events else datetime.now(UTC), reply=answer))
            s.flush()
            for record, note in zip(records, notes, strict=True):
                if note and record.seq is not None and record.ticket is not None:
                    s.add(TicketNote(event_seq=record.seq, ticket=record.ticket, day=tz_day, text=note))
            if erase_notes_of:
                s.flush()
                s.execute(sa.delete(TicketNote).where(col(TicketNote.ticket).in_(erase_notes_of)))
            for b in bookings:
                self._upsert(s, b, datetime.now(UTC))
            s.flush()
        return [r.seq for r in records if r.seq is not None]

    def events(self, day: date | None = None) -> Iterator[ev.Event]:
        """The log in order, with the handover notes not yet deleted; only one local day's when `day` is given."""
        with Session(self.engine) as s:
            q = (select(EventRecord.data, TicketNote.text)
                 .outerjoin(TicketNote, col(TicketNote.event_seq) == col(EventRecord.seq))
                 .order_by(col(EventRecord.seq)))
            if day is not None:
                q = q.where(EventRecord.day == day)
            for data, note in s.execute(q).yield_per(1000):
                e = ev.event_from_json(data)
                yield e.model_copy(update={"note": note}) if note else e

    def erase_notes_before(self, day: date) -> int:
        """Delete the notes of earlier days (visits that never closed, e.g. no-shows): they are not needed."""
        with Session(self.engine) as s:
            gone = len(s.exec(select(TicketNote.event_seq).where(col(TicketNote.day) < day)).all())
            s.execute(sa.delete(TicketNote).where(col(TicketNote.day) < day))
            s.commit()
            return gone

    def notes_count(self) -> int:
        with Session(self.engine) as s:
            return int(s.execute(select(sa.func.count()).select_from(TicketNote)).scalar_one())

    def event_rows(self, day: date | None = None) -> list[EventRecord]:
        with Session(self.engine) as s:
            q = select(EventRecord).order_by(col(EventRecord.seq))
            if day is not None:
                q = q.where(EventRecord.day == day)
            return list(s.exec(q).all())

    def reply_for(self, command_key: str) -> tuple[str, str | None] | None:
        """The stored answer to a command id and the digest of what that command asked."""
        with Session(self.engine) as s:
            row = s.get(CommandReply, command_key)
            return (row.reply, row.digest) if row else None

    def reply_keys_since(self, since: datetime) -> set[str]:
        """Command ids answered since then: a key not in here needs no look-up."""
        with Session(self.engine) as s:
            return set(s.exec(select(CommandReply.key).where(CommandReply.at >= as_utc(since))).all())

    def save_reply(self, command_key: str, reply: str, *, at: datetime | None = None,
                   digest: str | None = None) -> None:
        """Remember the answer to a command that changed nothing (a refusal), so a retry gets the same; `at` is
        the command's time (the core's clock)."""
        with self._writing() as s:   # (a row already here is older than the reply memory: replaced, see append)
            s.merge(CommandReply(key=command_key, at=as_utc(at) if at else datetime.now(UTC), reply=reply,
                                 digest=digest))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # hide_parameters: an error message never carries a note, a token or a booking code into the logs
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                                  hide_parameters=True)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")   # WAL + NORMAL may lose the last commits on power loss
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
