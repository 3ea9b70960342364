"""Rust language rules: the word pattern masks literals, comments and lifetimes; impl names."""

from __future__ import annotations

from symbols.languages import language_for_path
from symbols.languages.rust import RUST
from symbols.scope import scope_source


def words(source: bytes) -> set[bytes]:
    return {w for w in RUST.word_pattern.findall(source) if w} - RUST.keywords


def test_identifiers_outside_literals_comments_and_lifetimes():
    source = b'''fn f<'a>(x: &'a Thing) -> char { let c = 'q'; let s = r#"raw "q" words"#; // note
/* block words */ let b = b'y'; call("text \\" escaped", x / y) }'''
    assert words(source) == {b"f", b"x", b"Thing", b"c", b"s", b"b", b"call", b"y"}


def test_raw_identifiers_keep_their_name():
    found = {w for w in RUST.word_pattern.findall(b"let r#match = r#fn_name;") if w}
    assert {b"match", b"fn_name"} <= found and b"r" not in found


def test_impl_names_strip_generics_and_qualify_trait_methods():
    fs = scope_source("g.rs", b"impl<T: Clone> From<Vec<T>> for Wrapper<T> { fn from(v: Vec<T>) -> Self { todo!() } }\n")
    assert [s.qualname for s in fs.symbols] == ["<module>", "impl From for Wrapper", "<Wrapper as From>::from"]


def test_outer_doc_comments_and_attributes_join_the_span_inner_ones_do_not():
    source = b"//! crate doc\n\n/// one\n/// two\n#[inline]\npub fn f() {}\n"
    fs = scope_source("d.rs", source)
    f = fs.by_id()["d.rs::f"]
    assert source[f.start_byte : f.end_byte].startswith(b"/// one")
    assert f.docstring == "one\ntwo"
    assert fs.module.docstring == "crate doc"


def test_extension():
    assert language_for_path("src/lib.rs") is RUST
