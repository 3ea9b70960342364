"""Server-sent events (the streaming format of both Anthropic and OpenAI),
decoded line by line as the WHATWG spec says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    data: str


@dataclass(slots=True)
class SseDecoder:
    """Feed it lines (without their line break); it returns an event when a
    blank line completes one."""

    _event: str = ""
    _data: list[str] = field(default_factory=list)

    def line(self, line: str) -> SseEvent | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        # `id` and `retry` steer reconnection, which these APIs do not use.
        return None

    def flush(self) -> SseEvent | None:
        """The event left when the stream ends without a final blank line."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        if not self._data and not self._event:
            return None
        event = SseEvent(self._event or "message", "\n".join(self._data))
        self._event, self._data = "", []
        return event


class SseStream:
    """The events of an async iterator of lines. A class rather than an async
    generator: a consumer that stops at its final event leaves nothing
    half-run for the garbage collector (a ResourceWarning under trio)."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self._lines = lines
        self._decoder = SseDecoder()
        self._ended = False

    def __aiter__(self) -> SseStream:
        return self

    async def __anext__(self) -> SseEvent:
        while not self._ended:
            try:
                line = await self._lines.__anext__()
            except StopAsyncIteration:
                self._ended = True
                last = self._decoder.flush()
                if last is not None:
                    return last
                break
            event = self._decoder.line(line)
            if event is not None:
                return event
        raise StopAsyncIteration
