"""Anthropic's Messages API as a server speaks it: response bodies, stream
events, error bodies, and the checks the real API makes on a request (so a
malformed request gets the 400 it would get). `test_wire_servers.py` proves
these against the official `anthropic` SDK."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.swarm.models.loopback import Received, Respond, Stream

MODEL = "claude-opus-4-5-20251101"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def message(
    *blocks: dict[str, Any],
    stop_reason: str | None = None,
    model: str = MODEL,
    input_tokens: int = 100,
    output_tokens: int = 20,
) -> dict[str, Any]:
    if stop_reason is None:
        stop_reason = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
    return {
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": list(blocks),
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


def ok(*blocks: dict[str, Any], **kwargs: Any) -> Respond:
    return Respond(200, message(*blocks, **kwargs), {"request-id": "req_loopback"})


def error(status: int, kind: str, text_: str, headers: dict[str, str] | None = None) -> Respond:
    return Respond(status, {"type": "error", "error": {"type": kind, "message": text_}}, headers or {})


def stream_events(body: dict[str, Any], *, piece: int = 7) -> list[tuple[str | None, str]]:
    """The events the API streams for the message `body`: text and tool input
    arrive in `piece`-character fragments."""
    start = {**body, "content": [], "stop_reason": None, "stop_sequence": None,
             "usage": {**body["usage"], "output_tokens": 1}}
    events: list[tuple[str | None, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": start}),
        ("ping", {"type": "ping"}),
    ]
    for index, block in enumerate(body["content"]):
        if block["type"] == "text":
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}}))
            for i in range(0, len(block["text"]), piece):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                               "delta": {"type": "text_delta", "text": block["text"][i:i + piece]}}))
        else:
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                           "content_block": {**block, "input": {}}}))
            raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
            for i in range(0, len(raw), piece):
                events.append(("content_block_delta", {"type": "content_block_delta", "index": index,
                               "delta": {"type": "input_json_delta", "partial_json": raw[i:i + piece]}}))
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(("message_delta", {"type": "message_delta",
                   "delta": {"stop_reason": body["stop_reason"], "stop_sequence": None},
                   "usage": {"output_tokens": body["usage"]["output_tokens"]}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return [(name, json.dumps(data)) for name, data in events]


def streamed(body: dict[str, Any], **kwargs: Any) -> Stream:
    return Stream(stream_events(body), **kwargs)


_BLOCKS = {"text", "tool_use", "tool_result", "image", "document", "thinking", "redacted_thinking"}


def request_problems(received: Received) -> list[str]:
    """What the real API would refuse in this request (a subset of its
    checks: the ones a client of the Messages API can get wrong)."""
    problems: list[str] = []
    if received.method != "POST" or received.path.rstrip("/") != "/v1/messages":
        return [f"no route {received.method} {received.path}"]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", received.headers.get("anthropic-version", "")):
        problems.append("anthropic-version header missing")
    if "application/json" not in received.headers.get("content-type", ""):
        problems.append("content-type is not JSON")
    try:
        body = received.json()
    except ValueError:
        return problems + ["body is not JSON"]
    if not isinstance(body.get("model"), str):
        problems.append("model: Field required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        problems.append("max_tokens: Field required")
    if "system" in body and not isinstance(body["system"], (str, list)):
        problems.append("system: must be a string or blocks")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return problems + ["messages: at least one message is required"]
    if messages[0].get("role") != "user":
        problems.append("messages: first message must use the user role")
    pending: set[str] = set()
    for i, turn in enumerate(messages):
        role = turn.get("role")
        if role not in ("user", "assistant"):
            problems.append(f"messages.{i}.role: must be user or assistant")
        if i and messages[i - 1].get("role") == role:
            problems.append(f"messages.{i}: roles must alternate")
        content = turn.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list) or not blocks:
            problems.append(f"messages.{i}.content: must not be empty")
            continue
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if pending and set(results) != pending:
            problems.append(f"messages.{i}: tool_use ids {sorted(pending)} need tool_result blocks right after")
        if results and any(b.get("type") != "tool_result" for b in blocks[: len(results)]):
            problems.append(f"messages.{i}: tool_result blocks must come first")
        pending = set()
        for j, block in enumerate(blocks):
            kind = block.get("type")
            if kind not in _BLOCKS:
                problems.append(f"messages.{i}.content.{j}.type: unknown {kind!r}")
            if kind == "text" and not block.get("text"):
                problems.append(f"messages.{i}.content.{j}: text content blocks must be non-empty")
            if kind == "tool_use":
                if role != "assistant" or not isinstance(block.get("input"), dict) or not block.get("id"):
                    problems.append(f"messages.{i}.content.{j}: invalid tool_use")
                pending.add(block.get("id"))
            if kind == "tool_result" and role != "user":
                problems.append(f"messages.{i}.content.{j}: tool_result only in user turns")
    for k, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool.get("name"), str) or not isinstance(tool.get("input_schema"), dict):
            problems.append(f"tools.{k}: name and input_schema are required")
    choice = body.get("tool_choice")
    if choice is not None and choice.get("type") not in ("auto", "any", "tool", "none"):
        problems.append("tool_choice.type: invalid")
    if choice is not None and choice.get("type") == "tool" and not choice.get("name"):
        problems.append("tool_choice.name: required for type tool")
    return problems


def invalid_request(received: Received) -> Respond | None:
    """The 401 or 400 the API would send, or None if the request is acceptable."""
    if not received.headers.get("x-api-key") and not received.headers.get("authorization", "").startswith("Bearer "):
        return error(401, "authentication_error", "x-api-key header is required")
    problems = request_problems(received)
    if not problems:
        return None
    return error(400, "invalid_request_error", "; ".join(problems))
