"""The graph page over HTTP on loopback, regenerated on every request.

    swarm graph RUN --format html --serve [--port N]

A run in progress keeps growing in the run log: each GET of `/` renders the
page again from a fresh snapshot (the page of a running run carries a meta
refresh, so an open browser tab follows along). Only GET and HEAD of `/`
(and `/index.html`) are served; anything else is 404 or 405. Binding is
loopback only: the page shows the issue, the code and the patch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import trio

MAX_REQUEST_BYTES = 64 * 1024
LOOPBACK = "127.0.0.1"

Render = Callable[[], Awaitable[str]]


async def _read_head(stream: trio.abc.Stream) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST_BYTES:
        chunk = await stream.receive_some(4096)
        if not chunk:
            break
        data += chunk
    return data


def _response(status: str, body: bytes, content_type: str, head_only: bool = False) -> bytes:
    headers = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    return headers.encode("ascii") + (b"" if head_only else body)


def handler(render: Render) -> Callable[[trio.SocketStream], Awaitable[None]]:
    async def handle(stream: trio.SocketStream) -> None:
        async with stream:
            try:
                with trio.fail_after(30):
                    head = await _read_head(stream)
            except (trio.TooSlowError, trio.BrokenResourceError):
                return
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split()
            if len(parts) < 2:
                await stream.send_all(_response("400 Bad Request", b"bad request\n", "text/plain"))
                return
            method, target = parts[0], parts[1].split("?", 1)[0]
            if method not in ("GET", "HEAD"):
                await stream.send_all(_response("405 Method Not Allowed", b"only GET\n", "text/plain"))
                return
            if target not in ("/", "/index.html"):
                await stream.send_all(_response("404 Not Found", b"not found\n", "text/plain", method == "HEAD"))
                return
            try:
                page = await render()
            except Exception as exc:  # noqa: BLE001 - the server keeps serving; the browser shows why
                body = f"could not render the run: {type(exc).__name__}: {exc}\n".encode()
                await stream.send_all(_response("500 Internal Server Error", body, "text/plain; charset=utf-8"))
                return
            await stream.send_all(_response("200 OK", page.encode("utf-8"), "text/html; charset=utf-8", method == "HEAD"))

    return handle


async def serve_html(
    render: Render,
    *,
    port: int = 0,
    host: str = LOOPBACK,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `render()` until cancelled; `task_status.started` gets the bound port."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    bound = listeners[0].socket.getsockname()[1]
    task_status.started(bound)
    await trio.serve_listeners(handler(render), listeners)
