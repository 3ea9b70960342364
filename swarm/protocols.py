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
    from editor_harness.pipeline import CheckReport
    from editor_harness.testrun import TestRun
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


# --------------------------------------------------------------------------
# Proxy user: stands in for the human and decides on every proposal from its
# evidence (swarm/proxy/, one file per policy; README "Proxy user").


@dataclass(frozen=True, slots=True)
class Outstanding:
    """Work a final acceptance leaves undone: a symbol whose latest proposal
    was rejected (`kind` "rejected"), or whose task ended in a give_up
    ("gave_up"); `reason` is the rejection's or the agent's."""

    symbol_id: str
    kind: str
    reason: str

    def describe(self) -> str:
        what = "latest proposal rejected" if self.kind == "rejected" else "gave up"
        return f"{self.symbol_id} ({what}: {self.reason})"

    def to_json(self) -> dict[str, str]:
        return {"symbol_id": self.symbol_id, "kind": self.kind, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outstanding:
        return cls(str(data["symbol_id"]), str(data["kind"]), str(data.get("reason", "")))


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A proposal and its proof, as the proxy user sees it.

    `final=True` asks for the overall acceptance of the run's whole patch:
    then `symbol_id` and `new_source` are "", `diff` is the whole patch and
    `report` the final checks. The reproduction runs are the repro test on
    the base (`reproduction_before`) and with this rewrite / the whole patch
    applied (`reproduction_after`). `attempt` is 1 + the number of earlier
    rejections of this agent's proposals.

    `tests_before` (optional, an addition to the contract) holds the
    selected tests' outcomes on the accepted state this rewrite starts from:
    what "passed before" means. Without it only the report's own
    `regressions` count, and the pipeline computes those against the last
    run of each test, which may have been a rejected attempt's.

    `outstanding` (final requests) lists the symbols whose latest proposal
    stands rejected and the tasks that ended in give_up: what the patch
    under acceptance does not hold.
    """

    run_id: str
    proposal_id: str
    issue: str
    symbol_id: str
    diff: str
    rationale: str
    report: CheckReport
    final: bool = False
    reproduction_before: TestRun | None = None
    reproduction_after: TestRun | None = None
    attempt: int = 1
    new_source: str = ""
    tests_before: TestRun | None = None
    outstanding: tuple[Outstanding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "proposal_id": self.proposal_id,
            "issue": self.issue,
            "symbol_id": self.symbol_id,
            "diff": self.diff,
            "rationale": self.rationale,
            "report": self.report.to_json(),
            "final": self.final,
            "reproduction_before": self.reproduction_before.to_json() if self.reproduction_before else None,
            "reproduction_after": self.reproduction_after.to_json() if self.reproduction_after else None,
            "attempt": self.attempt,
            "new_source": self.new_source,
            "tests_before": self.tests_before.to_json() if self.tests_before else None,
            "outstanding": [o.to_json() for o in self.outstanding],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApprovalRequest:
        # Imported here: the harness pulls in trio and tree-sitter, and
        # importing the protocols must stay free.
        from editor_harness.pipeline import CheckReport
        from editor_harness.testrun import TestRun

        before, after, tests = data.get("reproduction_before"), data.get("reproduction_after"), data.get("tests_before")
        return cls(
            run_id=data["run_id"],
            proposal_id=data["proposal_id"],
            issue=data["issue"],
            symbol_id=data["symbol_id"],
            diff=data["diff"],
            rationale=data["rationale"],
            report=CheckReport.from_json(dict(data["report"])),
            final=bool(data.get("final", False)),
            reproduction_before=TestRun.from_json(dict(before)) if before else None,
            reproduction_after=TestRun.from_json(dict(after)) if after else None,
            attempt=int(data.get("attempt", 1)),
            new_source=data.get("new_source", ""),
            tests_before=TestRun.from_json(dict(tests)) if tests else None,
            outstanding=tuple(Outstanding.from_json(o) for o in data.get("outstanding") or ()),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The proxy user's decision. `reason` is never empty; a rejection's
    names the failed rule or concern. `policy` says who decided: "auto",
    "llm:<model name>", "human", "editor", "replay:<run id>"."""

    approved: bool
    reason: str
    policy: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("a Verdict needs a reason: say which rule or concern decided it")

    def to_json(self) -> dict[str, Any]:
        return {"approved": self.approved, "reason": self.reason, "policy": self.policy}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(bool(data["approved"]), str(data["reason"]), str(data["policy"]))


class ProxyUser(Protocol):
    """Approves or rejects one proposal on its evidence. Only approved
    rewrites enter the workspace."""

    @property
    def name(self) -> str:
        """The policy string a Verdict carries (see `Verdict.policy`)."""
        ...

    async def decide(self, request: ApprovalRequest) -> Verdict: ...
