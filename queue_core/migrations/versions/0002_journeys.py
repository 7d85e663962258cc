"""Journeys: booking codes shared by several bookings, slips booked on at a desk, external references,
preparation fields, handover notes.

Existing bookings keep their code as external reference and get a journey with a new code each (one per
old code), because the old free-form codes have no check character.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from queue_rules import codes

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("external_ref", sa.String(120), nullable=True, unique=True),
        sa.Column("merged_into", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "journey_slip",
        sa.Column("token", sa.String(64), primary_key=True),
        sa.Column("journey", sa.String(16), sa.ForeignKey("journey.code"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_journey_slip_journey", "journey_slip", ["journey"])
    op.drop_index("ix_booking_code", "booking")
    op.rename_table("booking", "booking_0001")
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("journey", sa.String(16), sa.ForeignKey("journey.code"), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("external_ref", sa.String(120), nullable=True),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("interpreter", sa.Boolean(), nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("agency", "external_ref"),
    )
    op.create_index("ix_booking_journey", "booking", ["journey"])
    op.create_index("ix_booking_slot_start", "booking", ["slot_start"])
    op.create_table(
        "ticket_note",
        sa.Column("event_seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("ticket", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_ticket_note_ticket", "ticket_note", ["ticket"])
    op.create_index("ix_ticket_note_day", "ticket_note", ["day"])
    _move_old_bookings()
    op.drop_table("booking_0001")


def _move_old_bookings() -> None:
    conn = op.get_bind()
    old = conn.execute(sa.text("SELECT id, code, service, slot_start, slot_minutes, language, party_size, "
                               "created_at FROM booking_0001 ORDER BY id")).all()
    journeys: dict[str, str] = {}
    now = datetime.now(UTC)
    for row in old:
        if row.code not in journeys:
            journeys[row.code] = codes.new_code()
            conn.execute(sa.text("INSERT INTO journey (code, external_ref, created_at) VALUES (:c, :r, :t)"),
                         {"c": journeys[row.code], "r": f"legacy:{row.code}", "t": now})
        conn.execute(sa.text(
            "INSERT INTO booking (journey, agency, external_ref, service, slot_start, slot_minutes, language, "
            "party_size, interpreter, step_free, cancelled, created_at, updated_at) VALUES (:j, '', :r, :s, :t, "
            ":m, :l, :p, false, false, false, :c, :c)"),
            {"j": journeys[row.code], "r": f"{row.code}#{row.id}", "s": row.service, "t": row.slot_start,
             "m": row.slot_minutes, "l": row.language, "p": row.party_size, "c": row.created_at})


def downgrade() -> None:
    op.drop_index("ix_ticket_note_day", "ticket_note")
    op.drop_index("ix_ticket_note_ticket", "ticket_note")
    op.drop_table("ticket_note")
    op.drop_index("ix_booking_slot_start", "booking")
    op.drop_index("ix_booking_journey", "booking")
    op.drop_table("booking")
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", "service", "slot_start"),
    )
    op.create_index("ix_booking_code", "booking", ["code"])
    op.drop_index("ix_journey_slip_journey", "journey_slip")
    op.drop_table("journey_slip")
    op.drop_table("journey")
