"""Navigation that answers in symbol ids: go to definition, references,
implementations, hover.

Each answer is a `SymbolLocation`: where (a `Location`) plus the id of the
innermost indexed symbol there (the definition itself for a definition; the
calling symbol for a reference) and which source answered. Sources are
asked in order until one has an answer:

- Python: Jedi in-process, then Pyright (a ServerNavigation), then the index;
- Rust: rust-analyzer (a ServerNavigation), then the index.

A source that fails (a crashed server, a timeout) is skipped, and its
failure is kept in `Navigator.last_failures` for whoever wants to say why.
When Jedi cannot use the run's interpreter (one Jedi cannot probe, like a
Python 3.6), it runs on this process's own Python instead, and
`Navigator.notes` says so: navigation never fails for that.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lsp.errors import LspError
from symbols.errors import SymbolsError
from symbols.languages import language_for_path
from symbols.scope import parse

from editor_harness.errors import HarnessError
from editor_harness.index_navigation import IndexNavigation
from editor_harness.jedi_navigation import JediNavigation
from editor_harness.server_navigation import Location, NavigationError
from editor_harness.syntax import definition_node, name_node
from editor_harness.workspace import Workspace


class NavigationSource(Protocol):
    """What Jedi, a language server and the index each answer."""

    async def definition(self, path: str, line: int, column: int) -> list[Location]: ...

    async def references(self, path: str, line: int, column: int) -> list[Location]: ...

    async def implementations(self, path: str, line: int, column: int) -> list[Location]: ...

    async def hover(self, path: str, line: int, column: int) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SymbolLocation:
    """A navigation answer: the place, the symbol there (None outside the repo), who said so."""

    location: Location
    symbol_id: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        return {
            "path": loc.path, "line": loc.line, "column": loc.column, "end_line": loc.end_line,
            "end_column": loc.end_column, "external": loc.external, "symbol_id": self.symbol_id, "source": self.source,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Hover:
    text: str
    symbol_id: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "symbol_id": self.symbol_id, "source": self.source}


class Navigator:
    """Navigation over one workspace, with an optional language-server source."""

    def __init__(self, workspace: Workspace, *, server: NavigationSource | None = None, python: str | None = None) -> None:
        self.workspace = workspace
        self.server = server
        self._python = python
        self._jedi: JediNavigation | None = None
        self.index_source = IndexNavigation(workspace.root, workspace.index)
        self.last_failures: dict[str, str] = {}
        self.notes: list[str] = []  # fallbacks taken once for the whole session (e.g. Jedi off the run's interpreter)

    @property
    def jedi(self) -> JediNavigation:
        if self._jedi is None:
            try:
                self._jedi = JediNavigation(self.workspace.root, self.workspace.index, python=self._python)
            except NavigationError as exc:
                if self._python is None:
                    raise
                # Jedi cannot run the project's interpreter (too old for it, broken):
                # it still reads the repository's own code on this process's Python.
                self.notes.append(f"jedi: {exc}; navigating with {sys.executable} instead")
                self._jedi = JediNavigation(self.workspace.root, self.workspace.index)
        return self._jedi

    def _sources(self, path: str) -> list[tuple[str, NavigationSource]]:
        language = language_for_path(path)
        if language is None:
            raise NavigationError(f"{path}: not a Python or Rust file")
        sources: list[tuple[str, NavigationSource]] = []
        if language.name == "python":
            try:
                sources.append(("jedi", self.jedi))
            except NavigationError as exc:
                self.last_failures["jedi"] = str(exc)  # no Jedi at all: Pyright and the index still answer
            if self.server is not None:
                sources.append(("pyright", self.server))
        elif self.server is not None:
            sources.append(("rust-analyzer", self.server))
        sources.append(("index", self.index_source))
        return sources

    def _check_position(self, path: str, line: int, column: int) -> str:
        rel = self.workspace.relative(path)
        if language_for_path(rel) is None:
            raise NavigationError(f"{rel}: not a Python or Rust file")
        lines = self.workspace.text(rel).split("\n")
        if not 1 <= line <= len(lines):
            raise NavigationError(f"{rel}: line {line} is out of range (1..{len(lines)})")
        if not 0 <= column <= len(lines[line - 1].rstrip("\r")):
            raise NavigationError(f"{rel}:{line}: column {column} is past the end of the line")
        return rel

    def _symbol_id(self, location: Location) -> str | None:
        if location.external:
            return None
        try:
            return self.workspace.symbol_at(location.path, location.line, location.column).id
        except (HarnessError, SymbolsError):
            return None

    async def _ask(
        self, path: str, line: int, column: int, ask: Callable[[NavigationSource], Awaitable[list[Location]]]
    ) -> list[SymbolLocation]:
        rel = self._check_position(path, line, column)
        self.last_failures = {}
        for name, source in self._sources(rel):
            try:
                found = await ask(source)
            except (HarnessError, LspError, OSError) as exc:
                self.last_failures[name] = str(exc)
                continue
            if found:
                return [SymbolLocation(loc, self._symbol_id(loc), name) for loc in found]
        return []

    async def go_to_definition(self, path: str, line: int, column: int) -> list[SymbolLocation]:
        rel = self.workspace.relative(path)
        return await self._ask(rel, line, column, lambda s: s.definition(rel, line, column))

    async def references(self, path: str, line: int, column: int) -> list[SymbolLocation]:
        rel = self.workspace.relative(path)
        return await self._ask(rel, line, column, lambda s: s.references(rel, line, column))

    async def implementations(self, path: str, line: int, column: int) -> list[SymbolLocation]:
        rel = self.workspace.relative(path)
        return await self._ask(rel, line, column, lambda s: s.implementations(rel, line, column))

    async def hover(self, path: str, line: int, column: int) -> Hover | None:
        rel = self._check_position(path, line, column)
        self.last_failures = {}
        for name, source in self._sources(rel):
            try:
                text = await source.hover(rel, line, column)
            except (HarnessError, LspError, OSError) as exc:
                self.last_failures[name] = str(exc)
                continue
            if text:
                symbol = self._symbol_id(Location(rel, line, column, line, column))
                return Hover(text, symbol, name)
        return None

    # --------------------------------------------------------- by symbol id

    def position_of(self, symbol_id: str) -> tuple[str, int, int]:
        """(path, line, column) of the symbol's name: where to ask about it."""
        symbol = self.workspace.symbol(symbol_id)
        if symbol.is_module:
            return symbol.path, 1, 0
        language = language_for_path(symbol.path)
        assert language is not None  # indexed files always have one
        source = self.workspace.text(symbol.path).encode("utf-8")
        node = name_node(definition_node(language, parse(language, source), symbol))
        if node is None:
            return symbol.path, symbol.start_line, 0
        row_start = source.rfind(b"\n", 0, node.start_byte) + 1
        column = len(source[row_start : node.start_byte].decode("utf-8", errors="replace"))
        return symbol.path, node.start_point.row + 1, column

    async def references_to(self, symbol_id: str) -> list[SymbolLocation]:
        """Every place the symbol is used, each with the id of the symbol using it."""
        return await self.references(*self.position_of(symbol_id))

    async def implementations_of(self, symbol_id: str) -> list[SymbolLocation]:
        return await self.implementations(*self.position_of(symbol_id))

    async def hover_symbol(self, symbol_id: str) -> Hover | None:
        return await self.hover(*self.position_of(symbol_id))
