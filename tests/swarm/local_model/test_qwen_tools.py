"""Our chat template under the real llama-server: rendered by its own jinja
engine, tool calls parsed into real `tool_calls` (plain and streamed), and an
answer after the tool result. Structure only, never wording."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from swarm.local_model.server import LocalServer

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_price",
            "description": "Price in cents of one product, by its SKU.",
            "parameters": {
                "type": "object",
                "properties": {"sku": {"type": "string", "description": "product SKU"}},
                "required": ["sku"],
            },
        },
    }
]
QUESTION = [
    {"role": "system", "content": "You are a shop assistant. Use the functions to look prices up."},
    {"role": "user", "content": "What does the product with SKU A-17 cost?"},
]


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    return shared_server


async def chat(server: LocalServer, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(trust_env=False, timeout=300) as client:
        response = await client.post(f"{server.base_url}/chat/completions", json={"temperature": 0, "max_tokens": 128, **body})
    assert response.status_code == 200, response.text
    return response.json()


async def test_template_renders_calls_results_and_the_nudge(server: LocalServer) -> None:
    messages = [
        *QUESTION,
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_price", "arguments": '{"sku": "A-17"}'}},
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "1299"},
    ]
    async with httpx.AsyncClient(trust_env=False, timeout=60) as client:
        response = await client.post(f"{server.root_url}/apply-template", json={"messages": messages, "tools": TOOLS})
    prompt = response.json()["prompt"]
    assert prompt.startswith("<|im_start|>system\n")
    assert '"name": "get_price"' in prompt  # the schema, one line of JSON
    assert '```json\n{"name": "get_price", "arguments": {"sku": "A-17"}}\n```' in prompt
    assert "Result of get_price {\"sku\": \"A-17\"}:\n1299" in prompt  # names the call it answers
    assert prompt.index("1299") < prompt.index("do not repeat it")
    assert prompt.endswith("<|im_start|>assistant\n")


async def test_tool_call_round_trip(server: LocalServer) -> None:
    first = await chat(server, {"messages": QUESTION, "tools": TOOLS, "tool_choice": "required"})
    message = first["choices"][0]["message"]
    calls = message["tool_calls"]
    assert len(calls) >= 1
    assert calls[0]["type"] == "function" and calls[0]["function"]["name"] == "get_price"
    arguments = json.loads(calls[0]["function"]["arguments"])
    assert isinstance(arguments, dict) and isinstance(arguments.get("sku"), str)
    assert first["choices"][0]["finish_reason"] == "tool_calls"

    follow_up = [
        *QUESTION,
        {"role": "assistant", "content": message.get("content") or "", "tool_calls": calls[:1]},
        {"role": "tool", "tool_call_id": calls[0]["id"], "content": "1299"},
    ]
    second = await chat(server, {"messages": follow_up, "tools": TOOLS, "tool_choice": "auto"})
    answer = second["choices"][0]["message"]
    assert not answer.get("tool_calls")
    assert answer["content"].strip()
    assert second["choices"][0]["finish_reason"] == "stop"


async def test_streamed_tool_call_arrives_as_deltas(server: LocalServer) -> None:
    names: list[str] = []
    argument_text = ""
    async with httpx.AsyncClient(trust_env=False, timeout=300) as client:
        body = {"messages": QUESTION, "tools": TOOLS, "tool_choice": "required", "stream": True, "temperature": 0, "max_tokens": 128}
        async with client.stream("POST", f"{server.base_url}/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                for choice in json.loads(line[6:]).get("choices", []):
                    for call in (choice.get("delta") or {}).get("tool_calls") or []:
                        function = call.get("function") or {}
                        if function.get("name"):
                            names.append(function["name"])
                        argument_text += function.get("arguments") or ""
    assert names and names[0] == "get_price"
    assert isinstance(json.loads(argument_text), dict)
