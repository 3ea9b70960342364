"""The editor-facing language server: pygls 2 on stdio, in front of a `Backend`.

    serve_stdio(lambda root: MyBackend(root))        # blocks until the editor exits

Commands (`workspace/executeCommand`):
- `swarm.fixIssue [issue text]`;
- `swarm.rewriteSymbol [uri, line, character, instruction]` (LSP 0-based
  position, as the editor sends it; the symbol under it is rewritten);
- `swarm.showGraph [run id?]` opens the run's HTML graph (`window/showDocument`, external);
- `swarm.cancel` ends the command in progress.
A command reports `$/progress` while it runs; the backend's approval prompts
are `window/showMessageRequest`; its result is applied with
`workspace/applyEdit` (never written behind the editor's back), then the
backend's diagnostics are published for open files and code lenses refreshed.
A refused command answers with a JSON-RPC error carrying the backend's message.

The backend is trio code; pygls is asyncio. The shell hosts one trio run in
the asyncio loop (lsp.trio_host, trio guest mode: one thread, no second
process) for the server's lifetime; `shutdown` cancels it and waits, so
nothing the backend started outlives the server.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from lsp.backend import Backend, BackendError, FileChange, Outcome, Problem, SourcePosition
from lsp.positions import PositionEncoding, from_codepoints, split_lines, to_codepoints
from lsp.trio_host import HostStopped, TrioHost
from lsp.uris import path_to_uri, uri_to_path

NAME = "swarm-lsp"
VERSION = "0.1.0"
FIX_ISSUE, REWRITE_SYMBOL, SHOW_GRAPH, CANCEL = "swarm.fixIssue", "swarm.rewriteSymbol", "swarm.showGraph", "swarm.cancel"
COMMANDS = (FIX_ISSUE, REWRITE_SYMBOL, SHOW_GRAPH, CANCEL)
REQUEST_FAILED = -32803   # LSP's RequestFailed: the request was valid but could not be done
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}

log = logging.getLogger(__name__)
BackendFactory = Callable[[Path], Backend]


def _failed(message: str) -> JsonRpcException:
    return JsonRpcException(message, code=REQUEST_FAILED)


class _Editor:
    """lsp.backend.EditorSide for one command: progress token, prompts, documents."""

    def __init__(self, shell: SwarmShell, token: str | None) -> None:
        self.shell = shell
        self.token = token

    async def report(self, message: str, percentage: int | None = None) -> None:
        if self.token is not None:
            self.shell.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage))

    async def ask(self, message: str, actions: Sequence[str]) -> str | None:
        params = types.ShowMessageRequestParams(
            type=types.MessageType.Info, message=message, actions=[types.MessageActionItem(title=a) for a in actions])
        chosen = await self.shell.host.host(self.shell.server.window_show_message_request_async(params), cancel=False)
        return chosen.title if chosen is not None else None

    async def show(self, path: Path, *, external: bool = False) -> bool:
        params = types.ShowDocumentParams(uri=path_to_uri(path), external=external or None, take_focus=True)
        result = await self.shell.host.host(self.shell.server.window_show_document_async(params), cancel=False)
        return bool(result and result.success)

    def current_text(self, path: Path) -> str | None:
        document = self.shell.open_document(path)
        return document.source if document is not None else None


class SwarmShell:
    """The pygls server and what it keeps between requests."""

    def __init__(self, make_backend: BackendFactory, *, root: Path | None = None) -> None:
        self.make_backend = make_backend
        self.root = root
        self.server = LanguageServer(NAME, VERSION)
        self.host = TrioHost()
        self.backend: Backend | None = None
        self.published: set[str] = set()
        self.progress_token: str | None = None
        self._register()

    # -- documents -------------------------------------------------------------

    def open_document(self, path: Path) -> Any:
        wanted = Path(path).resolve()
        for uri, document in self.server.workspace.text_documents.items():
            try:
                if uri_to_path(uri).resolve() == wanted:
                    return document
            except ValueError:
                continue
        return None

    def current_text(self, path: Path) -> str | None:
        document = self.open_document(path)
        if document is not None:
            return document.source
        try:
            return Path(path).read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    # -- capabilities ------------------------------------------------------------

    @property
    def encoding(self) -> PositionEncoding:
        value = self.server.workspace.position_encoding
        text = getattr(value, "value", value)
        return text if text in ("utf-8", "utf-16", "utf-32") else "utf-16"  # type: ignore[return-value]

    def _client(self, *path: str) -> Any:
        found: Any = self.server.client_capabilities
        for name in path:
            found = getattr(found, name, None)
            if found is None:
                return None
        return found

    # -- handlers ----------------------------------------------------------------

    def _register(self) -> None:
        server = self.server

        @server.feature(types.INITIALIZE)
        async def initialize(ls: LanguageServer, params: types.InitializeParams) -> None:
            root = self.root or _root_of(params) or Path.cwd()
            self.backend = self.make_backend(root)
            await self.host.start()

        @server.feature(types.SHUTDOWN)
        async def shutdown(ls: LanguageServer, params: Any) -> None:
            await self.close()

        @server.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
        async def progress_cancel(ls: LanguageServer, params: types.WorkDoneProgressCancelParams) -> None:
            if self.progress_token is not None and params.token == self.progress_token:
                await self._cancel()

        @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
        def code_lens(ls: LanguageServer, params: types.CodeLensParams) -> list[types.CodeLens]:
            if self.backend is None:
                return []
            path = uri_to_path(params.text_document.uri)
            text = self.current_text(path)
            if text is None:
                return []
            return [
                types.CodeLens(
                    range=types.Range(types.Position(lens.line - 1, 0), types.Position(lens.line - 1, 0)),
                    command=types.Command(title=lens.title, command=lens.command, arguments=list(lens.arguments))
                    if lens.command else None,
                )
                for lens in self.backend.lenses(path, text)
            ]

        @server.command(FIX_ISSUE)
        async def fix_issue(ls: LanguageServer, *args):  # noqa: ANN202 - pygls passes the raw arguments
            issue = _argument(args, 0, "the issue text", str)
            backend = self._backend()
            return await self._command("swarm: fixing the issue", lambda editor: backend.fix_issue(issue, editor))

        @server.command(REWRITE_SYMBOL)
        async def rewrite_symbol(ls: LanguageServer, *args):  # noqa: ANN202
            uri = _argument(args, 0, "the document uri", str)
            line = _argument(args, 1, "the 0-based line", int)
            character = _argument(args, 2, "the 0-based character", int)
            instruction = _argument(args, 3, "the instruction", str)
            position = self._position(uri, line, character)
            backend = self._backend()
            return await self._command(
                "swarm: rewriting the symbol", lambda editor: backend.rewrite_symbol(position, instruction, editor))

        @server.command(SHOW_GRAPH)
        async def show_graph(ls: LanguageServer, *args):  # noqa: ANN202
            run_id = str(args[0]) if args and args[0] else None
            backend = self._backend()
            path = await self._in_trio(lambda: backend.graph_path(run_id))
            params = types.ShowDocumentParams(uri=path_to_uri(path), external=True)
            shown = await ls.window_show_document_async(params)
            return {"path": str(path), "shown": bool(shown and shown.success)}

        @server.command(CANCEL)
        async def cancel(ls: LanguageServer, *args):  # noqa: ANN202
            return {"cancelled": await self._cancel()}

    def _backend(self) -> Backend:
        if self.backend is None:
            raise _failed("the server is not initialized yet")
        return self.backend

    async def _cancel(self) -> bool:
        backend = self._backend()

        async def cancel() -> bool:
            return backend.cancel()

        return await self._in_trio(cancel)

    async def _in_trio(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await self.host.call(fn)
        except BackendError as exc:
            raise _failed(str(exc)) from None
        except HostStopped as exc:
            raise _failed(str(exc)) from None

    def _position(self, uri: str, line: int, character: int) -> SourcePosition:
        try:
            path = uri_to_path(uri)
        except ValueError:
            raise JsonRpcInvalidParams(f"{uri!r} is not a file uri") from None
        text = self.current_text(path)
        if text is None:
            raise JsonRpcInvalidParams(f"{path} cannot be read: the position must be in an existing text file")
        lines = split_lines(text)
        if not 0 <= line < len(lines) or character < 0:
            raise JsonRpcInvalidParams(f"{path} has {len(lines)} line(s): line {line + 1} (0-based {line}) is not in it")
        column = to_codepoints(lines[line], character, self.encoding)
        return SourcePosition(path, line + 1, column + 1)

    async def _command(self, title: str, work: Callable[[_Editor], Awaitable[Outcome]]) -> dict[str, Any]:
        token = await self._begin_progress(title)
        editor = _Editor(self, token)
        try:
            outcome: Outcome = await self._in_trio(lambda: work(editor))
        finally:
            self._end_progress(token)
        applied, note = await self._apply(outcome.changes)
        self._publish(outcome.changes)
        if self._client("workspace", "code_lens", "refresh_support"):
            await self.server.workspace_code_lens_refresh_async(None)
        message = outcome.message + (f" ({note})" if note else "")
        kind = types.MessageType.Info if outcome.ok and applied else types.MessageType.Warning
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))
        return {"ok": outcome.ok and applied, "message": message, "run_id": outcome.run_id, "applied": applied,
                **{k: v for k, v in outcome.details.items() if k not in ("ok", "message", "applied")}}

    async def _begin_progress(self, title: str) -> str | None:
        if not self._client("window", "work_done_progress"):
            return None
        token = f"swarm-{uuid.uuid4().hex[:12]}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception as exc:  # noqa: BLE001 - no progress is no reason to fail the command
            log.warning("the editor refused a progress token: %s", exc)
            return None
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=True))
        self.progress_token = token
        return token

    def _end_progress(self, token: str | None) -> None:
        if token is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
        if self.progress_token == token:
            self.progress_token = None

    async def _apply(self, changes: Sequence[FileChange]) -> tuple[bool, str]:
        """(applied, note) after asking the editor to apply `changes`."""
        if not changes:
            return True, ""
        edit, skipped = self.workspace_edit(changes)
        result = await self.server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="swarm: apply the accepted change"))
        if not result.applied:
            return False, f"the editor did not apply the edit: {result.failure_reason or 'no reason given'}"
        if skipped:
            return True, "this editor cannot create files over LSP; not created: " + ", ".join(map(str, skipped))
        return True, ""

    def workspace_edit(self, changes: Sequence[FileChange]) -> tuple[types.WorkspaceEdit, list[Path]]:
        """The LSP edit for `changes`, in the form the client supports; (edit, new files it cannot create)."""
        encoding = self.encoding
        document_changes = bool(self._client("workspace", "workspace_edit", "document_changes"))
        operations = self._client("workspace", "workspace_edit", "resource_operations") or []
        can_create = document_changes and types.ResourceOperationKind.Create in operations
        parts: list[Any] = []
        plain: dict[str, list[types.TextEdit]] = {}
        skipped: list[Path] = []
        for change in changes:
            uri = path_to_uri(change.path)
            text = "" if change.create else (self.current_text(change.path) or "")
            edits = [_text_edit(text, e.first_line, e.last_line, e.text, encoding) for e in change.edits]
            if change.create and not can_create:
                skipped.append(change.path)
                continue
            if change.create:
                parts.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False, ignore_if_exists=True)))
            if document_changes:
                document = self.open_document(change.path)
                version = document.version if document is not None and not change.create else None
                identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
                parts.append(types.TextDocumentEdit(text_document=identifier, edits=list(edits)))
            else:
                plain[uri] = edits
        if document_changes:
            return types.WorkspaceEdit(document_changes=parts), skipped
        return types.WorkspaceEdit(changes=plain), skipped

    def _publish(self, changes: Sequence[FileChange]) -> None:
        """The backend's diagnostics for open and changed files; earlier ones cleared."""
        if self.backend is None:
            return
        uris: dict[str, Path] = {}
        for uri in list(self.server.workspace.text_documents) + list(self.published):
            try:
                uris[uri] = uri_to_path(uri)
            except ValueError:
                continue
        for change in changes:
            uris[path_to_uri(change.path)] = change.path
        for uri, path in uris.items():
            problems = self.backend.diagnostics(path)
            if not problems and uri not in self.published:
                continue
            text = self.current_text(path) or ""
            diagnostics = [_diagnostic(text, p, self.encoding) for p in problems]
            self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
            if problems:
                self.published.add(uri)
            else:
                self.published.discard(uri)

    async def close(self) -> None:
        """End the backend's work and the trio run (shutdown, or the editor went away)."""
        backend = self.backend
        if backend is not None and self.host.running:
            try:
                await self.host.call(backend.aclose)
            except HostStopped:
                pass
        await self.host.stop()

    async def serve(self, stdin: BinaryIO, stdout: BinaryIO) -> None:
        """Serve one editor on these streams until it exits or hangs up."""
        import threading

        from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async

        self.server._stop_event = stop = threading.Event()  # noqa: SLF001 - what start_io sets up
        self.server.protocol.set_writer(StdoutWriter(stdout))
        try:
            await run_async(stop_event=stop, reader=StdinAsyncReader(stdin, self.server.thread_pool),
                            protocol=self.server.protocol, logger=log, error_handler=self.server.report_server_error)
        finally:
            await self.close()


