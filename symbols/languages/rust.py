"""Rust scoping rules: items, impl blocks and their methods, traits, mods, macros.

Outer attributes (`#[derive]`, `#[test]`) and outer doc comments (`///`)
that precede an item belong to its span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import tree_sitter as ts
import tree_sitter_rust

from symbols.languages import Definition, node_text, one_line
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


@dataclass(frozen=True)
class RustLanguage:
    name: str = "rust"
    extensions: tuple[str, ...] = (".rs",)
    separator: str = "::"

    @cached_property
    def ts_language(self) -> ts.Language:
        return ts.Language(tree_sitter_rust.language())

    @cached_property
    def definition_query(self) -> ts.Query:
        kinds = " ".join(f"({t})" for t in (*_KINDS, "function_item", "function_signature_item"))
        return ts.Query(self.ts_language, f"[{kinds}] @def")

    @cached_property
    def identifier_query(self) -> ts.Query:
        return ts.Query(
            self.ts_language,
            "[(identifier) (type_identifier) (field_identifier)] @id",
        )

    def outer_start(self, node: ts.Node) -> ts.Node:
        trivia = _leading_trivia(node)
        return trivia[0] if trivia else node

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
