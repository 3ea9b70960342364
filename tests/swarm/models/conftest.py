"""Fixtures for provider tests: tools with real schemas, a fast retry policy,
and a sleep that records how long the code asked to wait."""

from __future__ import annotations

import pytest
import trio

from swarm.local_model.paths import LocalModelStatus, status
from swarm.models.retry import RetryPolicy
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent
from swarm.protocols import ChatMessage, ToolSpec

pytestmark = pytest.mark.anyio

# Looks like a real key so that any leak is unmistakable in a haystack.
KEY = "sk-ant-api03-LOOPBACK-9f8e7d6c5b4a3f2e1d0c-SECRET"

REWRITE = ToolSpec(
    name="rewrite_symbol",
    description="Replace the whole source of a symbol.",
    parameters={
        "type": "object",
        "properties": {
            "symbol": {"type": "string"},
            "new_source": {"type": "string", "minLength": 1},
            "mode": {"type": "string", "enum": ["replace", "insert"]},
        },
        "required": ["symbol", "new_source"],
        "additionalProperties": False,
    },
)
READ = ToolSpec(
    name="read_symbol",
    description="Read a symbol's source.",
    parameters={"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]},
)
TOOLS = (REWRITE, READ)
GOOD_ARGS = {"symbol": "shop/discounts.py::BulkDiscount.applies_to", "new_source": "def applies_to(self): ..."}

CONVERSATION = (
    ChatMessage("system", "You own one symbol."),
    ChatMessage("user", "Fix the threshold comparison."),
)


class SleepLog:
    """Stands in for anyio.sleep: remembers each delay, yields without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await trio.sleep(0)


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()


@pytest.fixture
def fast() -> RetryPolicy:
    return RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05, timeout_s=20.0, idle_timeout_s=20.0)


@pytest.fixture
def key() -> Secret:
    return Secret(KEY, "ANTHROPIC_API_KEY")


class Events:
    """An async iterator over given SSE events (a class, so a consumer that
    stops early leaves no half-run generator behind)."""

    def __init__(self, events: list[SseEvent]) -> None:
        self._events = list(events)

    def __aiter__(self) -> Events:
        return self

    async def __anext__(self) -> SseEvent:
        if not self._events:
            raise StopAsyncIteration
        return self._events.pop(0)


@pytest.fixture
def installed_model() -> LocalModelStatus:
    """The local model `scripts/setup test` installs (skipped, saying so, when it is not)."""
    current = status()
    if not current.ready:
        pytest.skip("local model not installed: run ./scripts/setup test (it installs the model and builds llama-server)")
    return current
