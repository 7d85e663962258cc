"""The desk's login safety in memory: sessions with idle and absolute expiry, their CSRF tokens, and login limits.

Nothing here is persisted: a restarted server forgets every session (counsellors log in again) and every
counted failure. Every time is passed in (`now`, timezone-aware), so tests and the server agree on the clock.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from .accounts import NAME_PATTERN, normalise_name

LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_ADDRESS = 20
LOGIN_WINDOW = timedelta(minutes=15)
MAX_KEYS = 100_000
UNKNOWN_NAME = "\0unknown"  # the one key for every name that cannot be an account (bounded, never a login name)


class FailureLimiter:
    """At most `limit` failures per key within a sliding `window`; then the key is blocked until the oldest of
    them is older than the window. Memory stays bounded: a key keeps its last `limit` failure times, keys whose
    last failure is older than the window are pruned, and past `max_keys` the longest-quiet keys go first."""

    def __init__(self, limit: int, window: timedelta, max_keys: int = MAX_KEYS):
        if limit < 1 or window <= timedelta(0) or max_keys < 1:
            raise ValueError("a FailureLimiter needs limit >= 1, a positive window and max_keys >= 1")
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._failures: dict[str, deque[datetime]] = {}  # in order of each key's last failure
        self._lock = threading.Lock()

    def blocked(self, key: str, now: datetime) -> bool:
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return False
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._failures[key]
            return len(times) >= self.limit

    def failed(self, key: str, now: datetime) -> None:
        with self._lock:
            times = self._failures.pop(key, None) or deque(maxlen=self.limit)
            times.append(now)
            self._failures[key] = times  # to the end: the most recent
            self._prune(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)

    def _prune(self, now: datetime) -> None:
        """Drop quiet keys from the front (the oldest last failure first), and any beyond max_keys."""
        while self._failures:
            oldest = next(iter(self._failures))
            if len(self._failures) <= self.max_keys and self._failures[oldest][-1] > now - self.window:
                break
            del self._failures[oldest]


class LoginGuard:
    """Two limiters: failures per account name (a guessed password) and per client address (many names tried).

    A success forgets the name's failures only: the address keeps its count until the window passes, so one
    good login does not reset a spray of guesses at other names from the same address."""

    def __init__(self, per_account: int = LOGIN_FAILURES_PER_ACCOUNT, per_address: int = LOGIN_FAILURES_PER_ADDRESS,
                 window: timedelta = LOGIN_WINDOW):
        self.accounts = FailureLimiter(per_account, window)
        self.addresses = FailureLimiter(per_address, window)

    def blocked(self, name: str, address: str, now: datetime) -> bool:
        return self.accounts.blocked(_name_key(name), now) or self.addresses.blocked(_address_key(address), now)

    def failed(self, name: str, address: str, now: datetime) -> None:
        self.accounts.failed(_name_key(name), now)
        self.addresses.failed(_address_key(address), now)

    def succeeded(self, name: str, address: str) -> None:
        self.accounts.succeeded(_name_key(name))


def _name_key(name: str) -> str:
    """The name as the accounts file keys it; anything that cannot be a login name shares one key, so made-up
    names neither fill memory nor escape the limit."""
    key = normalise_name(name)
    return key if NAME_PATTERN.fullmatch(key) else UNKNOWN_NAME


def _address_key(address: str) -> str:
    return address[:64]  # an IPv6 address with a zone fits; a longer "address" is not one a client can choose


@dataclass
class Session:
    id: str
    account: str
    csrf: str
    created: datetime
    seen: datetime
    counter: str | None = None


class Sessions:
    """The logged-in desks, by session id. A session ends after `idle` without a request, or `absolute` after
    its login, whichever comes first; ids and CSRF tokens are 32 random bytes each (secrets.token_urlsafe)."""

    def __init__(self, idle: timedelta = timedelta(minutes=60), absolute: timedelta = timedelta(hours=12)):
        self.idle, self.absolute = idle, absolute
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, account: str, now: datetime) -> Session:
        session = Session(secrets.token_urlsafe(32), account, secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._prune(now)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None, now: datetime) -> Session | None:
        """The session, its `seen` set to `now`; None for no id, an unknown one, or one that has expired."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session.seen = now
            return session

    def peek(self, session_id: str, now: datetime) -> Session | None:
        """Like `get`, but not a request of the user: `seen` stays (a page redrawn by the server is no activity)."""
        with self._lock:
            session = self._sessions.get(session_id)
            return None if session is None or self._expired(session, now) else session

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._sessions

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def drop_account(self, account: str) -> int:
        """End every session of an account (disabled, or its password reset); how many there were."""
        with self._lock:
            ids = [sid for sid, s in self._sessions.items() if s.account == account]
            for sid in ids:
                del self._sessions[sid]
            return len(ids)

    def prune(self, now: datetime) -> int:
        """Forget expired sessions (create does this too); how many went."""
        with self._lock:
            return self._prune(now)

    def __len__(self) -> int:
        return len(self._sessions)

    def _expired(self, session: Session, now: datetime) -> bool:
        return now - session.seen >= self.idle or now - session.created >= self.absolute

    def _prune(self, now: datetime) -> int:
        gone = [sid for sid, s in self._sessions.items() if self._expired(s, now)]
        for sid in gone:
            del self._sessions[sid]
        return len(gone)


def csrf_ok(session: Session, token: str | None) -> bool:
    """Whether a form's token is the session's, compared in constant time; no token, or any other, is not."""
    if not token:
        return False
    return hmac.compare_digest(session.csrf.encode("utf-8"), token.encode("utf-8", "surrogatepass"))
