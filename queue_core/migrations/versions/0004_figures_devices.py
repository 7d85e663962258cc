"""Anonymous daily figures (kept after the retention purge) and the devices' presence log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_figure",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("measure", sa.String(length=40), primary_key=True),
        sa.Column("a", sa.String(length=64), primary_key=True),
        sa.Column("b", sa.String(length=64), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "figure_day",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
    )
    op.create_table(
        "device_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("paper", sa.String(length=12), nullable=False),
    )
    op.create_index("ix_device_log_at", "device_log", ["at"])
    op.create_index("ix_device_log_device", "device_log", ["device"])


def downgrade() -> None:
    op.drop_index("ix_device_log_device", table_name="device_log")
    op.drop_index("ix_device_log_at", table_name="device_log")
    op.drop_table("device_log")
    op.drop_table("figure_day")
    op.drop_table("daily_figure")
