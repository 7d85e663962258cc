"""The database tables: the append-only event log, bookings, command replies, daily figures, device log (SQLModel)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class EventRecord(SQLModel, table=True):
    """One state change. Rows are only ever inserted; `data` is the full event as JSON."""

    __tablename__ = "event_log"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    day: date = Field(index=True, description="local calendar day at the site")
    type: str = Field(max_length=40)
    actor: str = Field(max_length=80)
    ticket: str | None = Field(default=None, max_length=64, index=True)
    command_key: str | None = Field(default=None, max_length=160)
    data: str = Field(sa_type=sa.Text)


class JourneyRecord(SQLModel, table=True):
    """A client's journey: the booking code his appointments share. Never sent on public topics."""

    __tablename__ = "journey"

    code: str = Field(primary_key=True, max_length=16, description="our code, normalised (queue_rules.codes)")
    external_ref: str | None = Field(default=None, max_length=120, unique=True,
                                     description="the journey reference of the import file, if any")
    merged_into: str | None = Field(default=None, max_length=16, description="joined into this journey")
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class JourneySlip(SQLModel, table=True):
    """A slip whose visit a desk booked on into a later stop: its token finds the journey on another day."""

    __tablename__ = "journey_slip"

    token: str = Field(primary_key=True, max_length=64)
    journey: str = Field(max_length=16, index=True, foreign_key="journey.code")
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class BookingRecord(SQLModel, table=True):
    """A booked appointment of a journey, and what the centre needs to prepare. Never on public topics."""

    __tablename__ = "booking"
    __table_args__ = (sa.UniqueConstraint("agency", "external_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    journey: str = Field(max_length=16, index=True, foreign_key="journey.code")
    agency: str = Field(max_length=32)
    external_ref: str | None = Field(default=None, max_length=120, description="the agency's own booking id")
    service: str = Field(max_length=32)
    slot_start: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    slot_minutes: int = 30
    language: str = Field(default="de", max_length=8)
    party_size: int = 1
    interpreter: bool = False
    step_free: bool = False
    cancelled: bool = False
    cancelled_here: bool = Field(default=False, description="cancelled in arkaden: a re-import does not revive it")
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class TicketNote(SQLModel, table=True):
    """A counsellor's handover note, kept apart from the event log so it can be deleted when the visit closes."""

    __tablename__ = "ticket_note"

    event_seq: int = Field(primary_key=True, description="the event (in event_log) the note belongs to")
    ticket: str = Field(max_length=64, index=True)
    day: date = Field(index=True)
    text: str = Field(sa_type=sa.Text)


class CommandReply(SQLModel, table=True):
    """The answer given to a command id, so a repeated command is answered again and not re-applied."""

    __tablename__ = "command_reply"

    key: str = Field(primary_key=True, max_length=160)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    reply: str = Field(sa_type=sa.Text)
    digest: str | None = Field(default=None, max_length=32, description=(
        "what the command asked (intake.command_digest); None for replies stored before revision 0005"))


class DailyFigure(SQLModel, table=True):
    """One anonymous daily count (queue_rules.figures): what the report needs once the event log is purged."""

    __tablename__ = "daily_figure"

    day: date = Field(primary_key=True)
    measure: str = Field(primary_key=True, max_length=40)
    a: str = Field(default="", primary_key=True, max_length=64)
    b: str = Field(default="", primary_key=True, max_length=64)
    n: int = 0


class FigureDay(SQLModel, table=True):
    """A day whose figures are stored in `daily_figure` (its personal data may then be purged)."""

    __tablename__ = "figure_day"

    day: date = Field(primary_key=True)
    made_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    events: int = Field(default=0, description="event log rows the figures were made from")


class DeviceLog(SQLModel, table=True):
    """A device's presence as the core saw it change: online or not, and a printer's paper. No client data."""

    __tablename__ = "device_log"

    seq: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True, description="when the core received it")
    device: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)
    online: bool
    paper: str = Field(default="", max_length=12, description="ok | out | unknown; empty: no printer")


def metadata() -> sa.MetaData:
    """All tables, for Alembic and for tests that compare the schema."""
    return SQLModel.metadata


def as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back without zone; everything is stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
