"""The store on SQLite and PostgreSQL: migrations match the models, the log is append-only and ordered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from queue_core.store import Store, default_db_url
from queue_core.tables import metadata
from queue_rules import events as ev


def test_migrations_create_exactly_the_models_schema(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    store.migrate()  # idempotent
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata())
    store.close()
    assert diff == [], f"models and migrations differ; add an Alembic revision: {diff}"


def test_events_come_back_in_order_with_their_time_zone(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    at = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    written = [ev.CounterOpened(at=at + timedelta(seconds=i), actor="counter:x", counter=f"c{i}") for i in range(50)]
    seqs = store.append(written[:20], tz_day=date(2026, 11, 17))
    store.append(written[20:], tz_day=date(2026, 11, 17), command_key="k", reply="{}")
    assert seqs == sorted(seqs) and len(set(seqs)) == 20
    assert list(store.events(day=date(2026, 11, 17))) == written
    assert list(store.events(day=date(2026, 11, 18))) == []
    assert store.reply_for("k") == "{}" and "k" in store.reply_keys_since(at - timedelta(days=1))
    store.close()


def test_default_database_is_sqlite_in_the_users_data_directory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ARKADEN_DB_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    assert default_db_url() == "sqlite:////srv/data/arkaden/arkaden.db"
    monkeypatch.setenv("ARKADEN_DB_URL", "postgresql+psycopg://arkaden@db/arkaden")
    assert default_db_url() == "postgresql+psycopg://arkaden@db/arkaden"
