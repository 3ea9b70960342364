"""Locations and runtime names -> symbol ids, through the repository index.

Only files the index holds map to anything: stdlib, site-packages, the Rust
standard library and crates.io sources never do.
"""

from __future__ import annotations

import re
from pathlib import Path

from symbols.errors import SymbolsError
from symbols.index import RepoIndex
from symbols.model import Symbol, SymbolKind

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Noise in rustc's names: `::{{closure}}`, `::h0123456789abcdef`, generic args.
_RUST_NOISE = re.compile(r"::\{\{[a-z_]+\}\}|::\{[a-z_]+#\d+\}|::h[0-9a-f]{16}$")
_GENERIC_ARGS = re.compile(r"(?<=[A-Za-z0-9_])<[^<>]*>")
_NOT_NAMES = frozenset({"as", "impl", "for", "dyn", "mut", "const", "where", "crate", "self", "super"})
_FUNCTIONS = frozenset({SymbolKind.FUNCTION, SymbolKind.METHOD})


class SymbolMap:
    def __init__(self, index: RepoIndex, base: Path | None = None) -> None:
        self.index = index
        # Relative paths (Rust backtraces: `./src/x.rs`) are relative to the
        # directory the command ran in, which may be below the repository root.
        self.base = Path(base).resolve() if base is not None else index.root
        self._paths = set(index.paths())

    def relative(self, path: str) -> str | None:
        """The repo-relative path of an indexed file, or None for anything else."""
        if not path or path.startswith("<"):
            return None
        candidates = [Path(path)] if Path(path).is_absolute() else [self.base / path, self.index.root / path]
        for candidate in candidates:
            try:
                rel = self.index.relative(candidate)
            except (SymbolsError, OSError, ValueError):
                continue
            if rel in self._paths:
                return rel
        return None

    def at(self, path: str, line: int) -> Symbol | None:
        """The innermost symbol around `line` (1-based) of `path`, if indexed."""
        rel = self.relative(path)
        if rel is None:
            return None
        try:
            return self.index.symbol_at(rel, line)
        except SymbolsError:
            return None

    def module(self, path: str) -> Symbol | None:
        rel = self.relative(path)
        return None if rel is None else self.index.file(rel).module

    def rust_function(self, name: str) -> Symbol | None:
        """`ledger::ledger::Ledger::transfer` or `<a::B as c::D>::f` -> the
        function or method of that name whose qualified name matches most of it."""
        tokens = rust_name_tokens(name)
        if not tokens:
            return None
        best: tuple[int, Symbol] | None = None
        for symbol in self.index.definitions(tokens[-1]):
            if symbol.kind not in _FUNCTIONS or symbol.language != "rust":
                continue
            own = rust_name_tokens(symbol.qualname)
            # rustc spells paths in full (`core::fmt::Display`), the source
            # may not (`fmt::Display`): the symbol's names must appear in order.
            if own and _in_order(own, tokens):
                # A tie is broken by the file's module name.
                score = len(own) * 2 + (Path(symbol.path).stem in tokens)
                if best is None or score > best[0]:
                    best = (score, symbol)
        return None if best is None else best[1]

    def functions_named(self, name: str, owner: str | None = None, language: str | None = None) -> list[Symbol]:
        """Functions and methods called `name` (of type `owner` when given)."""
        found = []
        for symbol in self.index.definitions(name):
            if symbol.kind not in _FUNCTIONS or (language and symbol.language != language):
                continue
            if owner is not None and owner not in rust_name_tokens(symbol.qualname)[:-1]:
                continue
            found.append(symbol)
        return found


def _in_order(wanted: list[str], tokens: list[str]) -> bool:
    remaining = iter(tokens)
    return all(token in remaining for token in wanted)


def rust_name_tokens(name: str) -> list[str]:
    """The identifiers of a Rust path, noise and keywords dropped."""
    cleaned = _RUST_NOISE.sub("", name)
    while True:  # innermost generic arguments first: `A<B<C>>` -> `A<B>` -> `A`
        shorter = _GENERIC_ARGS.sub("", cleaned)
        if shorter == cleaned:
            break
        cleaned = shorter
    return [t for t in _IDENT.findall(cleaned) if t not in _NOT_NAMES]
