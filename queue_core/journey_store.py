"""Bookings and journeys in the store: imports that update rather than duplicate, codes, joins, desk bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from queue_rules import codes
from queue_rules.journeys import BookedStop, Journey

from .tables import BookingRecord, JourneyRecord, JourneySlip, as_utc


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


class JourneyStore:
    """The bookings part of the Store (a mixin: the Store gives it its engine)."""

    engine: Engine

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
            "journey": code, "service": b.service, "slot_start": as_utc(b.slot), "slot_minutes": b.minutes,
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
        stored["slot_start"] = as_utc(stored["slot_start"])
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
                col(BookingRecord.cancelled).is_(False), BookingRecord.slot_start >= as_utc(start),
                BookingRecord.slot_start < as_utc(start + timedelta(days=1))).distinct()).all()
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
            q = select(BookingRecord).where(BookingRecord.slot_start >= as_utc(start),
                                            BookingRecord.slot_start < as_utc(end))
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
    return BookedStop(r.id or 0, r.service, as_utc(r.slot_start), r.slot_minutes, r.external_ref)


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
