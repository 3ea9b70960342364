"""Python scoping rules: classes, functions, methods; decorators belong to the span."""

from __future__ import annotations

import ast
import inspect
from dataclasses import dataclass
from functools import cached_property

import tree_sitter as ts
import tree_sitter_python

from symbols.languages import Definition, node_text, one_line
from symbols.model import SymbolKind


def _string_value(node: ts.Node, source: bytes) -> str:
    text = node_text(node, source)
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError):
        # f-strings and the like: take the text between the quotes.
        value = text.strip("rRbBuUfF").strip("\"'")
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return inspect.cleandoc(value) if isinstance(value, str) else ""


def _first_docstring(block: ts.Node | None, source: bytes) -> str:
    if block is None:
        return ""
    for child in block.named_children:
        if child.type == "comment":
            continue
        if child.type == "expression_statement" and child.named_child_count == 1:
            expr = child.named_children[0]
            if expr.type == "string":
                return _string_value(expr, source)
        return ""
    return ""


@dataclass(frozen=True)
class PythonLanguage:
    name: str = "python"
    extensions: tuple[str, ...] = (".py", ".pyi")
    separator: str = "."

    @cached_property
    def ts_language(self) -> ts.Language:
        return ts.Language(tree_sitter_python.language())

    @cached_property
    def definition_query(self) -> ts.Query:
        return ts.Query(
            self.ts_language,
            "[(function_definition) (class_definition)] @def",
        )

    @cached_property
    def identifier_query(self) -> ts.Query:
        return ts.Query(self.ts_language, "(identifier) @id")

    def outer_start(self, node: ts.Node) -> ts.Node:
        parent = node.parent
        return parent if parent is not None and parent.type == "decorated_definition" else node

    def definition(
        self, node: ts.Node, source: bytes, parent: Definition | None
    ) -> Definition | None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return None
        name = node_text(name_node, source)
        if node.type == "class_definition":
            kind = SymbolKind.CLASS
        elif parent is not None and parent.kind is SymbolKind.CLASS:
            kind = SymbolKind.METHOD
        else:
            kind = SymbolKind.FUNCTION
        qualname = f"{parent.child_prefix}.{name}" if parent else name
        body = node.child_by_field_name("body")
        head_end = body.start_byte if body is not None else node.end_byte
        signature = one_line(source[node.start_byte : head_end].decode("utf-8", errors="replace"))
        return Definition(
            node=node,
            name=name,
            kind=kind,
            qualname=qualname,
            child_prefix=qualname,
            signature=signature.rstrip(":").rstrip(),
            docstring=_first_docstring(body, source),
        )

    def module_docstring(self, root: ts.Node, source: bytes) -> str:
        return _first_docstring(root, source)


PYTHON = PythonLanguage()
