"""Storage: the append-only event log, bookings and command replies, in SQLite (WAL) or PostgreSQL."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from queue_rules import codes
from queue_rules import events as ev
from queue_rules.journeys import BookedStop, Journey

from .tables import BookingRecord, CommandReply, EventRecord, JourneyRecord, JourneySlip, TicketNote

log = logging.getLogger("arkaden.store")


@dataclass(frozen=True)
class BookingInput:
    """One booking to store: from an import file, `arkaden bookings add`, or a desk's refer-with-appointment."""

    agency: str
    service: str
    slot: datetime
    minutes: int
    language: str = "de"
    party_size: int = 1
    interpreter: bool = False
    step_free: bool = False
    ref: str | None = None          # the agency's own booking id: re-importing it updates, not adds
    journey_ref: str | None = None  # the file's journey reference: the same one shares a code
    journey: str | None = None      # our code, when the caller knows the journey already
    token: str | None = None        # the slip of the visit a desk booked on: finds the journey another day
    cancelled: bool = False


@dataclass(frozen=True)
class ImportSummary:
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    journeys: tuple[str, ...] = ()  # codes of the journeys these bookings belong to, in first-seen order


@dataclass(frozen=True)
class BookingRow:
    """A stored booking with its journey code, for the day's view."""

    code: str
    stop: BookedStop
    agency: str
    language: str
    party_size: int
    interpreter: bool
    step_free: bool
    cancelled: bool


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
        erase_notes_of: tuple[str, ...] = (), bookings: tuple[BookingInput, ...] = (),
    ) -> list[int]:
        """Store the events of one command (and its reply) atomically; returns their sequence numbers.

        A handover note goes to `ticket_note`, not into the append-only log, so it can be deleted: with
        `erase_notes_of` (visits that closed with this command) in the same transaction. `bookings` are made
        by the command (a desk's refer-with-appointment) and stored with it.
        """
        notes = [getattr(e, "note", "") for e in events]
        records = [
            EventRecord(at=e.at, day=tz_day, type=e.type, actor=e.actor[:80],
                        ticket=getattr(e, "ticket", None), command_key=command_key,
                        data=(e.model_copy(update={"note": ""}) if note else e).model_dump_json())
            for e, note in zip(events, notes, strict=True)
        ]
        with Session(self.engine, expire_on_commit=False) as s:
            s.add_all(records)
            if command_key is not None and reply is not None:
                s.add(CommandReply(key=command_key, at=datetime.now(UTC), reply=reply))
            s.flush()
            for record, note in zip(records, notes, strict=True):
                if note and record.seq is not None and record.ticket is not None:
                    s.add(TicketNote(event_seq=record.seq, ticket=record.ticket, day=tz_day, text=note))
            if erase_notes_of:
                s.flush()
                s.execute(sa.delete(TicketNote).where(col(TicketNote.ticket).in_(erase_notes_of)))
            for b in bookings:
                self._upsert(s, b, datetime.now(UTC))
            s.commit()
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

    # --- bookings and journeys ------------------------------------------------------------------

    IMPORT_CHUNK = 500  # rows per transaction: the core's own writes get the database in between

    def import_bookings(self, items: list[BookingInput]) -> ImportSummary:
        """Store bookings: new ones are added, known ones (agency + ref) updated if changed.

        Re-importing the same file changes nothing; a moved slot updates the booking; `cancelled` cancels it.
        A big file is written in chunks of IMPORT_CHUNK rows, each its own short transaction, so check-ins
        are not held up (SQLite has one writer); importing again after a crash completes it.
        """
        counts = {"added": 0, "updated": 0, "cancelled": 0, "unchanged": 0}
        seen: dict[str, None] = {}
        now = datetime.now(UTC)
        for start in range(0, len(items), self.IMPORT_CHUNK):
            chunk = items[start:start + self.IMPORT_CHUNK]
            with Session(self.engine) as s:
                known = self._known_rows(s, chunk)
                refs = self._known_journey_refs(s, chunk)
                for item in chunk:
                    outcome, code = self._upsert(s, item, now, known=known, refs=refs)
                    counts[outcome] += 1
                    seen[code] = None
                s.commit()
        return ImportSummary(**counts, journeys=tuple(seen))

    @staticmethod
    def _known_rows(s: Session, items: list[BookingInput]) -> dict[tuple[str, str], BookingRecord]:
        """The stored bookings these rows name (agency + ref), fetched at once rather than row by row."""
        refs = {b.ref for b in items if b.ref is not None}
        if not refs:
            return {}
        rows = s.exec(select(BookingRecord).where(col(BookingRecord.external_ref).in_(refs))).all()
        return {(r.agency, r.external_ref): r for r in rows if r.external_ref is not None}

    @staticmethod
    def _known_journey_refs(s: Session, items: list[BookingInput]) -> dict[str, str]:
        refs = {b.journey_ref for b in items if b.journey_ref is not None}
        if not refs:
            return {}
        rows = s.exec(select(JourneyRecord).where(col(JourneyRecord.external_ref).in_(refs))).all()
        return {r.external_ref: _resolve(s, r.code) for r in rows if r.external_ref is not None}

    def _upsert(self, s: Session, b: BookingInput, now: datetime, *,
                known: dict[tuple[str, str], BookingRecord] | None = None,
                refs: dict[str, str] | None = None) -> tuple[str, str]:
        if known is not None:
            row = known.get((b.agency, b.ref)) if b.ref is not None else None
        else:
            row = None if b.ref is None else s.exec(select(BookingRecord).where(
                BookingRecord.agency == b.agency, BookingRecord.external_ref == b.ref)).first()
        if b.journey is not None:  # a desk's booking: the visit's journey (made now for a walk-in), joins followed
            if s.get(JourneyRecord, b.journey) is None:
                s.add(JourneyRecord(code=b.journey, created_at=now))
                s.flush()
            code = _resolve(s, b.journey)
        else:
            code = self._journey_for(s, b.journey_ref, row.journey if row else None, now, refs)
        if b.token is not None and s.get(JourneySlip, b.token) is None:
            s.add(JourneySlip(token=b.token, journey=code, created_at=now))
        fields: dict[str, Any] = {
            "journey": code, "service": b.service, "slot_start": _utc(b.slot), "slot_minutes": b.minutes,
            "language": b.language, "party_size": b.party_size, "interpreter": b.interpreter,
            "step_free": b.step_free, "cancelled": b.cancelled}
        if row is None:
            record = BookingRecord(agency=b.agency, external_ref=b.ref, created_at=now, updated_at=now, **fields)
            s.add(record)
            if known is not None and b.ref is not None:
                known[(b.agency, b.ref)] = record  # a later row of the same chunk finds it
            return ("cancelled" if b.cancelled else "added"), code
        if row.cancelled_here:  # the centre cancelled it: the agency's file does not bring it back
            fields["cancelled"] = True
        stored = {k: getattr(row, k) for k in fields}
        stored["slot_start"] = _utc(stored["slot_start"])
        if stored == fields:
            return "unchanged", code
        outcome = "cancelled" if b.cancelled and not row.cancelled else "updated"
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = now
        s.add(row)
        return outcome, code

    def _journey_for(self, s: Session, journey_ref: str | None, current: str | None, now: datetime,
                     refs: dict[str, str] | None) -> str:
        """The code of the file's journey reference (made on first sight), else the booking's own, else new."""
        if journey_ref is not None:
            if refs is not None and journey_ref in refs:
                return refs[journey_ref]
            found = s.exec(select(JourneyRecord).where(JourneyRecord.external_ref == journey_ref)).first()
            if found is not None:
                return _resolve(s, found.code)
        elif current is not None:
            return _resolve(s, current)
        code = self._fresh_code(s)
        s.add(JourneyRecord(code=code, external_ref=journey_ref, created_at=now))
        s.flush()
        if refs is not None and journey_ref is not None:
            refs[journey_ref] = code
        return code

    @staticmethod
    def _fresh_code(s: Session) -> str:
        while True:
            code = codes.new_code()
            if s.get(JourneyRecord, code) is None:
                return code

    def aliases(self, code: str) -> set[str]:
        """The codes that lead to this journey: its own and those of the journeys joined into it."""
        with Session(self.engine) as s:
            target = _resolve(s, code)
            out, frontier = {target}, [target]
            while frontier:
                found = s.exec(select(JourneyRecord.code).where(col(JourneyRecord.merged_into).in_(frontier))).all()
                frontier = [c for c in found if c not in out]
                out.update(frontier)
            return out

    def journey(self, code: str) -> Journey | None:
        """A journey by its code (a joined one's code leads to the journey it was joined into), without
        cancelled bookings; None when the code is unknown."""
        with Session(self.engine) as s:
            if s.get(JourneyRecord, code) is None:
                return None
            return self._load(s, _resolve(s, code))

    def journey_by_token(self, token: str) -> Journey | None:
        """The journey a desk booked the visit with this slip token into, if any."""
        with Session(self.engine) as s:
            slip = s.get(JourneySlip, token)
            return self._load(s, _resolve(s, slip.journey)) if slip else None

    def bookings_by_id(self, ids: list[int]) -> dict[int, BookingRow]:
        """Bookings by their ids (cancelled ones too): what an import changed since a visit checked in."""
        if not ids:
            return {}
        with Session(self.engine) as s:
            rows = s.exec(select(BookingRecord).where(col(BookingRecord.id).in_(ids))).all()
            return {r.id: _row(r) for r in rows if r.id is not None}

    def journeys_on(self, day: date, tz: ZoneInfo) -> list[Journey]:
        """Every journey with a booking that day (local), by its first slot."""
        start = datetime.combine(day, time(), tzinfo=tz)
        with Session(self.engine) as s:
            found = s.exec(select(BookingRecord.journey).where(
                col(BookingRecord.cancelled).is_(False), BookingRecord.slot_start >= _utc(start),
                BookingRecord.slot_start < _utc(start + timedelta(days=1))).distinct()).all()
            rows = s.exec(select(BookingRecord).where(col(BookingRecord.journey).in_(found),
                                                      col(BookingRecord.cancelled).is_(False))
                          .order_by(col(BookingRecord.slot_start), col(BookingRecord.id))).all()
        by_code: dict[str, list[BookingRecord]] = {}
        for r in rows:  # every journey's bookings in one query, not one query per journey
            by_code.setdefault(r.journey, []).append(r)
        journeys = [_journey(code, found_rows) for code, found_rows in by_code.items()]
        return sorted(journeys, key=lambda j: (j.stops[0].slot, j.code))

    def _load(self, s: Session, code: str) -> Journey:
        rows = s.exec(select(BookingRecord).where(BookingRecord.journey == code, col(BookingRecord.cancelled)
                                                  .is_(False)).order_by(col(BookingRecord.slot_start),
                                                                        col(BookingRecord.id))).all()
        return _journey(code, list(rows))

    def bookings_between(self, start: datetime, end: datetime, *, service: str | None = None) -> list[BookingRow]:
        """Bookings with slots in [start, end) (cancelled ones too), by slot; of one service if given."""
        with Session(self.engine) as s:
            q = select(BookingRecord).where(BookingRecord.slot_start >= _utc(start),
                                            BookingRecord.slot_start < _utc(end))
            if service is not None:
                q = q.where(BookingRecord.service == service)
            rows = s.exec(q.order_by(col(BookingRecord.slot_start), col(BookingRecord.id))).all()
            return [_row(r) for r in rows]

    def cancel(self, code: str, booking_id: int | None = None) -> int:
        """Cancel a journey's bookings (or one of them); returns how many were cancelled."""
        with Session(self.engine) as s:
            if s.get(JourneyRecord, code) is None:
                return 0
            q = select(BookingRecord).where(BookingRecord.journey == _resolve(s, code),
                                            col(BookingRecord.cancelled).is_(False))
            if booking_id is not None:
                q = q.where(BookingRecord.id == booking_id)
            rows = s.exec(q).all()
            for r in rows:
                r.cancelled, r.cancelled_here, r.updated_at = True, True, datetime.now(UTC)
                s.add(r)
            s.commit()
            return len(rows)

    def join(self, codes_: list[str]) -> str:
        """Join journeys into the first: their bookings move there, their codes lead there from now on."""
        with Session(self.engine) as s:
            for code in codes_:
                if s.get(JourneyRecord, code) is None:
                    raise KeyError(code)
            target = _resolve(s, codes_[0])
            for code in codes_[1:]:
                other = _resolve(s, code)
                if other == target:
                    continue
                for r in s.exec(select(BookingRecord).where(BookingRecord.journey == other)).all():
                    r.journey = target
                    s.add(r)
                record = s.get(JourneyRecord, other)
                assert record is not None
                record.merged_into = target
                s.add(record)
            s.commit()
            return target


def _stop(r: BookingRecord) -> BookedStop:
    return BookedStop(r.id or 0, r.service, _utc(r.slot_start), r.slot_minutes, r.external_ref)


def _row(r: BookingRecord) -> BookingRow:
    return BookingRow(r.journey, _stop(r), r.agency, r.language, r.party_size, r.interpreter, r.step_free,
                      r.cancelled)


def _journey(code: str, rows: list[BookingRecord]) -> Journey:
    """A journey from its bookings (not cancelled, in slot order); what to prepare comes from all of them."""
    if not rows:
        return Journey(code, "de", 1, False, False, ())
    return Journey(code, rows[0].language, max(r.party_size for r in rows), any(r.interpreter for r in rows),
                   any(r.step_free for r in rows), tuple(_stop(r) for r in rows))


def _resolve(s: Session, code: str) -> str:
    """Follow joins: the journey a code stands for now."""
    for _ in range(100):
        record = s.get(JourneyRecord, code)
        if record is None or record.merged_into is None:
            return code
        code = record.merged_into
    raise RuntimeError(f"journey {code}: joins form a loop")


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
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
