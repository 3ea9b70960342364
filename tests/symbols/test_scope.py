"""Scoping one file: every symbol kind of both languages, spans, ids, references."""

from __future__ import annotations

import pytest

from symbols.errors import UnsupportedLanguage
from symbols.model import SymbolKind, split_id
from symbols.scope import line_count, scope_source

PYTHON = b'''"""Module doc."""
import os

LIMIT = os.environ.get("LIMIT")


@decorator
@other.decorator(1)
class Shop(Base):
    """A shop."""

    rate = 3

    def total(self, cart) -> int:
        """Sum it."""
        # price is in a comment: not a reference
        label = "discount in a string"
        return sum(item.price for item in cart) * self.rate

    @property
    async def fetch(self):
        def helper(x):
            return x

        return helper(1)

    class Inner:
        def deep(self):
            pass


def outer():
    def inner():
        return LIMIT

    return inner


if os.name == "nt":
    def platform():
        return 1
else:
    def platform():
        return 2
'''

RUST = b'''//! Crate docs.
use std::fmt;

/// An id.
#[derive(Debug, Clone)]
pub struct AccountId(pub u32);

pub enum Kind { Credit, Debit }

pub union Bits { i: u32, f: f32 }

/// Things that render.
pub trait Render {
    fn render(&self) -> String;
    fn title(&self) -> String { self.render() }
}

impl AccountId {
    /// Makes one.
    pub fn new(raw: u32) -> Self { AccountId(raw) }
}

impl<T: Clone> fmt::Display for Wrapper<Vec<T>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "x") }
}

impl std::error::Error for AccountId {}

macro_rules! cents {
    ($d:expr) => { $d * 100 };
}

pub fn free(a: i64) -> i64 {
    fn nested() -> i64 { 1 }
    let s = "not_a_ref";
    a + nested()
}

mod tests {
    use super::*;

    #[test]
    fn works() { assert_eq!(free(1), 2); }

    mod deeper {
        fn f() {}
    }
}
'''


@pytest.fixture(scope="module")
def py():
    return scope_source("pkg/shop.py", PYTHON)


@pytest.fixture(scope="module")
def rs():
    return scope_source("src/lib.rs", RUST)


def ids(file_symbols):
    return [s.id for s in file_symbols.symbols]


def test_python_ids_in_source_order(py):
    assert ids(py) == [
        "pkg/shop.py::<module>",
        "pkg/shop.py::Shop",
        "pkg/shop.py::Shop.total",
        "pkg/shop.py::Shop.fetch",
        "pkg/shop.py::Shop.fetch.helper",
        "pkg/shop.py::Shop.Inner",
        "pkg/shop.py::Shop.Inner.deep",
        "pkg/shop.py::outer",
        "pkg/shop.py::outer.inner",
        "pkg/shop.py::platform",
        "pkg/shop.py::platform#2",
    ]


def test_python_kinds(py):
    kinds = {s.qualname: s.kind for s in py.symbols}
    assert kinds["<module>"] is SymbolKind.MODULE
    assert kinds["Shop"] is SymbolKind.CLASS
    assert kinds["Shop.total"] is SymbolKind.METHOD
    assert kinds["Shop.fetch"] is SymbolKind.METHOD
    assert kinds["Shop.fetch.helper"] is SymbolKind.FUNCTION
    assert kinds["Shop.Inner"] is SymbolKind.CLASS
    assert kinds["outer"] is SymbolKind.FUNCTION


def test_python_span_includes_decorators(py):
    shop = py.by_id()["pkg/shop.py::Shop"]
    text = PYTHON[shop.start_byte : shop.end_byte]
    assert text.startswith(b"@decorator\n@other.decorator(1)\nclass Shop(Base):")
    assert text.endswith(b"pass")
    assert shop.start_line == PYTHON[: shop.start_byte].count(b"\n") + 1
    assert shop.end_line == PYTHON[: shop.end_byte].count(b"\n") + 1
    fetch = py.by_id()["pkg/shop.py::Shop.fetch"]
    assert PYTHON[fetch.start_byte : fetch.end_byte].startswith(b"@property\n    async def fetch")


