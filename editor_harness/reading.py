"""What reading the workspace returns: symbol texts, shortened views, search hits.

A big class does not fit a small model's context: `shorten` turns it into an
outline that keeps the class's own lines and each child's signature, with
the child bodies replaced by a marker naming the child's id. A rewrite that
still holds such a marker is refused (see rewrite_checks.refuse_elided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbols.languages import Language
from symbols.model import FileSymbols, Symbol, SymbolKind
from symbols.scope import parse

from editor_harness.rewrite_checks import ELISION_TAG
from editor_harness.syntax import body_node, definition_node

_LINE_COMMENT = {"python": "#", "rust": "//"}


@dataclass(frozen=True, slots=True)
class SymbolText:
    """A symbol's text as read at one file version.

    `elided` is True when the text is a shortened view (children's bodies or
    a tail replaced by `<<elided ...>>` markers): never send it back as a
    rewrite; rewrite the children by id instead.
    """

    symbol_id: str
    path: str
    kind: SymbolKind
    start_line: int
    end_line: int
    version: int
    text: str
    elided: bool = False
    signature: str = ""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One match of a text search: where it is and the innermost symbol holding it."""

    path: str
    line: int
    column: int
    text: str
    symbol_id: str


def _stub(language: Language, head: str, lines: int, symbol_id: str) -> str:
    marker = f"{ELISION_TAG} {lines} lines: read_symbol {symbol_id}>>"
    if language.name == "python":
        return f"{head} ...  # {marker}"
    return f"{head} {{ /* {marker} */ }}"


def outline_text(source: bytes, symbols: FileSymbols, symbol: Symbol, language: Language) -> str:
    """The symbol's text with each direct child's body replaced by an elision stub."""
    tree = parse(language, source)
    by_id = symbols.by_id()
    pieces: list[bytes] = []
    cursor = symbol.start_byte
    for child_id in symbol.children:
        child = by_id[child_id]
        body = body_node(definition_node(language, tree, child))
        if body is None:
            continue
        head = source[child.start_byte : body.start_byte].decode("utf-8", errors="replace").rstrip()
        hidden = child.end_line - (body.start_point.row + 1) + 1
        pieces.append(source[cursor : child.start_byte])
        pieces.append(_stub(language, head, hidden, child.id).encode("utf-8"))
        cursor = child.end_byte
    pieces.append(source[cursor : symbol.end_byte])
    return b"".join(pieces).decode("utf-8", errors="replace")


def truncate_lines(text: str, max_chars: int, language: Language, hint: str) -> str:
    """At most `max_chars` of whole lines, then one marker line saying what was cut."""
    lines = text.split("\n")
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > max_chars and kept:
            break
        kept.append(line)
        used += len(line) + 1
    cut = len(lines) - len(kept)
    if cut == 0:
        return text
    comment = _LINE_COMMENT.get(language.name, "//")
    return "\n".join(kept) + f"\n{comment} {ELISION_TAG} {cut} more lines: {hint}>>"


def shorten(
    source: bytes, symbols: FileSymbols, symbol: Symbol, language: Language, max_chars: int
) -> tuple[str, bool]:
    """The symbol's text if it fits in `max_chars`, else its best shortened view."""
    full = source[symbol.start_byte : symbol.end_byte].decode("utf-8", errors="replace")
    if len(full) <= max_chars:
        return full, False
    text = outline_text(source, symbols, symbol, language) if symbol.children else full
    if len(text) > max_chars:
        text = truncate_lines(text, max_chars, language, f"read_symbol {symbol.id} with a larger max_chars")
    return text, True


def find_in_text(source: bytes, pattern: re.Pattern[bytes], limit: int) -> list[tuple[int, int, str]]:
    """(1-based line, 0-based column, line text) of each match, at most `limit`."""
    hits: list[tuple[int, int, str]] = []
    line_no, line_start = 1, 0
    for match in pattern.finditer(source):
        offset = match.start()
        line_no += source.count(b"\n", line_start, offset)
        line_start = source.rfind(b"\n", 0, offset) + 1
        end = source.find(b"\n", offset)
        line = source[line_start : len(source) if end < 0 else end]
        column = len(source[line_start:offset].decode("utf-8", errors="replace"))
        hits.append((line_no, column, line.decode("utf-8", errors="replace").strip()[:200]))
        if len(hits) >= limit:
            break
    return hits
