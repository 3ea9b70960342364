"""Tree-sitter lookups inside symbol spans: definition, name and body nodes, strings, stray code."""

from __future__ import annotations

from editor_harness.syntax import (
    body_node,
    code_nodes_between,
    damaged_lines,
    definition_node,
    line_end,
    line_start,
    name_node,
    string_interior_rows,
)
from symbols.incremental import parse_file
from symbols.languages.python import PYTHON
from symbols.languages.rust import RUST
from symbols.scope import parse

PY = b'@decorator\ndef f(x):\n    """Doc\n  line two\n"""\n    return x\n\n\nclass C:\n    def m(self):\n        pass\n'
RS = b"/// Doc\n#[derive(Debug)]\npub struct S;\n\nimpl S {\n    pub fn new() -> Self {\n        S\n    }\n}\n"


def test_definition_name_and_body_nodes() -> None:
    scoped = parse_file("m.py", PYTHON, PY)
    f = scoped.symbols.by_id()["m.py::f"]
    node = definition_node(PYTHON, scoped.tree, f)
    assert node.type == "function_definition"
    name = name_node(node)
    assert name is not None and PY[name.start_byte : name.end_byte] == b"f"
    body = body_node(node)
    assert body is not None and body.type == "block"
    module = scoped.symbols.module
    assert definition_node(PYTHON, scoped.tree, module) == scoped.tree.root_node


def test_rust_impl_name_is_its_type() -> None:
    scoped = parse_file("lib.rs", RUST, RS)
    impl = scoped.symbols.by_id()["lib.rs::impl S"]
    name = name_node(definition_node(RUST, scoped.tree, impl))
    assert name is not None and RS[name.start_byte : name.end_byte] == b"S"
    struct = scoped.symbols.by_id()["lib.rs::S"]
    assert RS[struct.start_byte :].startswith(b"/// Doc")


def test_string_interior_rows() -> None:
    assert string_interior_rows(parse(PYTHON, PY)) == frozenset({3, 4})


def test_damaged_lines_counts_texts() -> None:
    source = b"def f(:\n    pass\ndef f(:\n"
    assert damaged_lines(source, (1, 3)) == {"def f(:": 2}
    assert damaged_lines(source, (99,)) == {}


def test_code_nodes_between_ignores_comments_and_whitespace() -> None:
    source = b"x = 1\n# only a comment\n\ny = 2\n"
    tree = parse(PYTHON, source)
    start = source.index(b"# only")
    assert code_nodes_between(tree, start, source.index(b"y = 2")) == []
    found = code_nodes_between(tree, start, len(source))
    assert found and source[found[0].start_byte : found[0].end_byte].startswith(b"y = 2")
    assert code_nodes_between(tree, 5, 5) == []


def test_line_bounds() -> None:
    source = b"ab\ncd\nef"
    assert line_start(source, 4) == 3 and line_end(source, 4) == 6
    assert line_start(source, 0) == 0 and line_end(source, 7) == len(source)