def test_python_signature_and_docstrings(py):
    by_id = py.by_id()
    assert by_id["pkg/shop.py::Shop.total"].signature == "def total(self, cart) -> int"
    assert by_id["pkg/shop.py::Shop.fetch"].signature == "async def fetch(self)"
    assert by_id["pkg/shop.py::Shop"].signature == "class Shop(Base)"
    assert by_id["pkg/shop.py::Shop.total"].docstring == "Sum it."
    assert by_id["pkg/shop.py::Shop"].docstring == "A shop."
    assert py.module.docstring == "Module doc."


def test_python_parent_and_children(py):
    by_id = py.by_id()
    shop = by_id["pkg/shop.py::Shop"]
    assert shop.parent == "pkg/shop.py::<module>"
    assert shop.children == ("pkg/shop.py::Shop.total", "pkg/shop.py::Shop.fetch", "pkg/shop.py::Shop.Inner")
    assert by_id["pkg/shop.py::Shop.fetch.helper"].parent == "pkg/shop.py::Shop.fetch"
    assert py.module.children == (
        "pkg/shop.py::Shop", "pkg/shop.py::outer", "pkg/shop.py::platform", "pkg/shop.py::platform#2",
    )


def test_python_references_are_own_code_identifiers(py):
    by_id = py.by_id()
    total = by_id["pkg/shop.py::Shop.total"]
    assert {"sum", "item", "price", "cart", "rate", "label", "self"} <= set(total.references)
    # Words in comments, strings and docstrings are not references; nor is the own name.
    assert not {"discount", "comment", "Sum", "total"} & set(total.references)
    # A child's code belongs to the child, not to its parent.
    assert "LIMIT" in by_id["pkg/shop.py::outer.inner"].references
    assert "LIMIT" not in by_id["pkg/shop.py::outer"].references
    assert {"os", "environ", "LIMIT", "decorator"} <= set(py.module.references) | set(by_id["pkg/shop.py::Shop"].references)
    assert "os" in py.module.references
    assert "decorator" in by_id["pkg/shop.py::Shop"].references
    assert list(total.references) == sorted(total.references)


def test_python_true_duplicates_get_suffix(py):
    first, second = (s for s in py.symbols if s.name == "platform")
    assert (first.qualname, second.qualname) == ("platform", "platform#2")
    assert first.start_byte < second.start_byte


def test_rust_ids(rs):
    assert ids(rs) == [
        "src/lib.rs::<module>",
        "src/lib.rs::AccountId",
        "src/lib.rs::Kind",
        "src/lib.rs::Bits",
        "src/lib.rs::Render",
        "src/lib.rs::Render::render",
        "src/lib.rs::Render::title",
        "src/lib.rs::impl AccountId",
        "src/lib.rs::AccountId::new",
        "src/lib.rs::impl fmt::Display for Wrapper",
        "src/lib.rs::<Wrapper as fmt::Display>::fmt",
        "src/lib.rs::impl std::error::Error for AccountId",
        "src/lib.rs::cents",
        "src/lib.rs::free",
        "src/lib.rs::free::nested",
        "src/lib.rs::tests",
        "src/lib.rs::tests::works",
        "src/lib.rs::tests::deeper",
        "src/lib.rs::tests::deeper::f",
    ]


def test_rust_kinds(rs):
    kinds = {s.qualname: s.kind for s in rs.symbols}
    assert kinds["AccountId"] is SymbolKind.STRUCT
    assert kinds["Kind"] is SymbolKind.ENUM
    assert kinds["Bits"] is SymbolKind.UNION
    assert kinds["Render"] is SymbolKind.TRAIT
    assert kinds["Render::render"] is SymbolKind.METHOD  # function_signature_item
    assert kinds["Render::title"] is SymbolKind.METHOD
    assert kinds["impl AccountId"] is SymbolKind.IMPL
    assert kinds["AccountId::new"] is SymbolKind.METHOD
    assert kinds["<Wrapper as fmt::Display>::fmt"] is SymbolKind.METHOD
    assert kinds["cents"] is SymbolKind.MACRO
    assert kinds["free"] is SymbolKind.FUNCTION
    assert kinds["free::nested"] is SymbolKind.FUNCTION
    assert kinds["tests"] is SymbolKind.MOD
    assert kinds["tests::works"] is SymbolKind.FUNCTION


