"""The database tables: the append-only event log, bookings and command replies (SQLModel)."""

from __future__ import annotations

from datetime import date, datetime

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


class BookingRecord(SQLModel, table=True):
    """A booked appointment: code, service, slot, language and party size. Never sent on public topics."""

    __tablename__ = "booking"
    __table_args__ = (sa.UniqueConstraint("code", "service", "slot_start"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, index=True)
    service: str = Field(max_length=32)
    slot_start: datetime = Field(sa_type=sa.DateTime(timezone=True))
    slot_minutes: int = 30
    language: str = Field(default="de", max_length=8)
    party_size: int = 1
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class CommandReply(SQLModel, table=True):
    """The answer given to a command id, so a repeated command is answered again and not re-applied."""

    __tablename__ = "command_reply"

    key: str = Field(primary_key=True, max_length=160)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    reply: str = Field(sa_type=sa.Text)


def metadata() -> sa.MetaData:
    """All tables, for Alembic and for tests that compare the schema."""
    return SQLModel.metadata
