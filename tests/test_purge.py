"""Retention: `arkaden purge` stores each final day's figures, then deletes every personal field past the period,
and a report over the whole period reads the same before and after (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from arkaden_cli.day_sim import simulate_days
from host_support.site_file import load_site
from queue_core import retention
from queue_core.store import Store
from queue_rules.figures import Figure
from queue_rules.site import Site

REPO = Path(__file__).resolve().parents[1]
SITE_FILE = REPO / "sites" / "kia-aachen-arkaden.toml"
FIRST = date(2026, 11, 2)  # a Monday
TODAY = date(2026, 11, 16)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(SITE_FILE)


def _play(site: Site, store: Store) -> list[date]:
    """Two working weeks, quiet ones (so the test is quick), with every kind of visit."""
    return simulate_days(site, store, FIRST, 10, seed=3, journeys=6, walk_in_rate=0.12)


def _texts(store: Store) -> str:
    """Every text cell of every table, one long string: what a person reading the database would see."""
    out = []
    with store.engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(bind=conn)
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            for row in conn.execute(sa.select(table)):
                out.extend(str(v) for v in row)
    return "\n".join(out)


def _personal(store: Store, site: Site, before: date) -> dict[str, set[str]]:
    """Tokens and booking codes of the visits before `before`, read from the log while it is there (a journey
    that goes on past the cut keeps its code, rightly: it is still needed; so does the slip a desk booked on into
    it, which the client brings to that appointment)."""
    from queue_rules import codes
    from queue_rules import events as ev

    cut = datetime.combine(before, datetime.min.time(), site.tz)
    live = {b.code for b in store.bookings_between(cut, cut + timedelta(days=400))}
    with store.engine.connect() as conn:
        slips = {token for token, journey in conn.execute(sa.text("SELECT token, journey FROM journey_slip"))
                 if journey in live}
    found: dict[str, set[str]] = {"token": set(), "code": set()}
    for e in store.events():
        if isinstance(e, ev.TicketIssued) and e.at.astimezone(site.tz).date() < before and e.token not in slips:
            found["token"].add(e.token)
            if e.booking_code and e.journey not in live:
                found["code"] |= {codes.normalise(e.booking_code), codes.display(codes.normalise(e.booking_code))}
    return found


def test_purge_deletes_every_personal_field_and_the_report_reads_the_same(store: Store, site: Site) -> None:
    played = _play(site, store)
    before = retention.period_figures(site, store, FIRST, TODAY)
    assert before.days_from_log == len(played) and before.days_from_figures == 0
    cut = TODAY - timedelta(days=5)
    personal = _personal(store, site, cut)
    assert personal["token"] and personal["code"], "the simulated weeks should have tokens and booking codes"

    result = retention.purge(site, store, today=TODAY, retention_days=5)

    assert result.cut == cut
    assert result.figured == [d for d in played if d <= TODAY - timedelta(days=2)]
    assert result.purged.events > 0 and result.purged.bookings > 0 and result.purged.replies > 0
    assert store.logged_days(FIRST, cut - timedelta(days=1)) == []
    assert store.logged_days(cut, TODAY) == [d for d in played if d >= cut]
    text = _texts(store)
    for kind, values in personal.items():
        leaked = sorted(v for v in values if v and v in text)
        assert leaked == [], f"{kind}s of purged days still in the database: {leaked[:3]}"
    with store.engine.connect() as conn:
        old_bookings = conn.execute(sa.text("SELECT count(*) FROM booking WHERE slot_start < :cut"),
                                    {"cut": datetime.combine(cut, datetime.min.time(), site.tz)}).scalar_one()
        assert old_bookings == 0
        notes = conn.execute(sa.text("SELECT count(*) FROM ticket_note WHERE day < :cut"), {"cut": cut})
        assert notes.scalar_one() == 0

    after = retention.period_figures(site, store, FIRST, TODAY)
    assert after.figures == before.figures, _diff(before.figures, after.figures)
    assert after.days_from_figures == len(result.figured)

    again = retention.purge(site, store, today=TODAY, retention_days=5)
    assert again.figured == [] and again.purged.events == 0, "a second purge the same night changes nothing"
    assert retention.period_figures(site, store, FIRST, TODAY).figures == before.figures


def test_purge_refuses_to_delete_a_log_whose_figures_are_not_stored(store: Store, site: Site) -> None:
    simulate_days(site, store, FIRST, 1, seed=4, journeys=2, walk_in_rate=0.05)
    with pytest.raises(ValueError, match="figures not stored"):
        store.delete_personal_before(FIRST + timedelta(days=1), site.tz)
    assert store.logged_days(FIRST, FIRST) == [FIRST], "nothing was deleted"
    with pytest.raises(ValueError, match="at least 3"):
        retention.purge(site, store, today=TODAY, retention_days=2)


def _diff(a: list[Figure], b: list[Figure]) -> str:
    sa_, sb = set(a), set(b)
    return f"only before: {sorted(sa_ - sb)[:5]}; only after: {sorted(sb - sa_)[:5]}"


def test_purge_command_prints_what_it_deleted_and_a_stopped_database_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "arkaden.db"
    url = f"sqlite:///{db}"
    store = Store(url)
    store.migrate()
    site = load_site(SITE_FILE)
    simulate_days(site, store, FIRST, 2, seed=5, journeys=2, walk_in_rate=0.05)
    store.close()
    run = subprocess.run([sys.executable, "-m", "arkaden_cli", "purge", "--site", str(SITE_FILE), "--db-url", url,
                          "--today", TODAY.isoformat(), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["deleted_before"] == (TODAY - timedelta(days=30)).isoformat()  # the site's 30 days
    assert summary["figures_stored_for"] == [FIRST.isoformat(), (FIRST + timedelta(days=1)).isoformat()]
    assert summary["deleted"]["events"] == 0, "nothing is older than 30 days yet"

    down = subprocess.run([sys.executable, "-m", "arkaden_cli", "purge", "--site", str(SITE_FILE), "--db-url",
                           "postgresql+psycopg://arkaden:secret@127.0.0.1:9/arkaden"],
                          capture_output=True, text=True, timeout=120)
    assert down.returncode == 2
    assert "cannot use the database" in down.stderr and "Traceback" not in down.stderr
    assert "secret" not in down.stderr, "the password is never printed"
