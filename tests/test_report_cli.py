"""`arkaden report` and `arkaden purge` refuse what an operator gets wrong with one clear line, and change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from arkaden_cli.main import main
from queue_core.store import Store

REPO = Path(__file__).resolve().parents[1]
SITE = str(REPO / "sites" / "kia-aachen-arkaden.toml")


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'arkaden.db'}"
    store = Store(url)
    store.migrate()
    store.close()
    return url


def test_report_cli_refuses_an_empty_out_and_a_database_that_is_not_there(
        tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    base = ["report", "--site", SITE, "--from", "2026-11-02", "--to", "2026-11-06"]
    assert "--out" in _fails([*base, "--db-url", db, "--out", " "], capsys)
    written = [p.name for p in tmp_path.iterdir() if not p.name.startswith("arkaden.db")]
    assert written == [], "nothing written into the current folder"
    missing = tmp_path / "missing" / "x.db"
    assert "there is no database" in _fails([*base, "--db-url", f"sqlite:///{missing}", "--out", "r"], capsys)
    assert not missing.parent.exists(), "a mistyped path creates no empty database"
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert "cannot use the database" in _fails([*base, "--db-url", f"sqlite:///{corrupt}", "--out", "r"], capsys)
    assert "not a database URL" in _fails([*base, "--db-url", "notaurl", "--out", "r"], capsys)
    assert "no driver" in _fails([*base, "--db-url", "mysql://x@127.0.0.1:1/x", "--out", "r"], capsys)
    assert "before --from" in _fails(["report", "--site", SITE, "--from", "2026-11-06", "--to", "2026-11-02",
                                      "--db-url", db, "--out", "r"], capsys)
    assert "not a date" in _fails([*base[:4], "31.02.2026", *base[5:], "--db-url", db, "--out", "r"], capsys)


def test_purge_cli_refuses_a_future_day_and_retention_out_of_range(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["purge", "--site", SITE, "--db-url", db]
    future = (date.today() + timedelta(days=20)).isoformat()
    assert "would delete current data" in _fails([*base, "--today", future], capsys)
    assert "would delete current data" in _fails([*base, "--today", "0001-01-02"], capsys)
    for days in ("0", "2", "99999999"):
        assert "3 to 3650" in _fails([*base, "--retention-days", days], capsys)
    assert main([*base, "--json"]) == 0, "a purge of an empty database is fine"
