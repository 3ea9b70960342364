"""Re-indenting whole-symbol text: pure functions, checked on Python and Rust."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from editor_harness.reindent import clean_block, indent_unit, leading_whitespace, newline_of, reindent
from symbols.languages.python import PYTHON
from symbols.languages.rust import RUST


def test_clean_block_strips_leading_blank_lines_and_trailing_space() -> None:
    assert clean_block("\r\n\n  \ndef f():\r\n    pass   \n\n\n") == "def f():\n    pass"
    assert clean_block("   \n\t\n") == ""


def test_reindent_moves_block_to_target_column() -> None:
    text = "def f(x):\n    if x:\n        return 1\n\n    return 2"
    assert reindent(text, "    ", PYTHON) == "    def f(x):\n        if x:\n            return 1\n\n        return 2"


def test_reindent_from_deeper_to_shallower() -> None:
    text = "        def f(x):\n            return x"
    assert reindent(text, "    ", PYTHON) == "    def f(x):\n        return x"


def test_reindent_is_identity_at_same_indent_except_blank_lines() -> None:
    text = "    def f():\n        \n        return 1"
    assert reindent(text, "    ", PYTHON) == "    def f():\n\n        return 1"


def test_reindent_keeps_multiline_string_lines_verbatim() -> None:
    text = 'def f():\n    s = """\nline at zero\n        deep\n    """\n    return s'
    out = reindent(text, "    ", PYTHON)
    assert out == '    def f():\n        s = """\nline at zero\n        deep\n    """\n        return s'


def test_reindent_keeps_rust_raw_string_lines_verbatim() -> None:
    text = 'fn f() -> &\'static str {\n    r#"\nraw\n  text"#\n}'
    assert reindent(text, "    ", RUST) == '    fn f() -> &\'static str {\n        r#"\nraw\n  text"#\n    }'


def test_lines_indented_less_than_the_base_lose_what_they_have() -> None:
    assert reindent("    def f():\n  pass", "", PYTHON) == "def f():\npass"


def test_indent_unit_detection() -> None:
    assert indent_unit("class A:\n    def f(self):\n        pass\n") == "    "
    assert indent_unit("class A:\n  def f(self):\n    x = (1,\n         2)\n") == "  "
    assert indent_unit("fn f() {\n\tlet x = 1;\n}\n") == "\t"
    assert indent_unit("x = 1\n") == "    "


def test_newline_detection_and_leading_whitespace() -> None:
    assert newline_of(b"a\r\nb\r\nc\n") == "\r\n"
    assert newline_of(b"a\nb\nc\r\n") == "\n"
    assert newline_of(b"") == "\n"
    assert leading_whitespace(" \t x ") == " \t "


@given(
    body=st.lists(st.sampled_from(["x = 1", "if x:\n    y = 2", "", "return x", "# note"]), max_size=8),
    depth=st.integers(min_value=0, max_value=3),
)
def test_reindent_round_trips_between_columns(body: list[str], depth: int) -> None:
    statements = "\n".join(body).split("\n")
    text = "\n".join(["def f(x):", *("    " + line if line else "" for line in statements), "    pass"])
    moved = reindent(text, "    " * depth, PYTHON)
    assert reindent(moved, "", PYTHON) == reindent(text, "", PYTHON)
    assert all(not line or line.startswith("    " * depth) for line in moved.split("\n"))
    compile(moved.strip() if depth else moved, "<t>", "exec")  # still valid where it lands


def test_text_as_read_symbol_gives_it_keeps_its_columns() -> None:
    # First line cut at the symbol's start, the rest at their file columns.
    read = "@property\n    def f(self):\n        return 1"
    assert reindent(read, "    ", PYTHON) == "    @property\n    def f(self):\n        return 1"
    # A body not under the target indent is a block at column 0, moved as a whole.
    assert reindent("def f(self):\n  return 1", "    ", PYTHON) == "    def f(self):\n      return 1"
