"""The repository index: every source file scoped into symbols.

Public API (stable; other packages code against it):
    RepoIndex.build(root, *, cache_dir=None, use_cache=True, workers=None, progress=None)
    index.paths() / index.file(path) / index.symbol(id) / index.symbols()
    index.symbol_at(path, line, column) / index.definitions(name)
    index.update(path, source=None) / index.remove(path) / index.relative(path)
    index.skipped() / index.damaged() / index.save()

Files are materialised lazily: a warm build only compares stat results with
the cache and keeps each file's symbols packed until someone asks for them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from symbols import cache
from symbols.build import Progress, scan, skipped_reason
from symbols.errors import NotADirectory, OutsideRepository, UnknownSymbol, UnreadableFile, UnsupportedLanguage
from symbols.incremental import Parsed, parse_file, reparse
from symbols.languages import language_for_path
from symbols.model import FileSymbols, Symbol, split_id


class RepoIndex:
    def __init__(
        self,
        root: Path,
        files: dict[str, FileSymbols] | None = None,
        *,
        entries: dict[str, cache.Entry] | None = None,
        skipped: dict[str, str] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.cache_dir = cache_dir
        # path -> cache entry (stat key, hash, packed symbols); files that are
        # materialised live in _files and win over their entry.
        self._entries: dict[str, cache.Entry] = dict(entries or {})
        self._files: dict[str, FileSymbols] = dict(files or {})
        self._skipped: dict[str, str] = dict(skipped or {})
        for path in self._files:
            self._entries.setdefault(path, (0, 0, 0, self._files[path].content_hash, b""))
        self._paths: list[str] | None = None
        self._by_name: dict[str, list[str]] | None = None
        self._parsed: dict[str, Parsed] = {}
        self._dirty = False
        self.version = 0

    @classmethod
    def build(
        cls,
        root: Path,
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> RepoIndex:
        """Index every source file under `root`, reusing the on-disk cache.

        `cache_dir` defaults to the user cache dir (never inside the repo);
        `use_cache=False` neither reads nor writes it. `workers` caps the
        scoping processes (default: one per core); `progress(done, total)`
        is called as files are scoped.
        """
        root = Path(root).resolve()
        if not root.is_dir():
            raise NotADirectory(f"{root}: not a directory (give the repository's root directory)")
        directory = (cache_dir or cache.default_cache_dir(root)) if use_cache else None
        cached = cache.load(directory, root) if directory is not None else {}
        result = scan(root, cached, workers=workers, progress=progress)
        index = cls(root, entries=result.entries, skipped=result.skipped, cache_dir=directory)
        if result.changed and directory is not None:
            index._write_cache()
        return index

    # -- paths -----------------------------------------------------------
    def relative(self, path: str | Path) -> str:
        """A repo-relative posix path; refuses anything that resolves outside the repo."""
        candidate = Path(path)
        full = (candidate if candidate.is_absolute() else self.root / candidate).resolve()
        try:
            return full.relative_to(self.root).as_posix()
        except ValueError:
            raise OutsideRepository(f"{path}: outside the repository {self.root}") from None

    def paths(self) -> list[str]:
        """Indexed source files (skipped ones excluded), sorted."""
        if self._paths is None:
            self._paths = sorted(p for p, e in self._entries.items() if skipped_reason(e) is None)
        return self._paths

    def skipped(self) -> dict[str, str]:
        """Source files left out of the index, with the reason (binary, generated, huge, unreadable)."""
        return dict(self._skipped)

    def damaged(self) -> list[str]:
        """Indexed files with syntax errors (their symbols are partial)."""
        return [path for path in self.paths() if self.file(path).has_errors]

    # -- lookups ---------------------------------------------------------
    def file(self, path: str) -> FileSymbols:
        found = self._files.get(path)
        if found is not None:
            return found
        entry = self._entries.get(path)
        if entry is None or skipped_reason(entry) is not None or not entry[4]:
            reason = self._skipped.get(path)
            detail = f" ({reason})" if reason else ""
            raise UnknownSymbol(f"{path}: not an indexed source file of {self.root}{detail}")
        try:
            found = cache.unpack(path, entry[4])
        except ValueError:
            # A damaged cache entry costs a re-scope, never an error.
            found = self._rescope_from_disk(path)
        self._files[path] = found
        return found

    def symbol(self, symbol_id: str) -> Symbol:
        try:
            path, _ = split_id(symbol_id)
        except ValueError as exc:
            raise UnknownSymbol(str(exc)) from None
        try:
            found = self.file(path).by_id().get(symbol_id)
        except UnknownSymbol:
            raise UnknownSymbol(f"no symbol {symbol_id!r} (file {path} is not indexed)") from None
        if found is None:
            raise UnknownSymbol(f"no symbol {symbol_id!r} in {path}")
        return found

    def symbols(self) -> Iterator[Symbol]:
        for path in self.paths():
            yield from self.file(path).symbols

    def files(self) -> Iterator[FileSymbols]:
        for path in self.paths():
            yield self.file(path)

    def definitions(self, name: str) -> list[Symbol]:
        """Symbols whose own (unqualified) name is `name`, across the repo."""
        by_name = self._names()
        return [self.symbol(i) for i in by_name.get(name, ())]

    def _names(self) -> dict[str, list[str]]:
        if self._by_name is None:
            by_name: dict[str, list[str]] = {}
            for symbol in self.symbols():
                by_name.setdefault(symbol.name, []).append(symbol.id)
            self._by_name = by_name
        return self._by_name

    def symbol_at(self, path: str, line: int, column: int = 0) -> Symbol:
        """The innermost symbol whose lines contain `line` (1-based)."""
        symbols = self.file(path).symbols
        best = symbols[0]
        for symbol in symbols[1:]:
            if symbol.start_line <= line <= symbol.end_line and symbol.end_byte - symbol.start_byte <= best.end_byte - best.start_byte:
                best = symbol
        return best

    # -- changes ---------------------------------------------------------
    def update(self, path: str, source: bytes | None = None) -> FileSymbols | None:
        """Re-scope one file after it changed; None when it is gone.

        `source` is the file's new text (e.g. an unsaved buffer); by default
        it is read from disk. The first update of a file in this process
        parses it in full; later ones reparse incrementally from the tree
        kept for it.
        """
        rel = self.relative(path)
        language = language_for_path(rel)
        if language is None:
            raise UnsupportedLanguage(f"{rel}: no tree-sitter language for this file type")
        key: tuple[int, int, int] = (0, 0, 0)
        if source is None:
            full = self.root / rel
            try:
                info = full.stat()
                source = full.read_bytes()
            except FileNotFoundError:
                self.remove(rel)
                return None
            except OSError as exc:
                raise UnreadableFile(f"{rel}: cannot read ({exc.strerror or exc})") from None
            key = (info.st_mtime_ns, info.st_size, info.st_ino)
        previous = self._parsed.get(rel)
        parsed = reparse(rel, language, previous, source) if previous is not None else parse_file(rel, language, source)
        self._parsed[rel] = parsed
        self._forget_names(rel)
        new = parsed.symbols
        self._files[rel] = new
        # Packed lazily at save(); a zero stat key makes the next build re-hash.
        self._entries[rel] = (key[0], key[1], key[2], new.content_hash, b"")
        self._skipped.pop(rel, None)
        self._paths = None
        if self._by_name is not None:
            for symbol in new.symbols:
                self._by_name.setdefault(symbol.name, []).append(symbol.id)
        self._dirty = True
        self.version += 1
        return new

    def remove(self, path: str) -> None:
        rel = self.relative(path)
        self._forget_names(rel)
        self._files.pop(rel, None)
        self._parsed.pop(rel, None)
        self._skipped.pop(rel, None)
        if self._entries.pop(rel, None) is not None:
            self._paths = None
            self._dirty = True
            self.version += 1

    def save(self) -> Path | None:
        """Write the on-disk cache if anything changed since it was read; its path."""
        if self.cache_dir is None or not self._dirty:
            return None
        return self._write_cache()

    # -- internals -------------------------------------------------------
    def _forget_names(self, rel: str) -> None:
        if self._by_name is None or rel not in self._entries:
            return
        old = self._files.get(rel)
        if old is None:
            self._by_name = None
            return
        for symbol in old.symbols:
            ids = self._by_name.get(symbol.name)
            if ids is not None:
                ids[:] = [i for i in ids if i != symbol.id]

    def _rescope_from_disk(self, path: str) -> FileSymbols:
        from symbols.scope import scope_source

        try:
            source = (self.root / path).read_bytes()
        except OSError as exc:
            raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
        return scope_source(path, source)

    def _write_cache(self) -> Path | None:
        assert self.cache_dir is not None
        entries: dict[str, cache.Entry] = {}
        for path, entry in self._entries.items():
            if not entry[4] and skipped_reason(entry) is None:
                live = self._files.get(path)
                if live is None:
                    continue
                entry = (*entry[:4], cache.pack(live))
            entries[path] = entry
        self._dirty = False
        try:
            return cache.save(self.cache_dir, self.root, entries)
        except OSError:
            # An unwritable cache dir costs the next start some time, nothing else.
            return None
