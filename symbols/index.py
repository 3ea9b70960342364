"""The repository index: every source file scoped into symbols.

Public API (stable; other packages code against it):
    RepoIndex.build(root) -> RepoIndex
    index.paths() / index.file(path) / index.symbol(id) / index.symbols()
    index.symbol_at(path, line, column) / index.definitions(name)
    index.update(path, source=None) / index.remove(path)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from symbols.errors import OutsideRepository, UnknownSymbol
from symbols.files import source_files
from symbols.model import FileSymbols, Symbol, split_id
from symbols.scope import scope_source


class RepoIndex:
    def __init__(self, root: Path, files: dict[str, FileSymbols]) -> None:
        self.root = Path(root).resolve()
        self._files = files
        self._by_id: dict[str, Symbol] = {}
        self._by_name: dict[str, list[str]] = {}
        for file_symbols in files.values():
            self._add(file_symbols)

    @classmethod
    def build(cls, root: Path) -> RepoIndex:
        root = Path(root).resolve()
        if not root.is_dir():
            raise OutsideRepository(f"{root}: not a directory")
        files: dict[str, FileSymbols] = {}
        for rel in source_files(root):
            try:
                source = (root / rel).read_bytes()
            except OSError:
                continue
            files[rel] = scope_source(rel, source)
        return cls(root, files)

    def _add(self, file_symbols: FileSymbols) -> None:
        for symbol in file_symbols.symbols:
            self._by_id[symbol.id] = symbol
            self._by_name.setdefault(symbol.name, []).append(symbol.id)

    def _drop(self, path: str) -> None:
        old = self._files.pop(path, None)
        if old is None:
            return
        for symbol in old.symbols:
            self._by_id.pop(symbol.id, None)
            ids = self._by_name.get(symbol.name)
            if ids is not None:
                ids[:] = [i for i in ids if i != symbol.id]

    def relative(self, path: str | Path) -> str:
        """A repo-relative posix path; refuses anything that resolves outside the repo."""
        candidate = Path(path)
        full = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            raise OutsideRepository(f"{path}: outside the repository {self.root}") from None

    def paths(self) -> list[str]:
        return sorted(self._files)

    def file(self, path: str) -> FileSymbols:
        try:
            return self._files[path]
        except KeyError:
            raise UnknownSymbol(f"{path}: not an indexed source file of {self.root}") from None

    def symbol(self, symbol_id: str) -> Symbol:
        try:
            return self._by_id[symbol_id]
        except KeyError:
            path, _ = split_id(symbol_id)
            hint = "" if path in self._files else f" (file {path} is not indexed)"
            raise UnknownSymbol(f"no symbol {symbol_id!r}{hint}") from None

    def symbols(self) -> Iterator[Symbol]:
        for path in sorted(self._files):
            yield from self._files[path].symbols

    def definitions(self, name: str) -> list[Symbol]:
        return [self._by_id[i] for i in self._by_name.get(name, ())]

    def symbol_at(self, path: str, line: int, column: int = 0) -> Symbol:
        """The innermost symbol whose lines contain `line` (1-based)."""
        best = self.file(path).module
        for symbol in self.file(path).symbols[1:]:
            if symbol.start_line <= line <= symbol.end_line and symbol.end_byte - symbol.start_byte <= best.end_byte - best.start_byte:
                best = symbol
        return best

    def update(self, path: str, source: bytes | None = None) -> FileSymbols | None:
        """Re-scope one file after it changed; None when it is gone."""
        rel = self.relative(path)
        if source is None:
            full = self.root / rel
            if not full.is_file():
                self.remove(rel)
                return None
            source = full.read_bytes()
        file_symbols = scope_source(rel, source)
        self._drop(rel)
        self._files[rel] = file_symbols
        self._add(file_symbols)
        return file_symbols

    def remove(self, path: str) -> None:
        self._drop(self.relative(path))
