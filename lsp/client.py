"""A trio LSP client for one language server process.

`open_client(spec, root)` starts the server, does the initialize handshake
and yields a `LanguageClient`; leaving the block shuts the server down
(shutdown, exit, then kill if it lingers). Inside, the client:

- sends requests (lsprotocol objects or plain JSON) with a timeout; a request
  that times out or whose caller is cancelled is cancelled on the server too;
- keeps documents in sync (open/change/save/close, full-text, versioned);
- answers the server's own requests (see `lsp.server_requests`);
- records `$/progress`, published diagnostics and rust-analyzer's server
  status, so callers can wait for "ready" or for a fresh publish;
- restarts a server that died (up to `max_restarts` times), re-opening every
  document at its latest text. Requests in flight when it died fail with
  ServerCrashed; the next call starts the new process.
"""

from __future__ import annotations

import logging
import math
import subprocess
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import trio
from lsprotocol import converters
from lsprotocol import types as lsp

from lsp import jsonrpc
from lsp.capabilities import initialize_params
from lsp.condition import Changed
from lsp.documents import DocumentStore, OpenDocument
from lsp.errors import (
    LspError,
    ProtocolError,
    RequestTimeout,
    ResponseError,
    ServerCrashed,
    ServerNotReady,
    ServerStartError,
)
from lsp.nurseries import open_nursery
from lsp.positions import PositionEncoding
from lsp.progress import ProgressTracker
from lsp.published import PublishedDiagnostics
from lsp.server_requests import EditHandler, answer, error_reply, refuse_edits
from lsp.servers import ServerSpec
from lsp.session import Pending, Session

log = logging.getLogger(__name__)

NotificationListener = Callable[[str, Any], None]

SHUTDOWN_TIMEOUT = 5.0
INITIALIZE_TIMEOUT = 60.0


