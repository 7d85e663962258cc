"""Storage: the append-only event log, bookings and command replies, in SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from queue_rules import events as ev

from .tables import BookingRecord, CommandReply, EventRecord

log = logging.getLogger("arkaden.store")


@dataclass(frozen=True)
class Booking:
    code: str
    service: str
    slot: datetime
    slot_minutes: int
    language: str
    party_size: int


def default_db_url() -> str:
    """ARKADEN_DB_URL, else SQLite in the per-user data directory (XDG_DATA_HOME)."""
    url = os.environ.get("ARKADEN_DB_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "arkaden"
    return f"sqlite:///{base / 'arkaden.db'}"


def _utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without zone; everything is stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Store:
    """Data access for the core. Every write is one transaction."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = _make_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from .migrations import upgrade

        upgrade(self.engine)

    # --- event log --------------------------------------------------------------------------

    def append(
        self, events: list[ev.Event], *, tz_day: date, command_key: str | None = None, reply: str | None = None,
    ) -> list[int]:
        """Store the events of one command (and its reply) atomically; returns their sequence numbers."""
        records = [
            EventRecord(at=e.at, day=tz_day, type=e.type, actor=e.actor[:80],
                        ticket=getattr(e, "ticket", None), command_key=command_key, data=e.model_dump_json())
            for e in events
        ]
        with Session(self.engine, expire_on_commit=False) as s:
            s.add_all(records)
            if command_key is not None and reply is not None:
                s.add(CommandReply(key=command_key, at=datetime.now(UTC), reply=reply))
            s.commit()
        return [r.seq for r in records if r.seq is not None]

    def events(self, day: date | None = None) -> Iterator[ev.Event]:
        """The log in order; only one local day's events when `day` is given."""
        with Session(self.engine) as s:
            q = select(EventRecord.data).order_by(col(EventRecord.seq))
            if day is not None:
                q = q.where(EventRecord.day == day)
            for (data,) in s.execute(q).yield_per(1000):
                yield ev.event_from_json(data)

    def event_rows(self, day: date | None = None) -> list[EventRecord]:
        with Session(self.engine) as s:
            q = select(EventRecord).order_by(col(EventRecord.seq))
            if day is not None:
                q = q.where(EventRecord.day == day)
            return list(s.exec(q).all())

    def reply_for(self, command_key: str) -> str | None:
        with Session(self.engine) as s:
            row = s.get(CommandReply, command_key)
            return row.reply if row else None

    def reply_keys_since(self, since: datetime) -> set[str]:
        """Command ids answered since then: a key not in here needs no look-up."""
        with Session(self.engine) as s:
            return set(s.exec(select(CommandReply.key).where(CommandReply.at >= _utc(since))).all())

    def save_reply(self, command_key: str, reply: str) -> None:
        """Remember the answer to a command that changed nothing (a refusal), so a retry gets the same."""
        with Session(self.engine) as s:
            if s.get(CommandReply, command_key) is None:
                s.add(CommandReply(key=command_key, at=datetime.now(UTC), reply=reply))
                s.commit()

    # --- bookings -----------------------------------------------------------------------------

    def add_bookings(self, bookings: list[Booking]) -> int:
        """Insert bookings, skipping ones already stored (same code, service and slot); returns how many were new."""
        added = 0
        with Session(self.engine) as s:
            for b in bookings:
                exists = s.exec(select(BookingRecord.id).where(
                    BookingRecord.code == b.code, BookingRecord.service == b.service,
                    BookingRecord.slot_start == _utc(b.slot))).first()
                if exists is None:
                    s.add(BookingRecord(code=b.code, service=b.service, slot_start=_utc(b.slot),
                                        slot_minutes=b.slot_minutes, language=b.language,
                                        party_size=b.party_size, created_at=datetime.now(UTC)))
                    added += 1
            s.commit()
        return added

    def bookings(self, code: str, start: datetime, end: datetime) -> list[Booking]:
        """A code's appointments with slots in [start, end)."""
        with Session(self.engine) as s:
            rows = s.exec(select(BookingRecord).where(
                BookingRecord.code == code, BookingRecord.slot_start >= _utc(start),
                BookingRecord.slot_start < _utc(end)).order_by(col(BookingRecord.slot_start))).all()
            return [Booking(r.code, r.service, _utc(r.slot_start), r.slot_minutes, r.language, r.party_size)
                    for r in rows]


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)
