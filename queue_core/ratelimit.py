"""A per-device limit on failed attempts in a sliding window (booking codes guessed at a kiosk)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class FailureLimiter:
    """At most `limit` failures per key within `window`; a key over the limit is blocked until old ones age out.

    The caller passes the time, so the core's (possibly simulated) clock drives it and tests need no sleep.
    """

    def __init__(self, limit: int, window: timedelta):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and (now - times[0] >= self.window or times[0] > now):
            times.popleft()  # aged out (or from a clock that went back)
        if not times:
            del self._failures[key]
        return times

    def blocked(self, key: str, now: datetime) -> bool:
        return len(self._recent(key, now)) >= self.limit

    def retry_after(self, key: str, now: datetime) -> timedelta:
        """How long until the key may try again (zero when it may now)."""
        times = self._recent(key, now)
        if len(times) < self.limit:
            return timedelta(0)
        return times[len(times) - self.limit] + self.window - now

    def failed(self, key: str, now: datetime) -> None:
        times = self._recent(key, now)
        self._failures[key] = times
        times.append(now)
        if len(times) > self.limit:
            times.popleft()
