"""Retries of transient failures: exponential backoff with jitter, Retry-After
honoured, a bounded number of attempts, each attempt inside a deadline.

The primitives are anyio's, which on trio are trio's own cancel scopes; they
also let an asyncio host (pygls) call a model without a bridge.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import anyio

from swarm.models.errors import ProviderUnavailable

log = logging.getLogger("swarm.models")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`timeout_s` bounds one whole attempt; `idle_timeout_s` bounds the
    silence between two bytes of a streamed reply."""

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_retry_after_s: float = 120.0
    timeout_s: float = 600.0
    idle_timeout_s: float = 120.0


class Transient(Exception):
    """Raised inside an attempt for a failure worth retrying. Never escapes
    `retrying`: the last one becomes `ProviderUnavailable`."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def backoff_delay(
    attempt: int, policy: RetryPolicy, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    A server's Retry-After wins, plus up to 10% jitter so that many agents
    told the same instant do not return in lockstep; otherwise "equal
    jitter": uniform in [d/2, d] for d = base * 2^(attempt-1), capped.
    """
    if retry_after is not None:
        return retry_after + rng.uniform(0.0, 0.1 * retry_after)
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds from `retry-after-ms` (OpenAI) or `retry-after` (seconds or an
    HTTP date); None when absent or unreadable."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    describe: str,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    rng: random.Random | None = None,
) -> tuple[T, int]:
    """Run `attempt` until it returns; retry on `Transient` and on the attempt
    deadline. Returns (result, attempts made)."""
    rng = rng or random.Random()
    for number in range(1, policy.max_attempts + 1):
        try:
            with anyio.fail_after(policy.timeout_s):
                return await attempt(), number
        except TimeoutError:
            failure = Transient(f"no complete reply within {policy.timeout_s:g} s")
        except Transient as exc:
            failure = exc
        if number == policy.max_attempts:
            raise ProviderUnavailable(
                f"{describe}: gave up after {number} attempt{'s' * (number > 1)}; "
                f"last failure: {failure.reason}. Check that the provider is reachable, "
                "or raise max_attempts / timeout_s for this model in swarm.toml"
            )
        if failure.retry_after is not None and failure.retry_after > policy.max_retry_after_s:
            raise ProviderUnavailable(
                f"{describe}: {failure.reason}; the provider asks to retry after "
                f"{failure.retry_after:g} s, more than max_retry_after_s={policy.max_retry_after_s:g}. "
                "Wait and run again, or raise max_retry_after_s"
            )
        delay = backoff_delay(number, policy, failure.retry_after, rng)
        log.warning(
            "%s: %s; retry %d/%d in %.1f s",
            describe, failure.reason, number + 1, policy.max_attempts, delay,
        )
        await sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
