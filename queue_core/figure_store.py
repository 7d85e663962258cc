"""Daily figures in the store, and the deletion of personal data past the retention period (the Store's third part)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from queue_rules.figures import Figure

from .tables import (
    BookingRecord,
    CommandReply,
    DailyFigure,
    EventRecord,
    FigureDay,
    JourneyRecord,
    JourneySlip,
    TicketNote,
    as_utc,
)


@dataclass(frozen=True)
class Purged:
    """What one purge deleted, per table (row counts)."""

    events: int = 0
    notes: int = 0
    replies: int = 0
    bookings: int = 0
    journeys: int = 0
    slips: int = 0
    device_rows: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class FigureStore:
    """Mixin of `Store`: anonymous daily figures, and what `arkaden purge` deletes."""

    engine: Engine

    def figure_days(self, first: date, last: date) -> set[date]:
        """Days in [first, last] whose figures are stored (and final)."""
        with Session(self.engine) as s:
            q = select(col(FigureDay.day)).where(col(FigureDay.day) >= first, col(FigureDay.day) <= last)
            return set(s.exec(q).all())

    def stored_figures(self, first: date, last: date) -> list[Figure]:
        with Session(self.engine) as s:
            q = (select(DailyFigure).where(col(DailyFigure.day) >= first, col(DailyFigure.day) <= last)
                 .order_by(col(DailyFigure.day), col(DailyFigure.measure), col(DailyFigure.a), col(DailyFigure.b)))
            return [Figure(r.day, r.measure, r.a, r.b, r.n) for r in s.exec(q).all()]

    def save_figures(self, day: date, figures: Iterable[Figure], *, events: int) -> None:
        """Store one day's figures, replacing any stored before, and mark the day as stored (one transaction)."""
        rows = [DailyFigure(day=f.day, measure=f.measure, a=f.a[:64], b=f.b[:64], n=f.n) for f in figures]
        if any(r.day != day for r in rows):
            raise ValueError(f"figures of another day than {day}")
        with Session(self.engine) as s:
            s.execute(sa.delete(DailyFigure).where(col(DailyFigure.day) == day))
            s.execute(sa.delete(FigureDay).where(col(FigureDay.day) == day))
            s.add_all(rows)
            s.add(FigureDay(day=day, made_at=datetime.now(UTC), events=events))
            s.commit()

    def logged_days(self, first: date, last: date) -> list[date]:
        """Days in [first, last] with rows in the event log."""
        with Session(self.engine) as s:
            q = (select(col(EventRecord.day)).where(col(EventRecord.day) >= first, col(EventRecord.day) <= last)
                 .distinct().order_by(col(EventRecord.day)))
            return list(s.exec(q).all())

    def first_logged_day(self) -> date | None:
        with Session(self.engine) as s:
            return s.exec(select(sa.func.min(EventRecord.day))).one()

    def journey_stops_after(self, codes: Sequence[str], day: date, tz: ZoneInfo) -> dict[str, tuple[int, int]]:
        """Per journey code: its bookings (not cancelled) on the day after `day`, and after that."""
        if not codes:
            return {}
        start = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
        split = datetime.combine(day + timedelta(days=2), time(), tz).astimezone(UTC)
        out: dict[str, tuple[int, int]] = {}
        with Session(self.engine) as s:
            q = select(BookingRecord.journey, BookingRecord.slot_start).where(
                col(BookingRecord.journey).in_(list(codes)), col(BookingRecord.slot_start) >= start,
                col(BookingRecord.cancelled).is_(False))
            for code, slot in s.exec(q).all():
                nxt, beyond = out.get(code, (0, 0))
                out[code] = (nxt + 1, beyond) if as_utc(slot) < split else (nxt, beyond + 1)
        return out

    def delete_personal_before(self, day: date, tz: ZoneInfo) -> Purged:
        """Delete everything about clients from before the local day `day`, in one transaction.

        The event log (tokens, languages, party details, booking codes, actors), handover notes, command
        replies (they carry tokens), bookings, journeys without later bookings and their slips. (The device log
        holds no client data: `drop_presence_before` trims it.) Days whose figures are not stored are refused:
        purge makes them first.
        """
        cut = datetime.combine(day, time(), tz).astimezone(UTC)
        with Session(self.engine) as s:
            logged = set(s.exec(select(col(EventRecord.day)).where(col(EventRecord.day) < day).distinct()).all())
            stored = set(s.exec(select(col(FigureDay.day)).where(col(FigureDay.day) < day)).all())
            if logged - stored:
                raise ValueError(f"figures not stored for {min(logged - stored)}: make them before deleting the log")
            notes = _deleted(s, sa.delete(TicketNote).where(col(TicketNote.day) < day))
            events = _deleted(s, sa.delete(EventRecord).where(col(EventRecord.day) < day))
            replies = _deleted(s, sa.delete(CommandReply).where(col(CommandReply.at) < cut))
            bookings = _deleted(s, sa.delete(BookingRecord).where(col(BookingRecord.slot_start) < cut))
            # a journey goes with its last booking; one joined into another stays while that one has bookings
            # (the client's first letter still names its code)
            live = set(s.exec(select(BookingRecord.journey).distinct()).all())
            old = [code for code, target in s.exec(select(JourneyRecord.code, JourneyRecord.merged_into)).all()
                   if code not in live and (target is None or target not in live)]
            slips = _deleted(s, sa.delete(JourneySlip).where(col(JourneySlip.journey).in_(old)
                                                             | (col(JourneySlip.created_at) < cut)))
            s.execute(sa.update(JourneyRecord).where(col(JourneyRecord.merged_into).in_(old)).values(merged_into=None))
            s.execute(sa.delete(JourneyRecord).where(col(JourneyRecord.code).in_(old)))
            s.commit()
        return Purged(events=events, notes=notes, replies=replies, bookings=bookings, journeys=len(old),
                      slips=slips)


def _deleted(s: Session, statement: sa.Delete) -> int:
    """Run a DELETE in the session's transaction; how many rows it removed."""
    return s.connection().execute(statement).rowcount
