"""The desk accounts file (real argon2, cheap parameters), the login limits, sessions and CSRF of web_app."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from web_app import accounts as accounts_module
from web_app.accounts import (
    PASSWORD_ALPHABET,
    AccountError,
    AccountFileError,
    AccountStore,
    generate_password,
)
from web_app.security import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_WINDOW,
    FailureLimiter,
    LoginGuard,
    Sessions,
    csrf_ok,
)

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
GOOD = "correct-horse-battery"


def cheap(time_cost: int = 1) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=8, parallelism=1)


class CountingHasher(PasswordHasher):
    """Counts the hashes really computed: a verify that fails on a malformed hash costs nothing."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.computed = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's own names)
        try:
            ok = super().verify(hash, password)
        except VerifyMismatchError:
            self.computed += 1
            raise
        self.computed += 1
        return ok


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "web-users.json"


@pytest.fixture
def store(path: Path) -> AccountStore:
    return AccountStore(path, hasher=cheap())


# the accounts file


def test_accounts_add_returns_a_generated_password_that_verifies(store: AccountStore) -> None:
    password = store.add("anna", "jobcenter")
    assert len(password) == 12 and set(password) <= set(PASSWORD_ALPHABET)
    account = store.verify("anna", password)
    assert account is not None and (account.name, account.agency, account.disabled) == ("anna", "jobcenter", False)
    assert account.password_hash.startswith("$argon2id$")
    assert store.verify("Anna ", password) == account, "the login name is matched as stored (lower case, trimmed)"


def test_accounts_generated_passwords_have_no_look_alikes_and_differ() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert not set("".join(passwords)) & set("l1IO0o")
    assert len(set("".join(passwords))) > 40, "the whole alphabet is used"


def test_accounts_file_is_0600_in_a_new_0700_directory_and_holds_no_password(
        store: AccountStore, path: Path) -> None:
    password = store.add("anna", "jobcenter")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert password not in text
    data = json.loads(text)
    assert data["version"] == 1 and [a["name"] for a in data["accounts"]] == ["anna"]
    assert set(data["accounts"][0]) == {"name", "agency", "disabled", "password_hash", "changed_at"}
    assert {p.name for p in path.parent.iterdir()} == {path.name, path.name + ".lock"}, "no temp file left"


def test_accounts_a_missing_file_is_no_accounts_and_nobody_verifies(store: AccountStore, path: Path) -> None:
    assert store.accounts() == {}
    assert store.verify("anna", GOOD) is None
    assert not path.parent.exists(), "reading creates nothing"


def test_accounts_wrong_password_and_unknown_name_do_not_verify_but_cost_a_hash_each(path: Path) -> None:
    hasher = CountingHasher()
    store = AccountStore(path, hasher=hasher)
    store.add("anna", "jobcenter", GOOD)
    assert store.verify("anna", GOOD + "x") is None
    assert store.verify("bernd", GOOD) is None
    assert store.verify("", "") is None
    assert hasher.computed == 3, "an unknown name spends a hash too, so timing does not tell which names exist"


def test_accounts_disabled_account_cannot_verify_until_enabled(store: AccountStore) -> None:
    store.add("anna", "jobcenter", GOOD)
    store.disable("anna")
    assert store.accounts()["anna"].disabled
    assert store.verify("anna", GOOD) is None
    store.enable("anna")
    assert store.verify("anna", GOOD) is not None


def test_accounts_reset_changes_the_password_and_keeps_disabled(path: Path) -> None:
    now = [T0]
    store = AccountStore(path, hasher=cheap(), clock=lambda: now[0])
    store.add("anna", "jobcenter", GOOD)
    store.disable("anna")
    now[0] = T0 + timedelta(days=3)
    new = store.reset("anna")
    assert new != GOOD
    account = store.accounts()["anna"]
    assert account.disabled, "reset does not re-enable"
    assert account.changed_at == (T0 + timedelta(days=3)).isoformat()
    store.enable("anna")
    assert store.verify("anna", GOOD) is None
    assert store.verify("anna", new) is not None
    assert store.reset("anna", "another-good-one") == "another-good-one"
    assert store.verify("anna", "another-good-one") is not None


