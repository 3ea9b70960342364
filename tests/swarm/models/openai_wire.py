"""OpenAI's Chat Completions API as a server speaks it: completion bodies,
stream chunks, error bodies, and the request checks the real API makes.
`test_wire_servers.py` proves these against the official `openai` SDK."""

from __future__ import annotations

import json
from typing import Any

from tests.swarm.models.loopback import Received, Respond, Stream

MODEL = "gpt-4.1-2025-04-14"


def tool_call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}


def completion(
    content: str | None = None,
    *calls: dict[str, Any],
    finish_reason: str | None = None,
    model: str = MODEL,
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    usage: bool = True,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if calls:
        message["tool_calls"] = list(calls)
    body: dict[str, Any] = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_760_000_000,
        "model": model,
        "choices": [{
            "index": 0, "message": message, "logprobs": None,
            "finish_reason": finish_reason or ("tool_calls" if calls else "stop"),
        }],
    }
    if usage:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}
    return body


def ok(content: str | None = None, *calls: dict[str, Any], **kwargs: Any) -> Respond:
    return Respond(200, completion(content, *calls, **kwargs), {"x-request-id": "req_loopback"})


def error(status: int, text_: str, kind: str = "invalid_request_error", code: str | None = None,
          headers: dict[str, str] | None = None) -> Respond:
    return Respond(status, {"error": {"message": text_, "type": kind, "param": None, "code": code}}, headers or {})


def stream_chunks(body: dict[str, Any], *, piece: int = 7, usage: bool = True) -> list[tuple[str | None, str]]:
    """The `data:` events the API streams for the completion `body`."""
    base = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    message = body["choices"][0]["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> tuple[str | None, str]:
        return None, json.dumps({**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                      "finish_reason": finish}]})

    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    content = message.get("content") or ""
    for i in range(0, len(content), piece):
        events.append(chunk({"content": content[i:i + piece]}))
    for index, call in enumerate(message.get("tool_calls") or []):
        events.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"], "arguments": ""}}]}))
        raw = call["function"]["arguments"]
        for i in range(0, len(raw), piece):
            events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": raw[i:i + piece]}}]}))
    events.append(chunk({}, body["choices"][0]["finish_reason"]))
    if usage and "usage" in body:
        events.append((None, json.dumps({**base, "choices": [], "usage": body["usage"]})))
    events.append((None, "[DONE]"))
    return events


def streamed(body: dict[str, Any], **kwargs: Any) -> Stream:
    return Stream(stream_chunks(body), **kwargs)


def request_problems(received: Received, *, prefix: str = "/v1") -> list[str]:
    """What the real API would refuse in this request (the checks a client
    of Chat Completions can get wrong)."""
    if received.method != "POST" or received.path.rstrip("/") != f"{prefix}/chat/completions":
        return [f"no route {received.method} {received.path}"]
    problems: list[str] = []
    try:
        body = received.json()
    except ValueError:
        return ["body is not JSON"]
    if not isinstance(body.get("model"), str):
        problems.append("you must provide a model parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return problems + ["messages: must be a non-empty array"]
    pending: set[str] = set()
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ("system", "developer", "user", "assistant", "tool"):
            problems.append(f"messages[{i}].role: invalid {role!r}")
        if role == "tool":
            if m.get("tool_call_id") not in pending:
                problems.append(f"messages[{i}]: role 'tool' must answer a preceding tool_calls id")
            pending.discard(m.get("tool_call_id"))
            continue
        if pending:
            problems.append(f"messages[{i}]: tool_call_ids did not have response messages: {sorted(pending)}")
            pending = set()
        if role == "assistant" and m.get("tool_calls"):
            for call in m["tool_calls"]:
                arguments = call.get("function", {}).get("arguments")
                if call.get("type") != "function" or not isinstance(arguments, str):
                    problems.append(f"messages[{i}].tool_calls: function.arguments must be a string")
                pending.add(call.get("id"))
        elif not isinstance(m.get("content"), (str, list)):
            problems.append(f"messages[{i}].content: expected a string")
    for k, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") or {}
        if tool.get("type") != "function" or not isinstance(function.get("name"), str):
            problems.append(f"tools[{k}]: type function with a name is required")
    choice = body.get("tool_choice")
    if choice is not None and choice not in ("auto", "required", "none") and not (
        isinstance(choice, dict) and choice.get("type") == "function" and choice.get("function", {}).get("name")
    ):
        problems.append("tool_choice: invalid")
    if choice is not None and not body.get("tools"):
        problems.append("tool_choice is only allowed when tools are specified")
    return problems


def invalid_request(received: Received, *, prefix: str = "/v1") -> Respond | None:
    problems = request_problems(received, prefix=prefix)
    return error(400, "; ".join(problems)) if problems else None
