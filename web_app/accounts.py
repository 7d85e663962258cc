"""The desk accounts file: counsellors' login names, their agency and argon2id password hashes, in one JSON file.

The file (`{"version": 1, "accounts": [...]}`) is written by `arkaden users` and read by the web server, which
notices every change (its size, times or inode) on the next look, so a disabled account stops working without a
restart. Every write takes an exclusive `flock` on `<file>.lock`, re-reads the file, and replaces it atomically
(a temp file in the same directory, mode 0600, then `os.replace`). Anything wrong with the file is an
AccountFileError naming the file and the problem; nothing here raises OSError.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

log = logging.getLogger("arkaden.web")

VERSION = 1
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
AGENCY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")  # queue_rules.site_parts.Identifier
MIN_PASSWORD = 10
MAX_PASSWORD = 128  # the desk's login form reads no more
# generated passwords: no l, 1, I, O, 0 or o, so one read aloud or from a slip of paper is typed right
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 12  # 56 symbols: about 70 bits
FIELDS = ("name", "agency", "disabled", "password_hash", "changed_at")


class AccountError(ValueError):
    """An account operation that cannot be done; the message is one line for people ("no account 'x'")."""


class AccountFileError(AccountError):
    """The accounts file cannot be read or written, or is not an accounts file; the message names the file."""


@dataclass(frozen=True)
class Account:
    name: str            # login name, NAME_PATTERN: lower case, no ':' (it goes into the event log)
    agency: str          # agency id from the site file: the account works only at this agency's counters
    disabled: bool
    password_hash: str   # argon2id, as PasswordHasher.hash writes it
    changed_at: str      # ISO time (UTC) of the last password change


def normalise_name(text: str) -> str:
    """A login name as typed ("Anna.Schmidt ") in the form it is stored ("anna.schmidt")."""
    return text.strip().lower()


def check_name(name: str) -> str:
    """The normalised name, or AccountError saying what a login name may be."""
    key = normalise_name(name)
    if not NAME_PATTERN.fullmatch(key):
        raise AccountError(f"{name!r} is not a login name: 2 to 40 of a-z, 0-9, '.', '_' and '-', starting with a "
                           "letter or digit")
    return key


def check_password(password: str, name: str) -> None:
    """AccountError when a chosen password is too weak to keep: the policy of docs/web.md."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    if not password.strip():
        raise AccountError("the password is only spaces")
    if any(c in password for c in "\r\n\0"):
        raise AccountError("the password contains a line break or NUL")
    if normalise_name(password) == name:
        raise AccountError("the password is the login name")


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_LENGTH))


