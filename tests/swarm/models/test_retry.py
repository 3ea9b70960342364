"""Backoff, Retry-After parsing and the retry loop."""

from __future__ import annotations

import email.utils
import random

import pytest
import trio

from swarm.models.errors import ProviderUnavailable
from swarm.models.retry import RetryPolicy, Transient, backoff_delay, parse_retry_after, retrying
from tests.swarm.models.conftest import SleepLog

pytestmark = pytest.mark.anyio


def test_backoff_doubles_with_equal_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(7)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (9, 8.0)):
        delays = [backoff_delay(attempt, policy, None, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not constant


def test_retry_after_wins_with_at_most_ten_percent_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(1, RetryPolicy(), 20.0, rng) for _ in range(100)]
    assert all(20.0 <= d <= 22.0 for d in delays) and len(set(delays)) > 1


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "12"}) == 12.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "soon", "retry-after": "9"}) == 9.0
    assert parse_retry_after({"retry-after": "-3"}) == 0.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"retry-after": "whenever"}) is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(30.0)


async def test_transient_failures_are_retried_until_success() -> None:
    sleeps, calls = SleepLog(), []

    async def attempt() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Transient("HTTP 503: busy")
        return "done"

    result = await retrying(attempt, RetryPolicy(max_attempts=4, base_delay_s=0.5), describe="m", sleep=sleeps)
    assert result == ("done", 3) and len(sleeps.delays) == 2


async def test_an_attempt_over_its_deadline_counts_as_transient() -> None:
    sleeps = SleepLog()

    async def attempt() -> str:
        await trio.sleep(60)
        return "late"

    with pytest.raises(ProviderUnavailable, match=r"gave up after 2 attempts; last failure: no complete reply within 0.05 s"):
        await retrying(attempt, RetryPolicy(max_attempts=2, timeout_s=0.05), describe="anthropic:x", sleep=sleeps)
    assert len(sleeps.delays) == 1


async def test_other_errors_are_not_retried() -> None:
    calls = []

    async def attempt() -> str:
        calls.append(1)
        raise ValueError("a bug, not a hiccup")

    with pytest.raises(ValueError):
        await retrying(attempt, RetryPolicy(), describe="m", sleep=SleepLog())
    assert len(calls) == 1


async def test_a_single_attempt_policy_reports_one_attempt() -> None:
    async def attempt() -> str:
        raise Transient("HTTP 500: oops")

    with pytest.raises(ProviderUnavailable, match="gave up after 1 attempt; last failure: HTTP 500: oops"):
        await retrying(attempt, RetryPolicy(max_attempts=1), describe="m", sleep=SleepLog())


async def test_real_sleep_waits_at_least_the_retry_after() -> None:
    calls: list[float] = []

    async def attempt() -> str:
        calls.append(trio.current_time())
        if len(calls) == 1:
            raise Transient("HTTP 429", retry_after=0.05)
        return "ok"

    await retrying(attempt, RetryPolicy(), describe="m")
    assert calls[1] - calls[0] >= 0.05
