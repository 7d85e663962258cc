"""Bookings: `arkaden bookings add` and CSV import, with clear errors, into the real store."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from queue_core.store import Store

from .engine_helpers import MINI

REPO = Path(__file__).resolve().parents[1]


def arkaden(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arkaden_cli", *args], capture_output=True, text=True, cwd=REPO)


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_add_and_import_bookings(db_url: str, tmp_path: Path) -> None:
    r = arkaden("bookings", "add", "--site", str(MINI), "--db-url", db_url, "--code", "KIA-1001",
                "--service", "aufenthalt", "--slot", "2026-11-23T09:30", "--language", "uk", "--party-size", "3")
    assert r.returncode == 0, r.stderr
    csv = tmp_path / "b.csv"
    csv.write_text("code,service,slot,minutes,language,party_size\n"
                   "KIA-1002,jobcenter,2026-11-23T10:00,20,ar,1\n"
                   "KIA-1001,aufenthalt,2026-11-23T09:30,30,uk,3\n", encoding="utf-8")
    r = arkaden("bookings", "import", "--site", str(MINI), "--db-url", db_url, str(csv))
    assert r.returncode == 0, r.stderr
    assert "read 2 bookings, added 1 new" in r.stdout
    store = Store(db_url)
    found = store.bookings("KIA-1001", datetime.fromisoformat("2026-11-23T00:00+01:00"),
                           datetime.fromisoformat("2026-11-24T00:00+01:00"))
    store.close()
    assert len(found) == 1 and found[0].party_size == 3 and found[0].language == "uk"
    assert found[0].slot == datetime.fromisoformat("2026-11-23T09:30+01:00")


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_bad_bookings_are_refused_with_the_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'b.db'}"
    r = arkaden("bookings", "add", "--site", str(MINI), "--db-url", db, "--code", "KIA-1",
                "--service", "nope", "--slot", "2026-11-23T09:30")
    assert r.returncode == 2 and "unknown service 'nope'" in r.stderr
    csv = tmp_path / "bad.csv"
    csv.write_text("code,service,slot\nKIA-2001,jobcenter,2026-11-23T10:00\nKIA-2002,jobcenter,morgen\n")
    r = arkaden("bookings", "import", "--site", str(MINI), "--db-url", db, str(csv))
    assert r.returncode == 2 and "bad.csv:3" in r.stderr and "morgen" in r.stderr


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_site_check_command() -> None:
    r = arkaden("site", "check", "sites/kia-aachen-arkaden.toml")
    assert r.returncode == 0 and "ok" in r.stdout
    r = arkaden("site", "check", "does-not-exist.toml")
    assert r.returncode == 2 and "does-not-exist.toml" in r.stderr


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_site_check_parses_printer_urls_as_the_kiosk_will(tmp_path: Path) -> None:
    text = Path("sites/kia-aachen-arkaden.toml").read_text()
    assert 'url = "tcp://192.0.2.20:9100"' in text
    bad = tmp_path / "typo.toml"
    bad.write_text(text.replace('url = "tcp://192.0.2.20:9100"', 'url = "tcp://192.0.2.20:91OO"'))
    r = arkaden("site", "check", str(bad))
    assert r.returncode == 2 and "drucker-eingang" in r.stderr and "91OO" in r.stderr


def test_stats_command_reads_the_event_log(tmp_path: Path) -> None:
    import json

    from queue_core.service import Incoming, QueueService

    from .engine_helpers import MORNING, mini_site

    db = f"sqlite:///{tmp_path / 's.db'}"
    store = Store(db)
    store.migrate()
    svc = QueueService(mini_site(), store, clock=lambda: MORNING)
    svc.handle(Incoming("arkaden/v1/mini/cmd/checkin/kiosk-1", b'{"v":1,"id":"a","concern":"job"}'))
    store.close()
    r = arkaden("stats", "--site", str(MINI), "--db-url", db, "--day", "2026-11-17", "--json")
    assert r.returncode == 0, r.stderr
    rows = {x["service"]: x for x in json.loads(r.stdout)["services"]}
    assert rows["jobcenter"]["arrivals"] == 1 and rows["aufenthalt"]["arrivals"] == 0
