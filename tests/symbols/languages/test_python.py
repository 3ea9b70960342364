"""Python language rules: the word pattern masks strings and comments; docstrings."""

from __future__ import annotations

from symbols.languages import language_for_path
from symbols.languages.python import PYTHON


def words(source: bytes) -> set[bytes]:
    return {w for w in PYTHON.word_pattern.findall(source) if w} - PYTHON.keywords


def test_identifiers_outside_strings_and_comments():
    source = b'x = rb"raw text" + f\'{y}\' # comment words\nreturn call(a.b, """doc "quoted" words""")\n'
    assert words(source) == {b"x", b"call", b"a", b"b"}


def test_string_prefixes_are_not_names_but_names_ending_in_r_are():
    assert words(b'bar = br"x"; r = 1; u"s"') == {b"bar", b"r"}


def test_unterminated_strings_do_not_swallow_errors():
    assert words(b'x = "open\ny = 2\n') == {b"x", b"y"}


def test_non_ascii_identifiers_stay_whole():
    assert words("café = naïve\n".encode()) == {"café".encode(), "naïve".encode()}


def test_extensions():
    assert language_for_path("pkg/mod.py") is PYTHON and language_for_path("stub.PYI") is PYTHON
    assert language_for_path("notes.txt") is None
