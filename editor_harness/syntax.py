"""Tree-sitter lookups the harness needs beyond what symbols/ records.

symbols/ stores spans; editing also needs the nodes inside a span: the name
to rename, the body to elide, the string literals that re-indenting must not
touch, the damaged lines a rewrite may not add to. All pure functions of
(language, tree or source).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
import tree_sitter as ts

from symbols.languages import Language
from symbols.model import Symbol

# Literal node types across the grammars we ship; their inner lines are content.
STRING_TYPES = frozenset({"string", "string_literal", "raw_string_literal", "concatenated_string"})
COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment"})


def definition_node(language: Language, tree: ts.Tree, symbol: Symbol) -> ts.Node:
    """The definition node a (non-module) symbol was scoped from; the root for a module."""
    if symbol.is_module:
        return tree.root_node
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= symbol.start_byte or node.start_byte >= symbol.end_byte:
            continue
        if (
            node.type in language.definition_types
            and node.end_byte == symbol.end_byte
            and language.outer_start(node).start_byte == symbol.start_byte
        ):
            return node
        stack.extend(node.named_children)
    raise LookupError(f"{symbol.id}: no definition node at bytes {symbol.start_byte}..{symbol.end_byte}")


def name_node(node: ts.Node) -> ts.Node | None:
    """The identifier naming a definition (the type of a Rust impl block)."""
    return node.child_by_field_name("name") or node.child_by_field_name("type")


def body_node(node: ts.Node) -> ts.Node | None:
    return node.child_by_field_name("body")


def string_interior_rows(tree: ts.Tree) -> frozenset[int]:
    """0-based rows that start inside a multi-line string literal.

    Their leading whitespace is part of the string's value, so re-indenting
    must leave them alone.
    """
    rows: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_point.row == node.end_point.row:
            continue
        if node.type in STRING_TYPES:
            rows.update(range(node.start_point.row + 1, node.end_point.row + 1))
            continue
        stack.extend(node.children)
    return frozenset(rows)


def damaged_lines(source: bytes, lines: Iterable[int]) -> Counter[str]:
    """The text of each damaged line (1-based numbers, as in FileSymbols.error_lines), counted.

    Keyed by text rather than line number so that damage which merely moved
    (lines inserted above it) is recognised as the same damage.
    """
    split = source.split(b"\n")
    return Counter(split[n - 1].decode("utf-8", errors="replace").strip() for n in lines if 0 < n <= len(split))


def code_nodes_between(tree: ts.Tree, start: int, end: int) -> list[ts.Node]:
    """Named nodes lying entirely within bytes [start, end) that are not comments.

    Used to check that text around a rewritten symbol holds nothing but
    comments and blank lines (no stray statements slipped in beside it).
    """
    found: list[ts.Node] = []
    if start >= end:
        return found
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= start or node.start_byte >= end:
            continue
        if start <= node.start_byte and node.end_byte <= end:
            if node.end_byte == node.start_byte:
                continue  # zero-width tokens (indent/dedent) carry no text
            if node.is_named and node.type not in COMMENT_TYPES:
                found.append(node)
            elif not node.is_named and node.type.strip():
                # Anonymous tokens (`;`, `}`) outside every symbol are code too.
                found.append(node)
            continue
        stack.extend(node.children)
    return found


def line_start(source: bytes, offset: int) -> int:
    return source.rfind(b"\n", 0, offset) + 1


def line_end(source: bytes, offset: int) -> int:
    """Offset just past the newline ending the line that holds `offset` (or the end)."""
    newline = source.find(b"\n", offset)
    return len(source) if newline < 0 else newline + 1
