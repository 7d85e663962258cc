"""Bookings: `arkaden bookings add` and CSV import, with clear errors, into the real store."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from queue_core.store import Store
from queue_rules import codes

from .engine_helpers import MINI

REPO = Path(__file__).resolve().parents[1]


def arkaden(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "arkaden_cli", *args], capture_output=True, text=True, cwd=REPO)


@pytest.mark.slow  # starts processes
def test_bookings_import_csv_and_ics_reimport_moved_cancelled_and_bad_rows(db_url: str, tmp_path: Path) -> None:
    site = str(REPO / "sites" / "kia-aachen-arkaden.toml")
    for example in ("bookings.csv", "bookings.ics"):
        db = f"sqlite:///{tmp_path / (example + '.db')}"
        first = arkaden("bookings", "import", "--site", site, "--db-url", db, str(REPO / "docs" / "examples" / example))
        assert first.returncode == 0, first.stderr
        assert "8 added" in first.stdout and "1 cancelled" in first.stdout, first.stdout
        again = arkaden("bookings", "import", "--site", site, "--db-url", db, str(REPO / "docs" / "examples" / example))
        assert again.returncode == 0 and "9 unchanged" in again.stdout, again.stdout
        listed = arkaden("bookings", "list", "--site", site, "--db-url", db, "--date", "2026-12-02")
        assert listed.returncode == 0 and "9 bookings on 02.12.2026" in listed.stdout, listed.stdout
        journeys = arkaden("journeys", "list", "--site", site, "--db-url", db, "--date", "2026-12-02")
        assert "aufenthaltstitel -> 09:00 anerkennung -> 10:00 jobcenter" in journeys.stdout, journeys.stdout

    # a moved slot updates the booking, a cancelled row cancels it, bad rows are reported while good rows load
    csv = tmp_path / "jc.csv"
    csv.write_text("ref;service;slot;minutes;language;journey\n"
                   "JC-1;jobcenter;2026-12-02 10:00;20;ar;fam-1\n"
                   "JC-2;jobcenter;2026-12-02 10:30;20;uk;\n", encoding="utf-8")
    r = arkaden("bookings", "import", "--site", site, "--db-url", db_url, str(csv))
    assert r.returncode == 0 and "2 added" in r.stdout, r.stdout + r.stderr
    csv.write_text("ref;service;slot;minutes;language;journey;status\n"
                   "JC-1;jobcenter;2026-12-02 11:00;20;ar;fam-1;\n"
                   "JC-2;jobcenter;2026-12-02 10:30;20;uk;;cancelled\n"
                   "JC-3;jobcenter;morgen;20;uk;;\n"
                   "JC-4;nope;2026-12-02 10:30;20;uk;;\n"
                   "JC-5;anerkennung;2026-12-02 10:40;40;ar;fam-1;\n", encoding="utf-8")
    r = arkaden("bookings", "import", "--site", site, "--db-url", db_url, str(csv))
    assert r.returncode == 1, r.stdout + r.stderr  # some rows refused; the good ones are in
    assert "1 added, 1 updated, 1 cancelled" in r.stdout, r.stdout
    assert "jc.csv:4:" in r.stderr and "morgen" in r.stderr and "jc.csv:5:" in r.stderr and "nope" in r.stderr
    listed = arkaden("bookings", "list", "--site", site, "--db-url", db_url, "--date", "2026-12-02")
    assert "11:00" in listed.stdout and "CANCELLED" in listed.stdout, listed.stdout
    journeys = arkaden("journeys", "list", "--site", site, "--db-url", db_url, "--date", "2026-12-02")
    assert "10:40 anerkennung -> 11:00 jobcenter" in journeys.stdout and "OVERLAP" in journeys.stdout, \
        journeys.stdout


@pytest.mark.slow  # starts processes
def test_bookings_add_cancel_and_join(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'b.db'}"
    r = arkaden("bookings", "add", "--site", str(MINI), "--db-url", db, "--service", "aufenthalt",
                "--slot", "2026-11-23T09:30", "--language", "ar", "--party-size", "3", "--ref", "ABH-1")
    assert r.returncode == 0, r.stderr
    first = r.stdout.strip().rsplit(" ", 1)[1]
    assert codes.check(first) == "ok"
    r = arkaden("bookings", "add", "--site", str(MINI), "--db-url", db, "--service", "jobcenter",
                "--slot", "2026-11-23T10:30", "--ref", "JC-1")
    second = r.stdout.strip().rsplit(" ", 1)[1]
    assert second != first
    r = arkaden("journeys", "join", first, second, "--db-url", db)
    assert r.returncode == 0 and "2 bookings" in r.stdout, r.stdout + r.stderr
    store = Store(db)
    journey = store.journey(codes.normalise(second))  # the joined code leads to the first journey
    assert journey is not None and journey.code == codes.normalise(first) and len(journey.stops) == 2
    store.close()
    r = arkaden("bookings", "cancel", first, "--db-url", db)
    assert r.returncode == 0 and "cancelled 2" in r.stdout
    typo = first[:-1] + ("A" if first[-1] != "A" else "C")
    r = arkaden("bookings", "cancel", typo, "--db-url", db)
    assert r.returncode == 2 and "mistyped" in r.stderr


@pytest.mark.slow  # starts processes
def test_bad_bookings_are_refused_with_the_reason(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'b.db'}"
    r = arkaden("bookings", "add", "--site", str(MINI), "--db-url", db, "--service", "nope",
                "--slot", "2026-11-23T09:30")
    assert r.returncode == 2 and "nope" in r.stderr
    r = arkaden("bookings", "import", "--site", str(MINI), "--db-url", db, str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "missing.csv" in r.stderr


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
    svc.handle(Incoming("arkaden/v1/mini/cmd/checkin/kiosk-1", b'{"v":1,"id":"a","concern":"job"}',
                       "arkaden/v1/mini/reply/kiosk-1"))
    store.close()
    r = arkaden("stats", "--site", str(MINI), "--db-url", db, "--day", "2026-11-17", "--json")
    assert r.returncode == 0, r.stderr
    rows = {x["service"]: x for x in json.loads(r.stdout)["services"]}
    assert rows["jobcenter"]["arrivals"] == 1 and rows["aufenthalt"]["arrivals"] == 0


@pytest.mark.slow  # starts processes
def test_a_cancel_in_arkaden_sticks_and_warnings_refuse_nothing(tmp_path: Path) -> None:
    site = str(REPO / "sites" / "kia-aachen-arkaden.toml")
    db = f"sqlite:///{tmp_path / 'c.db'}"
    csv = tmp_path / "t.csv"
    csv.write_text("ref,service,slot,langauge\n"
                   "JC-1,jobcenter,2026-12-02 10:00,ar\nJC-2,jobcenter,2026-12-06 10:00,ar\n", encoding="utf-8")
    r = arkaden("bookings", "import", "--site", site, "--db-url", db, str(csv))
    assert r.returncode == 0 and "2 added" in r.stdout and "0 refused" in r.stdout, r.stdout + r.stderr
    assert "t.csv:1: warning: column 'langauge'" in r.stderr
    assert "t.csv:3: warning: Jobcenter is closed at Sun 06.12." in r.stderr  # stored, but worth a look
    store = Store(db)
    code = store.bookings_between(datetime.fromisoformat("2026-12-02T00:00+01:00"),
                                  datetime.fromisoformat("2026-12-03T00:00+01:00"))[0].code
    store.close()
    r = arkaden("bookings", "cancel", code, "--db-url", db)
    assert r.returncode == 0 and "does not bring them back" in r.stdout
    r = arkaden("bookings", "import", "--site", site, "--db-url", db, str(csv))
    assert "2 unchanged" in r.stdout, r.stdout  # the agency's file does not revive what the centre cancelled
    listed = arkaden("bookings", "list", "--site", site, "--db-url", db, "--date", "02.12.2026")
    assert "CANCELLED" in listed.stdout, listed.stdout
    again = arkaden("bookings", "cancel", code, "--db-url", db)
    assert again.returncode == 1 and "nothing cancelled" in again.stderr