@pytest.mark.parametrize(("name", "agency", "password", "says"), [
    ("anna", "jobcenter", None, "already an account"),
    ("a", "jobcenter", None, "not a login name"),
    ("counter:7", "jobcenter", None, "not a login name"),
    ("anna schmidt", "jobcenter", None, "not a login name"),
    ("x" * 41, "jobcenter", None, "not a login name"),
    ("bernd", "Job Center", None, "not an agency id"),
    ("bernd", "jobcenter", "too-short", "at least 10"),
    ("bernd", "jobcenter", " " * 12, "only spaces"),
    ("bernd", "jobcenter", "line\nbreak-in-it", "line break"),
    ("bernd", "jobcenter", "x" * 129, "at most 128"),
    ("bernd.berndsen", "jobcenter", "Bernd.Berndsen", "is the login name"),
])
def test_accounts_add_refuses_with_one_line(store: AccountStore, name: str, agency: str, password: str | None,
                                            says: str) -> None:
    store.add("anna", "jobcenter", GOOD)
    with pytest.raises(AccountError, match=says) as refused:
        store.add(name, agency, password)
    assert "\n" not in str(refused.value)
    assert set(store.accounts()) == {"anna"}


def test_accounts_add_stores_the_name_in_lower_case(store: AccountStore) -> None:
    store.add(" Anna.Schmidt", "jobcenter", GOOD)
    assert set(store.accounts()) == {"anna.schmidt"}
    with pytest.raises(AccountError, match="already"):
        store.add("ANNA.SCHMIDT", "ki", GOOD)


@pytest.mark.parametrize("operation", ["reset", "disable", "enable"])
def test_accounts_unknown_name_is_an_account_error(store: AccountStore, operation: str) -> None:
    store.add("anna", "jobcenter", GOOD)
    with pytest.raises(AccountError, match="no account 'bernd'"):
        getattr(store, operation)("bernd")


def test_accounts_notices_a_change_made_by_another_store(path: Path) -> None:
    server, cli = AccountStore(path, hasher=cheap()), AccountStore(path, hasher=cheap())
    assert server.accounts() == {}
    cli.add("anna", "jobcenter", GOOD)
    assert server.verify("anna", GOOD) is not None
    cli.disable("anna")
    assert server.verify("anna", GOOD) is None, "a disable takes effect in a running server"
    cli.enable("anna")
    cli.reset("anna", "a-new-password")
    assert server.verify("anna", GOOD) is None and server.verify("anna", "a-new-password") is not None
    path.unlink()
    assert server.accounts() == {}


def _file(*entries: object) -> bytes:
    return json.dumps({"version": 1, "accounts": list(entries)}).encode()


def _entry(**change: object) -> dict[str, object]:
    entry: dict[str, object] = {"name": "anna", "agency": "ki", "disabled": False, "password_hash": "$argon2id$",
                                "changed_at": ""}
    entry.update(change)
    return {k: v for k, v in entry.items() if v is not None}


BROKEN = {
    "not JSON": b'{"version": 1, "accounts": [',
    "not UTF-8": b'{"version": 1, "accounts": []}\xff',
    "not an accounts file": b"[]",
    "version 2": b'{"version": 2, "accounts": []}',
    "not a list": b'{"version": 1, "accounts": {}}',
    "account 1: not an object": _file("anna"),
    "account 2: missing agency": _file(_entry(), _entry(name="bernd", agency=None)),
    "unknown disable": _file(_entry(disable=True)),
    "'disabled' is not true or false": _file(_entry(disabled="no")),
    "'name' is not a string": _file(_entry(name=7)),
    "not an argon2 hash": _file(_entry(password_hash="secret")),
    "not a login name": _file(_entry(name="Anna")),
    "not an agency id": _file(_entry(agency="")),
    "account 2: 'anna' appears twice": _file(_entry(), _entry()),
}


@pytest.mark.parametrize("problem", list(BROKEN))
def test_accounts_broken_file_is_an_account_file_error_naming_file_and_problem(
        store: AccountStore, path: Path, problem: str) -> None:
    path.parent.mkdir()
    path.write_bytes(BROKEN[problem])
    with pytest.raises(AccountFileError) as broken:
        store.accounts()
    message = str(broken.value)
    assert message.startswith(f"{path}: ") and problem in message and "\n" not in message, message
    with pytest.raises(AccountFileError):
        store.add("bernd", "ki", GOOD)
    assert path.read_bytes() == BROKEN[problem], "a broken file is never overwritten"


