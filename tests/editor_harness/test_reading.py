"""Shortened views of big symbols and text search helpers."""

from __future__ import annotations

import re

from editor_harness.reading import find_in_text, outline_text, shorten, truncate_lines
from symbols.incremental import parse_file
from symbols.languages.python import PYTHON
from symbols.languages.rust import RUST

PY = b'class Big:\n    """Docs."""\n\n    LIMIT = 3\n\n    @property\n    def size(self) -> int:\n        return 1 + 2\n\n    def grow(self, n):\n        for _ in range(n):\n            pass\n'


def test_outline_keeps_own_lines_and_child_signatures() -> None:
    scoped = parse_file("m.py", PYTHON, PY)
    big = scoped.symbols.by_id()["m.py::Big"]
    text = outline_text(PY, scoped.symbols, big, PYTHON)
    assert text == (
        'class Big:\n    """Docs."""\n\n    LIMIT = 3\n\n'
        "    @property\n    def size(self) -> int: ...  # <<elided 1 lines: read_symbol m.py::Big.size>>\n\n"
        "    def grow(self, n): ...  # <<elided 2 lines: read_symbol m.py::Big.grow>>"
    )
    # The outline is itself valid Python.
    compile(text, "m.py", "exec")


def test_rust_outline_uses_block_comments() -> None:
    source = b"impl S {\n    pub fn a(&self) -> u8 {\n        1\n    }\n}\n"
    scoped = parse_file("lib.rs", RUST, source)
    text = outline_text(source, scoped.symbols, scoped.symbols.by_id()["lib.rs::impl S"], RUST)
    assert text == "impl S {\n    pub fn a(&self) -> u8 { /* <<elided 3 lines: read_symbol lib.rs::S::a>> */ }\n}"


def test_shorten_only_when_needed() -> None:
    scoped = parse_file("m.py", PYTHON, PY)
    big = scoped.symbols.by_id()["m.py::Big"]
    assert shorten(PY, scoped.symbols, big, PYTHON, 10_000) == (PY[: big.end_byte].decode(), False)
    text, elided = shorten(PY, scoped.symbols, big, PYTHON, 60)
    assert elided and text.splitlines()[-1].startswith("# <<elided") and len(text) < 200


def test_truncate_lines_keeps_whole_lines() -> None:
    text = "a = 1\nb = 2\nc = 3\n"
    assert truncate_lines(text, 100, PYTHON, "h") == text
    assert truncate_lines(text, 8, RUST, "read more") == "a = 1\n// <<elided 3 more lines: read more>>"


def test_find_in_text_lines_and_columns() -> None:
    source = "x = 1\ny = 'é' + x\nz = x\n".encode()
    hits = find_in_text(source, re.compile(rb"x"), 10)
    assert hits == [(1, 0, "x = 1"), (2, 10, "y = 'é' + x"), (3, 4, "z = x")]
    assert len(find_in_text(source, re.compile(rb"x"), 2)) == 2
