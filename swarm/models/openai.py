"""OpenAI's Chat Completions API (`POST {base_url}/chat/completions`), plain
or streamed. `openai_compatible.py` reuses it with the quirks of other
servers switched on (see `Dialect`)."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swarm.models.backend import RawToolCall, Reply, Request
from swarm.models.errors import MalformedResponse, ProviderError
from swarm.models.http_backend import HttpBackend
from swarm.models.jsonable import plain
from swarm.models.retry import RetryPolicy, Transient
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent
from swarm.models.text_tool_calls import extract_text_tool_calls
from swarm.models.validation import MODES
from swarm.protocols import ChatMessage, StopReason

if TYPE_CHECKING:
    from swarm.config import ModelSettings

DEFAULT_BASE_URL = "https://api.openai.com/v1"

_STOP_REASONS: Mapping[str, StopReason] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "length": "max_tokens",
    "content_filter": "refused",
}


@dataclass(frozen=True, slots=True)
class Dialect:
    """Where servers differ from api.openai.com.

    - `max_tokens_field`: OpenAI's newer models refuse `max_tokens` and want
      `max_completion_tokens`; most other servers only know `max_tokens`.
    - `force_by_filtering`: llama.cpp ignores the object form of
      `tool_choice`; send "required" with only the forced tool instead.
    - `text_tool_calls`: read a fenced JSON call in the content as a tool
      call when the server returned none (small local models).
    """

    max_tokens_field: str = "max_completion_tokens"
    force_by_filtering: bool = False
    text_tool_calls: bool = False


OPENAI = Dialect()


def encode_request(request: Request, model: str, dialect: Dialect, *, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [_encode_message(m) for m in request.messages]}
    tools = request.tools
    choice: Any = request.tool_choice
    if choice not in MODES:
        if dialect.force_by_filtering:
            tools, choice = tuple(t for t in tools if t.name == choice), "required"
        else:
            choice = {"type": "function", "function": {"name": choice}}
    if tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": plain(t.parameters)},
            }
            for t in tools
        ]
        body["tool_choice"] = choice
    body[dialect.max_tokens_field] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _encode_message(message: ChatMessage) -> dict[str, Any]:
    if message.role == "tool":
        return {"role": "tool", "tool_call_id": message.tool_call_id or "", "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": json.dumps(plain(call.arguments))},
                }
                for call in message.tool_calls
            ],
        }
    return {"role": message.role, "content": message.content}


def decode_completion(body: Any, dialect: Dialect, request: Request, *, attempts: int) -> Reply:
    """A chat.completion body (or a stream assembled into one)."""
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponse(f"not a chat completion: {json.dumps(body)[:200]}")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise MalformedResponse(f"chat completion without a message: {json.dumps(body)[:200]}")
    # llama.cpp sends "" beside tool calls where OpenAI sends null.
    text = message.get("content") or ""
    if not isinstance(text, str):
        text = json.dumps(text)
    calls = [_decode_tool_call(i, c) for i, c in enumerate(message.get("tool_calls") or [])]
    if not calls and not text and message.get("refusal"):
        text = str(message["refusal"])
    if not calls and dialect.text_tool_calls and request.tools and text:
        text, found = extract_text_tool_calls(text, {t.name for t in request.tools})
        calls = [
            RawToolCall(_new_call_id(), name, arguments, None, json.dumps(arguments))
            for name, arguments in found
        ]
    stop = _STOP_REASONS.get(str(choices[0].get("finish_reason")), "other")
    if calls and stop in ("end_turn", "other"):
        stop = "tool_use"  # servers that say "stop" after a call
    usage: dict[str, Any] = body["usage"] if isinstance(body.get("usage"), dict) else {}
    input_tokens, output_tokens = usage.get("prompt_tokens"), usage.get("completion_tokens")
    return Reply(
        text=text,
        tool_calls=tuple(calls),
        stop_reason=stop,
        input_tokens=input_tokens if isinstance(input_tokens, int) else None,
        output_tokens=output_tokens if isinstance(output_tokens, int) else None,
        model=str(body.get("model") or ""),
        attempts=attempts,
    )


def _decode_tool_call(index: int, call: Any) -> RawToolCall:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        raise MalformedResponse(f"tool call {index} is not a function call: {json.dumps(call)[:200]}")
    function = call["function"]
    # Some servers omit ids, or repeat them across turns; never trust their shape.
    call_id = str(call.get("id") or _new_call_id())
    name = str(function.get("name") or "")
    raw_arguments = function.get("arguments")
    if isinstance(raw_arguments, dict):  # servers that send an object, not a string
        return RawToolCall(call_id, name, raw_arguments, None, json.dumps(raw_arguments))
    raw = str(raw_arguments or "")
    try:
        arguments = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        return RawToolCall(call_id, name, None, f"the arguments are not valid JSON ({exc.msg} at {exc.pos})", raw)
    if not isinstance(arguments, dict):
        return RawToolCall(call_id, name, None, "the arguments are not a JSON object", raw)
    return RawToolCall(call_id, name, arguments, None, raw)


def _new_call_id() -> str:
    return f"call_{secrets.token_hex(8)}"


async def assemble_stream(events: AsyncIterator[SseEvent]) -> dict[str, Any]:
    """Fold chat.completion.chunk events into a chat.completion body: content
    and tool-call argument fragments concatenated by index, the usage chunk
    (stream_options.include_usage) kept, `[DONE]` ends it."""
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    body: dict[str, Any] = {}
    async for event in events:
        if event.data.strip() == "[DONE]":
            break
        chunk = _chunk(event)
        if "error" in chunk:
            _raise_stream_error(chunk["error"])
        body["model"] = chunk.get("model") or body.get("model")
        if isinstance(chunk.get("usage"), dict):
            body["usage"] = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if isinstance(delta.get("content"), str):
                text.append(delta["content"])
            for piece in delta.get("tool_calls") or []:
                _merge_call(calls, piece)
            finish = choice.get("finish_reason") or finish
    else:
        if finish is None:
            raise Transient("the stream ended before [DONE]")
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text)}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    body["choices"] = [{"index": 0, "message": message, "finish_reason": finish}]
    return body


def _chunk(event: SseEvent) -> dict[str, Any]:
    try:
        chunk = json.loads(event.data)
    except ValueError:
        raise MalformedResponse(f"stream chunk is not JSON: {event.data[:200]!r}") from None
    if not isinstance(chunk, dict):
        raise MalformedResponse(f"stream chunk is not an object: {event.data[:200]!r}")
    return chunk


def _merge_call(calls: dict[int, dict[str, Any]], piece: dict[str, Any]) -> None:
    index = int(piece.get("index", len(calls)))
    call = calls.setdefault(index, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
    if piece.get("id"):
        call["id"] = piece["id"]
    function = piece.get("function") or {}
    if function.get("name") and not call["function"]["name"]:
        call["function"]["name"] = function["name"]
    if isinstance(function.get("arguments"), str):
        call["function"]["arguments"] += function["arguments"]


def _raise_stream_error(error: Any) -> None:
    message = error.get("message", error) if isinstance(error, dict) else error
    code = error.get("code") if isinstance(error, dict) else None
    if code in (429, 500, 502, 503, 504, "rate_limit_exceeded", "server_error"):
        raise Transient(f"stream error: {message}")
    raise ProviderError(f"the provider ended the stream with an error: {message}")


class OpenAIBackend(HttpBackend):
    """Chat Completions at `base_url` (which includes the `/v1`)."""

    path = "chat/completions"

    def __init__(
        self,
        *,
        model: str,
        key: Secret | None,
        base_url: str = DEFAULT_BASE_URL,
        policy: RetryPolicy | None = None,
        stream: bool = False,
        dialect: Dialect = OPENAI,
        provider: str = "openai",
    ) -> None:
        super().__init__(provider=provider, model=model, key=key, base_url=base_url, policy=policy, stream=stream)
        self.dialect = dialect

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def encode(self, request: Request) -> dict[str, Any]:
        return encode_request(request, self.model, self.dialect, stream=self.stream)

    async def assemble(self, events: AsyncIterator[SseEvent]) -> Any:
        return await assemble_stream(events)

    def decode(self, body: Any, request: Request, *, attempts: int) -> Reply:
        return decode_completion(body, self.dialect, request, attempts=attempts)


def build(settings: ModelSettings, key: Secret | None) -> OpenAIBackend:
    return OpenAIBackend(
        model=settings.model,
        key=key,
        base_url=settings.base_url or DEFAULT_BASE_URL,
        policy=settings.retry_policy(),
        stream=settings.stream,
    )
