"""Languages symbols/ understands: one module per language, one protocol for all."""

from __future__ import annotations

import re
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
    @property
    def name(self) -> str: ...

    @property
    def extensions(self) -> tuple[str, ...]: ...

    @property
    def separator(self) -> str: ...

    @property
    def ts_language(self) -> ts.Language: ...

    @property
    def definition_types(self) -> frozenset[str]:
        """Node types that are symbols (subject to `definition` accepting them)."""
        ...

    @property
    def container_types(self) -> frozenset[str]:
        """Node types the scoper descends into looking for nested definitions.

        Scoping walks only statement-level structure, never expressions: that
        is what keeps it several times faster than a tree-sitter query, which
        visits every node.
        """
        ...

    @property
    def leading_trivia_types(self) -> frozenset[str]:
        """Sibling node types that may belong to the span of the item after them."""
        ...

    @property
    def word_pattern(self) -> re.Pattern[bytes]:
        """One group: identifiers; comments and string literals match with the group empty."""
        ...

    @property
    def keywords(self) -> frozenset[bytes]:
        """Words the word pattern finds that are never references."""
        ...

    def outer_start(self, node: ts.Node) -> ts.Node:
        """The node where a definition's span starts (its first decorator or attribute)."""
        ...

    def unwrap(self, node: ts.Node) -> ts.Node | None:
        """The definition a wrapper node holds (Python's `decorated_definition`), else None."""
        ...

    def definition(
        self, node: ts.Node, source: bytes, parent: Definition | None
    ) -> Definition | None:
        """Describe a definition node, or None when it is not a symbol after all."""
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


# Identifier characters: ASCII word characters plus any byte of a multi-byte
# UTF-8 sequence, so non-ASCII identifiers come out whole.
IDENTIFIER = rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*"
