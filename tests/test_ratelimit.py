"""The sliding-window failure limiter behind the booking-code guard."""

from __future__ import annotations

from datetime import timedelta

from queue_core.ratelimit import FailureLimiter

from .engine_helpers import MORNING


def test_failure_limiter_blocks_after_the_limit_and_releases_as_failures_age() -> None:
    lim = FailureLimiter(3, timedelta(minutes=5))
    t = MORNING
    for i in range(3):
        assert not lim.blocked("k", t + timedelta(minutes=i))
        lim.failed("k", t + timedelta(minutes=i))
    now = t + timedelta(minutes=2)
    assert lim.blocked("k", now) and not lim.blocked("other", now)
    assert lim.retry_after("k", now) == timedelta(minutes=3)  # the first failure ages out at t+5
    assert not lim.blocked("k", t + timedelta(minutes=5))
    assert lim.retry_after("k", t + timedelta(minutes=5)) == timedelta(0)


def test_failure_limiter_forgets_failures_from_a_clock_that_went_back() -> None:
    lim = FailureLimiter(1, timedelta(minutes=5))
    lim.failed("k", MORNING)
    assert lim.blocked("k", MORNING)
    assert not lim.blocked("k", MORNING - timedelta(hours=1))
