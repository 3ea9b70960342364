"""The loopback servers speak the real wire formats: the official SDKs
(anthropic, openai) talk to them, and their requests pass our checks."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from tests.swarm.models import anthropic_wire as aw
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.loopback import Action, Received, Respond, serve

pytestmark = pytest.mark.anyio

TOOL_INPUT = {"symbol": "shop/discounts.py::BulkDiscount.applies_to", "lines": [1, 2]}


def checked(check: Any, action: Action) -> Any:
    """A handler that refuses what the real API would refuse, else answers `action`."""

    def handler(received: Received) -> Action:
        return check(received) or action

    return handler


async def test_anthropic_sdk_reads_our_message() -> None:
    body = aw.message(aw.text("Let me look."), aw.tool_use("toolu_01", "read_symbol", TOOL_INPUT))
    async with serve(checked(aw.invalid_request, Respond(200, body))) as server:
        async with anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.url, max_retries=0) as client:
            message = await client.messages.create(
                model="claude-opus-4-5", max_tokens=100,
                messages=[{"role": "user", "content": "Fix the bug."}],
                tools=[{"name": "read_symbol", "description": "Read", "input_schema": {"type": "object"}}],
            )
    assert message.content[0].type == "text" and message.content[0].text == "Let me look."
    assert message.content[1].type == "tool_use" and message.content[1].input == TOOL_INPUT
    assert message.stop_reason == "tool_use"
    assert message.usage.input_tokens == 100 and message.usage.output_tokens == 20
    # SDK 2.x sends the key as a bearer token; the API takes it as x-api-key too.
    assert server.received[0].headers["authorization"] == "Bearer sk-ant-test"


async def test_anthropic_sdk_assembles_our_stream() -> None:
    body = aw.message(aw.text("Here is the fix, in pieces."), aw.tool_use("toolu_02", "rewrite", TOOL_INPUT))
    async with serve(checked(aw.invalid_request, aw.streamed(body))) as server:
        async with anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.url, max_retries=0) as client:
            async with client.messages.stream(
                model="claude-opus-4-5", max_tokens=100,
                messages=[{"role": "user", "content": "Fix it."}],
            ) as stream:
                final = await stream.get_final_message()
    assert final.content[0].type == "text" and final.content[0].text == "Here is the fix, in pieces."
    assert final.content[1].type == "tool_use" and final.content[1].input == TOOL_INPUT
    assert final.stop_reason == "tool_use" and final.usage.output_tokens == 20


async def test_anthropic_sdk_sees_our_errors_and_our_checks() -> None:
    limited = aw.error(429, "rate_limit_error", "slow down", {"retry-after": "3"})
    async with serve(checked(aw.invalid_request, limited)) as server:
        async with anthropic.AsyncAnthropic(api_key="sk-ant-test", base_url=server.url, max_retries=0) as client:
            with pytest.raises(anthropic.RateLimitError, match="slow down"):
                await client.messages.create(
                    model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
                )
            with pytest.raises(anthropic.BadRequestError, match="roles must alternate"):
                await client.messages.create(
                    model="m", max_tokens=10,
                    messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
                )


async def test_openai_sdk_reads_our_completion() -> None:
    body = ow.completion("", ow.tool_call("call_1", "read_symbol", TOOL_INPUT))
    async with serve(checked(ow.invalid_request, Respond(200, body))) as server:
        async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.url + "/v1", max_retries=0) as client:
            result = await client.chat.completions.create(
                model="gpt-4.1", messages=[{"role": "user", "content": "Fix the bug."}],
                tools=[{"type": "function", "function": {"name": "read_symbol", "parameters": {"type": "object"}}}],
            )
    call = result.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "read_symbol"  # type: ignore[union-attr]
    assert call.function.arguments == '{"symbol": "shop/discounts.py::BulkDiscount.applies_to", "lines": [1, 2]}'  # type: ignore[union-attr]
    assert result.choices[0].finish_reason == "tool_calls"
    assert result.usage is not None and result.usage.prompt_tokens == 100
    assert server.received[0].headers["authorization"] == "Bearer sk-test"


# The SDK's stream leaves its async generators to the GC under trio
# (ENVIRONMENT.md): tolerated here, for the SDK only.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
async def test_openai_sdk_assembles_our_stream() -> None:
    body = ow.completion("Streaming text", ow.tool_call("call_2", "rewrite", TOOL_INPUT))
    async with serve(checked(ow.invalid_request, ow.streamed(body))) as server:
        async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.url + "/v1", max_retries=0) as client:
            async with client.chat.completions.stream(
                model="gpt-4.1", messages=[{"role": "user", "content": "go"}],
                stream_options={"include_usage": True},
            ) as stream:
                final = await stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Streaming text"
    assert message.tool_calls is not None
    assert message.tool_calls[0].function.arguments == body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.completion_tokens == 20


async def test_openai_sdk_sees_our_errors_and_our_checks() -> None:
    limited = ow.error(429, "Rate limit reached", "requests", "rate_limit_exceeded", {"retry-after-ms": "10"})
    async with serve(checked(ow.invalid_request, limited)) as server:
        async with openai.AsyncOpenAI(api_key="sk-test", base_url=server.url + "/v1", max_retries=0) as client:
            with pytest.raises(openai.RateLimitError, match="Rate limit reached"):
                await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            with pytest.raises(openai.BadRequestError, match="did not have response messages"):
                await client.chat.completions.create(
                    model="m",
                    messages=[
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": None, "tool_calls": [
                            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                        {"role": "user", "content": "and?"},
                    ],
                )