def _root_of(params: types.InitializeParams) -> Path | None:
    folders = params.workspace_folders or []
    uri = params.root_uri or (folders[0].uri if folders else None)
    if uri:
        return uri_to_path(uri)
    return Path(params.root_path) if params.root_path else None


def _argument(args: Sequence[Any], index: int, what: str, kind: type) -> Any:
    if len(args) <= index or not isinstance(args[index], kind) or isinstance(args[index], bool):
        raise JsonRpcInvalidParams(f"argument {index + 1} must be {what} ({kind.__name__})")
    return args[index]


def _text_edit(text: str, first_line: int, last_line: int, new_text: str, encoding: PositionEncoding) -> types.TextEdit:
    """Whole lines first..last (1-based) of `text` -> an LSP TextEdit."""
    lines = split_lines(text)
    start = types.Position(first_line - 1, 0)
    if last_line < first_line:
        end = start
    elif last_line < len(lines):
        end = types.Position(last_line, 0)
    else:  # the last line of a text without a final newline
        end = types.Position(last_line - 1, from_codepoints(lines[last_line - 1], len(lines[last_line - 1]), encoding))
    return types.TextEdit(range=types.Range(start, end), new_text=new_text)


def _diagnostic(text: str, problem: Problem, encoding: PositionEncoding) -> types.Diagnostic:
    lines = split_lines(text)

    def position(line: int, column: int) -> types.Position:
        line_text = lines[line - 1] if 0 < line <= len(lines) else ""
        return types.Position(max(line - 1, 0), from_codepoints(line_text, column - 1, encoding))

    return types.Diagnostic(
        range=types.Range(position(problem.line, problem.column), position(problem.end_line, problem.end_column)),
        message=problem.message,
        severity=_SEVERITY.get(problem.severity, types.DiagnosticSeverity.Warning),
        source=problem.source,
        code=problem.code,
    )


def serve_stdio(make_backend: BackendFactory, *, root: Path | None = None) -> int:
    """Run the shell on this process's stdin/stdout until the editor exits; the exit status."""
    shell = SwarmShell(make_backend, root=root)
    try:
        asyncio.run(shell.serve(sys.stdin.buffer, sys.stdout.buffer))
    except SystemExit as exc:   # pygls ends `exit` with sys.exit: 0 after shutdown, 1 without
        return int(exc.code or 0)
    except BrokenPipeError:
        log.error("the editor closed the connection")
        return 1
    return 0
