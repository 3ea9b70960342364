from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsp import jsonrpc
from lsp.errors import ProtocolError


def test_encode_counts_bytes_not_characters() -> None:
    data = jsonrpc.encode(jsonrpc.notification("x", {"text": "héllo ✓"}))
    header, body = data.split(b"\r\n\r\n", 1)
    assert header == b"Content-Length: %d" % len(body)
    assert json.loads(body)["params"]["text"] == "héllo ✓"


def test_reader_handles_several_messages_in_one_chunk() -> None:
    reader = jsonrpc.MessageReader()
    data = jsonrpc.encode(jsonrpc.request(1, "a")) + jsonrpc.encode(jsonrpc.result(1, [1, 2]))
    messages = reader.feed(data)
    assert [jsonrpc.kind(m) for m in messages] == ["request", "response"]
    assert reader.pending_bytes == 0


@given(st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=20), max_size=3), min_size=1, max_size=5), st.integers(1, 17))
def test_reader_reassembles_any_chunking(payloads: list[dict[str, str]], size: int) -> None:
    stream = b"".join(jsonrpc.encode(jsonrpc.notification("m", p)) for p in payloads)
    reader = jsonrpc.MessageReader()
    received = []
    for start in range(0, len(stream), size):
        received.extend(reader.feed(stream[start : start + size]))
    assert [m["params"] for m in received] == payloads


def test_reader_accepts_extra_headers_in_any_case() -> None:
    body = b'{"jsonrpc":"2.0","method":"m"}'
    data = b"content-length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n" % len(body) + body
    assert jsonrpc.MessageReader().feed(data) == [{"jsonrpc": "2.0", "method": "m"}]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"Content-Type: x\r\n\r\n{}", "without Content-Length"),
        (b"Content-Length: abc\r\n\r\n", "not a number"),
        (b"garbage line\r\n\r\n", "malformed header"),
        (b"Content-Length: 2\r\n\r\n[]", "not a JSON-RPC 2.0 object"),
        (b"Content-Length: 3\r\n\r\n{x}", "not UTF-8 JSON"),
        (b"Content-Length: 15\r\n\r\n{\"jsonrpc\":1.0}", "not a JSON-RPC 2.0 object"),
    ],
)
def test_malformed_input_raises_protocol_error(data: bytes, complaint: str) -> None:
    with pytest.raises(ProtocolError, match=complaint):
        jsonrpc.MessageReader().feed(data)


def test_runaway_header_is_refused() -> None:
    with pytest.raises(ProtocolError, match="is the server printing to stdout"):
        jsonrpc.MessageReader().feed(b"x" * (jsonrpc.MAX_HEADER_BYTES + 1))


def test_kind_rejects_messages_that_are_nothing() -> None:
    with pytest.raises(ProtocolError):
        jsonrpc.kind({"jsonrpc": "2.0", "id": 1})
    assert jsonrpc.kind(jsonrpc.error(1, jsonrpc.METHOD_NOT_FOUND, "no")) == "response"
    assert jsonrpc.kind(jsonrpc.notification("n")) == "notification"
    assert "params" not in jsonrpc.request(2, "r")


def test_message_builders() -> None:
    assert jsonrpc.request(1, "m", {"a": 1}) == {"jsonrpc": "2.0", "id": 1, "method": "m", "params": {"a": 1}}
    assert jsonrpc.notification("n") == {"jsonrpc": "2.0", "method": "n"}
    assert jsonrpc.result("x", None) == {"jsonrpc": "2.0", "id": "x", "result": None}
    assert jsonrpc.error(None, jsonrpc.REQUEST_CANCELLED, "gone")["error"] == {"code": -32800, "message": "gone"}


def test_empty_body_and_split_header() -> None:
    reader = jsonrpc.MessageReader()
    data = jsonrpc.encode(jsonrpc.notification("m"))
    assert reader.feed(data[:10]) == [] and reader.pending_bytes == 10
    assert reader.feed(data[10:]) == [{"jsonrpc": "2.0", "method": "m"}]
    with pytest.raises(ProtocolError, match="not UTF-8 JSON"):
        jsonrpc.MessageReader().feed(b"Content-Length: 0\r\n\r\n")
