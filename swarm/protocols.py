"""The swarm's protocols, in one place so the architecture fits on one screen.

Each protocol has several implementations, one file each (a provider under
`swarm/models/`, ...). The data that crosses a protocol is declared beside it
as frozen dataclasses. Nothing here does I/O; importing it is free.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from swarm.bus import Bus
    from swarm.messages import Message

# --------------------------------------------------------------------------
# Models: one protocol for every provider (swarm/models/, docs: README
# "Models and configuration").

Role = Literal["system", "user", "assistant", "tool"]

# "auto" lets the model choose, "required" demands some tool call, "none"
# forbids them; any other string is the name of the one tool it must call.
ToolChoice = str

# Normalised from every provider's own vocabulary (Anthropic `stop_reason`,
# OpenAI `finish_reason`): callers never parse provider strings.
StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refused", "other"]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool offered to the model; `parameters` is a JSON schema of an object."""

    name: str
    description: str
    parameters: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call the model asked for; `arguments` were validated against the schema."""

    id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a conversation.

    `tool_calls` only on assistant messages; `tool_call_id` only on tool
    messages (the result of the call with that id).
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one call (repair round included) and its price.

    `cost_usd` is None when the model is not in the price table: unknown is
    not free.
    """

    input_tokens: int
    output_tokens: int
    cost_usd: float | None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    """The model's reply and what it took to get it.

    `attempts` counts HTTP attempts (retries included); `repairs` is 1 when
    the reply needed the repair round for a malformed tool call.
    """

    message: ChatMessage
    usage: Usage
    model: str
    provider: str
    latency_s: float
    stop_reason: StopReason
    attempts: int
    repairs: int = 0


class Model(Protocol):
    """A chat model with native tool calling.

    `name` reads `provider:model` (e.g. `anthropic:claude-sonnet-4-5`,
    `scripted:demo.toml`) and goes into logs and predictions.
    """

    @property
    def name(self) -> str: ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """One reply. Raises `swarm.models.ModelError` subclasses only."""
        ...

    def for_agent(self, agent: str) -> Model:
        """The same model (same connection pool, budget and observers) with
        its calls attributed to `agent`, a bus address such as a symbol id."""
        ...


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What the run log keeps of one `complete` call, failed ones included.

    Never holds an API key. `request_digest` is a sha256 of the request as
    the protocol sees it (messages, tools, options), so identical requests
    are recognisable without storing them; `reply` is the model's message.
    """

    role: str
    agent: str | None
    model: str
    provider: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    ok: bool
    error_kind: str | None
    error: str | None
    request_digest: str
    attempts: int
    repairs: int
    stop_reason: StopReason | None
    reply: ChatMessage | None
    started_at: float


class CallObserver(Protocol):
    """Receives every `CallRecord` (the run log is one); may be async."""

    def __call__(self, record: CallRecord) -> Awaitable[None] | None: ...


# --------------------------------------------------------------------------
# Agents: participants of the message bus (swarm/bus.py). Messages and their
# kinds are declared in swarm/messages.py.


class Agent(Protocol):
    """A participant the bus serves one message at a time, in arrival order.

    `address` is a role (`coordinator`, `proxy-user`, `harness`, `human`) or
    the id of the symbol the agent owns. `handle` may send messages through
    `bus`; it should not wait for the reply to its own request (the reply
    comes as a later message), or two agents asking each other would wait
    forever.
    """

    @property
    def address(self) -> str: ...

    async def handle(self, message: Message, bus: Bus) -> None: ...
