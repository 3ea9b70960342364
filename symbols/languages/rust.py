"""Rust scoping rules: items, impl blocks and their methods, traits, mods, macros.

Outer attributes (`#[derive]`, `#[test]`) and outer doc comments (`///`)
that precede an item belong to its span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import tree_sitter as ts
import tree_sitter_rust

from symbols.languages import IDENTIFIER, Definition, node_text, one_line
from symbols.model import SymbolKind

_KINDS = {
    "struct_item": SymbolKind.STRUCT,
    "enum_item": SymbolKind.ENUM,
    "union_item": SymbolKind.UNION,
    "trait_item": SymbolKind.TRAIT,
    "impl_item": SymbolKind.IMPL,
    "mod_item": SymbolKind.MOD,
    "macro_definition": SymbolKind.MACRO,
}
_GENERICS = re.compile(r"<[^<>]*>")
# Identifiers in the group; comments, string / char / raw-string literals and
# lifetimes match with the group empty, so their words are never taken for
# references (see python.py for why the pattern is shaped this way).
_WORDS = re.compile(
    rb"[^A-Za-z_\x80-\xff/'\"]*"
    rb"(?:(" + IDENTIFIER + rb")(?![\"'#A-Za-z0-9_\x80-\xff])"
    rb"|//[^\n]*"
    rb"|/\*[\s\S]*?(?:\*/|\Z)"
    rb"|/"
    rb'|b?r"[^"]*"?'
    rb'|b?r#"[\s\S]*?(?:"#|\Z)'
    rb'|b?r##"[\s\S]*?(?:"##|\Z)'
    rb'|b?"[^"\\]*(?:\\[\s\S][^"\\]*)*"?'
    rb"|b?'(?:[^'\\\n]|[\xc0-\xff][\x80-\xbf]{1,3}|\\[^\n]{1,10}?)'"
    rb"|'[A-Za-z_][A-Za-z0-9_]*"
    rb"|')"
)
_KEYWORDS = frozenset(
    w.encode()
    for w in (
        "as async await break const continue crate dyn else enum extern false fn for if impl in "
        "let loop match mod move mut pub ref return self Self static struct super trait true type "
        "union unsafe use where while macro_rules bool char str u8 u16 u32 u64 u128 usize "
        "i8 i16 i32 i64 i128 isize f32 f64"
    ).split()
)


def _strip_generics(text: str) -> str:
    # Nested generics (`Foo<Vec<T>>`) need repeated passes.
    previous = None
    while previous != text:
        previous, text = text, _GENERICS.sub("", text)
    return one_line(text)


def _is_outer_doc(node: ts.Node) -> bool:
    if node.type not in ("line_comment", "block_comment"):
        return False
    return node.child_by_field_name("outer") is not None


def _doc_text(comment: ts.Node, source: bytes) -> str:
    doc = comment.child_by_field_name("doc")
    if doc is None:
        return ""
    text = node_text(doc, source)
    lines = [line.strip().removeprefix("*").strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) if comment.type == "block_comment" else text.strip()


def _leading_trivia(node: ts.Node) -> list[ts.Node]:
    """Attributes and outer doc comments right before `node`, nearest last."""
    found: list[ts.Node] = []
    sibling = node.prev_sibling
    while sibling is not None and (sibling.type == "attribute_item" or _is_outer_doc(sibling)):
        found.append(sibling)
        sibling = sibling.prev_sibling
    found.reverse()
    return found


def _outer_start(node: ts.Node) -> ts.Node:
    trivia = _leading_trivia(node)
    return trivia[0] if trivia else node


@cache
def _ts_language() -> ts.Language:
    return ts.Language(tree_sitter_rust.language())


@dataclass(frozen=True)
class RustLanguage:
    name: str = "rust"
    extensions: tuple[str, ...] = (".rs",)
    separator: str = "::"
    definition_types: frozenset[str] = frozenset(
        {*_KINDS, "function_item", "function_signature_item"}
    )
    # Items nested in function bodies are found (`fn outer() { fn inner() {} }`),
    # items inside expressions (an `if` block) are not: they are rare and
    # walking every expression would cost as much as a full query.
    container_types: frozenset[str] = frozenset(
        {"source_file", "declaration_list", "block", "mod_item", "impl_item", "trait_item",
         "function_item", "foreign_mod_item", "ERROR"}
    )
    leading_trivia_types: frozenset[str] = frozenset({"attribute_item", "line_comment", "block_comment"})
    word_pattern: re.Pattern[bytes] = _WORDS
    keywords: frozenset[bytes] = _KEYWORDS

    @property
    def ts_language(self) -> ts.Language:
        return _ts_language()

    outer_start = staticmethod(_outer_start)

    def unwrap(self, node: ts.Node) -> ts.Node | None:
        return None

    def definition(
        self, node: ts.Node, source: bytes, parent: Definition | None
    ) -> Definition | None:
        prefix = f"{parent.child_prefix}::" if parent else ""
        body = node.child_by_field_name("body")
        if node.type == "impl_item":
            type_node = node.child_by_field_name("type")
            if type_node is None:
                return None
            type_name = _strip_generics(node_text(type_node, source))
            trait_node = node.child_by_field_name("trait")
            if trait_node is not None:
                trait_name = _strip_generics(node_text(trait_node, source))
                name = f"impl {trait_name} for {type_name}"
                child_prefix = f"{prefix}<{type_name} as {trait_name}>"
            else:
                name = f"impl {type_name}"
                child_prefix = f"{prefix}{type_name}"
            kind = SymbolKind.IMPL
        else:
            name_node = node.child_by_field_name("name")
            if name_node is None:
                return None
            name = node_text(name_node, source)
            child_prefix = f"{prefix}{name}"
            if node.type in ("function_item", "function_signature_item"):
                in_type = parent is not None and parent.kind in (SymbolKind.IMPL, SymbolKind.TRAIT)
                kind = SymbolKind.METHOD if in_type else SymbolKind.FUNCTION
            else:
                kind = _KINDS[node.type]
        qualname = f"{prefix}{name}"
        trivia = _leading_trivia(node)
        head_end = body.start_byte if body is not None else node.end_byte
        signature = one_line(source[node.start_byte : head_end].decode("utf-8", errors="replace"))
        docstring = "\n".join(filter(None, (_doc_text(t, source) for t in trivia if t.type != "attribute_item")))
        return Definition(
            node=node,
            name=name,
            kind=kind,
            qualname=qualname,
            child_prefix=child_prefix,
            signature=signature.rstrip("{;").rstrip(),
            docstring=docstring,
        )

    def module_docstring(self, root: ts.Node, source: bytes) -> str:
        lines: list[str] = []
        for child in root.children:
            if child.type in ("line_comment", "block_comment") and child.child_by_field_name("inner") is not None:
                lines.append(_doc_text(child, source))
            elif child.type not in ("line_comment", "block_comment", "attribute_item", "inner_attribute_item"):
                break
        return "\n".join(filter(None, lines))


RUST = RustLanguage()
