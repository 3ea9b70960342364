"""Incremental re-scoping must equal a full re-scope, whatever the edit."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.incremental import edit_range, parse_file, reparse
from symbols.languages.python import PYTHON
from symbols.languages.rust import RUST
from symbols.scope import scope_source

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PY_SOURCE = (EXAMPLES / "python_shop/shop/cart.py").read_bytes() + (
    EXAMPLES / "python_shop/shop/discounts.py"
).read_bytes()
RS_SOURCE = (EXAMPLES / "rust_ledger/src/ledger.rs").read_bytes() + (
    EXAMPLES / "rust_ledger/src/report.rs"
).read_bytes()

PY_SNIPPETS = [
    b"", b"\n", b"    ", b"def f(x):\n    return x\n", b"class K:\n    def m(self):\n        pass\n",
    b"@decorator\n", b"(", b")", b":", b'"""', b"'", b"#", b"x = 1\n", b"async ", b"if x:\n    ",
    b"def applies_to(self):\n    pass\n", b"\n\n", b"return 2", b"\x00", b"\xff\xfe",
]
RS_SNIPPETS = [
    b"", b"\n", b"fn g() {}\n", b"impl Foo { fn h(&self) {} }\n", b"#[test]\n", b"/// doc\n",
    b"{", b"}", b"mod m {", b"\"", b"'a", b"//", b"/*", b"pub ", b"struct S;\n",
    b"trait T { fn s(&self); }\n", b"macro_rules! m { () => {} }\n", b"fn transfer() {}\n",
]


def edits(source: bytes, snippets: list[bytes]):
    position = st.integers(min_value=0, max_value=len(source))
    return st.lists(
        st.tuples(position, st.integers(min_value=0, max_value=40), st.sampled_from(snippets)),
        min_size=1,
        max_size=6,
    )


def apply(source: bytes, start: int, length: int, text: bytes) -> bytes:
    start = min(start, len(source))
    return source[:start] + text + source[start + length :]


def check_sequence(path: str, language, source: bytes, steps) -> None:
    parsed = parse_file(path, language, source)
    for start, length, text in steps:
        source = apply(source, start, length, text)
        parsed = reparse(path, language, parsed, source)
        assert parsed.symbols == scope_source(path, source)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits(PY_SOURCE, PY_SNIPPETS))
def test_python_incremental_equals_full(steps):
    check_sequence("shop/mixed.py", PYTHON, PY_SOURCE, steps)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits(RS_SOURCE, RS_SNIPPETS))
def test_rust_incremental_equals_full(steps):
    check_sequence("src/mixed.rs", RUST, RS_SOURCE, steps)


@settings(max_examples=100, deadline=None)
@given(old=st.binary(max_size=60), new=st.binary(max_size=60))
def test_edit_range_reconstructs_the_new_text(old, new):
    start, old_end, new_end = edit_range(old, new)
    assert 0 <= start <= old_end <= len(old) and start <= new_end <= len(new)
    assert old[:start] + new[start:new_end] + old[old_end:] == new


def test_unchanged_source_is_returned_as_is():
    parsed = parse_file("a.py", PYTHON, PY_SOURCE)
    assert reparse("a.py", PYTHON, parsed, PY_SOURCE) is parsed


def test_edit_inside_one_method_keeps_every_other_symbol():
    parsed = parse_file("d.py", PYTHON, PY_SOURCE)
    edited = PY_SOURCE.replace(b"return quantity > self.min_quantity", b"return quantity >= self.min_quantity")
    after = reparse("d.py", PYTHON, parsed, edited)
    before_ids = [s.id for s in parsed.symbols.symbols]
    assert [s.id for s in after.symbols.symbols] == before_ids
    changed = [
        s.id for s, t in zip(parsed.symbols.symbols, after.symbols.symbols, strict=True)
        if (s.start_byte, s.end_byte) != (t.start_byte, t.end_byte)
    ]
    assert "d.py::BulkDiscount.applies_to" in changed
    assert "d.py::Cart" not in changed  # before the edit: untouched


def test_adding_a_duplicate_renumbers_like_a_full_scope():
    source = b"def f():\n    pass\n\n\ndef g():\n    pass\n"
    parsed = parse_file("dup.py", PYTHON, source)
    edited = b"def g():\n    return 0\n\n\n" + source
    after = reparse("dup.py", PYTHON, parsed, edited)
    assert [s.qualname for s in after.symbols.symbols] == ["<module>", "g", "f", "g#2"]
    assert after.symbols == scope_source("dup.py", edited)


def test_a_method_added_to_one_impl_renumbers_its_namesake_in_another():
    source = b"struct Foo;\n\nimpl Foo {\n    fn a(&self) {}\n}\n\nimpl Foo {\n    fn c(&self) {}\n}\n"
    parsed = parse_file("two.rs", RUST, source)
    edited = source.replace(b"fn a(&self) {}", b"fn a(&self) {}\n    fn c(&self) {}")
    after = reparse("two.rs", RUST, parsed, edited)
    assert after.symbols == scope_source("two.rs", edited)
    assert "two.rs::Foo::c#2" in after.symbols.by_id()


def test_edits_inside_a_duplicated_name_stay_exact():
    source = b"class C:\n    def m(self):\n        return 1\n\n\nclass C:\n    def m(self):\n        return 2\n"
    parsed = parse_file("dup2.py", PYTHON, source)
    for old, new in ((b"return 2", b"return 3"), (b"return 1", b"return 4")):
        source = source.replace(old, new)
        parsed = reparse("dup2.py", PYTHON, parsed, source)
        assert parsed.symbols == scope_source("dup2.py", source)


def test_edit_in_a_class_own_code_between_its_methods():
    source = b"class K:\n    def a(self):\n        return 1\n\n    limit = 10\n\n    def b(self):\n        return 2\n"
    parsed = parse_file("own.py", PYTHON, source)
    for old, new in ((b"limit = 10", b"limit = threshold + 10"), (b"limit = threshold + 10", b"limit = 1\n    extra = limit\n")):
        source = source.replace(old, new)
        parsed = reparse("own.py", PYTHON, parsed, source)
        assert parsed.symbols == scope_source("own.py", source)
    assert "threshold" not in parsed.symbols.by_id()["own.py::K"].references
    assert "extra" in parsed.symbols.by_id()["own.py::K"].references


def test_edit_in_an_impl_between_its_methods():
    source = b"impl Foo {\n    fn a(&self) {}\n\n    const N: u32 = 1;\n\n    fn b(&self) {}\n}\n"
    parsed = parse_file("own.rs", RUST, source)
    source = source.replace(b"const N: u32 = 1;", b"const N: u32 = LIMIT;")
    parsed = reparse("own.rs", RUST, parsed, source)
    assert parsed.symbols == scope_source("own.rs", source)
    assert "LIMIT" in parsed.symbols.by_id()["own.rs::impl Foo"].references
