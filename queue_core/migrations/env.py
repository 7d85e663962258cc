"""Alembic environment: runs migrations on the connection handed over by queue_core.migrations.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from queue_core.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # plain `alembic` CLI use: -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database: pass -x url=postgresql+psycopg://... (or sqlite:///...)")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata(), render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata(), render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
