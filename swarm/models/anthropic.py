"""Anthropic's Messages API (`POST /v1/messages`), plain or streamed.

The wire format is written out here rather than borrowed from the SDK (see
`http.py` for why); `anthropic_compatible.py` reuses it for other hosts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from swarm.models.backend import RawToolCall, Reply, Request
from swarm.models.errors import MalformedResponse, ProviderError
from swarm.models.http_backend import HttpBackend
from swarm.models.jsonable import plain
from swarm.models.retry import RetryPolicy, Transient
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent
from swarm.protocols import ChatMessage, StopReason

if TYPE_CHECKING:
    from swarm.config import ModelSettings

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"

_STOP_REASONS: Mapping[str, StopReason] = {
    "end_turn": "end_turn",
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence",
    "refusal": "refused",
}
# Errors inside a 200 stream that another attempt may not meet.
_TRANSIENT_STREAM_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


def encode_request(request: Request, model: str, *, stream: bool) -> dict[str, Any]:
    """The JSON body of a Messages API call for `request`."""
    body: dict[str, Any] = {"model": model, "max_tokens": request.max_tokens}
    system = "\n\n".join(m.content for m in request.messages if m.role == "system" and m.content)
    if system:
        body["system"] = system
    body["messages"] = _encode_turns(request.messages)
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": plain(t.parameters)}
            for t in request.tools
        ]
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if stream:
        body["stream"] = True
    return body


def _tool_choice(choice: str) -> dict[str, str]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


def _encode_turns(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """Alternating user/assistant turns of content blocks: tool results are
    user blocks, consecutive same-role messages merge, empty ones vanish
    (the API refuses empty text blocks)."""
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        blocks: list[dict[str, Any]] = []
        if message.role == "tool":
            blocks.append({
                "type": "tool_result", "tool_use_id": message.tool_call_id or "",
                "content": message.content,
            })
        else:
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            for call in message.tool_calls:
                blocks.append({
                    "type": "tool_use", "id": call.id, "name": call.name, "input": plain(call.arguments),
                })
        if not blocks:
            continue
        role = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        # The API wants a user turn's tool results before its text.
        turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    return turns


def decode_message(body: Any, *, attempts: int) -> Reply:
    """A Messages API response body (or a stream assembled into one)."""
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise MalformedResponse(f"not an Anthropic message: {json.dumps(body)[:200]}")
    texts: list[str] = []
    calls: list[RawToolCall] = []
    for block in body["content"]:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            calls.append(_decode_tool_use(block))
        # thinking / server-tool blocks carry nothing the swarm uses.
    usage: dict[str, Any] = body["usage"] if isinstance(body.get("usage"), dict) else {}
    input_tokens = usage.get("input_tokens")
    if isinstance(input_tokens, int):
        # Prompt-cache reads and writes are input too.
        input_tokens += sum(
            usage.get(k) or 0 for k in ("cache_creation_input_tokens", "cache_read_input_tokens")
        )
    output_tokens = usage.get("output_tokens")
    return Reply(
        text="".join(texts),
        tool_calls=tuple(calls),
        stop_reason=_STOP_REASONS.get(str(body.get("stop_reason")), "other"),
        input_tokens=input_tokens if isinstance(input_tokens, int) else None,
        output_tokens=output_tokens if isinstance(output_tokens, int) else None,
        model=str(body.get("model") or ""),
        attempts=attempts,
    )


def _decode_tool_use(block: dict[str, Any]) -> RawToolCall:
    call_id, name = str(block.get("id", "")), str(block.get("name", ""))
    if "partial_json" in block:  # a streamed input that did not parse
        raw = str(block["partial_json"])
        return RawToolCall(call_id, name, None, f"the arguments are not valid JSON: {raw[:80]!r}...", raw)
    arguments = block.get("input")
    if not isinstance(arguments, dict):
        raw = json.dumps(arguments)
        return RawToolCall(call_id, name, None, "the arguments are not a JSON object", raw)
    return RawToolCall(call_id, name, arguments, None, json.dumps(arguments))


async def assemble_stream(events: AsyncIterator[SseEvent]) -> dict[str, Any]:
    """Fold a Messages stream into the body the plain call would have
    returned: message_start, content_block_start/delta/stop, message_delta,
    message_stop; `error` events become exceptions."""
    message: dict[str, Any] | None = None
    partial: dict[int, list[str]] = {}
    async for event in events:
        data = _event_data(event)
        kind = data.get("type", event.event)
        if kind == "error":
            _raise_stream_error(data)
        elif kind == "message_start":
            message = dict(data.get("message") or {})
            message["content"] = []
        elif message is None:
            continue  # pings before message_start
        elif kind == "content_block_start":
            block = dict(data.get("content_block") or {})
            index = int(data.get("index", len(message["content"])))
            while len(message["content"]) <= index:
                message["content"].append({})
            message["content"][index] = block
            if block.get("type") == "tool_use":
                partial[index] = []
        elif kind == "content_block_delta":
            _apply_delta(message["content"], partial, data)
        elif kind == "content_block_stop":
            _finish_tool_input(message["content"], partial, int(data.get("index", -1)))
        elif kind == "message_delta":
            message.update({k: v for k, v in (data.get("delta") or {}).items() if v is not None})
            usage = {k: v for k, v in (data.get("usage") or {}).items() if v is not None}
            message["usage"] = {**(message.get("usage") or {}), **usage}
        elif kind == "message_stop":
            return message
    raise Transient("the stream ended before message_stop")


def _event_data(event: SseEvent) -> dict[str, Any]:
    try:
        data = json.loads(event.data) if event.data else {}
    except ValueError:
        raise MalformedResponse(f"stream event {event.event!r} is not JSON: {event.data[:200]!r}") from None
    return data if isinstance(data, dict) else {}


def _apply_delta(content: list[dict[str, Any]], partial: dict[int, list[str]], data: dict[str, Any]) -> None:
    index = int(data.get("index", -1))
    delta = data.get("delta") or {}
    if not 0 <= index < len(content):
        raise MalformedResponse(f"stream delta for unknown content block {index}")
    if delta.get("type") == "text_delta":
        content[index]["text"] = content[index].get("text", "") + str(delta.get("text", ""))
    elif delta.get("type") == "input_json_delta" and index in partial:
        partial[index].append(str(delta.get("partial_json", "")))


def _finish_tool_input(content: list[dict[str, Any]], partial: dict[int, list[str]], index: int) -> None:
    pieces = partial.pop(index, None)
    if pieces is None:
        return
    raw = "".join(pieces)
    try:
        content[index]["input"] = json.loads(raw) if raw.strip() else {}
    except ValueError:
        content[index].pop("input", None)
        content[index]["partial_json"] = raw


def _raise_stream_error(data: dict[str, Any]) -> None:
    error = data.get("error") or {}
    kind = str(error.get("type", "error"))
    message = f"{kind}: {error.get('message', '')}"
    if kind in _TRANSIENT_STREAM_ERRORS:
        raise Transient(f"stream error {message}")
    raise ProviderError(f"the provider ended the stream with {message}")


class AnthropicBackend(HttpBackend):
    """Messages API at `base_url` (the host root: `/v1/messages` is appended).
    `bearer` also sends the key as a bearer token, as gateways in front of
    other models often want."""

    path = "v1/messages"

    def __init__(
        self,
        *,
        model: str,
        key: Secret | None,
        base_url: str = DEFAULT_BASE_URL,
        policy: RetryPolicy | None = None,
        stream: bool = False,
        provider: str = "anthropic",
        bearer: bool = False,
    ) -> None:
        super().__init__(
            provider=provider, model=model, key=key, base_url=base_url, policy=policy, stream=stream,
            headers={"anthropic-version": API_VERSION},
        )
        self.bearer = bearer

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "authorization": f"Bearer {key}"} if self.bearer else {"x-api-key": key}

    def encode(self, request: Request) -> dict[str, Any]:
        return encode_request(request, self.model, stream=self.stream)

    async def assemble(self, events: AsyncIterator[SseEvent]) -> Any:
        return await assemble_stream(events)

    def decode(self, body: Any, request: Request, *, attempts: int) -> Reply:
        return decode_message(body, attempts=attempts)


def build(settings: ModelSettings, key: Secret | None) -> AnthropicBackend:
    return AnthropicBackend(
        model=settings.model,
        key=key,
        base_url=settings.base_url or DEFAULT_BASE_URL,
        policy=settings.retry_policy(),
        stream=settings.stream,
    )
