"""Re-indenting whole-symbol text to the column it will live at.

Agents send a method at column 0 or at its original depth; either way it is
moved to the symbol's column. Lines that start inside a multi-line string
literal keep their text exactly: their whitespace is the string's value.
"""

from __future__ import annotations

import ast
import warnings
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
    if not base and indent and _span_form(lines, indent, language):
        # The text as read_symbol gives it: first line cut at the symbol's start,
        # the rest still at their columns. Put the first line back where it was.
        lines[0] = indent + lines[0]
        base = indent
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


def _span_form(lines: list[str], indent: str, language: Language) -> bool:
    """Whether `lines` are a symbol's text as read from its file: the first line cut
    at the symbol's start, every later line still at its column (at or past `indent`).

    That shape is ambiguous with a block written at column 0 whose body happens
    to sit at `indent`; the reading under which the text is valid decides
    (CPython for Python: tree-sitter accepts an empty block). Braced languages
    need only the shape: a column-0 block ends with its brace at column 0.
    """
    interior = string_interior_rows(parse(language, "\n".join(lines).encode("utf-8")))
    rest = [line for row, line in enumerate(lines) if row and line.strip() and row not in interior]
    if not rest or not all(line.startswith(indent) for line in rest):
        return False
    if language.name != "python":
        return True
    as_read = "\n".join([lines[0], *(line[len(indent) :] if row not in interior else line for row, line in enumerate(lines) if row)])
    as_block = "\n".join(lines)
    read_ok, block_ok = _compiles(as_read), _compiles(as_block)
    if read_ok or block_ok:
        return read_ok
    tree_read, tree_block = parse(language, as_read.encode()), parse(language, as_block.encode())
    return not tree_read.root_node.has_error and tree_block.root_node.has_error


def _compiles(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<rewrite>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except (SyntaxError, ValueError):
            return False
    return True


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
