"""The store on SQLite and PostgreSQL: migrations match the models, the log is append-only and ordered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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
    assert store.reply_for("k") == ("{}", None) and "k" in store.reply_keys_since(at - timedelta(days=1))
    store.close()


def test_default_database_is_sqlite_in_the_users_data_directory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ARKADEN_DB_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    assert default_db_url() == "sqlite:////srv/data/arkaden/arkaden.db"
    monkeypatch.setenv("ARKADEN_DB_URL", "postgresql+psycopg://arkaden@db/arkaden")
    assert default_db_url() == "postgresql+psycopg://arkaden@db/arkaden"


def test_bookings_of_the_first_schema_move_into_journeys_with_new_codes(db_url: str) -> None:
    import sqlalchemy as sa

    from queue_core.migrations import upgrade
    from queue_rules import codes

    store = Store(db_url)
    upgrade(store.engine, "0001")
    slot = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
    with store.engine.begin() as conn:
        for service, minutes in (("aufenthalt", 0), ("jobcenter", 60)):
            conn.execute(sa.text("INSERT INTO booking (code, service, slot_start, slot_minutes, language, party_size, "
                                 "created_at) VALUES ('KIA-4711', :s, :t, 30, 'ar', 3, :t)"),
                         {"s": service, "t": slot + timedelta(minutes=minutes)})
    store.migrate()
    found = store.journeys_on(date(2026, 12, 2), ZoneInfo("Europe/Berlin"))
    store.close()
    assert len(found) == 1 and codes.check(found[0].code) == "ok"  # one journey per old code, a code of ours
    assert [s.service for s in found[0].stops] == ["aufenthalt", "jobcenter"]
    assert found[0].party_size == 3 and found[0].language == "ar"
    assert all(s.external_ref and s.external_ref.startswith("KIA-4711#") for s in found[0].stops)


def test_a_handover_note_is_kept_apart_from_the_log_and_goes_with_its_visit(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    at = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
    moved = ev.TicketTransferred(at=at, actor="counter:a", ticket="t1", counter="a", to_service="b",
                                 note="Zeugnisse liegen vor")
    store.append([moved], tz_day=date(2026, 12, 2))
    assert "Zeugnisse" not in store.event_rows()[0].data  # the log itself never holds the note
    assert list(store.events()) == [moved] and store.notes_count() == 1
    done = ev.TicketCompleted(at=at, actor="counter:b", ticket="t1", counter="b")
    store.append([done], tz_day=date(2026, 12, 2), erase_notes_of=("t1",))
    replayed = list(store.events())[0]
    assert isinstance(replayed, ev.TicketTransferred)
    assert store.notes_count() == 0 and replayed.note == ""
    store.append([moved], tz_day=date(2026, 12, 2))
    assert store.erase_notes_before(date(2026, 12, 3)) == 1 and store.notes_count() == 0
    store.close()


def test_sqlite_commits_survive_a_power_cut(tmp_path: Path) -> None:
    """WAL with synchronous=NORMAL may roll back the last commits on power loss: a printed number could be issued
    again. FULL syncs the WAL at every commit (the kiosk's outbox does the same)."""
    import sqlalchemy as sa

    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2   # FULL
    store.close()
