"""Column units: LSP counts in UTF-16 code units unless both sides agreed on
another encoding; Python strings index by code points. Convert at the edge.
"""

from __future__ import annotations

import re
from typing import Literal

PositionEncoding = Literal["utf-8", "utf-16", "utf-32"]

# LSP knows exactly these line terminators; str.splitlines knows more
# (form feed, U+2028, ...) and would shift every line after one of them.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    return _LINE_BREAK.split(text)


def _unit_length(char: str, encoding: PositionEncoding) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    return len(char.encode("utf-8"))


def to_codepoints(line: str, character: int, encoding: PositionEncoding) -> int:
    """The code-point column of an LSP `character` offset into `line` (clamped to its end)."""
    if encoding == "utf-32" or line.isascii():
        return max(0, min(character, len(line)))
    units = 0
    for index, char in enumerate(line):
        if units >= character:
            return index
        units += _unit_length(char, encoding)
    return len(line)


def from_codepoints(line: str, column: int, encoding: PositionEncoding) -> int:
    """The LSP `character` offset of a code-point column of `line`."""
    prefix = line[: max(0, column)]
    if encoding == "utf-32" or prefix.isascii():
        return len(prefix)
    return sum(_unit_length(char, encoding) for char in prefix)


class LineIndex:
    """The lines of one text, split once, for repeated position conversions."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def line(self, number: int) -> str:
        """Line `number` (0-based) without its terminator; "" past the end."""
        return self.lines[number] if 0 <= number < len(self.lines) else ""

    def to_codepoints(self, line: int, character: int, encoding: PositionEncoding) -> int:
        return to_codepoints(self.line(line), character, encoding)

    def from_codepoints(self, line: int, column: int, encoding: PositionEncoding) -> int:
        return from_codepoints(self.line(line), column, encoding)


def range_to_codepoints(
    index: LineIndex, start: tuple[int, int], end: tuple[int, int], encoding: PositionEncoding
) -> tuple[int, int, int, int]:
    """(line, character) pairs of an LSP range -> (line, column, end_line, end_column),
    lines 1-based and columns 0-based code points."""
    start_line, start_char = start
    end_line, end_char = end
    return (
        start_line + 1,
        index.to_codepoints(start_line, start_char, encoding),
        end_line + 1,
        index.to_codepoints(end_line, end_char, encoding),
    )
