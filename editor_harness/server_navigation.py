"""Navigation answered by language servers: pyright for Python (the second
source after Jedi), rust-analyzer for Rust.

Positions in and out are the harness's: 1-based lines, 0-based code-point
columns, repo-relative paths. A result outside the repository (stdlib,
typeshed stubs, site-packages, the Rust sysroot) keeps its absolute path and
is flagged `external`.

The servers see the text the diagnostics service last sent them (a file
opened here is read from disk). Navigation never changes a document: the
diagnostics service owns the "before" text of every file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from editor_harness.errors import HarnessError
from editor_harness.language_servers import LanguageServers, relative_inside
from lsp.client import LanguageClient
from lsp.errors import LspError
from lsp.positions import LineIndex, range_to_codepoints
from lsp.servers import ServerSpec
from lsp.uris import path_to_uri, uri_to_path

NAVIGATION_TIMEOUT = 60.0


class NavigationError(HarnessError):
    """A navigation request could not be answered (bad position, server failure)."""


class NavigationUnsupported(NavigationError):
    """The language server does not offer this kind of navigation."""


# Which server capability announces each request.
_PROVIDERS = {
    "textDocument/definition": "definition_provider",
    "textDocument/references": "references_provider",
    "textDocument/implementation": "implementation_provider",
    "textDocument/hover": "hover_provider",
}


@dataclass(frozen=True, slots=True)
class Location:
    """A span in a file: 1-based lines, 0-based code-point columns.
    `path` is repo-relative, or absolute when `external` (outside the repo)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    external: bool = False

    def describe(self) -> str:
        return f"{self.path}:{self.line}:{self.column + 1}"


class ServerNavigation:
    def __init__(self, servers: LanguageServers) -> None:
        self.servers = servers
        self.root = servers.root
        self._indexes: dict[Path, tuple[int, LineIndex]] = {}

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        root: Path,
        languages: Iterable[str],
        *,
        servers: LanguageServers | None = None,
        specs: Mapping[str, ServerSpec] | None = None,
    ) -> AsyncIterator[ServerNavigation]:
        """Navigation over `servers` if given (shared with diagnostics), else its own."""
        async with AsyncExitStack() as stack:
            if servers is None:
                servers = await stack.enter_async_context(LanguageServers.open(root, list(languages), specs=specs))
            yield cls(servers)

    # -- positions ---------------------------------------------------------------

    def _relative(self, path: str | Path) -> str:
        rel = relative_inside(self.root, path)
        if rel is None:
            raise NavigationError(f"{path} is outside the workspace {self.root}")
        return rel

    async def _client_for(self, rel: str) -> LanguageClient:
        language = self.servers.language_of(rel)
        if language is None:
            raise NavigationError(f"{rel}: no language server handles this file type")
        return await self.servers.client(language)

    async def _prepare(self, path: str, line: int, column: int) -> tuple[LanguageClient, dict[str, Any]]:
        rel = self._relative(path)
        client = await self._client_for(rel)
        full = self.root / rel
        if client.documents.get(full) is None:
            try:
                text = full.read_text(encoding="utf-8")
            except OSError as exc:
                raise NavigationError(f"{rel}: cannot read it ({exc})") from None
            await client.open_document(full, text)
        index = LineIndex(client.text_of(full))
        if not 1 <= line <= len(index.lines):
            raise NavigationError(f"{rel}: line {line} is out of range (1..{len(index.lines)})")
        character = index.from_codepoints(line - 1, column, client.position_encoding)
        return client, {"textDocument": {"uri": path_to_uri(full)}, "position": {"line": line - 1, "character": character}}

    def _index_for(self, client: LanguageClient, path: Path) -> LineIndex:
        document = client.documents.get(path)
        if document is not None:
            return LineIndex(document.text)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return LineIndex("")
        cached = self._indexes.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, LineIndex(path.read_text(encoding="utf-8", errors="replace")))
            self._indexes[path] = cached
        return cached[1]

    def _location(self, client: LanguageClient, uri: str, range_: dict[str, Any]) -> Location:
        path = uri_to_path(uri)
        start, end = range_["start"], range_["end"]
        line, column, end_line, end_column = range_to_codepoints(
            self._index_for(client, path),
            (start["line"], start["character"]),
            (end["line"], end["character"]),
            client.position_encoding,
        )
        rel = relative_inside(self.root, path)
        shown, external = (rel, False) if rel is not None else (str(path), True)
        return Location(shown, line, column, end_line, end_column, external)

    def _locations(self, client: LanguageClient, result: Any) -> list[Location]:
        if result is None:
            return []
        items = result if isinstance(result, list) else [result]
        found: list[Location] = []
        for item in items:
            if not isinstance(item, dict):
                continue
            if "targetUri" in item:  # LocationLink: the name, not the whole definition
                uri, range_ = item["targetUri"], item.get("targetSelectionRange") or item["targetRange"]
            else:
                uri, range_ = item.get("uri"), item.get("range")
            if not uri or not range_ or not uri.startswith("file:"):
                continue
            location = self._location(client, uri, range_)
            if location not in found:
                found.append(location)
        return found

    async def _ask(self, method: str, path: str, line: int, column: int, extra: dict[str, Any] | None = None) -> tuple[LanguageClient, Any]:
        client, params = await self._prepare(path, line, column)
        capabilities = client.server_capabilities
        if capabilities is not None and not getattr(capabilities, _PROVIDERS.get(method, ""), True):
            raise NavigationUnsupported(
                f"{client.spec.name} does not answer {method}; use another source for {path}"
            )
        try:
            return client, await client.request(method, {**params, **(extra or {})}, timeout=NAVIGATION_TIMEOUT)
        except LspError as exc:
            raise NavigationError(f"{method} at {path}:{line}:{column + 1} failed: {exc}") from None

    # -- the API -----------------------------------------------------------------

    async def definition(self, path: str, line: int, column: int) -> list[Location]:
        client, result = await self._ask("textDocument/definition", path, line, column)
        return self._locations(client, result)

    async def references(self, path: str, line: int, column: int, *, include_declaration: bool = True) -> list[Location]:
        client, result = await self._ask(
            "textDocument/references", path, line, column, {"context": {"includeDeclaration": include_declaration}}
        )
        return sorted(self._locations(client, result), key=lambda loc: (loc.external, loc.path, loc.line, loc.column))

    async def implementations(self, path: str, line: int, column: int) -> list[Location]:
        client, result = await self._ask("textDocument/implementation", path, line, column)
        return self._locations(client, result)

    async def hover(self, path: str, line: int, column: int) -> str | None:
        client, result = await self._ask("textDocument/hover", path, line, column)
        if not isinstance(result, dict):
            return None
        text = hover_text(result.get("contents"))
        return text or None


def hover_text(contents: Any) -> str:
    """The text of a Hover's contents, whichever of the LSP shapes it takes."""
    if contents is None:
        return ""
    if isinstance(contents, str):
        return contents.strip()
    if isinstance(contents, list):
        return "\n\n".join(part for part in (hover_text(c) for c in contents) if part)
    if isinstance(contents, dict):
        value = str(contents.get("value", "")).strip()
        language = contents.get("language")
        return f"```{language}\n{value}\n```" if language else value
    return str(contents)


__all__ = ["Location", "NavigationError", "NavigationUnsupported", "ServerNavigation", "hover_text"]
