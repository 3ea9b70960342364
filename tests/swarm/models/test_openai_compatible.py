"""OpenAI-compatible servers (llama.cpp, vLLM, Ollama, OpenRouter) and their
quirks, against a loopback server that behaves like them."""

from __future__ import annotations

import json

import pytest

from swarm.config import ModelSettings
from swarm.models.chat import ChatModel
from swarm.models.errors import ModelConfigError
from swarm.models.openai_compatible import COMPATIBLE, build
from swarm.models.secret import Secret
from swarm.protocols import ToolCall
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, TOOLS
from tests.swarm.models.loopback import Action, Received, Respond, replies, serve

pytestmark = pytest.mark.anyio


def llama_server(*actions: Action):
    """Like llama-server: no auth, the usual request checks."""
    queue = list(actions)

    def handler(received: Received) -> Action:
        return ow.invalid_request(received) or queue.pop(0)

    return handler


def settings(url: str, **extra) -> ModelSettings:
    return ModelSettings(provider="openai-compatible", model="qwen2.5-coder", base_url=url + "/v1",
                         max_attempts=2, timeout_s=20, **extra)


async def test_llama_cpp_tool_call_shape_is_accepted() -> None:
    # llama.cpp: content "" beside the calls, ids without the call_ prefix, finish_reason "stop".
    body = ow.completion("", ow.tool_call("Zk3pQ0", "rewrite_symbol", GOOD_ARGS), finish_reason="stop")
    async with serve(llama_server(Respond(200, body))) as server:
        async with ChatModel(build(settings(server.url), None), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.tool_calls == (ToolCall("Zk3pQ0", "rewrite_symbol", GOOD_ARGS),)
    assert completion.message.content == "" and completion.stop_reason == "tool_use"
    assert completion.provider == "openai-compatible"
    sent = server.received[0]
    assert "authorization" not in sent.headers
    assert sent.json()["max_tokens"] == 8192 and "max_completion_tokens" not in sent.json()


async def test_a_forced_tool_is_sent_as_required_with_only_that_tool() -> None:
    body = ow.completion("", ow.tool_call("x1", "read_symbol", {"symbol": "a"}))
    async with serve(llama_server(Respond(200, body))) as server:
        async with ChatModel(build(settings(server.url), None), role="symbol_agent") as m:
            await m.complete(CONVERSATION, tools=TOOLS, tool_choice="read_symbol")
    sent = server.received[0].json()
    assert sent["tool_choice"] == "required"
    assert [t["function"]["name"] for t in sent["tools"]] == ["read_symbol"]


async def test_missing_ids_and_object_arguments_are_tolerated() -> None:
    call = {"type": "function", "function": {"name": "rewrite_symbol", "arguments": GOOD_ARGS}}
    body = ow.completion(None, call)
    async with serve(llama_server(Respond(200, body))) as server:
        async with ChatModel(build(settings(server.url), None), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    (made,) = completion.message.tool_calls
    assert made.id.startswith("call_") and made.arguments == GOOD_ARGS


async def test_a_call_written_as_fenced_json_in_the_text_becomes_a_tool_call() -> None:
    text = 'I will fix it.\n```json\n{"name": "rewrite_symbol", "arguments": %s}\n```' % json.dumps(GOOD_ARGS)
    async with serve(llama_server(ow.ok(text))) as server:
        async with ChatModel(build(settings(server.url), None), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.content == "I will fix it."
    assert [(c.name, c.arguments) for c in completion.message.tool_calls] == [("rewrite_symbol", GOOD_ARGS)]
    assert completion.stop_reason == "tool_use"


async def test_a_server_without_usage_gives_unknown_cost_not_zero() -> None:
    async with serve(llama_server(ow.ok("hello", usage=False))) as server:
        async with ChatModel(build(settings(server.url), None), role="reviewer") as m:
            completion = await m.complete(CONVERSATION)
    assert completion.usage.cost_usd is None and completion.usage.total_tokens == 0


async def test_an_optional_key_is_sent_as_bearer_when_configured() -> None:
    key = Secret("or-key-0123456789abcdef0123", "OPENROUTER_API_KEY")
    async with serve(replies(ow.ok("hi"))) as server:
        async with ChatModel(build(settings(server.url), key), role="reviewer") as m:
            await m.complete(CONVERSATION)
    assert server.received[0].headers["authorization"] == "Bearer or-key-0123456789abcdef0123"
    assert server.received[0].path == "/v1/chat/completions"


async def test_streaming_through_a_compatible_server() -> None:
    body = ow.completion("", ow.tool_call("abc", "rewrite_symbol", GOOD_ARGS), finish_reason="tool_calls")
    async with serve(llama_server(ow.streamed(body))) as server:
        async with ChatModel(build(settings(server.url, stream=True), None), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.tool_calls == (ToolCall("abc", "rewrite_symbol", GOOD_ARGS),)


def test_base_url_is_required() -> None:
    with pytest.raises(ModelConfigError, match="needs base_url.*127.0.0.1:8080/v1"):
        build(ModelSettings(provider="openai-compatible", model="m"), None)


def test_the_dialect_switches_on_the_quirks() -> None:
    assert COMPATIBLE.max_tokens_field == "max_tokens"
    assert COMPATIBLE.force_by_filtering and COMPATIBLE.text_tool_calls


async def test_a_malformed_llama_cpp_call_is_repaired_with_valid_history() -> None:
    bad = ow.completion("", ow.tool_call("k1", "rewrite_symbol", '{"symbol": "x", "new_source": '))
    good = ow.completion("", ow.tool_call("k2", "rewrite_symbol", GOOD_ARGS))
    async with serve(llama_server(Respond(200, bad), Respond(200, good))) as server:
        async with ChatModel(build(settings(server.url), None), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.repairs == 1 and completion.message.tool_calls[0].id == "k2"
    history = server.received[1].json()["messages"]
    # The invalid arguments go back as {} (templates parse them), the raw text in the error.
    assert history[-2]["tool_calls"][0]["function"]["arguments"] == "{}"
    assert history[-1]["role"] == "tool" and history[-1]["tool_call_id"] == "k1"
    assert 'Your arguments were: {"symbol": "x", "new_source": ' in history[-1]["content"]
