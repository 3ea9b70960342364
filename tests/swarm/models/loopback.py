"""A real HTTP/1.1 server on 127.0.0.1 (trio + h11) for testing providers.

A handler receives each request and returns what to do: answer JSON
(`Respond`), stream server-sent events (`Stream`), never answer (`Hang`),
or close the connection (`Drop`). Every request is kept in
`server.received` for assertions. Reusable by any test or benchmark that
needs a provider on loopback:

    async with serve(replies(Respond(200, body))) as server:
        ...  # point base_url at server.url
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import h11
import trio


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Respond:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stream:
    """Server-sent events: (event name or None, data) pairs. `break_after`
    closes the connection mid-stream after that many events."""

    events: list[tuple[str | None, str]]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    pause_s: float = 0.0
    break_after: int | None = None


@dataclass(frozen=True)
class Hang:
    """Read the request, then say nothing for `seconds`, then close."""

    seconds: float = math.inf


@dataclass(frozen=True)
class Drop:
    """Close the connection without a response."""


Action = Respond | Stream | Hang | Drop
Handler = Callable[[Received], "Action | Awaitable[Action]"]


def replies(*actions: Action) -> Handler:
    """A handler that answers the n-th request with the n-th action; past the
    end it answers 500 so that a test sees the extra request."""
    queue = list(actions)

    def handler(received: Received) -> Action:
        if not queue:
            return Respond(500, {"error": {"message": f"loopback: unexpected request {received.path}"}})
        return queue.pop(0)

    return handler


class LoopbackServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.received: list[Received] = []
        self.url = ""
        self.connections = 0

    async def _serve_connection(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                received = await self._read_request(conn, stream)
                if received is None:
                    return
                self.received.append(received)
                action = self.handler(received)
                if inspect.isawaitable(action):
                    action = await action
                if not await self._act(conn, stream, action):
                    return
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return
                conn.start_next_cycle()
        except (trio.BrokenResourceError, trio.ClosedResourceError, h11.RemoteProtocolError):
            return  # the client went away: that is its right
        finally:
            await stream.aclose()

    async def _read_request(self, conn: h11.Connection, stream: trio.SocketStream) -> Received | None:
        request: h11.Request | None = None
        body = bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
            elif isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert request is not None
                headers = {k.decode().lower(): v.decode() for k, v in request.headers}
                return Received(request.method.decode(), request.target.decode(), headers, bytes(body))
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    async def _act(self, conn: h11.Connection, stream: trio.SocketStream, action: Action) -> bool:
        """Carry out `action`; False when the connection must end."""
        if isinstance(action, Drop):
            return False
        if isinstance(action, Hang):
            await trio.sleep(action.seconds)
            return False
        if isinstance(action, Respond):
            body = action.body if isinstance(action.body, bytes) else json.dumps(action.body).encode()
            headers = {"content-type": "application/json", **action.headers, "content-length": str(len(body))}
            await stream.send_all(conn.send(h11.Response(status_code=action.status, headers=list(headers.items()))))
            await stream.send_all(conn.send(h11.Data(data=body)))
            await stream.send_all(conn.send(h11.EndOfMessage()))
            return True
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache", **action.headers}
        await stream.send_all(conn.send(h11.Response(status_code=action.status, headers=list(headers.items()))))
        pending = bytearray()  # without pauses, events go out in one write: the client parses, not waits
        for number, (name, data) in enumerate(action.events):
            if action.break_after is not None and number >= action.break_after:
                await stream.send_all(bytes(pending))
                return False
            lines = (f"event: {name}\n" if name else "") + "".join(f"data: {d}\n" for d in data.split("\n"))
            pending += conn.send(h11.Data(data=(lines + "\n").encode())) or b""
            if action.pause_s:
                await stream.send_all(bytes(pending))
                pending.clear()
                await trio.sleep(action.pause_s)
        await stream.send_all(bytes(pending) + (conn.send(h11.EndOfMessage()) or b""))
        return True


@asynccontextmanager
async def serve(handler: Handler, *, host: str = "127.0.0.1") -> AsyncIterator[LoopbackServer]:
    """Run a loopback server for the duration of the block."""
    server = LoopbackServer(handler)
    async with trio.open_nursery() as nursery:
        listeners = await trio.open_tcp_listeners(0, host=host)
        port = listeners[0].socket.getsockname()[1]
        server.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        nursery.start_soon(trio.serve_listeners, server._serve_connection, listeners)
        try:
            yield server
        finally:
            nursery.cancel_scope.cancel()
