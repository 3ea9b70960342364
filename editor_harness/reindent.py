"""Re-indenting whole-symbol text to the column it will live at.

Agents send a method at column 0 or at its original depth; either way it is
moved to the symbol's column. Lines that start inside a multi-line string
literal keep their text exactly: their whitespace is the string's value.
"""

from __future__ import annotations

from collections import Counter

from symbols.languages import Language
from symbols.scope import parse

from editor_harness.syntax import string_interior_rows


def leading_whitespace(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def clean_block(text: str) -> str:
    """Unix newlines, no leading blank lines, no trailing whitespace or newline."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def reindent(text: str, indent: str, language: Language) -> str:
    """`text` (a cleaned block) moved so that its first line sits at `indent`.

    The first line's own indentation is the block's base: it is replaced by
    `indent` on every line; lines indented less than the base lose what they
    have of it. Blank lines become empty.
    """
    lines = text.split("\n")
    if not lines or not lines[0].strip():
        return text
    base = leading_whitespace(lines[0])
    if base == indent:
        return "\n".join(line if line.strip() else "" for line in lines)
    dedented = [line[_common_prefix(leading_whitespace(line), base) :] for line in lines]
    interior = string_interior_rows(parse(language, "\n".join(dedented).encode("utf-8")))
    out: list[str] = []
    for row, (original, stripped) in enumerate(zip(lines, dedented)):
        if row in interior:
            out.append(original)
        elif stripped.strip():
            out.append(indent + stripped)
        else:
            out.append("")
    return "\n".join(out)


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, or the commonest increase in leading spaces."""
    steps: Counter[int] = Counter()
    previous = 0
    for line in text.split("\n"):
        if not line.strip():
            continue
        ws = leading_whitespace(line)
        if ws.startswith("\t"):
            return "\t"
        if len(ws) > previous:
            steps[len(ws) - previous] += 1
        previous = len(ws)
    return " " * (steps.most_common(1)[0][0] if steps else 4)


def newline_of(source: bytes) -> str:
    """The file's line ending: CRLF when most of its lines use it, else LF."""
    crlf = source.count(b"\r\n")
    return "\r\n" if crlf and crlf * 2 >= source.count(b"\n") else "\n"