class LanguageClient:
    def __init__(
        self,
        spec: ServerSpec,
        root: Path,
        nursery: trio.Nursery,
        *,
        edit_handler: EditHandler | None = None,
        max_restarts: int = 3,
    ) -> None:
        self.spec = spec
        self.root = Path(root).resolve()
        self.converter = converters.get_converter()
        self.documents = DocumentStore()
        self.progress = ProgressTracker()
        self.published = PublishedDiagnostics()
        self.registrations: dict[str, lsp.Registration] = {}
        self.server_capabilities: lsp.ServerCapabilities | None = None
        self.server_info: lsp.ServerInfo | None = None
        self.position_encoding: PositionEncoding = "utf-16"
        self.server_status: dict[str, Any] | None = None
        self.status_changed = Changed()
        self.refreshes: dict[str, int] = {}
        self.messages: deque[str] = deque(maxlen=200)
        self.edit_handler: EditHandler = edit_handler or refuse_edits
        self.max_restarts = max_restarts
        self.restarts = 0
        self.generation = 0
        self._nursery = nursery
        self._session: Session | None = None
        self._restart_lock = trio.Lock()
        self._closed = False
        self._listeners: dict[str, list[NotificationListener]] = {}

    # -- lifecycle -------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._session.process.pid if self._session is not None and self._session.alive else None

    @property
    def alive(self) -> bool:
        return self._session is not None and self._session.alive

    @property
    def can_restart(self) -> bool:
        """False once the server crashed more often than `max_restarts` allows."""
        return not self._closed and self.restarts < self.max_restarts

    async def start(self) -> None:
        async with self._restart_lock:
            if not self.alive:
                await self._start()

    async def _start(self) -> None:
        command = self.spec.resolve_command()
        try:
            process = await trio.lowlevel.open_process(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=str(self.root),
                env=self.spec.process_env(),
                start_new_session=True,
            )
        except OSError as exc:
            raise ServerStartError(f"{self.spec.name}: cannot run {command[0]}: {exc}") from None
        self.generation += 1
        session = Session(process, self.generation)
        self._session = session
        self.progress.reset()
        self.published.clear()
        self.server_status = None
        await self._nursery.start(self._run_session, session)
        try:
            await self._handshake(session)
        except (LspError, trio.TooSlowError) as exc:
            session.kill()
            detail = session.stderr_text() or "(no output on stderr)"
            raise ServerStartError(
                f"{self.spec.name} did not complete the initialize handshake ({exc})\nits stderr ends with:\n{detail}"
            ) from None

    async def _handshake(self, session: Session) -> None:
        params = initialize_params(self.spec, self.root)
        result = await self._request_on(
            session, "initialize", self.converter.unstructure(params), INITIALIZE_TIMEOUT
        )
        initialized = self.converter.structure(result, lsp.InitializeResult)
        self.server_capabilities = initialized.capabilities
        self.server_info = initialized.server_info
        encoding = initialized.capabilities.position_encoding or "utf-16"
        self.position_encoding = cast(PositionEncoding, str(getattr(encoding, "value", encoding)))
        await session.send(jsonrpc.notification("initialized", {}))
        if self.spec.settings is not None:
            await session.send(
                jsonrpc.notification("workspace/didChangeConfiguration", {"settings": self.spec.settings})
            )
        for document in self.documents:
            await session.send(jsonrpc.notification("textDocument/didOpen", self._did_open_params(document)))

    async def _run_session(self, session: Session, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with session.cancel_scope:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._drain_stderr, session)
                nursery.start_soon(self._read_messages, session, nursery)
                task_status.started()
        if session.alive:
            session.mark_dead("the client stopped reading from the server")

    async def _read_messages(self, session: Session, nursery: trio.Nursery) -> None:
        stdout = session.process.stdout
        assert stdout is not None
        reader = jsonrpc.MessageReader()
        reason = ""
        try:
            while True:
                chunk = await stdout.receive_some(1 << 16)
                if not chunk:
                    break
                for message in reader.feed(chunk):
                    self._dispatch_safely(session, message, nursery)
        except ProtocolError as exc:
            reason = f"protocol error: {exc}"
            session.kill()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        with trio.move_on_after(SHUTDOWN_TIMEOUT) as waited:
            await session.process.wait()
        if waited.cancelled_caught:
            session.kill()
            await session.process.wait()
        code = session.process.returncode
        if not session.closing:
            # Let the stderr drain catch the last lines before quoting them.
            await trio.sleep(0.05)
            reason = reason or f"exited with code {code}"
            log.warning("%s %s", self.spec.name, reason)
            session.mark_dead(
                f"{self.spec.name} {reason}\nits stderr ends with:\n{session.stderr_text() or '(nothing)'}"
            )
        else:
            session.mark_dead(f"{self.spec.name} was shut down")
        session.cancel_scope.cancel()

    async def _drain_stderr(self, session: Session) -> None:
        stderr = session.process.stderr
        assert stderr is not None
        partial = b""
        try:
            while True:
                chunk = await stderr.receive_some(1 << 14)
                if not chunk:
                    break
                *lines, partial = (partial + chunk).split(b"\n")
                for line in lines:
                    session.stderr_tail.append(line.decode("utf-8", errors="replace")[:500])
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def _live_session(self) -> Session:
        if self._closed:
            raise LspError(f"{self.spec.name}: client is closed")
        session = self._session
        if session is not None and session.alive:
            return session
        async with self._restart_lock:
            session = self._session
            if session is not None and session.alive:
                return session
            if session is not None:
                if self.restarts >= self.max_restarts:
                    raise ServerCrashed(
                        f"{self.spec.name} crashed {self.restarts + 1} times; not restarting again. Last: {session.death}"
                    )
                self.restarts += 1
                log.warning("restarting %s (restart %d of %d)", self.spec.name, self.restarts, self.max_restarts)
            await self._start()
            assert self._session is not None
            return self._session

    async def aclose(self) -> None:
        """Shut the server down politely, then by force; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        session = self._session
        if session is None:
            return
        with trio.CancelScope(shield=True):
            if session.alive:
                session.closing = True
                with trio.move_on_after(SHUTDOWN_TIMEOUT):
                    try:
                        await self._request_on(session, "shutdown", None, SHUTDOWN_TIMEOUT)
                        await session.send(jsonrpc.notification("exit"))
                    except LspError:
                        pass
                    await session.process.wait()
            session.closing = True
            session.kill()
            with trio.move_on_after(SHUTDOWN_TIMEOUT):
                await session.process.wait()
            session.cancel_scope.cancel()
            for stream in (session.process.stdin, session.process.stdout, session.process.stderr):
                if stream is not None:
                    await stream.aclose()

    async def restart(self) -> None:
        """Replace the server process now (documents are re-opened)."""
        async with self._restart_lock:
            session = self._session
            if session is not None and session.alive:
                session.closing = True
                session.kill()
                await session.dead.wait()
            await self._start()

    # -- messages from the server ----------------------------------------

    def _dispatch_safely(self, session: Session, message: jsonrpc.Message, nursery: trio.Nursery) -> None:
        try:
            self._dispatch(session, message, nursery)
        except ProtocolError:
            raise
        except Exception as exc:
            # One malformed notification must not take the connection down.
            log.warning("%s: ignoring a message this client cannot use (%s): %.200s", self.spec.name, exc, message)

    def _dispatch(self, session: Session, message: jsonrpc.Message, nursery: trio.Nursery) -> None:
        kind = jsonrpc.kind(message)
        if kind == "response":
            pending = session.pending.pop(message["id"], None) if isinstance(message["id"], int) else None
            if pending is None:
                return  # answer to a request we already gave up on
            if "error" in message:
                pending.error = message["error"] or {}
            else:
                pending.result = message.get("result")
            pending.done.set()
        elif kind == "notification":
            self._handle_notification(message["method"], message.get("params"))
        else:
            nursery.start_soon(self._answer_request, session, message)

    def _handle_notification(self, method: str, params: Any) -> None:
        if method == "textDocument/publishDiagnostics":
            self.published.handle(self.converter.structure(params, lsp.PublishDiagnosticsParams))
        elif method == "$/progress":
            self.progress.handle(params)
        elif method == "experimental/serverStatus":
            self.server_status = params if isinstance(params, dict) else None
            self.status_changed.notify()
        elif method in ("window/logMessage", "window/showMessage"):
            if isinstance(params, dict):
                self.remember_message(method.split("/")[1], str(params.get("message", "")))
        for listener in self._listeners.get(method, ()):
            listener(method, params)

    async def _answer_request(self, session: Session, message: jsonrpc.Message) -> None:
        try:
            reply = jsonrpc.result(message["id"], await answer(self, message["method"], message.get("params")))
        except Exception as exc:  # every request gets an answer, or the server waits forever
            log.debug("answering %s failed: %s", message["method"], exc)
            reply = error_reply(message["id"], exc)
        try:
            await session.send(reply)
        except ServerCrashed:
            pass

    def remember_message(self, kind: str, text: str) -> None:
        self.messages.append(f"{kind}: {text[:2000]}")

    def note_refresh(self, method: str) -> None:
        self.refreshes[method] = self.refreshes.get(method, 0) + 1

    def on_notification(self, method: str, listener: NotificationListener) -> None:
        """Call `listener(method, params)` for every notification `method` from now on."""
        self._listeners.setdefault(method, []).append(listener)

    # -- requests and notifications to the server --------------------------

    async def _request_on(self, session: Session, method: str, params: object, timeout: float) -> object:
        request_id = session.allocate_id()
        pending = Pending(method)
        session.pending[request_id] = pending
        try:
            await session.send(jsonrpc.request(request_id, method, params))
            with trio.move_on_after(timeout):
                await pending.done.wait()
        finally:
            if not pending.done.is_set():
                session.pending.pop(request_id, None)
                if session.alive:
                    with trio.CancelScope(shield=True), trio.move_on_after(1.0):
                        try:
                            await session.send(jsonrpc.notification("$/cancelRequest", {"id": request_id}))
                        except ServerCrashed:
                            pass
        if not pending.done.is_set():
            raise RequestTimeout(
                f"{self.spec.name}: {method} got no answer within {timeout:g} s (cancelled); "
                f"server work in progress: {self.progress.describe()}"
            )
        if pending.crashed is not None:
            raise ServerCrashed(f"{method} failed: {pending.crashed}")
        if pending.error is not None:
            error = pending.error
            raise ResponseError(method, int(error.get("code", 0)), str(error.get("message", "")), error.get("data"))
        return pending.result

    async def request(self, method: str, params: object, *, timeout: float = 30.0) -> Any:
        """Send a request and wait for its result.

        With lsprotocol params the result comes back as lsprotocol objects
        (the method's result type); with plain JSON params, as plain JSON.
        """
        typed = _is_lsprotocol(params)
        raw = self.converter.unstructure(params) if typed else params
        session = await self._live_session()
        result = await self._request_on(session, method, raw, timeout)
        if not typed:
            return result
        return self._structure_result(method, result)

    def _structure_result(self, method: str, result: object) -> Any:
        types = lsp.METHOD_TO_TYPES.get(method)
        if types is None or types[1] is None:
            return result
        response = self.converter.structure({"jsonrpc": "2.0", "id": 0, "result": result}, types[1])
        return response.result

    async def notify(self, method: str, params: object) -> None:
        raw = self.converter.unstructure(params) if _is_lsprotocol(params) else params
        session = await self._live_session()
        await session.send(jsonrpc.notification(method, raw))

    # -- documents -----------------------------------------------------------

    def absolute(self, path: Path | str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / candidate

    def _did_open_params(self, document: OpenDocument) -> dict[str, Any]:
        return {
            "textDocument": {
                "uri": document.uri,
                "languageId": document.language_id,
                "version": document.version,
                "text": document.text,
            }
        }

    async def open_document(self, path: Path | str, text: str, language_id: str | None = None) -> int:
        """Open a document (or, if open already, replace its text); returns its version."""
        full = self.absolute(path)
        if self.documents.get(full) is not None:
            return await self.change_document(full, text)
        session = await self._live_session()
        document = self.documents.open(full, text, language_id or self.spec.language_id)
        await session.send(jsonrpc.notification("textDocument/didOpen", self._did_open_params(document)))
        return document.version

    async def change_document(self, path: Path | str, text: str) -> int:
        """Replace the whole text of an open document; returns the new version."""
        full = self.absolute(path)
        self.documents.require(full)
        session = await self._live_session()
        document = self.documents.change(full, text)
        await session.send(
            jsonrpc.notification(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": document.uri, "version": document.version},
                    "contentChanges": [{"text": text}],
                },
            )
        )
        return document.version

    async def save_document(self, path: Path | str, text: str | None = None) -> None:
        """Tell the server the document was saved (its text must be on disk by now)."""
        full = self.absolute(path)
        document = self.documents.require(full)
        if text is not None and text != document.text:
            await self.change_document(full, text)
            document = self.documents.require(full)
        params: dict[str, Any] = {"textDocument": {"uri": document.uri}}
        if self._save_includes_text():
            params["text"] = document.text
        session = await self._live_session()
        await session.send(jsonrpc.notification("textDocument/didSave", params))

    def _save_includes_text(self) -> bool:
        sync = self.server_capabilities.text_document_sync if self.server_capabilities else None
        if isinstance(sync, lsp.TextDocumentSyncOptions) and isinstance(sync.save, lsp.SaveOptions):
            return bool(sync.save.include_text)
        return False

    async def close_document(self, path: Path | str) -> None:
        full = self.absolute(path)
        document = self.documents.close(full)
        session = await self._live_session()
        await session.send(jsonrpc.notification("textDocument/didClose", {"textDocument": {"uri": document.uri}}))

    def text_of(self, path: Path | str) -> str:
        """The text the server sees for `path`: the open document, else the file on disk."""
        full = self.absolute(path)
        document = self.documents.get(full)
        if document is not None:
            return document.text
        return full.read_text(encoding="utf-8", errors="replace")

    # -- readiness -----------------------------------------------------------

    async def wait_until_ready(self, timeout: float | None = None) -> None:
        """Until the server has loaded the workspace (see ServerSpec.readiness)."""
        timeout = self.spec.ready_timeout if timeout is None else timeout
        session = await self._live_session()
        with trio.move_on_after(timeout) as scope:
            async with trio.open_nursery() as nursery:

                async def watch_death() -> None:
                    await session.dead.wait()
                    nursery.cancel_scope.cancel()

                async def wait_ready() -> None:
                    if self.spec.readiness == "server-status":
                        await self.status_changed.wait_for(self._status_quiescent)
                    await self.progress.wait_idle(self.spec.ready_quiet, math.inf)
                    nursery.cancel_scope.cancel()

                nursery.start_soon(watch_death)
                nursery.start_soon(wait_ready)
        if not session.alive:
            raise ServerCrashed(f"while waiting for readiness: {session.death}")
        if scope.cancelled_caught:
            status = f"; status: {self.server_status.get('message') or self.server_status}" if self.server_status else ""
            raise ServerNotReady(
                f"{self.spec.name} not ready after {timeout:g} s ({self.progress.describe()}{status}); "
                "a large workspace may need a longer timeout"
            )

    def _status_quiescent(self) -> bool:
        return bool(self.server_status and self.server_status.get("quiescent"))


def _is_lsprotocol(value: object) -> bool:
    # lsprotocol types are attrs classes; plain JSON is dicts, lists and scalars.
    return hasattr(type(value), "__attrs_attrs__")


@asynccontextmanager
async def open_client(
    spec: ServerSpec,
    root: Path,
    *,
    edit_handler: EditHandler | None = None,
    max_restarts: int = 3,
) -> AsyncIterator[LanguageClient]:
    """Start `spec`'s server on `root`, initialized; shut it down on exit."""
    async with open_nursery() as nursery:
        client = LanguageClient(spec, root, nursery, edit_handler=edit_handler, max_restarts=max_restarts)
        try:
            await client.start()
            yield client
        finally:
            await client.aclose()
            nursery.cancel_scope.cancel()
