"""JSON-RPC 2.0 framing as LSP uses it: `Content-Length` headers, UTF-8 JSON bodies.

Pure and incremental: `encode` turns one message into bytes, `MessageReader`
turns whatever bytes arrived into the complete messages they hold, keeping
the rest for the next chunk. No I/O here, so the framing is testable alone.
"""

from __future__ import annotations

import json
from typing import Any

from lsp.errors import ProtocolError

# A header block longer than this is garbage on the pipe, not a header.
MAX_HEADER_BYTES = 8192
# Large enough for workspace-wide diagnostics of a big repository.
MAX_BODY_BYTES = 256 * 1024 * 1024

Message = dict[str, Any]


def encode(message: Message) -> bytes:
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def request(request_id: int | str, method: str, params: object = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: object = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def result(request_id: int | str | None, value: object) -> Message:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: int | str | None, code: int, message: str) -> Message:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


# JSON-RPC / LSP error codes this client sends or recognises.
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
REQUEST_CANCELLED = -32800
CONTENT_MODIFIED = -32801
SERVER_CANCELLED = -32802


def kind(message: Message) -> str:
    """"request", "notification" or "response"; raises ProtocolError for anything else."""
    if "method" in message:
        return "request" if "id" in message else "notification"
    if "id" in message and ("result" in message or "error" in message):
        return "response"
    raise ProtocolError(f"neither request, notification nor response: {_preview(message)}")


def _preview(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."


class MessageReader:
    """Splits a byte stream into JSON-RPC messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._body_length: int | None = None

    def feed(self, data: bytes | bytearray) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while True:
            if self._body_length is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(self._buffer) > MAX_HEADER_BYTES:
                        raise ProtocolError(
                            f"no header terminator in {len(self._buffer)} bytes: "
                            f"{bytes(self._buffer[:80])!r}... (is the server printing to stdout?)"
                        )
                    return messages
                self._body_length = _content_length(bytes(self._buffer[:end]))
                del self._buffer[: end + 4]
            if len(self._buffer) < self._body_length:
                return messages
            body = bytes(self._buffer[: self._body_length])
            del self._buffer[: self._body_length]
            self._body_length = None
            messages.append(_decode_body(body))

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)


def _content_length(header: bytes) -> int:
    length: int | None = None
    for line in header.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if not sep:
            raise ProtocolError(f"malformed header line {line[:80]!r}")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise ProtocolError(f"Content-Length is not a number: {value[:40]!r}") from None
    if length is None:
        raise ProtocolError(f"header without Content-Length: {header[:120]!r}")
    if not 0 <= length <= MAX_BODY_BYTES:
        raise ProtocolError(f"Content-Length {length} out of range (0..{MAX_BODY_BYTES})")
    return length


def _decode_body(body: bytes) -> Message:
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"body is not UTF-8 JSON ({exc}): {body[:120]!r}") from None
    if not isinstance(value, dict) or value.get("jsonrpc") != "2.0":
        raise ProtocolError(f"not a JSON-RPC 2.0 object: {_preview(value)}")
    return value