def test_accounts_a_file_others_can_read_is_used_with_a_warning(
        store: AccountStore, path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store.add("anna", "jobcenter", GOOD)
    path.chmod(0o644)
    assert "anna" in AccountStore(path, hasher=cheap()).accounts()
    assert "should be 0600" in caplog.text


def test_accounts_unreadable_file_is_an_account_file_error(store: AccountStore, path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be: open() fails with an OSError
    with pytest.raises(AccountFileError, match="cannot read the accounts file"):
        store.accounts()


def test_accounts_failed_write_leaves_the_old_file_whole(
        store: AccountStore, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add("anna", "jobcenter", GOOD)
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(accounts_module.os, "replace", disk_full)
    with pytest.raises(AccountFileError, match="cannot write .*No space left"):
        store.add("bernd", "ki", GOOD)
    assert path.read_bytes() == before
    assert {p.name for p in path.parent.iterdir()} == {path.name, path.name + ".lock"}, "the temp file is removed"
    assert set(AccountStore(path, hasher=cheap()).accounts()) == {"anna"}


def test_accounts_writers_wait_for_the_lock(store: AccountStore, path: Path) -> None:
    store.add("anna", "jobcenter", GOOD)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (AccountStore(path, hasher=cheap()).disable("anna"), done.set()))
    with open(store.lock_path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as another `arkaden users` would
        worker.start()
        assert not done.wait(0.1), "the disable waited for the lock"
        assert not store.accounts()["anna"].disabled
    worker.join(5)
    assert done.is_set() and store.accounts()["anna"].disabled


def test_accounts_rehash_on_login_when_the_parameters_changed(path: Path) -> None:
    AccountStore(path, hasher=cheap(time_cost=1), clock=lambda: T0).add("anna", "jobcenter", GOOD)
    old = json.loads(path.read_text())["accounts"][0]
    stronger = AccountStore(path, hasher=cheap(time_cost=2))
    assert stronger.verify("anna", GOOD) is not None
    new = json.loads(path.read_text())["accounts"][0]
    assert ",t=1," in old["password_hash"] and ",t=2," in new["password_hash"]
    assert new["changed_at"] == old["changed_at"], "a rehash is not a password change"
    assert stronger.verify("anna", GOOD) is not None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# the login limits


def test_limiter_blocks_at_the_limit_within_the_window_and_slides() -> None:
    limiter = FailureLimiter(3, timedelta(minutes=10))
    assert not limiter.blocked("k", T0)
    for minute in (0, 1, 2):
        limiter.failed("k", T0 + timedelta(minutes=minute))
    assert limiter.blocked("k", T0 + timedelta(minutes=2))
    assert limiter.blocked("k", T0 + timedelta(minutes=9, seconds=59))
    assert not limiter.blocked("k", T0 + timedelta(minutes=10)), "the first failure is out of the window"
    limiter.failed("k", T0 + timedelta(minutes=10))
    assert limiter.blocked("k", T0 + timedelta(minutes=10))
    assert not limiter.blocked("other", T0 + timedelta(minutes=10))
    assert not limiter.blocked("k", T0 + timedelta(minutes=21)), "all gone after a quiet window"


def test_limiter_success_forgets_the_failures() -> None:
    limiter = FailureLimiter(2, timedelta(minutes=10))
    limiter.failed("k", T0)
    limiter.failed("k", T0)
    assert limiter.blocked("k", T0)
    limiter.succeeded("k")
    assert not limiter.blocked("k", T0)


def test_limiter_memory_is_bounded() -> None:
    limiter = FailureLimiter(5, timedelta(minutes=10), max_keys=3)
    for n in range(10):
        limiter.failed(f"k{n}", T0)
    assert len(limiter) == 3
    for _ in range(50):
        limiter.failed("k9", T0)
    assert len(limiter._failures["k9"]) == 5, "a key keeps only its last `limit` failures"
    limiter.failed("late", T0 + timedelta(minutes=11))
    assert len(limiter) == 1, "keys quiet for a whole window are pruned"


def test_login_guard_limits_per_account_and_per_address() -> None:
    guard = LoginGuard()
    for n in range(LOGIN_FAILURES_PER_ACCOUNT):
        assert not guard.blocked("anna", f"10.0.0.{n}", T0)
        guard.failed("ANNA", f"10.0.0.{n}", T0)  # the name as typed counts as the account
    assert guard.blocked("anna", "10.0.9.9", T0), "the account is blocked from every address"
    assert not guard.blocked("bernd", "10.0.9.9", T0)
    guard.succeeded("anna", "10.0.0.1")
    assert not guard.blocked("anna", "10.0.9.9", T0)
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        guard.failed(f"user{n}", "10.0.0.66", T0)
    assert guard.blocked("someone-new", "10.0.0.66", T0), "many names from one address"
    guard.succeeded("someone-new", "10.0.0.66")
    assert guard.blocked("someone-new", "10.0.0.66", T0), "a success does not reset the address"
    assert not guard.blocked("someone-new", "10.0.0.66", T0 + LOGIN_WINDOW)


def test_login_guard_made_up_names_share_one_key() -> None:
    guard = LoginGuard()
    for n in range(LOGIN_FAILURES_PER_ACCOUNT):
        guard.failed(f"Not A Name {n}!" * 100, f"10.1.0.{n}", T0)
    assert len(guard.accounts) == 1
    assert guard.blocked("?", "10.2.0.1", T0) and not guard.blocked("anna", "10.2.0.1", T0)


# sessions and CSRF


def test_sessions_create_random_ids_and_tokens() -> None:
    sessions = Sessions()
    one, two = sessions.create("anna", T0), sessions.create("anna", T0)
    assert len({one.id, one.csrf, two.id, two.csrf}) == 4
    assert all(len(token) >= 43 for token in (one.id, one.csrf))
    assert sessions.get(one.id, T0) is one and one.counter is None
    assert sessions.get(None, T0) is None and sessions.get("", T0) is None and sessions.get("guess", T0) is None


def test_sessions_idle_expiry_is_refreshed_by_use() -> None:
    sessions = Sessions(idle=timedelta(minutes=60), absolute=timedelta(hours=12))
    session = sessions.create("anna", T0)
    assert sessions.get(session.id, T0 + timedelta(minutes=59)) is session
    assert session.seen == T0 + timedelta(minutes=59)
    assert sessions.get(session.id, T0 + timedelta(minutes=118)) is session, "use keeps it alive"
    assert sessions.get(session.id, T0 + timedelta(minutes=178)) is None, "an hour idle ends it"
    assert sessions.get(session.id, T0 + timedelta(minutes=179)) is None and len(sessions) == 0


def test_sessions_absolute_expiry_despite_use() -> None:
    sessions = Sessions(idle=timedelta(minutes=60), absolute=timedelta(hours=12))
    session = sessions.create("anna", T0)
    for minute in range(30, 12 * 60, 30):
        assert sessions.get(session.id, T0 + timedelta(minutes=minute)) is session
    assert sessions.get(session.id, T0 + timedelta(hours=12)) is None


def test_sessions_drop_drop_account_and_prune() -> None:
    sessions = Sessions(idle=timedelta(minutes=60))
    anna1, anna2, bernd = (sessions.create(a, T0) for a in ("anna", "anna", "bernd"))
    sessions.drop(anna1.id)
    sessions.drop("unknown")
    assert sessions.get(anna1.id, T0) is None
    assert sessions.drop_account("anna") == 1 and sessions.get(anna2.id, T0) is None
    assert sessions.drop_account("anna") == 0
    assert sessions.get(bernd.id, T0) is bernd
    assert sessions.prune(T0 + timedelta(minutes=61)) == 1 and len(sessions) == 0


def test_csrf_ok_only_for_the_sessions_own_token() -> None:
    session = Sessions().create("anna", T0)
    other = Sessions().create("anna", T0)
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, other.csrf)
    assert not csrf_ok(session, None)
    assert not csrf_ok(session, "")
    assert not csrf_ok(session, session.csrf[:-1])
    assert not csrf_ok(session, "ünïcödé\udcff"), "any text is an answer, never an exception"
