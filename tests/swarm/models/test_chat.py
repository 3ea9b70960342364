"""ChatModel: validation and the repair round, accounting, budgets and call
records, driven by the scripted backend (deterministic, no network)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trio

from swarm.models.budget import Budget, SpendTracker
from swarm.models.chat import ChatModel, request_digest
from swarm.models.errors import (
    BudgetExceeded,
    MalformedToolCall,
    ModelRequestError,
    ScriptMismatch,
    TruncatedToolCall,
)
from swarm.models.scripted import ScriptedBackend, parse_script
from swarm.protocols import CallRecord, ChatMessage, ToolCall, ToolSpec
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, READ, REWRITE, TOOLS

pytestmark = pytest.mark.anyio


def scripted(*replies: dict[str, Any], **kwargs: Any) -> ChatModel:
    script = parse_script({"reply": list(replies)}, Path("test-script.toml"))
    return ChatModel(ScriptedBackend(script), role=kwargs.pop("role", "symbol_agent"), **kwargs)


def call(name: str = "rewrite_symbol", arguments: Any = None, **extra: Any) -> dict[str, Any]:
    if "arguments_json" in extra:
        return {"name": name, **extra}
    return {"name": name, "arguments": GOOD_ARGS if arguments is None else arguments, **extra}


async def test_a_valid_call_needs_no_repair() -> None:
    async with scripted({"tool_calls": [call(id="c1")]}) as m:
        completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.tool_calls == (ToolCall("c1", "rewrite_symbol", GOOD_ARGS),)
    assert completion.repairs == 0 and completion.provider == "scripted"
    assert completion.usage.cost_usd == 0.0  # a script costs nothing, and says so
    assert m.name == "scripted:test-script.toml"


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (call(arguments={"symbol": "x"}), "'new_source' is a required property"),
        (call(arguments={**GOOD_ARGS, "mode": "upsert"}), "'upsert' is not one of ['replace', 'insert']"),
        (call(arguments={**GOOD_ARGS, "symbol": 7}), "at $.symbol: 7 is not of type 'string'"),
        (call(arguments={**GOOD_ARGS, "extra": 1}), "Additional properties are not allowed"),
        (call(arguments_json='{"symbol": "x", "new_source": '), "not valid JSON"),
        (call(arguments_json='["a list"]'), "not a JSON object"),
        (call("write_file"), "there is no tool 'write_file'; the tools are: rewrite_symbol, read_symbol"),
    ],
)
async def test_one_repair_round_fixes_a_malformed_call(bad: dict[str, Any], error: str) -> None:
    seen: list[list[ChatMessage]] = []
    async with scripted({"turn": 1, "tool_calls": [bad]}, {"turn": 2, "tool_calls": [call()]}) as m:
        original = m.backend.reply

        async def spy(request):  # keep what the model was shown
            seen.append(list(request.messages))
            return await original(request)

        m.backend.reply = spy  # type: ignore[method-assign]
        completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.repairs == 1 and completion.message.tool_calls[0].arguments == GOOD_ARGS
    repair = seen[1]
    assert repair[: len(CONVERSATION)] == list(CONVERSATION)
    assert repair[-2].role == "assistant" and repair[-2].tool_calls[0].name == bad["name"]
    assert repair[-1].role == "tool" and repair[-1].tool_call_id == repair[-2].tool_calls[0].id
    assert error in repair[-1].content and "Nothing was executed" in repair[-1].content


async def test_a_second_malformed_call_fails_clearly() -> None:
    bad = call(arguments={"symbol": "x"})
    async with scripted({"turn": 1, "tool_calls": [bad]}, {"turn": 2, "tool_calls": [bad]}) as m:
        with pytest.raises(MalformedToolCall) as caught:
            await m.complete(CONVERSATION, tools=TOOLS)
    assert caught.value.tool == "rewrite_symbol"
    assert str(caught.value) == (
        "scripted:test-script.toml: invalid call to rewrite_symbol even after a repair round: "
        "at $: 'new_source' is a required property"
    )


async def test_good_calls_beside_a_bad_one_are_reported_not_run() -> None:
    seen: list[Any] = []
    replies = ({"turn": 1, "tool_calls": [call("read_symbol", {"symbol": "a"}, id="ok1"), call(arguments={}, id="bad1")]},
               {"turn": 2, "tool_calls": [call()]})
    async with scripted(*replies) as m:
        original = m.backend.reply

        async def spy(request):
            seen.append(request.messages)
            return await original(request)

        m.backend.reply = spy  # type: ignore[method-assign]
        await m.complete(CONVERSATION, tools=TOOLS)
    results = {msg.tool_call_id: msg.content for msg in seen[1] if msg.role == "tool"}
    assert results["ok1"].startswith("Not executed: another tool call in the same reply was invalid")
    assert "Error in your call to rewrite_symbol" in results["bad1"]


async def test_required_tool_choice_repairs_a_text_only_reply() -> None:
    seen: list[Any] = []
    async with scripted({"turn": 1, "text": "I think it is fine."}, {"turn": 2, "tool_calls": [call()]}) as m:
        original = m.backend.reply

        async def spy(request):
            seen.append(request.messages)
            return await original(request)

        m.backend.reply = spy  # type: ignore[method-assign]
        completion = await m.complete(CONVERSATION, tools=TOOLS, tool_choice="required")
    assert completion.repairs == 1
    assert seen[1][-1] == ChatMessage("user", "Your reply was not usable: you must call one of these tools: "
                                              "rewrite_symbol, read_symbol.")


async def test_a_forced_tool_must_be_the_one_called() -> None:
    async with scripted({"turn": 1, "tool_calls": [call("read_symbol", {"symbol": "a"})]},
                        {"turn": 2, "tool_calls": [call("read_symbol", {"symbol": "b"})]}) as m:
        with pytest.raises(MalformedToolCall, match="only the tool rewrite_symbol may be called now"):
            await m.complete(CONVERSATION, tools=TOOLS, tool_choice="rewrite_symbol")


async def test_tool_choice_none_refuses_calls() -> None:
    async with scripted({"turn": 1, "tool_calls": [call()]}, {"turn": 2, "text": "In words, then."}) as m:
        completion = await m.complete(CONVERSATION, tools=TOOLS, tool_choice="none")
    assert completion.message.content == "In words, then." and completion.repairs == 1


async def test_a_call_cut_off_by_max_tokens_is_not_repaired() -> None:
    cut = {"turn": 1, "stop_reason": "max_tokens", "tool_calls": [call(arguments_json='{"symbol": "a", "new_so')]}
    async with scripted(cut) as m:
        with pytest.raises(TruncatedToolCall, match="cut off at max_tokens=64; raise max_tokens"):
            await m.complete(CONVERSATION, tools=TOOLS, max_tokens=64)


@pytest.mark.parametrize(
    ("tools", "choice", "message"),
    [
        ((), "required", 'tool_choice="required" needs at least one tool'),
        (TOOLS, "write_file", "neither auto/required/none nor an offered tool (rewrite_symbol, read_symbol)"),
        ((REWRITE, REWRITE), "auto", "two tools share a name"),
        ((ToolSpec("auto", "", {"type": "object"}),), "auto", "may not be named 'auto'"),
        ((ToolSpec("t", "", {"type": "objekt"}),), "auto", "tool 't' has an invalid JSON schema"),
    ],
)
async def test_impossible_requests_are_refused_before_sending(tools, choice, message) -> None:
    async with scripted({"text": "never played"}) as m:
        with pytest.raises(ModelRequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
            await m.complete(CONVERSATION, tools=tools, tool_choice=choice)
        with pytest.raises(ModelRequestError, match="at least one message"):
            await m.complete([])
        with pytest.raises(ModelRequestError, match="a tool message needs tool_call_id"):
            await m.complete([*CONVERSATION, ChatMessage("tool", "result")])


async def test_every_call_is_recorded_with_role_agent_tokens_and_digest() -> None:
    records: list[CallRecord] = []
    replies = ({"agent": "a.py::f", "text": "one", "usage": {"input_tokens": 10, "output_tokens": 2}},
               {"agent": "a.py::f", "tool_calls": [call(arguments={})]},
               {"agent": "a.py::f", "tool_calls": [call(arguments={})]})
    async with scripted(*replies, observers=[records.append]) as m:
        agent = m.for_agent("a.py::f")
        await agent.complete(CONVERSATION)
        with pytest.raises(MalformedToolCall):
            await agent.complete(CONVERSATION, tools=TOOLS)
    ok, failed = records
    assert (ok.role, ok.agent, ok.ok, ok.input_tokens, ok.output_tokens) == ("symbol_agent", "a.py::f", True, 10, 2)
    assert ok.reply == ChatMessage("assistant", "one") and ok.error is None and ok.cost_usd == 0.0
    assert ok.model == "scripted:test-script.toml" and ok.provider == "scripted" and len(ok.request_digest) == 64
    assert (failed.ok, failed.error_kind, failed.repairs, failed.reply) == (False, "MalformedToolCall", 1, None)
    assert failed.output_tokens > 0  # the tokens of a failed repair are spent all the same
    assert "invalid call to rewrite_symbol" in (failed.error or "")


async def test_async_observers_are_awaited() -> None:
    seen: list[str] = []

    async def slow_log(record: CallRecord) -> None:
        await trio.sleep(0)
        seen.append(record.reply.content if record.reply else "")

    async with scripted({"text": "hello"}, observers=[slow_log]) as m:
        await m.complete(CONVERSATION)
    assert seen == ["hello"]


async def test_script_errors_are_recorded_as_failures_too() -> None:
    records: list[CallRecord] = []
    async with scripted({"role": "reviewer", "text": "x"}, observers=[records.append]) as m:
        with pytest.raises(ScriptMismatch):
            await m.complete(CONVERSATION)
    assert records[0].error_kind == "ScriptMismatch" and records[0].attempts == 0


async def test_the_budget_is_checked_before_each_call_and_charged_after() -> None:
    tracker = SpendTracker(Budget(steps=2))
    replies = [{"text": f"reply {i}", "usage": {"input_tokens": 100, "output_tokens": 10}} for i in range(3)]
    async with scripted(*replies, tracker=tracker) as m:
        await m.complete(CONVERSATION)
        await m.for_agent("b").complete(CONVERSATION)
        with pytest.raises(BudgetExceeded, match="budget exhausted: steps used 2 of 2") as caught:
            await m.complete(CONVERSATION)
    assert caught.value.limit == "steps"
    assert tracker.spend.steps == 2 and tracker.spend.tokens == 220 and tracker.spend.cost_usd == 0.0


async def test_defaults_from_settings_apply_unless_the_call_overrides() -> None:
    seen: list[Any] = []
    async with scripted({"text": "a", "repeat": True}, temperature=0.3, max_tokens=500) as m:
        original = m.backend.reply

        async def spy(request):
            seen.append((request.temperature, request.max_tokens))
            return await original(request)

        m.backend.reply = spy  # type: ignore[method-assign]
        await m.complete(CONVERSATION)
        await m.complete(CONVERSATION, temperature=0.0, max_tokens=50)
    assert seen == [(0.3, 500), (0.0, 50)]


def test_request_digest_depends_on_content_not_identity() -> None:
    from swarm.models.backend import Request

    one = Request(CONVERSATION, (READ,), "auto", None, 100, "r", None)
    same = Request(tuple(ChatMessage(m.role, m.content) for m in CONVERSATION), (READ,), "auto", None, 100, "r", "x")
    other = Request(CONVERSATION, (READ,), "required", None, 100, "r", None)
    assert request_digest("m", one) == request_digest("m", same) != request_digest("m", other)
    assert request_digest("m", one) != request_digest("n", one)


def test_repr_names_the_model_and_role() -> None:
    m = scripted({"text": "x"}).for_agent("src/lib.rs::Ledger::transfer")
    assert repr(m) == "ChatModel('scripted:test-script.toml', role='symbol_agent', agent='src/lib.rs::Ledger::transfer')"
