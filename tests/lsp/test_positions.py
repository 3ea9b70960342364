from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lsp.positions import LineIndex, from_codepoints, range_to_codepoints, split_lines, to_codepoints

LINE = "a😀b é"  # the emoji is 2 UTF-16 units and 4 UTF-8 bytes; é is 2 bytes


def test_utf16_counts_surrogate_pairs() -> None:
    assert from_codepoints(LINE, 2, "utf-16") == 3
    assert to_codepoints(LINE, 3, "utf-16") == 2
    assert to_codepoints(LINE, 1, "utf-16") == 1


def test_utf8_counts_bytes() -> None:
    assert from_codepoints(LINE, 2, "utf-8") == 5
    assert to_codepoints(LINE, 5, "utf-8") == 2
    assert from_codepoints(LINE, 5, "utf-8") == len(LINE[:5].encode("utf-8"))


def test_offsets_past_the_end_clamp() -> None:
    assert to_codepoints("abc", 99, "utf-16") == 3
    assert to_codepoints(LINE, 99, "utf-8") == len(LINE)
    assert to_codepoints("abc", -4, "utf-32") == 0


@given(st.text(max_size=30), st.data())
def test_round_trip(line: str, data: st.DataObject) -> None:
    line = line.replace("\n", "").replace("\r", "")
    column = data.draw(st.integers(0, len(line)))
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert to_codepoints(line, from_codepoints(line, column, encoding), encoding) == column


def test_only_lsp_line_breaks_split_lines() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    # Form feed and U+2028 are not line breaks to LSP.
    assert split_lines("a\x0cb\u2028c") == ["a\x0cb\u2028c"]


def test_line_index_and_ranges() -> None:
    index = LineIndex("first\nx = '😀' + y\n")
    assert index.line(1) == "x = '😀' + y"
    assert index.line(7) == ""
    start = (1, 11)  # utf-16: x,space,=,space,',😀(2),',space,+,space -> y at 11
    end = (1, 12)
    assert range_to_codepoints(index, start, end, "utf-16") == (2, 10, 2, 11)
    assert index.from_codepoints(1, 10, "utf-16") == 11
