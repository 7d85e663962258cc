"""`arkaden users` end to end through `arkaden_cli.main.main`: every refusal one line on stderr, never a hash shown."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from arkaden_cli.main import main
from web_app import accounts
from web_app.accounts import AccountStore

REPO = Path(__file__).resolve().parents[1]
SITE = str(REPO / "sites" / "kia-aachen-arkaden.toml")


def _cheap() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "default_hasher", _cheap)
    monkeypatch.delenv("ARKADEN_USERS", raising=False)
    monkeypatch.delenv("ARKADEN_SITE", raising=False)


@pytest.fixture
def users(tmp_path: Path) -> Path:
    return tmp_path / "lib" / "web-users.json"


def _ok(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], status: int) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == status
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert captured.out == ""
    return err


def test_users_cli_add_prints_the_password_once_and_it_logs_in(
        users: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _ok(["users", "--file", str(users), "add", "Anna.Schmidt", "--agency", "jobcenter", "--site", SITE], capsys)
    found = re.search(r"^password: (\S+)$", out, re.MULTILINE)
    assert found, out
    assert "added anna.schmidt (agency jobcenter)" in out and "in person" in out
    assert AccountStore(users, hasher=_cheap()).verify("anna.schmidt", found.group(1)) is not None
    listed = _ok(["users", "--file", str(users), "list"], capsys)
    assert "anna.schmidt" in listed and "jobcenter" in listed and "enabled" in listed
    assert "argon2" not in listed and found.group(1) not in listed


def test_users_cli_wrong_agency_for_the_site_is_refused_and_writes_nothing(
        users: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    err = _fails(["users", "--file", str(users), "add", "anna", "--agency", "jobcentre", "--site", SITE], capsys, 2)
    assert "no agency 'jobcentre'" in err and "jobcenter" in err, "the known agencies are named"
    assert not users.exists()
    monkeypatch.setenv("ARKADEN_SITE", SITE)  # the site of arkaden.env, when no --site is given
    assert "no agency 'nope'" in _fails(["users", "--file", str(users), "add", "anna", "--agency", "nope"], capsys, 2)
    assert not users.exists()
    missing = str(users.parent / "no-site.toml")
    with pytest.raises(SystemExit) as stop:
        main(["users", "--file", str(users), "add", "anna", "--agency", "ki", "--site", missing])
    assert stop.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_users_cli_without_a_site_adds_with_a_note(users: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["users", "--file", str(users), "add", "anna", "--agency", "ki"]) == 0
    assert "not checked" in capsys.readouterr().err
    assert set(AccountStore(users).accounts()) == {"anna"}


def test_users_cli_password_from_stdin_is_not_printed(
        users: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["users", "--file", str(users)]
    monkeypatch.setattr("sys.stdin", io.StringIO("correct-horse-battery\n"))
    out = _ok([*base, "add", "anna", "--agency", "ki", "--password-stdin"], capsys)
    assert "correct-horse-battery" not in out and "password:" not in out
    assert AccountStore(users, hasher=_cheap()).verify("anna", "correct-horse-battery") is not None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert "at least 10" in _fails([*base, "reset", "anna", "--password-stdin"], capsys, 1)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert "no password on stdin" in _fails([*base, "reset", "anna", "--password-stdin"], capsys, 1)
    assert AccountStore(users, hasher=_cheap()).verify("anna", "correct-horse-battery") is not None


def test_users_cli_reset_disable_enable_and_list_json(
        users: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARKADEN_USERS", str(users))  # the file without --file
    _ok(["users", "add", "anna", "--agency", "ki", "--site", SITE], capsys)
    _ok(["users", "disable", "anna"], capsys)
    out = _ok(["users", "reset", "anna"], capsys)
    assert "still disabled" in out
    new = re.search(r"^password: (\S+)$", out, re.MULTILINE)
    assert new
    store = AccountStore(users, hasher=_cheap())
    assert store.verify("anna", new.group(1)) is None, "still disabled"
    _ok(["users", "enable", "anna"], capsys)
    assert store.verify("anna", new.group(1)) is not None
    rows = json.loads(_ok(["users", "list", "--json"], capsys))
    assert rows == [{"name": "anna", "agency": "ki", "disabled": False, "changed_at": rows[0]["changed_at"]}]


def test_users_cli_refusals_are_one_line(users: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["users", "--file", str(users)]
    assert "no desk accounts" in _ok([*base, "list"], capsys)
    assert json.loads(_ok([*base, "list", "--json"], capsys)) == []
    _ok([*base, "add", "anna", "--agency", "ki", "--site", SITE], capsys)
    assert "already an account 'anna'" in _fails([*base, "add", "ANNA", "--agency", "ki", "--site", SITE], capsys, 1)
    assert "not a login name" in _fails([*base, "add", "counter:1", "--agency", "ki"], capsys, 1)
    for operation in ("reset", "disable", "enable"):
        assert "no account 'bernd'" in _fails([*base, operation, "bernd"], capsys, 1)
    users.write_text("{broken", encoding="utf-8")
    for argv in (["list"], ["disable", "anna"], ["add", "bernd", "--agency", "ki"]):
        err = _fails([*base, *argv], capsys, 2)
        assert str(users) in err and "not JSON" in err
    assert users.read_text(encoding="utf-8") == "{broken"
