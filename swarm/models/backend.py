"""The one thing each provider implements: turn a request into one raw reply.

Everything providers have in common (tool-call validation, the repair round,
pricing, budgets, recording) lives once in `chat.ChatModel`, above this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from swarm.protocols import ChatMessage, StopReason, ToolChoice, ToolSpec


@dataclass(frozen=True, slots=True)
class Request:
    """One call as a provider sees it. `role` and `agent` say who is asking
    (the scripted model matches on them; HTTP providers ignore them)."""

    messages: tuple[ChatMessage, ...]
    tools: tuple[ToolSpec, ...]
    tool_choice: ToolChoice
    temperature: float | None
    max_tokens: int
    role: str
    agent: str | None


@dataclass(frozen=True, slots=True)
class RawToolCall:
    """A tool call as the provider returned it. `arguments` is None when they
    could not be read as a JSON object; `error` then says why and `raw` holds
    the text."""

    id: str
    name: str
    arguments: Mapping[str, Any] | None
    error: str | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One raw reply. Token counts are None when the provider did not report
    them (some OpenAI-compatible servers)."""

    text: str
    tool_calls: tuple[RawToolCall, ...]
    stop_reason: StopReason
    input_tokens: int | None
    output_tokens: int | None
    model: str
    attempts: int


class Backend(Protocol):
    """A provider endpoint. `provider` and `model` make the model's name
    (`provider:model`); `priced` is False for backends that cost nothing
    (scripted), whose calls are then costed at 0 instead of looked up."""

    @property
    def provider(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def priced(self) -> bool: ...

    async def reply(self, request: Request) -> Reply: ...

    async def aclose(self) -> None: ...
