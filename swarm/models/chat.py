"""`ChatModel`: the `Model` every provider is used through.

It owns what providers share: request checks, tool-call validation with one
repair round, pricing, the budget check before each call, and a
`CallRecord` for every call, failed ones included.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from swarm.models.backend import Backend, Reply, Request
from swarm.models.budget import SpendTracker
from swarm.models.errors import MalformedToolCall, ModelError, ModelRequestError, TruncatedToolCall
from swarm.models.jsonable import plain
from swarm.models.pricing import PriceTable
from swarm.models.repair import repair_messages
from swarm.models.validation import Problem, check_request, tool_call_problems
from swarm.protocols import (
    CallObserver,
    CallRecord,
    ChatMessage,
    Completion,
    ToolCall,
    ToolChoice,
    ToolSpec,
    Usage,
)

DEFAULT_MAX_TOKENS = 8192


class ChatModel:
    """A `Model` over one provider backend. Use it as an async context
    manager (or call `aclose`) to release its connections; views made with
    `for_agent` share them and need no closing."""

    def __init__(
        self,
        backend: Backend,
        *,
        role: str,
        agent: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        prices: PriceTable | None = None,
        tracker: SpendTracker | None = None,
        observers: Sequence[CallObserver] = (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.backend = backend
        self.role = role
        self.agent = agent
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.prices = prices or PriceTable()
        self.tracker = tracker
        self.observers = tuple(observers)
        self._clock = clock

    @property
    def name(self) -> str:
        return f"{self.backend.provider}:{self.backend.model}"

    def __repr__(self) -> str:
        who = f", agent={self.agent!r}" if self.agent else ""
        return f"ChatModel({self.name!r}, role={self.role!r}{who})"

    def for_agent(self, agent: str) -> ChatModel:
        return ChatModel(
            self.backend, role=self.role, agent=agent, temperature=self.temperature,
            max_tokens=self.max_tokens, prices=self.prices, tracker=self.tracker,
            observers=self.observers, clock=self._clock,
        )

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def __aenter__(self) -> ChatModel:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = "auto",
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        if not messages:
            raise ModelRequestError("complete() needs at least one message")
        if any(m.role == "tool" and not m.tool_call_id for m in messages):
            raise ModelRequestError("a tool message needs tool_call_id: the id of the call it answers")
        check_request(tools, tool_choice)
        request = Request(
            messages=tuple(messages),
            tools=tuple(tools),
            tool_choice=tool_choice,
            temperature=self.temperature if temperature is None else temperature,
            max_tokens=max_tokens or self.max_tokens or DEFAULT_MAX_TOKENS,
            role=self.role,
            agent=self.agent,
        )
        if self.tracker is not None:
            self.tracker.check()
        started_at, start = time.time(), self._clock()
        replies: list[Reply] = []
        try:
            completion = await self._complete(request, replies, start)
        except ModelError as exc:
            await self._record_failure(request, replies, exc, started_at, start)
            raise
        await self._record(request, completion, started_at)
        return completion

    async def _complete(self, request: Request, replies: list[Reply], start: float) -> Completion:
        reply = await self.backend.reply(request)
        replies.append(reply)
        problems = tool_call_problems(reply.tool_calls, request.tools, request.tool_choice)
        if problems:
            self._refuse_truncated(reply, problems, request.max_tokens)
            retry = Request(
                messages=repair_messages(request.messages, reply, problems),
                tools=request.tools, tool_choice=request.tool_choice,
                temperature=request.temperature, max_tokens=request.max_tokens,
                role=request.role, agent=request.agent,
            )
            reply = await self.backend.reply(retry)
            replies.append(reply)
            problems = tool_call_problems(reply.tool_calls, request.tools, request.tool_choice)
            if problems:
                self._refuse_truncated(reply, problems, request.max_tokens)
                raise self._malformed(problems)
        calls = tuple(ToolCall(c.id, c.name, c.arguments or {}) for c in reply.tool_calls)
        return Completion(
            message=ChatMessage("assistant", reply.text, tool_calls=calls),
            usage=self._usage(replies),
            model=reply.model or self.backend.model,
            provider=self.backend.provider,
            latency_s=self._clock() - start,
            stop_reason=reply.stop_reason,
            attempts=sum(r.attempts for r in replies),
            repairs=len(replies) - 1,
        )

    def _refuse_truncated(self, reply: Reply, problems: list[Problem], max_tokens: int) -> None:
        if reply.stop_reason != "max_tokens":
            return
        broken = [c for c in reply.tool_calls if c.arguments is None]
        if broken:
            raise TruncatedToolCall(
                f"{self.name}: the call to {broken[0].name} was cut off at max_tokens={max_tokens}; "
                "raise max_tokens, or ask for a smaller piece (e.g. one method instead of the class)",
                tool=broken[0].name,
            )

    def _malformed(self, problems: list[Problem]) -> MalformedToolCall:
        first = problems[0]
        what = f"call to {first.tool}" if first.tool else "reply"
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        return MalformedToolCall(
            f"{self.name}: invalid {what} even after a repair round: {first.message}{more}",
            tool=first.tool,
        )

    def _usage(self, replies: Sequence[Reply]) -> Usage:
        input_tokens = sum(r.input_tokens or 0 for r in replies)
        output_tokens = sum(r.output_tokens or 0 for r in replies)
        if not self.backend.priced:
            return Usage(input_tokens, output_tokens, 0.0)
        if any(r.input_tokens is None or r.output_tokens is None for r in replies):
            return Usage(input_tokens, output_tokens, None)
        cost = self.prices.cost(self.backend.model, input_tokens, output_tokens)
        if cost is None and replies and replies[-1].model:
            cost = self.prices.cost(replies[-1].model, input_tokens, output_tokens)
        return Usage(input_tokens, output_tokens, cost)

    async def _record(self, request: Request, completion: Completion, started_at: float) -> None:
        if self.tracker is not None:
            self.tracker.add(completion.usage)
        await self._notify(
            CallRecord(
                role=self.role, agent=self.agent, model=self.name, provider=self.backend.provider,
                input_tokens=completion.usage.input_tokens,
                output_tokens=completion.usage.output_tokens,
                cost_usd=completion.usage.cost_usd, latency_s=completion.latency_s,
                ok=True, error_kind=None, error=None, request_digest=request_digest(self.name, request),
                attempts=completion.attempts, repairs=completion.repairs,
                stop_reason=completion.stop_reason, reply=completion.message, started_at=started_at,
            )
        )

    async def _record_failure(
        self, request: Request, replies: list[Reply], exc: ModelError, started_at: float, start: float
    ) -> None:
        # Tokens a failed repair round consumed are spent all the same.
        usage = self._usage(replies) if replies else Usage(0, 0, 0.0)
        if self.tracker is not None and replies:
            self.tracker.add(usage)
        await self._notify(
            CallRecord(
                role=self.role, agent=self.agent, model=self.name, provider=self.backend.provider,
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                cost_usd=usage.cost_usd, latency_s=self._clock() - start,
                ok=False, error_kind=type(exc).__name__, error=str(exc),
                request_digest=request_digest(self.name, request),
                attempts=sum(r.attempts for r in replies), repairs=max(0, len(replies) - 1),
                stop_reason=replies[-1].stop_reason if replies else None,
                reply=None, started_at=started_at,
            )
        )

    async def _notify(self, record: CallRecord) -> None:
        for observer in self.observers:
            result = observer(record)
            if inspect.isawaitable(result):
                await result


def request_digest(model: str, request: Request) -> str:
    """sha256 of the request as the protocol sees it: same request, same
    digest, whatever the provider's wire format."""
    payload = {
        "model": model,
        "messages": [
            [m.role, m.content, [[c.id, c.name, plain(c.arguments)] for c in m.tool_calls], m.tool_call_id]
            for m in request.messages
        ],
        "tools": [[t.name, t.description, plain(t.parameters)] for t in request.tools],
        "tool_choice": request.tool_choice,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