def test_rust_span_includes_attributes_and_doc_comments(rs):
    by_id = rs.by_id()
    account = by_id["src/lib.rs::AccountId"]
    assert RUST[account.start_byte : account.end_byte] == (
        b"/// An id.\n#[derive(Debug, Clone)]\npub struct AccountId(pub u32);"
    )
    assert account.docstring == "An id."
    works = by_id["src/lib.rs::tests::works"]
    assert RUST[works.start_byte : works.end_byte].startswith(b"#[test]\n    fn works()")
    new = by_id["src/lib.rs::AccountId::new"]
    assert new.docstring == "Makes one."
    assert new.signature == "pub fn new(raw: u32) -> Self"
    assert by_id["src/lib.rs::Render::render"].signature == "fn render(&self) -> String"
    assert rs.module.docstring == "Crate docs."


def test_rust_references(rs):
    by_id = rs.by_id()
    free = by_id["src/lib.rs::free"]
    assert {"a", "nested", "i64"} - {"i64"} <= set(free.references)
    assert "not_a_ref" not in free.references
    assert "fn" not in free.references and "let" not in free.references
    title = by_id["src/lib.rs::Render::title"]
    assert "render" in title.references


def test_rust_children(rs):
    by_id = rs.by_id()
    assert by_id["src/lib.rs::tests"].children == ("src/lib.rs::tests::works", "src/lib.rs::tests::deeper")
    assert by_id["src/lib.rs::AccountId::new"].parent == "src/lib.rs::impl AccountId"


def test_every_span_is_exact_and_nested(py, rs):
    for fs, source in ((py, PYTHON), (rs, RUST)):
        by_id = fs.by_id()
        for symbol in fs.symbols[1:]:
            parent = by_id[symbol.parent]
            assert parent.start_byte <= symbol.start_byte < symbol.end_byte <= parent.end_byte
            assert split_id(symbol.id) == (fs.path, symbol.qualname)
            assert symbol.start_line == source[: symbol.start_byte].count(b"\n") + 1


def test_syntax_errors_keep_partial_symbols():
    source = b"def good():\n    return 1\n\ndef broken(:\n    pass\n\nclass After:\n    def m(self):\n        return 2\n"
    fs = scope_source("bad.py", source)
    assert fs.has_errors
    assert 4 in fs.error_lines
    names = {s.qualname for s in fs.symbols}
    assert {"good", "After", "After.m"} <= names


def test_empty_and_unknown_files():
    fs = scope_source("empty.py", b"")
    assert [s.qualname for s in fs.symbols] == ["<module>"]
    assert fs.module.end_line == 1 and line_count(b"") == 1
    with pytest.raises(UnsupportedLanguage, match="no tree-sitter language"):
        scope_source("notes.txt", b"hello")


def test_undecodable_bytes_do_not_crash():
    fs = scope_source("latin.py", b"# -*- coding: latin-1 -*-\ndef caf\xe9():\n    return '\xff'\n")
    assert any(s.name.startswith("caf") for s in fs.symbols)


def test_ids_stable_under_unrelated_edits(py):
    edited = PYTHON.replace(b'LIMIT = os.environ.get("LIMIT")', b'LIMIT = os.environ.get("LIMIT")\nEXTRA = 1\n\n\ndef added():\n    pass')
    edited = edited.replace(b"return sum(item.price", b"value = 1\n        return sum(item.price")
    after = scope_source("pkg/shop.py", edited)
    assert set(ids(py)) <= set(ids(after))
    assert set(ids(after)) - set(ids(py)) == {"pkg/shop.py::added"}