def default_hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's default parameters (RFC 9106's low-memory profile: 64 MiB, 3 passes)."""
    return PasswordHasher()


def _now() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    """The accounts in one file; safe to share between threads, and between processes through the lock file."""

    def __init__(self, path: Path, hasher: PasswordHasher | None = None,
                 clock: Callable[[], datetime] = _now):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._hasher = hasher or default_hasher()
        self._clock = clock
        self._mutex = threading.Lock()
        self._stamp: tuple[int, int, int, int] | None = None
        self._accounts: dict[str, Account] = {}
        self._dummy_hash: str | None = None

    # reading

    def accounts(self) -> dict[str, Account]:
        """Every account by name, re-read when the file changed; a missing file is no accounts."""
        with self._mutex:
            try:
                if _stamp(os.stat(self.path)) != self._stamp:  # one stat when nothing changed
                    with open(self.path, "rb") as f:
                        st = os.fstat(f.fileno())  # of the file read, should it be replaced meanwhile
                        if st.st_mode & 0o077:
                            log.warning("%s can be read by others (mode %o); it should be 0600",
                                        self.path, st.st_mode & 0o777)
                        self._accounts = _parse(self.path, f.read())
                        self._stamp = _stamp(st)
            except FileNotFoundError:
                self._accounts, self._stamp = {}, None
            except OSError as exc:
                raise self._os_error("cannot read", exc) from None
            return dict(self._accounts)

    def verify(self, name: str, password: str) -> Account | None:
        """The account when the name and password are right and it is enabled, else None. Every answer costs one
        hash, also for an unknown name. A hash made with older parameters is replaced (the file is written)."""
        account = self.accounts().get(normalise_name(name))
        stored = account.password_hash if account else self._dummy()
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            self._rehash(account, password)
        return account

    # changing

    def add(self, name: str, agency: str, password: str | None = None) -> str:
        """A new enabled account; its password (generated when None) is returned, to be handed over once."""
        key = check_name(name)
        if not AGENCY_PATTERN.fullmatch(agency):
            raise AccountError(f"{agency!r} is not an agency id")
        password = self._new_password(key, password)
        account = Account(key, agency, False, self._hasher.hash(password), self._stamp_now())

        def change(accounts: dict[str, Account]) -> None:
            if key in accounts:
                raise AccountError(f"there is already an account {key!r}")
            accounts[key] = account

        self._change(change)
        return password

    def reset(self, name: str, password: str | None = None) -> str:
        """A new password (generated when None), returned; a disabled account stays disabled."""
        key = normalise_name(name)
        self._existing(self.accounts(), key)  # an unknown name fails before a password is made
        password = self._new_password(key, password)
        new_hash, changed = self._hasher.hash(password), self._stamp_now()

        def change(accounts: dict[str, Account]) -> None:
            accounts[key] = replace(self._existing(accounts, key), password_hash=new_hash, changed_at=changed)

        self._change(change)
        return password

    def disable(self, name: str) -> None:
        self._set_disabled(name, True)

    def enable(self, name: str) -> None:
        self._set_disabled(name, False)

    # the parts

    def _set_disabled(self, name: str, disabled: bool) -> None:
        key = normalise_name(name)

        def change(accounts: dict[str, Account]) -> None:
            accounts[key] = replace(self._existing(accounts, key), disabled=disabled)

        self._change(change)

    def _rehash(self, account: Account, password: str) -> None:
        new_hash = self._hasher.hash(password)

        def change(accounts: dict[str, Account]) -> None:
            now = accounts.get(account.name)
            if now is not None and now.password_hash == account.password_hash:  # not reset meanwhile
                accounts[account.name] = replace(now, password_hash=new_hash)

        try:
            self._change(change)
        except AccountError as exc:  # the login still works; the next one tries again
            log.warning("could not store a new hash for %s: %s", account.name, exc)

    def _change(self, change: Callable[[dict[str, Account]], None]) -> None:
        """Under the file lock: read the file as it is now, apply `change` to its accounts, write them back."""
        with self._locked():
            with self._mutex:
                self._stamp = None  # read afresh: another process may have written a moment ago
            accounts = self.accounts()
            before = dict(accounts)
            change(accounts)
            if accounts != before:
                self._write(accounts)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            _private_dir(self.path.parent)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise self._os_error("cannot lock", exc) from None
        try:
            try:
                _keep_owner(fd, self.path)
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:
                raise self._os_error("cannot lock", exc) from None
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _write(self, accounts: dict[str, Account]) -> None:
        data = {"version": VERSION, "accounts": [asdict(accounts[k]) for k in sorted(accounts)]}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise self._os_error("cannot write", exc) from None
        try:
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o600)
                _keep_owner(f.fileno(), self.path)
                f.write(text.encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            _sync_dir(self.path.parent)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise self._os_error("cannot write", exc) from None
        except BaseException:
            _unlink_quietly(tmp)
            raise

    def _existing(self, accounts: dict[str, Account], key: str) -> Account:
        try:
            return accounts[key]
        except KeyError:
            raise AccountError(f"no account {key!r}") from None

    def _new_password(self, key: str, password: str | None) -> str:
        if password is None:
            return generate_password()
        check_password(password, key)
        return password

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _stamp_now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="seconds")

    def _os_error(self, what: str, exc: OSError) -> AccountFileError:
        return AccountFileError(f"{what} the accounts file {self.path}: {exc.strerror or exc}")


def _parse(path: Path, raw: bytes) -> dict[str, Account]:
    """The accounts in a file's bytes, or AccountFileError naming the file and the first problem."""
    def bad(problem: str) -> AccountFileError:
        return AccountFileError(f"{path}: {problem} (see docs/web.md, 'Desk accounts')")

    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(data, dict) or set(data) != {"version", "accounts"}:
        raise bad('not an accounts file: expected {"version": 1, "accounts": [...]}')
    if data["version"] != VERSION:
        raise bad(f"version {data['version']!r}: this arkaden reads version {VERSION}")
    if not isinstance(data["accounts"], list):
        raise bad("'accounts' is not a list")
    accounts: dict[str, Account] = {}
    for n, item in enumerate(data["accounts"], start=1):
        problem = _problem(item)
        if problem:
            raise bad(f"account {n}: {problem}")
        account = Account(**item)
        if account.name in accounts:
            raise bad(f"account {n}: {account.name!r} appears twice")
        accounts[account.name] = account
    return accounts


def _problem(item: Any) -> str | None:
    """What is wrong with one entry of the accounts list, or None."""
    if not isinstance(item, dict):
        return "not an object"
    if set(item) != set(FIELDS):
        missing = ", ".join(sorted(set(FIELDS) - set(item)))
        unknown = ", ".join(sorted(str(k) for k in set(item) - set(FIELDS)))
        return "; ".join(filter(None, [missing and f"missing {missing}", unknown and f"unknown {unknown}"]))
    for field in ("name", "agency", "password_hash", "changed_at"):
        if not isinstance(item[field], str):
            return f"{field!r} is not a string"
    if not isinstance(item["disabled"], bool):
        return "'disabled' is not true or false"
    if not NAME_PATTERN.fullmatch(item["name"]):
        return f"{item['name']!r} is not a login name"
    if not AGENCY_PATTERN.fullmatch(item["agency"]):
        return f"{item['agency']!r} is not an agency id"
    if not item["password_hash"].startswith("$argon2"):
        return f"the password of {item['name']!r} is not an argon2 hash"
    return None


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes with every write: a replaced file has a new inode, and times and size move too."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _private_dir(path: Path) -> None:
    """The file's directory, created 0700 when missing (an existing one is left as it is)."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # the umask can only take bits away


def _keep_owner(fd: int, path: Path) -> None:
    """Run as root (`sudo arkaden users …`), give a new file the owner of the file it replaces, or else of its
    directory, so the web server's own user can still read it."""
    if os.geteuid() != 0:
        return
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = os.stat(path.parent)
    os.fchown(fd, st.st_uid, st.st_gid)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
