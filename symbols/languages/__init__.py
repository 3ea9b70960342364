"""Languages symbols/ understands: one module per language, one protocol for all."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Protocol

import tree_sitter as ts

from symbols.model import SymbolKind


@dataclass(frozen=True, slots=True)
class Definition:
    """What a language says about one definition node.

    `qualname` is the symbol's own qualified name; `child_prefix` is what its
    children are qualified with (they differ for Rust impls:
    `impl Display for Id` qualifies its methods as `<Id as Display>::fmt`).
    """

    node: ts.Node
    name: str
    kind: SymbolKind
    qualname: str
    child_prefix: str
    signature: str
    docstring: str


class Language(Protocol):
    name: str
    extensions: tuple[str, ...]
    separator: str

    @property
    def ts_language(self) -> ts.Language: ...

    @property
    def definition_query(self) -> ts.Query:
        """Captures every definition node as `@def`."""
        ...

    @property
    def identifier_query(self) -> ts.Query:
        """Captures every identifier a symbol may reference as `@id`."""
        ...

    def outer_start(self, node: ts.Node) -> ts.Node:
        """The node where a definition's span starts (its first decorator or attribute)."""
        ...

    def definition(
        self, node: ts.Node, source: bytes, parent: Definition | None
    ) -> Definition | None:
        """Describe a captured node, or None when it is not a symbol after all."""
        ...

    def module_docstring(self, root: ts.Node, source: bytes) -> str: ...


@cache
def registry() -> tuple[Language, ...]:
    from symbols.languages.python import PYTHON
    from symbols.languages.rust import RUST

    return (PYTHON, RUST)


def language_for_path(path: str) -> Language | None:
    lowered = path.lower()
    for language in registry():
        if lowered.endswith(language.extensions):
            return language
    return None


def language_named(name: str) -> Language:
    for language in registry():
        if language.name == name:
            return language
    raise KeyError(f"no language named {name!r}")


def node_text(node: ts.Node, source: bytes) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def one_line(text: str) -> str:
    return " ".join(text.split())
