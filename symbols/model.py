"""What a symbol is: the data every other package speaks in."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MODULE_NAME = "<module>"
ID_SEPARATOR = "::"


class SymbolKind(StrEnum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    STRUCT = "struct"
    ENUM = "enum"
    UNION = "union"
    TRAIT = "trait"
    IMPL = "impl"
    MOD = "mod"
    MACRO = "macro"


@dataclass(frozen=True, slots=True)
class Symbol:
    """One scoped definition with its exact place in its file.

    `start_byte`/`end_byte` delimit the whole definition: decorators, Rust
    attributes and outer doc comments included. Lines are 1-based and
    inclusive. `references` are the identifiers used in this symbol's own
    text, not counting text that belongs to its child symbols.
    """

    id: str
    path: str
    name: str
    qualname: str
    kind: SymbolKind
    language: str
    start_byte: int
    end_byte: int
    start_line: int
    end_line: int
    signature: str = ""
    docstring: str = ""
    parent: str | None = None
    children: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

    @property
    def is_module(self) -> bool:
        return self.kind is SymbolKind.MODULE


@dataclass(frozen=True, slots=True)
class FileSymbols:
    """The symbols of one file, module first, then in source order."""

    path: str
    language: str
    content_hash: str
    symbols: tuple[Symbol, ...]
    has_errors: bool = False
    error_lines: tuple[int, ...] = field(default=())

    @property
    def module(self) -> Symbol:
        return self.symbols[0]

    def by_id(self) -> dict[str, Symbol]:
        return {s.id: s for s in self.symbols}


def make_id(path: str, qualname: str) -> str:
    return f"{path}{ID_SEPARATOR}{qualname}"


def split_id(symbol_id: str) -> tuple[str, str]:
    """`src/a.py::A.f` -> (`src/a.py`, `A.f`). Paths never contain `::`."""
    path, sep, qualname = symbol_id.partition(ID_SEPARATOR)
    if not sep or not path or not qualname:
        raise ValueError(f"not a symbol id: {symbol_id!r} (expected PATH::QUALNAME)")
    return path, qualname
