"""Per-call overhead of the model layer, on a loopback server.

Same server, same replies, same process; what differs is the client:
  raw      httpx POST + JSON decode, nothing else (the floor: baseline);
           streamed: httpx lines, each `data:` JSON-decoded
  ours     ChatModel over our Anthropic / OpenAI providers (request build,
           retries machinery, schema validation of the tool call, pricing,
           call record)
  sdk      the official SDKs (anthropic, openai) with retries off
Plain and streamed replies (a tool call of ~4 KB of source, streamed as the
APIs do in small fragments). Prints one JSON line: milliseconds per call
(median of rounds) and ratios to the raw baseline and between ours and SDKs.

    python -m bench.models [--calls 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
import httpx
import openai
import trio

from swarm.models.anthropic import AnthropicBackend
from swarm.models.chat import ChatModel
from swarm.models.openai import OpenAIBackend
from swarm.models.secret import Secret
from swarm.protocols import ChatMessage, ToolSpec
from tests.swarm.models import anthropic_wire as aw
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.loopback import Received, Respond, serve

SOURCE = "def applies_to(self, quantity):\n" + "    # keep the threshold inclusive\n" * 120 + "    return quantity >= self.threshold\n"
ARGS = {"symbol": "shop/discounts.py::BulkDiscount.applies_to", "new_source": SOURCE}
TOOL = ToolSpec("rewrite_symbol", "Replace a symbol's source.", {
    "type": "object",
    "properties": {"symbol": {"type": "string"}, "new_source": {"type": "string"}},
    "required": ["symbol", "new_source"],
})
MESSAGES = [ChatMessage("system", "You own one symbol."), ChatMessage("user", "Fix the threshold comparison.")]
WIRE_MESSAGES = [{"role": "user", "content": "Fix the threshold comparison."}]

ANTHROPIC_BODY = aw.message(aw.text("Rewriting."), aw.tool_use("toolu_1", "rewrite_symbol", ARGS))
OPENAI_BODY = ow.completion("Rewriting.", ow.tool_call("call_1", "rewrite_symbol", ARGS))
ANTHROPIC_STREAM = aw.streamed(ANTHROPIC_BODY)
OPENAI_STREAM = ow.streamed(OPENAI_BODY)


def handler(received: Received) -> Any:
    streamed = b'"stream": true' in received.body or b'"stream":true' in received.body
    if received.path.endswith("/messages"):
        return ANTHROPIC_STREAM if streamed else Respond(200, ANTHROPIC_BODY)
    return OPENAI_STREAM if streamed else Respond(200, OPENAI_BODY)


async def timed(calls: int, one: Callable[[], Awaitable[Any]]) -> float:
    await one()  # warm: connection open, validators compiled
    start = time.perf_counter()
    for _ in range(calls):
        await one()
    return (time.perf_counter() - start) / calls * 1000


async def run(calls: int, rounds: int) -> dict[str, Any]:
    results: dict[str, list[float]] = {}
    key = Secret("sk-bench-0123456789abcdefghijklmnop", "BENCH_KEY")
    async with serve(handler) as server:
        async with (
            httpx.AsyncClient(base_url=server.url) as raw,
            ChatModel(AnthropicBackend(model="claude-opus-4-5", key=key, base_url=server.url), role="r") as ours_a,
            ChatModel(AnthropicBackend(model="claude-opus-4-5", key=key, base_url=server.url, stream=True),
                      role="r") as ours_a_stream,
            ChatModel(OpenAIBackend(model="gpt-4.1", key=key, base_url=server.url + "/v1"), role="r") as ours_o,
            ChatModel(OpenAIBackend(model="gpt-4.1", key=key, base_url=server.url + "/v1", stream=True),
                      role="r") as ours_o_stream,
            anthropic.AsyncAnthropic(api_key=key.reveal(), base_url=server.url, max_retries=0) as sdk_a,
            openai.AsyncOpenAI(api_key=key.reveal(), base_url=server.url + "/v1", max_retries=0) as sdk_o,
        ):
            tools_a = [{"name": TOOL.name, "description": TOOL.description, "input_schema": dict(TOOL.parameters)}]
            tools_o: Any = [{"type": "function", "function": {"name": TOOL.name, "description": TOOL.description,
                                                               "parameters": dict(TOOL.parameters)}}]

            anthropic_body = {"model": "claude-opus-4-5", "max_tokens": 8192, "messages": WIRE_MESSAGES,
                              "tools": tools_a}
            openai_body = {"model": "gpt-4.1", "messages": WIRE_MESSAGES, "tools": tools_o}
            auth = {"x-api-key": key.reveal(), "authorization": f"Bearer {key.reveal()}"}

            def raw_call(path: str, body: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
                async def call() -> Any:
                    return (await raw.post(path, json=body, headers=auth)).json()

                return call

            def raw_stream(path: str, body: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
                async def call() -> Any:
                    async with raw.stream("POST", path, json={**body, "stream": True}, headers=auth) as r:
                        return [json.loads(line[6:]) async for line in r.aiter_lines()
                                if line.startswith("data: {")]

                return call

            async def sdk_a_stream() -> Any:
                async with sdk_a.messages.stream(model="claude-opus-4-5", max_tokens=8192,
                                                 messages=WIRE_MESSAGES, tools=tools_a) as s:  # type: ignore[arg-type]
                    return await s.get_final_message()

            async def sdk_o_stream() -> Any:
                async with sdk_o.chat.completions.stream(model="gpt-4.1", messages=WIRE_MESSAGES,  # type: ignore[arg-type]
                                                         tools=tools_o) as s:
                    return await s.get_final_completion()

            cases: dict[str, Callable[[], Awaitable[Any]]] = {
                "raw_anthropic": raw_call("v1/messages", anthropic_body),
                "raw_openai": raw_call("v1/chat/completions", openai_body),
                "ours_anthropic": lambda: ours_a.complete(MESSAGES, tools=[TOOL]),
                "sdk_anthropic": lambda: sdk_a.messages.create(
                    model="claude-opus-4-5", max_tokens=8192, messages=WIRE_MESSAGES, tools=tools_a),  # type: ignore[arg-type]
                "ours_openai": lambda: ours_o.complete(MESSAGES, tools=[TOOL]),
                "sdk_openai": lambda: sdk_o.chat.completions.create(
                    model="gpt-4.1", messages=WIRE_MESSAGES, tools=tools_o),  # type: ignore[arg-type]
                "raw_anthropic_stream": raw_stream("v1/messages", anthropic_body),
                "raw_openai_stream": raw_stream("v1/chat/completions", openai_body),
                "ours_anthropic_stream": lambda: ours_a_stream.complete(MESSAGES, tools=[TOOL]),
                "sdk_anthropic_stream": sdk_a_stream,
                "ours_openai_stream": lambda: ours_o_stream.complete(MESSAGES, tools=[TOOL]),
                "sdk_openai_stream": sdk_o_stream,
            }
            for _ in range(rounds):  # interleaved, so drift on a shared machine hits all alike
                for name, one in cases.items():
                    results.setdefault(name, []).append(await timed(calls, one))
    ms = {name: round(statistics.median(values), 3) for name, values in results.items()}
    return {
        "bench": "models",
        "calls_per_round": calls,
        "rounds": rounds,
        "reply_bytes": len(json.dumps(ANTHROPIC_BODY)),
        "ms_per_call": ms,
        "ratio_to_raw": {
            k: round(v / ms["raw_" + k.split("_", 1)[1]], 2) for k, v in ms.items() if not k.startswith("raw_")
        },
        "sdk_over_ours": {
            provider: round(ms[f"sdk_{provider}"] / ms[f"ours_{provider}"], 2)
            for provider in ("anthropic", "openai", "anthropic_stream", "openai_stream")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Per-call overhead of the model layer, on a loopback server.")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # the openai SDK's stream under trio
        print(json.dumps(trio.run(run, args.calls, args.rounds)))


if __name__ == "__main__":
    main()
