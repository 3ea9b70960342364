"""Navigation from the symbol index alone: the last resort when Jedi and the
language servers have nothing (a server that will not start, a file Jedi
cannot follow). Answers are by name, not by type, and are labelled "index"
so nobody mistakes them for a resolved definition.

- definition: symbols named like the identifier under the cursor;
- references: whole-word occurrences of that identifier in indexed files;
- implementations: Rust `impl Trait for Type` blocks of a trait (and the
  same-named methods in them), Python subclasses by base-class name;
- hover: the symbol's signature and docstring.
"""

from __future__ import annotations

import re
from pathlib import Path

from symbols.index import RepoIndex
from symbols.model import Symbol, SymbolKind

from editor_harness.server_navigation import Location, NavigationError

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAX_REFERENCES = 500


def word_at(text: str, column: int) -> str | None:
    for match in _WORD.finditer(text):
        if match.start() <= column <= match.end():
            return match.group(0)
    return None


class IndexNavigation:
    def __init__(self, root: Path, index: RepoIndex) -> None:
        self.root = Path(root).resolve()
        self.index = index

    def _lines(self, path: str) -> list[str]:
        try:
            return (self.root / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            raise NavigationError(f"{path}: cannot read it ({exc})") from None

    def _word(self, path: str, line: int, column: int) -> str | None:
        lines = self._lines(path)
        if not 1 <= line <= len(lines):
            raise NavigationError(f"{path}: line {line} is out of range (1..{len(lines)})")
        return word_at(lines[line - 1], column)

    def name_location(self, symbol: Symbol) -> Location:
        """The first whole-word occurrence of the symbol's name inside its span."""
        lines = self._lines(symbol.path)
        name = symbol.name.split(" for ")[-1].removeprefix("impl ").strip()
        pattern = re.compile(rf"\b{re.escape(name)}\b")
        for number in range(symbol.start_line, min(symbol.end_line, len(lines)) + 1):
            text = lines[number - 1]
            if text.lstrip().startswith(("#", "//", "@")):
                continue  # decorators, attributes and doc comments may mention other names
            match = pattern.search(text)
            if match:
                return Location(symbol.path, number, match.start(), number, match.end())
        return Location(symbol.path, symbol.start_line, 0, symbol.start_line, 0)

    async def definition(self, path: str, line: int, column: int) -> list[Location]:
        word = self._word(path, line, column)
        if word is None:
            return []
        return [self.name_location(s) for s in self.index.definitions(word)]

    async def references(self, path: str, line: int, column: int) -> list[Location]:
        word = self._word(path, line, column)
        if word is None:
            return []
        pattern = re.compile(rf"\b{re.escape(word)}\b")
        found: list[Location] = []
        for rel in self.index.paths():
            try:
                lines = self._lines(rel)
            except NavigationError:
                continue
            for number, text in enumerate(lines, 1):
                for match in pattern.finditer(text):
                    found.append(Location(rel, number, match.start(), number, match.end()))
                    if len(found) >= _MAX_REFERENCES:
                        return found
        return found

    async def implementations(self, path: str, line: int, column: int) -> list[Location]:
        word = self._word(path, line, column)
        if word is None:
            return []
        found: list[Location] = []
        for target in self.index.definitions(word):
            for symbol in self.implementers(target):
                location = self.name_location(symbol)
                if location not in found:
                    found.append(location)
        return found

    def implementers(self, target: Symbol) -> list[Symbol]:
        if target.kind is SymbolKind.TRAIT:
            return [s for s in self.index.symbols() if s.kind is SymbolKind.IMPL and s.name.startswith(f"impl {target.name} for ")]
        if target.kind is SymbolKind.CLASS:
            pattern = re.compile(rf"[(,\s.]{re.escape(target.name)}\s*[,)\[]")
            return [s for s in self.index.symbols() if s.kind is SymbolKind.CLASS and s.id != target.id and pattern.search(s.signature)]
        if target.kind is SymbolKind.METHOD and target.parent is not None:
            owner = self.index.symbol(target.parent)
            found: list[Symbol] = []
            for implementer in self.implementers(owner):
                by_id = self.index.file(implementer.path).by_id()
                found += [by_id[c] for c in implementer.children if by_id[c].name == target.name]
            return found
        return []

    async def hover(self, path: str, line: int, column: int) -> str | None:
        word = self._word(path, line, column)
        if word is None:
            return None
        symbols = self.index.definitions(word)
        if not symbols:
            return None
        symbol = symbols[0]
        return "\n\n".join(part for part in (f"{symbol.kind.value} {symbol.id}", symbol.signature, symbol.docstring) if part)
