"""Server-sent events, decoded per the spec."""

from __future__ import annotations

import pytest

from swarm.models.sse import SseDecoder, SseEvent, SseStream

pytestmark = pytest.mark.anyio


def decode(lines: list[str]) -> list[SseEvent]:
    decoder = SseDecoder()
    events = [e for e in map(decoder.line, lines) if e is not None]
    last = decoder.flush()
    return events + ([last] if last else [])


def test_named_events_and_multi_line_data() -> None:
    lines = ["event: message_start", 'data: {"a":', "data: 1}", "", ": keep-alive", "", "data: [DONE]", ""]
    assert decode(lines) == [SseEvent("message_start", '{"a":\n1}'), SseEvent("message", "[DONE]")]


def test_crlf_no_space_after_colon_and_ignored_fields() -> None:
    assert decode(["data:x\r\n", "id: 7\r\n", "retry: 100\r\n", "\r\n"]) == [SseEvent("message", "x")]


def test_a_last_event_without_blank_line_is_flushed() -> None:
    assert decode(["event: ping", "data: {}"]) == [SseEvent("ping", "{}")]
    assert decode(["", "", ":comment"]) == []


async def test_async_lines_become_events() -> None:
    async def lines():
        for line in ["event: a", "data: 1", "", "data: 2"]:
            yield line

    stream = SseStream(lines())
    assert [e async for e in stream] == [SseEvent("a", "1"), SseEvent("message", "2")]
    assert [e async for e in stream] == []  # ended stays ended
