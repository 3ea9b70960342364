"""The OpenAI provider against a loopback server speaking Chat Completions."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from swarm.models.backend import Request
from swarm.models.chat import ChatModel
from swarm.models.errors import MalformedResponse, ProviderError, ProviderUnavailable
from swarm.models.openai import OPENAI, OpenAIBackend, assemble_stream, decode_completion, encode_request
from swarm.models.retry import RetryPolicy, Transient
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent
from swarm.protocols import ChatMessage, ToolCall
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, KEY, REWRITE, TOOLS, Events, SleepLog
from tests.swarm.models.loopback import Action, Received, Respond, Stream, serve

pytestmark = pytest.mark.anyio


def strict(*actions: Action) -> Any:
    queue = list(actions)

    def handler(received: Received) -> Action:
        if received.headers.get("authorization") != f"Bearer {KEY}":
            return ow.error(401, "Incorrect API key provided", code="invalid_api_key")
        refused = ow.invalid_request(received)
        if refused is not None:
            return refused
        return queue.pop(0) if queue else Respond(500, {"error": {"message": "no more replies"}})

    return handler


def model(url: str, policy: RetryPolicy, *, key: Secret | None = None, stream: bool = False,
          sleeps: SleepLog | None = None) -> ChatModel:
    key = key or Secret(KEY, "OPENAI_API_KEY")
    backend = OpenAIBackend(model="gpt-4.1", key=key, base_url=url + "/v1", policy=policy, stream=stream)
    if sleeps is not None:
        backend.endpoint.sleep = sleeps
    return ChatModel(backend, role="coordinator")


def request(*messages: ChatMessage, tool_choice: str = "auto") -> Request:
    return Request(tuple(messages), TOOLS, tool_choice, 0.0, 512, "coordinator", None)


async def test_text_reply_with_usage_and_cost(fast) -> None:
    async with serve(strict(ow.ok("Looks right to me.", prompt_tokens=1000, completion_tokens=100))) as server:
        async with model(server.url, fast) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message == ChatMessage("assistant", "Looks right to me.")
    assert completion.provider == "openai" and completion.model == ow.MODEL
    # gpt-4.1 lists at $2 / $8 per million tokens; the dated snapshot costs the same.
    assert completion.usage.cost_usd == pytest.approx((1000 * 2 + 100 * 8) / 1e6)
    body = server.received[0].json()
    assert body["messages"] == [{"role": "system", "content": "You own one symbol."},
                                {"role": "user", "content": "Fix the threshold comparison."}]
    assert body["max_completion_tokens"] == 8192 and "max_tokens" not in body


async def test_tool_calls_are_decoded_and_validated(fast) -> None:
    reply = ow.ok(None, ow.tool_call("call_abc", "rewrite_symbol", GOOD_ARGS))
    async with serve(strict(reply)) as server:
        async with model(server.url, fast) as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS, tool_choice="rewrite_symbol")
    assert completion.message.tool_calls == (ToolCall("call_abc", "rewrite_symbol", GOOD_ARGS),)
    assert completion.message.content == "" and completion.stop_reason == "tool_use"
    body = server.received[0].json()
    assert body["tool_choice"] == {"type": "function", "function": {"name": "rewrite_symbol"}}
    assert [t["function"]["name"] for t in body["tools"]] == ["rewrite_symbol", "read_symbol"]
    assert body["tools"][0]["function"]["parameters"] == dict(REWRITE.parameters)


def test_history_encodes_tool_calls_as_json_strings_and_tool_results() -> None:
    history = (
        ChatMessage("user", "go"),
        ChatMessage("assistant", "", tool_calls=(ToolCall("c1", "read_symbol", {"symbol": "a"}),)),
        ChatMessage("tool", "source", tool_call_id="c1"),
    )
    body = encode_request(request(*history, tool_choice="none"), "gpt-4.1", OPENAI, stream=True)
    assert body["messages"][1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "read_symbol", "arguments": '{"symbol": "a"}'}}]}
    assert body["messages"][2] == {"role": "tool", "tool_call_id": "c1", "content": "source"}
    assert body["tool_choice"] == "none" and body["temperature"] == 0.0
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    received = Received("POST", "/v1/chat/completions", {}, json.dumps(body).encode())
    assert ow.request_problems(received) == []


async def test_streamed_reply_assembles_content_tool_calls_and_usage(fast) -> None:
    body = ow.completion("Calling the tool.", ow.tool_call("call_s", "rewrite_symbol", GOOD_ARGS),
                         completion_tokens=33)
    async with serve(strict(ow.streamed(body))) as server:
        async with model(server.url, fast, stream=True) as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.content == "Calling the tool."
    assert completion.message.tool_calls == (ToolCall("call_s", "rewrite_symbol", GOOD_ARGS),)
    assert completion.usage.output_tokens == 33 and completion.usage.cost_usd is not None


async def test_a_stream_cut_before_done_is_retried(fast, sleeps) -> None:
    events = ow.stream_chunks(ow.completion("a rather long streamed answer"))
    async with serve(strict(Stream(events, break_after=3), Stream(events))) as server:
        async with model(server.url, fast, stream=True, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == "a rather long streamed answer" and completion.attempts == 2


async def test_an_error_chunk_in_a_stream_is_final_unless_transient(fast, sleeps) -> None:
    error = [(None, json.dumps({"error": {"message": "context length exceeded", "code": "context_length_exceeded"}}))]
    busy = [(None, json.dumps({"error": {"message": "server busy", "code": "server_error"}}))]
    async with serve(strict(Stream(busy), Stream(error))) as server:
        async with model(server.url, fast, stream=True, sleeps=sleeps) as m:
            with pytest.raises(ProviderError, match="context length exceeded"):
                await m.complete(CONVERSATION)
    assert len(server.received) == 2


async def test_429_honours_retry_after_ms(fast, sleeps) -> None:
    limited = ow.error(429, "Rate limit reached for gpt-4.1", "requests", "rate_limit_exceeded",
                       {"retry-after-ms": "2500", "retry-after": "3"})
    async with serve(strict(limited, ow.ok("done"))) as server:
        async with model(server.url, fast, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.attempts == 2 and 2.5 <= sleeps.delays[0] <= 2.75


async def test_retries_give_up_with_the_last_failure(fast, sleeps) -> None:
    async with serve(strict(*[ow.error(502, "Bad gateway", "server_error")] * 3)) as server:
        async with model(server.url, fast, sleeps=sleeps) as m:
            with pytest.raises(ProviderUnavailable, match="gave up after 3 attempts; last failure: HTTP 502"):
                await m.complete(CONVERSATION)
    # Backoff grows: each wait within [d/2, d] of base * 2^(n-1), capped.
    assert len(sleeps.delays) == 2 and 0.005 <= sleeps.delays[0] <= 0.01 and 0.01 <= sleeps.delays[1] <= 0.02


async def test_wrong_key_is_final_and_the_key_never_shows(fast, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sk-proj-WRONG-0123456789abcdefghijklmnopqrstuv"
    async with serve(strict()) as server:
        async with model(server.url, fast, key=Secret(wrong, "OPENAI_API_KEY")) as m:
            with pytest.raises(ProviderError, match="HTTP 401.*Incorrect API key.*api_key_env") as caught:
                await m.complete(CONVERSATION)
    assert wrong not in str(caught.value) and wrong not in caplog.text and len(server.received) == 1


async def test_404_says_to_check_the_model_and_base_url(fast) -> None:
    async with serve(strict(ow.error(404, "The model `gpt-9` does not exist", code="model_not_found"))) as server:
        async with model(server.url, fast) as m:
            with pytest.raises(ProviderError, match="does not exist.*check the model name and base_url"):
                await m.complete(CONVERSATION)


async def test_refusal_becomes_text_with_a_refused_stop(fast) -> None:
    body = ow.completion(None, finish_reason="content_filter")
    body["choices"][0]["message"]["refusal"] = "I can't help with that."
    async with serve(strict(Respond(200, body))) as server:
        async with model(server.url, fast) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == "I can't help with that." and completion.stop_reason == "refused"


async def test_a_body_without_choices_is_malformed(fast) -> None:
    async with serve(strict(Respond(200, {"object": "list", "data": []}))) as server:
        async with model(server.url, fast) as m:
            with pytest.raises(MalformedResponse, match="not a chat completion"):
                await m.complete(CONVERSATION)


async def test_many_agents_share_one_model_concurrently(fast) -> None:
    import trio

    from tests.swarm.models.loopback import Respond as Answer

    def echo_agent(received: Received) -> Action:
        question = received.json()["messages"][-1]["content"]
        return Answer(200, ow.completion(f"answer to {question}", prompt_tokens=10, completion_tokens=2))

    records = []
    async with serve(echo_agent) as server:
        async with model(server.url, fast) as shared:
            shared.observers = (records.append,)
            answers: dict[str, str] = {}

            async def agent(n: int) -> None:
                own = shared.for_agent(f"mod.py::f{n}")
                completion = await own.complete([ChatMessage("user", f"q{n}")])
                answers[own.agent or ""] = completion.message.content

            for wave in (range(12), range(12, 24)):
                async with trio.open_nursery() as nursery:
                    for n in wave:
                        nursery.start_soon(agent, n)
    assert answers == {f"mod.py::f{n}": f"answer to q{n}" for n in range(24)}
    assert sorted(r.agent for r in records) == sorted(f"mod.py::f{n}" for n in range(24))
    assert server.connections <= 12  # the second wave reused the first wave's pooled connections


def chunks(*items: Any) -> Events:
    return Events([SseEvent("message", item if isinstance(item, str) else json.dumps(item)) for item in items])


def piece(**delta: Any) -> dict[str, Any]:
    return {"model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


async def test_interleaved_tool_call_fragments_are_joined_by_index() -> None:
    body = await assemble_stream(chunks(
        piece(role="assistant", content=None),
        piece(tool_calls=[{"index": 0, "id": "a", "type": "function", "function": {"name": "read_symbol", "arguments": ""}}]),
        piece(tool_calls=[{"index": 1, "id": "b", "type": "function", "function": {"name": "read_symbol", "arguments": '{"sy'}}]),
        piece(tool_calls=[{"index": 0, "function": {"name": "read_symbol", "arguments": '{"symbol": "x"}'}}]),
        piece(tool_calls=[{"index": 1, "function": {"arguments": 'mbol": "y"}'}}]),
        {"model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        "[DONE]",
    ))
    reply = decode_completion(body, OPENAI, request(*CONVERSATION), attempts=1)
    assert [(c.id, c.name, c.arguments) for c in reply.tool_calls] == [
        ("a", "read_symbol", {"symbol": "x"}), ("b", "read_symbol", {"symbol": "y"})]
    assert reply.input_tokens is None  # no usage chunk: unknown, not zero


async def test_a_stream_without_done_is_complete_if_it_finished() -> None:
    body = await assemble_stream(chunks(piece(content="hi"),
                                        {"model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}))
    assert decode_completion(body, OPENAI, request(*CONVERSATION), attempts=1).text == "hi"
    with pytest.raises(Transient, match="ended before \\[DONE\\]"):
        await assemble_stream(chunks(piece(content="hi")))
    with pytest.raises(MalformedResponse, match="stream chunk is not JSON"):
        await assemble_stream(chunks("{oops"))


def test_odd_completion_shapes() -> None:
    bad_call = {"choices": [{"message": {"role": "assistant", "tool_calls": [{"type": "custom"}]}}]}
    with pytest.raises(MalformedResponse, match="tool call 0 is not a function call"):
        decode_completion(bad_call, OPENAI, request(*CONVERSATION), attempts=1)
    with pytest.raises(MalformedResponse, match="chat completion without a message"):
        decode_completion({"choices": [{"delta": {}}]}, OPENAI, request(*CONVERSATION), attempts=1)
    parts = {"choices": [{"message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
                          "finish_reason": "weird"}]}
    reply = decode_completion(parts, OPENAI, request(*CONVERSATION), attempts=1)
    assert reply.text == '[{"type": "text", "text": "x"}]' and reply.stop_reason == "other"


def test_text_tool_calls_are_only_read_for_compatible_servers() -> None:
    text = '```json\n{"name": "read_symbol", "arguments": {"symbol": "a"}}\n```'
    body = ow.completion(text)
    assert decode_completion(body, OPENAI, request(*CONVERSATION), attempts=1).tool_calls == ()
