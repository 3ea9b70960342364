"""The Anthropic provider against a loopback server speaking the Messages API."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from swarm.models.anthropic import AnthropicBackend, assemble_stream, decode_message, encode_request
from swarm.models.backend import Request
from swarm.models.chat import ChatModel
from swarm.models.errors import MalformedResponse, ProviderError, ProviderUnavailable
from swarm.models.retry import RetryPolicy, Transient
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent
from swarm.protocols import ChatMessage, ToolCall
from tests.swarm.models import anthropic_wire as aw
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, KEY, READ, REWRITE, TOOLS, Events, SleepLog
from tests.swarm.models.loopback import Action, Drop, Hang, Received, Respond, Stream, serve

pytestmark = pytest.mark.anyio


def strict(*actions: Action) -> Any:
    """Answers like the real API: refuses invalid requests, else plays `actions`."""
    queue = list(actions)

    def handler(received: Received) -> Action:
        refused = aw.invalid_request(received)
        if refused is not None:
            return refused
        return queue.pop(0) if queue else Respond(500, {"error": {"message": "no more replies"}})

    return handler


def model(url: str, key: Secret | None, policy: RetryPolicy, *, stream: bool = False,
          sleeps: SleepLog | None = None) -> ChatModel:
    backend = AnthropicBackend(model="claude-opus-4-5", key=key, base_url=url, policy=policy, stream=stream)
    if sleeps is not None:
        backend.endpoint.sleep = sleeps
    return ChatModel(backend, role="symbol_agent")


def request(*messages: ChatMessage, tools: tuple = (), tool_choice: str = "auto") -> Request:
    return Request(tuple(messages), tools, tool_choice, None, 1024, "symbol_agent", None)


async def test_text_reply_with_usage_cost_and_headers(fast, key) -> None:
    async with serve(strict(aw.ok(aw.text("The comparison should be >=."), input_tokens=1200, output_tokens=80))) as server:
        async with model(server.url, key, fast) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message == ChatMessage("assistant", "The comparison should be >=.")
    assert completion.stop_reason == "end_turn"
    assert completion.provider == "anthropic" and completion.model == aw.MODEL
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (1200, 80)
    # claude-opus-4-5 lists at $5 / $25 per million tokens.
    assert completion.usage.cost_usd == pytest.approx((1200 * 5 + 80 * 25) / 1e6)
    assert completion.attempts == 1 and completion.repairs == 0
    sent = server.received[0]
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    body = sent.json()
    assert body["system"] == "You own one symbol."
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Fix the threshold comparison."}]}]
    assert body["max_tokens"] == 8192 and "tools" not in body and "stream" not in body


async def test_tool_use_reply_is_validated_and_returned(fast, key) -> None:
    reply = aw.ok(aw.text("Rewriting."), aw.tool_use("toolu_01", "rewrite_symbol", GOOD_ARGS))
    async with serve(strict(reply)) as server:
        async with model(server.url, key, fast) as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS, tool_choice="required", temperature=0.2)
    assert completion.message.tool_calls == (ToolCall("toolu_01", "rewrite_symbol", GOOD_ARGS),)
    assert completion.message.content == "Rewriting."
    assert completion.stop_reason == "tool_use"
    body = server.received[0].json()
    assert body["tool_choice"] == {"type": "any"}
    assert body["temperature"] == 0.2
    assert body["tools"][0] == {"name": "rewrite_symbol", "description": REWRITE.description,
                                "input_schema": dict(REWRITE.parameters)}


def test_tool_choice_modes_map_to_the_messages_api() -> None:
    for choice, wire in (("auto", {"type": "auto"}), ("required", {"type": "any"}),
                         ("none", {"type": "none"}), ("read_symbol", {"type": "tool", "name": "read_symbol"})):
        body = encode_request(request(*CONVERSATION, tools=TOOLS, tool_choice=choice), "m", stream=False)
        assert body["tool_choice"] == wire


def test_history_with_tool_calls_becomes_alternating_block_turns() -> None:
    history = (
        ChatMessage("system", "sys one"),
        ChatMessage("user", "Fix it."),
        ChatMessage("assistant", "", tool_calls=(ToolCall("t1", "read_symbol", {"symbol": "a"}),
                                                 ToolCall("t2", "read_symbol", {"symbol": "b"}))),
        ChatMessage("tool", "source of a", tool_call_id="t1"),
        ChatMessage("tool", "source of b", tool_call_id="t2"),
        ChatMessage("user", "Now rewrite."),
        ChatMessage("system", "sys two"),
        ChatMessage("assistant", "Done."),
        ChatMessage("user", ""),
    )
    body = encode_request(request(*history, tools=TOOLS), "m", stream=True)
    assert body["system"] == "sys one\n\nsys two"
    assert body["stream"] is True
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Fix it."}]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "t1", "name": "read_symbol", "input": {"symbol": "a"}},
            {"type": "tool_use", "id": "t2", "name": "read_symbol", "input": {"symbol": "b"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "source of a"},
            {"type": "tool_result", "tool_use_id": "t2", "content": "source of b"},
            {"type": "text", "text": "Now rewrite."},
        ]},
        {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
    ]
    assert aw.request_problems(Received("POST", "/v1/messages", {"anthropic-version": "2023-06-01",
                                        "content-type": "application/json"}, json.dumps(body).encode())) == []


async def test_streamed_reply_assembles_text_and_tool_input(fast, key) -> None:
    body = aw.message(aw.text("I will rewrite the method now."),
                      aw.tool_use("toolu_9", "rewrite_symbol", GOOD_ARGS), output_tokens=57)
    async with serve(strict(aw.streamed(body))) as server:
        async with model(server.url, key, fast, stream=True) as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.content == "I will rewrite the method now."
    assert completion.message.tool_calls == (ToolCall("toolu_9", "rewrite_symbol", GOOD_ARGS),)
    assert completion.usage.output_tokens == 57 and completion.usage.input_tokens == 100
    assert completion.stop_reason == "tool_use"
    assert server.received[0].json()["stream"] is True


async def test_a_stream_that_breaks_is_retried_whole(fast, key, sleeps) -> None:
    body = aw.message(aw.text("A long answer that will be cut in the middle of its stream."))
    events = aw.stream_events(body)
    async with serve(strict(Stream(events, break_after=4), Stream(events))) as server:
        async with model(server.url, key, fast, stream=True, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == body["content"][0]["text"]
    assert completion.attempts == 2 and len(server.received) == 2 and len(sleeps.delays) == 1


async def test_overloaded_error_event_inside_a_stream_is_retried(fast, key, sleeps) -> None:
    overloaded = [("message_start", json.dumps({"type": "message_start", "message": aw.message()})),
                  ("error", json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))]
    body = aw.message(aw.text("fine now"))
    async with serve(strict(Stream(overloaded), aw.streamed(body))) as server:
        async with model(server.url, key, fast, stream=True, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == "fine now" and completion.attempts == 2


async def test_an_invalid_request_error_inside_a_stream_is_final(fast, key) -> None:
    events = [("error", json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}))]
    async with serve(strict(Stream(events))) as server:
        async with model(server.url, key, fast, stream=True) as m:
            with pytest.raises(ProviderError, match="invalid_request_error: bad"):
                await m.complete(CONVERSATION)
    assert len(server.received) == 1


async def test_429_honours_retry_after(fast, key, sleeps) -> None:
    limited = aw.error(429, "rate_limit_error", "Number of requests has exceeded your rate limit", {"retry-after": "7"})
    async with serve(strict(limited, aw.ok(aw.text("ok")))) as server:
        async with model(server.url, key, fast, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.attempts == 2 and len(server.received) == 2
    # Retry-After wins over the (tiny) backoff, with at most 10% jitter on top.
    assert len(sleeps.delays) == 1 and 7.0 <= sleeps.delays[0] <= 7.7


async def test_overloaded_529_and_500_are_retried_then_given_up(fast, key, sleeps, caplog) -> None:
    caplog.set_level(logging.WARNING, "swarm.models")
    failures = [aw.error(529, "overloaded_error", "Overloaded"), aw.error(500, "api_error", "Internal"),
                aw.error(503, "api_error", "Unavailable")]
    async with serve(strict(*failures)) as server:
        async with model(server.url, key, fast, sleeps=sleeps) as m:
            with pytest.raises(ProviderUnavailable, match=r"gave up after 3 attempts; last failure: HTTP 503"):
                await m.complete(CONVERSATION)
    assert len(server.received) == 3 and len(sleeps.delays) == 2
    assert "HTTP 529: overloaded_error: Overloaded; retry 2/3" in caplog.text


async def test_a_retry_after_beyond_the_limit_fails_at_once(key, sleeps) -> None:
    policy = RetryPolicy(max_attempts=5, max_retry_after_s=60)
    limited = aw.error(429, "rate_limit_error", "daily limit", {"retry-after": "3600"})
    async with serve(strict(limited)) as server:
        async with model(server.url, key, policy, sleeps=sleeps) as m:
            with pytest.raises(ProviderUnavailable, match="retry after 3600 s, more than max_retry_after_s=60"):
                await m.complete(CONVERSATION)
    assert len(server.received) == 1 and sleeps.delays == []


async def test_a_provider_that_hangs_times_out_and_is_retried(key, sleeps) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay_s=0.01, timeout_s=0.5)
    async with serve(strict(Hang(), Hang())) as server:
        async with model(server.url, key, policy, sleeps=sleeps) as m:
            with pytest.raises(ProviderUnavailable, match=r"gave up after 2 attempts; last failure: (timed out|no complete reply within 0.5 s)"):
                await m.complete(CONVERSATION)
    assert len(server.received) == 2


async def test_a_dropped_connection_is_retried(fast, key, sleeps) -> None:
    async with serve(strict(Drop(), aw.ok(aw.text("back")))) as server:
        async with model(server.url, key, fast, sleeps=sleeps) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == "back" and completion.attempts == 2


async def test_connection_refused_is_retried_then_reported(fast, key, sleeps) -> None:
    async with serve(strict()) as server:
        url = server.url
    # The server is gone: nothing listens on that port any more.
    async with model(url, key, fast, sleeps=sleeps) as m:
        with pytest.raises(ProviderUnavailable, match="ConnectError"):
            await m.complete(CONVERSATION)
    assert len(sleeps.delays) == 2


async def test_401_is_final_says_what_to_do_and_never_shows_the_key(fast, key, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    def echo_key(received: Received) -> Action:
        # A hostile or careless server that echoes the credential back.
        return aw.error(401, "authentication_error", f"invalid x-api-key: {received.headers['x-api-key']}")

    async with serve(echo_key) as server:
        async with model(server.url, key, fast) as m:
            with pytest.raises(ProviderError) as caught:
                await m.complete(CONVERSATION)
    assert caught.value.status == 401
    assert "check the variable named by api_key_env" in str(caught.value)
    assert "[redacted]" in str(caught.value)
    assert KEY not in str(caught.value) and KEY[:20] not in str(caught.value)
    assert KEY not in caplog.text and KEY not in repr(m) and KEY not in repr(m.backend)


async def test_a_2xx_that_is_not_json_is_a_clear_error(fast, key) -> None:
    async with serve(strict(Respond(200, b"<html>proxy login</html>", {"content-type": "text/html"}))) as server:
        async with model(server.url, key, fast) as m:
            with pytest.raises(MalformedResponse, match="body is not JSON.*proxy login.*base_url"):
                await m.complete(CONVERSATION)


async def test_a_2xx_that_is_not_a_message_is_a_clear_error(fast, key) -> None:
    async with serve(strict(Respond(200, {"type": "completion", "completion": "hi"}))) as server:
        async with model(server.url, key, fast) as m:
            with pytest.raises(MalformedResponse, match="anthropic:claude-opus-4-5: not an Anthropic message"):
                await m.complete(CONVERSATION)


async def test_cache_tokens_count_as_input_and_unknown_blocks_are_skipped(fast, key) -> None:
    body = aw.message({"type": "thinking", "thinking": "hmm", "signature": "x"}, aw.text("answer"))
    body["usage"].update(cache_creation_input_tokens=30, cache_read_input_tokens=70)
    async with serve(strict(Respond(200, body))) as server:
        async with model(server.url, key, fast) as m:
            completion = await m.complete(CONVERSATION)
    assert completion.message.content == "answer"
    assert completion.usage.input_tokens == 200


async def test_repair_round_goes_over_the_wire_as_tool_results(fast, key) -> None:
    bad = aw.ok(aw.tool_use("toolu_1", "rewrite_symbol", {"symbol": "x"}))
    good = aw.ok(aw.tool_use("toolu_2", "rewrite_symbol", GOOD_ARGS), input_tokens=300, output_tokens=40)
    async with serve(strict(bad, good)) as server:
        async with model(server.url, key, fast) as m:
            completion = await m.complete(CONVERSATION, tools=(REWRITE, READ))
    assert completion.repairs == 1 and completion.attempts == 2
    assert completion.usage.input_tokens == 400 and completion.usage.output_tokens == 60
    second = server.received[1].json()["messages"]
    assert second[-2]["content"][0]["type"] == "tool_use"
    result = second[-1]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_1"
    assert "'new_source' is a required property" in result["content"]


def events(*items: tuple[str, dict]) -> Events:
    return Events([SseEvent(name, json.dumps(data)) for name, data in items])


def start(**usage: int) -> tuple[str, dict]:
    return "message_start", {"type": "message_start", "message": {**aw.message(), "content": [],
                                                                   "usage": {"input_tokens": 5, **usage}}}


def block(index: int, content_block: dict) -> tuple[str, dict]:
    return "content_block_start", {"type": "content_block_start", "index": index, "content_block": content_block}


def delta(index: int, **d: Any) -> tuple[str, dict]:
    return "content_block_delta", {"type": "content_block_delta", "index": index, "delta": d}


def stop(index: int) -> tuple[str, dict]:
    return "content_block_stop", {"type": "content_block_stop", "index": index}


END = ("message_stop", {"type": "message_stop"})


async def test_assemble_ignores_pings_and_thinking_and_keeps_usage_updates() -> None:
    body = await assemble_stream(events(
        ("ping", {"type": "ping"}), start(), ("ping", {"type": "ping"}),
        block(0, {"type": "thinking", "thinking": ""}), delta(0, type="thinking_delta", thinking="hmm"), stop(0),
        block(1, {"type": "text", "text": ""}), delta(1, type="text_delta", text="Hi "),
        delta(1, type="text_delta", text="there"), stop(1),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 9, "input_tokens": None}}),
        END,
    ))
    reply = decode_message(body, attempts=1)
    assert reply.text == "Hi there" and reply.stop_reason == "end_turn"
    assert (reply.input_tokens, reply.output_tokens) == (5, 9)


async def test_a_tool_input_that_does_not_parse_becomes_a_repairable_call() -> None:
    body = await assemble_stream(events(
        start(), block(0, {"type": "tool_use", "id": "t1", "name": "rewrite_symbol", "input": {}}),
        delta(0, type="input_json_delta", partial_json='{"symbol": "a", "new_sou'), stop(0),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 64}}),
        END,
    ))
    (call,) = decode_message(body, attempts=1).tool_calls
    assert call.arguments is None and call.raw == '{"symbol": "a", "new_sou'
    assert call.error is not None and call.error.startswith("the arguments are not valid JSON")


async def test_an_empty_tool_input_is_an_empty_object() -> None:
    body = await assemble_stream(events(
        start(), block(0, {"type": "tool_use", "id": "t1", "name": "list", "input": {}}), stop(0), END))
    assert decode_message(body, attempts=1).tool_calls[0].arguments == {}


async def test_broken_streams_are_transient_or_malformed() -> None:
    with pytest.raises(Transient, match="ended before message_stop"):
        await assemble_stream(events(start(), block(0, {"type": "text", "text": ""})))
    with pytest.raises(MalformedResponse, match="delta for unknown content block 3"):
        await assemble_stream(events(start(), delta(3, type="text_delta", text="x")))

    with pytest.raises(MalformedResponse, match="stream event 'message_start' is not JSON"):
        await assemble_stream(Events([SseEvent("message_start", "{not json")]))


async def test_a_malformed_body_echoing_the_key_is_redacted(fast, key) -> None:
    async with serve(lambda r: Respond(200, {"oops": r.headers["x-api-key"]})) as server:
        async with model(server.url, key, fast) as m:
            with pytest.raises(MalformedResponse) as caught:
                await m.complete(CONVERSATION)
    assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)


def test_the_backend_shows_where_it_points_never_the_key(key) -> None:
    backend = AnthropicBackend(model="claude-opus-4-5", key=key, base_url="http://127.0.0.1:1")
    assert repr(backend) == "AnthropicBackend(anthropic:claude-opus-4-5 at http://127.0.0.1:1)"
    assert backend.auth_headers("k") == {"x-api-key": "k"}
    bearer = AnthropicBackend(model="m", key=key, base_url="http://127.0.0.1:1", bearer=True)
    assert bearer.auth_headers("k") == {"x-api-key": "k", "authorization": "Bearer k"}


async def test_a_streamed_malformed_call_is_repaired_over_a_second_stream(fast, key) -> None:
    bad = aw.message(aw.tool_use("toolu_a", "rewrite_symbol", {"symbol": "only"}))
    good = aw.message(aw.tool_use("toolu_b", "rewrite_symbol", GOOD_ARGS))
    async with serve(strict(aw.streamed(bad), aw.streamed(good))) as server:
        async with model(server.url, key, fast, stream=True) as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS, tool_choice="rewrite_symbol")
    assert completion.repairs == 1 and completion.message.tool_calls[0].id == "toolu_b"
    assert server.received[1].json()["tool_choice"] == {"type": "tool", "name": "rewrite_symbol"}
    assert server.connections == 1  # both streams were read to the end: the connection was reused


async def test_retry_after_as_an_http_date_is_honoured(fast, key, sleeps) -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    async with serve(strict(aw.error(503, "overloaded_error", "busy", {"retry-after": when}), aw.ok(aw.text("ok")))) as server:
        async with model(server.url, key, fast, sleeps=sleeps) as m:
            await m.complete(CONVERSATION)
    assert 25 <= sleeps.delays[0] <= 33
