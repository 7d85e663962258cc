"""Initial schema: event log, bookings, command replies.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("ticket", sa.String(64), nullable=True),
        sa.Column("command_key", sa.String(160), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_event_log_at", "event_log", ["at"])
    op.create_index("ix_event_log_day", "event_log", ["day"])
    op.create_index("ix_event_log_ticket", "event_log", ["ticket"])
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
    op.create_table(
        "command_reply",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("command_reply")
    op.drop_index("ix_booking_code", "booking")
    op.drop_table("booking")
    op.drop_index("ix_event_log_ticket", "event_log")
    op.drop_index("ix_event_log_day", "event_log")
    op.drop_index("ix_event_log_at", "event_log")
    op.drop_table("event_log")
