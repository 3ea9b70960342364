"""A real LSP server (pygls) that misbehaves on request, for the client's fault tests.

Run as a subprocess: `python tests/lsp/fault_server.py`. Custom requests:
  test/sleep {seconds}        answers after sleeping (records cancellation)
  test/cancelled              ids of test/sleep requests the client cancelled
  test/crash {code}           exits the process at once
  test/garbage                writes bytes that are not LSP to stdout
  test/ask {method, params_json}  sends the client a request, returns its answer (or error)
  test/progress {seconds}     runs a work-done progress task for that long
  test/publish {uri, version} publishes one diagnostic for `uri`
  test/raw {json}             writes that JSON as one framed message, unchecked
It refuses to start when FAULT_SERVER_CRASH_ON_INIT is set.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

server = LanguageServer("fault-server", "v1")
cancelled: list[Any] = []


def _get(params: Any, name: str, default: Any = None) -> Any:
    if isinstance(params, dict):
        return params.get(name, default)
    return getattr(params, name, default)


@server.feature("test/sleep")
async def sleep(ls: LanguageServer, params: Any) -> dict[str, Any]:
    seconds = float(_get(params, "seconds", 1.0))
    tag = _get(params, "tag")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        cancelled.append(tag)
        raise
    return {"slept": seconds}


@server.feature("test/cancelled")
def cancelled_requests(ls: LanguageServer, params: Any) -> list[Any]:
    return list(cancelled)


@server.feature("test/crash")
def crash(ls: LanguageServer, params: Any) -> None:
    sys.stderr.write("fault-server: crashing on purpose\n")
    sys.stderr.flush()
    os._exit(int(_get(params, "code", 3)))


@server.feature("test/garbage")
def garbage(ls: LanguageServer, params: Any) -> None:
    sys.stdout.buffer.write(b"this is not a header\r\n\r\n{}")
    sys.stdout.buffer.flush()


@server.feature("test/ask")
async def ask(ls: LanguageServer, params: Any) -> dict[str, Any]:
    method = _get(params, "method")
    raw = json.loads(_get(params, "params_json", "null"))
    types = lsp.METHOD_TO_TYPES.get(method)
    if types is not None and types[2] is not None and raw is not None:
        raw = ls.protocol._converter.structure(raw, types[2])
    try:
        result = await ls.protocol.send_request_async(method, raw)
    except Exception as exc:  # the client's error object, reported back to the test
        return {"error": str(exc), "type": type(exc).__name__}
    return {"result": ls.protocol._converter.unstructure(result) if result is not None else None}


@server.feature("test/raw")
def raw(ls: LanguageServer, params: Any) -> None:
    """Writes one framed message exactly as given, bypassing pygls's checks."""
    body = str(_get(params, "json")).encode("utf-8")
    sys.stdout.buffer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    sys.stdout.buffer.flush()


@server.feature("test/progress")
async def progress(ls: LanguageServer, params: Any) -> str:
    token = str(uuid.uuid4())
    await ls.work_done_progress.create_async(token)
    ls.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title="fault work", percentage=0))
    await asyncio.sleep(float(_get(params, "seconds", 0.5)))
    ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message="done"))
    return token


@server.feature("test/publish")
def publish(ls: LanguageServer, params: Any) -> None:
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=_get(params, "uri"),
            version=_get(params, "version"),
            diagnostics=[
                lsp.Diagnostic(
                    range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)),
                    message="published on request",
                    severity=lsp.DiagnosticSeverity.Warning,
                    source="fault-server",
                )
            ],
        )
    )


if __name__ == "__main__":
    if os.environ.get("FAULT_SERVER_CRASH_ON_INIT"):
        sys.stderr.write("fault-server: refusing to start\n")
        sys.stderr.flush()
        sys.exit(5)
    server.start_io()
