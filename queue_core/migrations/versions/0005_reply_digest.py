"""A command's reply remembers what the command asked (a digest), so an id reused for another command is caught;
replies are found by time through an index (the reload at start and midnight).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("command_reply") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=32), nullable=True))
        batch.create_index("ix_command_reply_at", ["at"])


def downgrade() -> None:
    with op.batch_alter_table("command_reply") as batch:
        batch.drop_index("ix_command_reply_at")
        batch.drop_column("digest")
