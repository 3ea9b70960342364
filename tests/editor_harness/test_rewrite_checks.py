"""The rules a changed file must satisfy, checked directly on parsed Python and Rust text."""

from __future__ import annotations

import pytest

from editor_harness.errors import SymbolMismatch, SyntaxInvalid
from editor_harness.rewrite_checks import (
    check_compiles,
    check_delete,
    check_insert,
    check_module_rewrite,
    check_python_compiles,
    check_region,
    check_rename,
    check_rewrite,
    check_syntax,
    defined_in,
    refuse_elided,
    subtree,
)
from symbols.incremental import Parsed, parse_file
from symbols.languages.python import PYTHON
from symbols.languages.rust import RUST

BASE = b"class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n\n\ndef h():\n    pass\n"


def _py(source: bytes) -> Parsed:
    return parse_file("m.py", PYTHON, source)


def test_subtree_and_defined_in() -> None:
    symbols = _py(BASE).symbols
    assert subtree(symbols, "m.py::A") == {"m.py::A", "m.py::A.f", "m.py::A.g"}
    assert [s.id for s in defined_in(symbols, (0, len(BASE)))] == ["m.py::A", "m.py::h"]


def test_syntax_errors_are_compared_by_line_text() -> None:
    broken_before = BASE + b"\ndef bad(:\n    pass\n"
    moved = b"# a new first line\n" + broken_before
    check_syntax("m.py", broken_before, _py(broken_before).symbols, _py(moved))  # same damage, moved: fine
    worse = moved.replace(b"return 1", b"return (1")
    with pytest.raises(SyntaxInvalid) as caught:
        check_syntax("m.py", broken_before, _py(broken_before).symbols, _py(worse))
    assert caught.value.error_lines and "does not parse" in str(caught.value)


def test_rewrite_rules() -> None:
    old = _py(BASE).symbols
    renamed = _py(BASE.replace(b"def f(self)", b"def ff(self)"))
    with pytest.raises(SymbolMismatch, match="no longer defines A.f .*it defines A.ff"):
        check_rewrite(old, renamed.symbols, "m.py::A.f", (13, 49))
    dropped = _py(b"class A:\n    def f(self):\n        return 1\n\n\ndef h():\n    pass\n")
    with pytest.raises(SymbolMismatch, match="drops A.g"):
        check_rewrite(old, dropped.symbols, "m.py::A", (0, 40))
    extra = _py(BASE + b"\n\ndef k():\n    pass\n")
    with pytest.raises(SymbolMismatch, match="also defines k"):
        check_rewrite(old, extra.symbols, "m.py::h", (0, 10))


def test_region_must_hold_only_the_symbol_and_comments() -> None:
    text = b"class A:\n    # note\n    def f(self):\n        return 1\n    x = 2\n"
    new = _py(text)
    f = new.symbols.by_id()["m.py::A.f"]
    check_region(new, f, (text.index(b"# note"), f.end_byte))
    with pytest.raises(SymbolMismatch, match="code outside A.f .*x = 2"):
        check_region(new, f, (text.index(b"# note"), len(text)))
    with pytest.raises(SymbolMismatch, match="does not form one complete definition"):
        check_region(new, f, (f.start_byte + 1, f.end_byte))


def test_module_insert_delete_and_rename_rules() -> None:
    old = _py(BASE).symbols
    with pytest.raises(SymbolMismatch, match="drops h"):
        check_module_rewrite(old, _py(BASE.split(b"\n\n\ndef h")[0] + b"\n").symbols)
    inserted = _py(BASE.replace(b"        return 2\n", b"        return 2\n\n    def z(self):\n        pass\n"))
    assert check_insert(old, inserted.symbols, "m.py::A").id == "m.py::A.z"
    twice = _py(BASE.replace(b"        return 2\n", b"        return 2\n\n    def y(self):\n        pass\n\n    def z(self):\n        pass\n"))
    with pytest.raises(SymbolMismatch, match="exactly one definition"):
        check_insert(old, twice.symbols, "m.py::A")
    without_g = _py(b"class A:\n    def f(self):\n        return 1\n\n\ndef h():\n    pass\n")
    check_delete(old, without_g.symbols, "m.py::A.g")
    with pytest.raises(SymbolMismatch, match="would also change"):
        check_delete(old, without_g.symbols, "m.py::h")
    renamed = _py(BASE.replace(b"class A", b"class B"))
    check_rename(old, renamed.symbols, "m.py::A", "m.py::B")
    with pytest.raises(SymbolMismatch, match="pick a name"):
        check_rename(old, renamed.symbols, "m.py::A", "m.py::C")


def test_cpython_has_the_last_word_on_python() -> None:
    check_python_compiles("m.py", b"def f():\n    pass\n", b"def f():\n    return 1\n")
    with pytest.raises(SyntaxInvalid, match=r"line 11: expected an indented block"):
        check_python_compiles("m.py", b"class A:\n    x = 1\n", b"class A:\n", line_offset=10)
    # Text that never compiled here (Python 2) is left to tree-sitter.
    check_python_compiles("m.py", b"print 'x'\n", b"print 'y'\n")
    # Rust is tree-sitter's alone.
    check_compiles("lib.rs", RUST.name, (b"", b"fn f( {", 0))


def test_elision_markers_are_refused() -> None:
    refuse_elided("def f():\n    return '<<'\n")
    with pytest.raises(SymbolMismatch, match="elision marker"):
        refuse_elided("def f(): ...  # <<elided 3 lines: read_symbol m.py::f>>")
