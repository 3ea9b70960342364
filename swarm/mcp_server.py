"""`swarm mcp`: the headless editor as an MCP server over stdio.

Any MCP-capable agent gets the harness's LSP-backed reading and navigation
and its check-after-every-rewrite editing on one repository:

    read_symbol, outline, locate, go_to_definition, references,
    diagnostics, run_tests, rewrite_symbol (returns its CheckReport and the patch)

Tools take and return what the harness does, as JSON text; positions are
1-based lines and columns, as editors print them. A refused request (an
unknown symbol, a stale base version, a path outside the repository) is an
MCP tool error carrying the harness's message. The server runs under trio
(the mcp SDK is anyio-based); the editor session (workspace, warm language
servers, check pipeline) is opened once and lives as long as the server.
Edits are written to the repository the server was started on: start it on
a checkout you mean to edit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from editor_harness.errors import HarnessError
from editor_harness.navigation import Navigator
from editor_harness.session import EditorSession, open_session
from symbols.errors import SymbolsError

SERVER_NAME = "symbol-swarm-harness"


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


def _symbol_json(symbol: Any) -> dict[str, Any]:
    return {
        "id": symbol.id, "kind": symbol.kind.value, "path": symbol.path, "start_line": symbol.start_line,
        "end_line": symbol.end_line, "signature": symbol.signature,
    }  # fmt: skip


def build_server(session: EditorSession) -> Any:
    """An MCPServer whose tools act on `session` (imported here: `mcp` is only needed for this command)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    server = MCPServer(SERVER_NAME, instructions="Read, navigate and rewrite code symbol by symbol; every rewrite is checked (syntax, new diagnostics, tests).")
    workspace = session.workspace
    navigator: Navigator = session.navigator

    def refused(exc: Exception) -> ToolError:
        return ToolError(f"{type(exc).__name__}: {exc}")

    @server.tool(structured_output=False)
    def read_symbol(symbol: str, max_chars: int | None = None) -> str:
        """The whole text of a symbol (`path::Qualified.name`), with its file version for rewrite_symbol."""
        try:
            text = workspace.read_symbol(symbol, max_chars)
        except (HarnessError, SymbolsError) as exc:
            raise refused(exc) from None
        return _json({
            "symbol_id": text.symbol_id, "path": text.path, "kind": text.kind.value, "start_line": text.start_line,
            "end_line": text.end_line, "version": text.version, "signature": text.signature, "elided": text.elided,
            "text": text.text,
        })  # fmt: skip

    @server.tool(structured_output=False)
    def outline(path: str) -> str:
        """Every symbol of one file (module first): id, kind, lines, signature."""
        try:
            return _json([_symbol_json(s) for s in workspace.outline(path)])
        except (HarnessError, SymbolsError) as exc:
            raise refused(exc) from None

    @server.tool(structured_output=False)
    def locate(name: str, limit: int = 20) -> str:
        """Symbols named `name` exactly, then those whose qualified name contains it."""
        return _json([_symbol_json(s) for s in workspace.find_symbols(name, limit=limit)])

    async def _navigate(kind: str, path: str, line: int, column: int) -> str:
        try:
            if kind == "definition":
                found = await navigator.go_to_definition(path, line, max(column - 1, 0))
            else:
                found = await navigator.references(path, line, max(column - 1, 0))
        except (HarnessError, SymbolsError) as exc:
            raise refused(exc) from None
        return _json([item.to_json() for item in found])

    @server.tool(structured_output=False)
    async def go_to_definition(path: str, line: int, column: int) -> str:
        """Where what is at PATH:LINE:COLUMN (1-based) is defined, with the symbol id there."""
        return await _navigate("definition", path, line, column)

    @server.tool(structured_output=False)
    async def references(path: str, line: int, column: int) -> str:
        """References to what is at PATH:LINE:COLUMN (1-based), each with the id of the symbol using it."""
        return await _navigate("references", path, line, column)

    @server.tool(structured_output=False)
    async def diagnostics(path: str) -> str:
        """The language server's current diagnostics for a file (empty when servers are off)."""
        service = session.diagnostics
        current = getattr(service, "current", None)
        if current is None:
            return _json({"path": path, "diagnostics": [], "note": "no diagnostics service (started with --no-servers)"})
        try:
            found = await current(workspace.relative(path))
        except (HarnessError, SymbolsError) as exc:
            raise refused(exc) from None
        return _json({"path": path, "diagnostics": [d.to_json() for d in found]})

    @server.tool(structured_output=False)
    async def run_tests(selection: list[str] | None = None, timeout: float = 300.0) -> str:
        """Run tests (pytest node ids / cargo filters; none: all) with a hard timeout and no network."""
        try:
            run = await workspace.run_tests(selection or (), timeout=timeout, python=session.pipeline.python)
        except HarnessError as exc:
            raise refused(exc) from None
        return _json(run.to_json())

    @server.tool(structured_output=False)
    async def rewrite_symbol(
        symbol: str, new_source: str, base_version: int | None = None, tests: list[str] | None = None
    ) -> str:
        """Replace a symbol's whole text, then check it: syntax, new diagnostics, tests.

        Returns the check report and the repository's patch. A refused edit
        (does not parse, stale base_version, unknown symbol) is reported in
        the report's syntax stage and nothing is written.
        """
        report = await session.pipeline.rewrite_and_check(symbol, new_source, base_version, tests=tests)
        return _json({"ok": report.ok, "summary": report.render(), "report": report.to_json(), "patch": workspace.diff()})

    return server


async def serve_stdio(repo: Path, *, servers: bool = True, python: str | None = None) -> None:
    """Open the editor session on `repo` and serve MCP over stdin/stdout until the client leaves."""
    async with open_session(repo, servers=servers, python=python) as session:
        await build_server(session).run_stdio_async()
