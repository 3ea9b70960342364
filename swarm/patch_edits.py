"""A run's change to one file, as whole-line edits on the text the user holds now.

    edits = file_edits("shop/discounts.py", base, new, current)   # tuple[LineEdit, ...]

The swarm edits its own worktree from a base text; by the time a run is
accepted the user's text of that file (the editor buffer, or disk) may have
moved on. Each changed region is carried over as a whole symbol: the
innermost symbol (tree-sitter scoping) that encloses the change, replaced
from its first to its last line in the user's current text — provided the
user's text of that symbol is still exactly the base text. Changes outside
any symbol (imports, module constants) are carried as line ranges located
through the lines the base and the current text share, with one line of
context either side. Anything else is refused with `StaleText`, naming the
symbol or line; nothing is merged blindly. Pure functions.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from lsp.backend import LineEdit
from swarm.errors import SwarmError
from symbols.errors import SymbolsError
from symbols.model import Symbol
from symbols.scope import scope_source


class StaleText(SwarmError):
    """The user's text changed where the run's change goes: it is not applied."""


@dataclass(frozen=True, slots=True)
class _Hunk:
    base_start: int     # 0-based line indexes, end exclusive
    base_end: int
    new_start: int
    new_end: int


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _symbols(path: str, text: str) -> dict[str, Symbol]:
    """Non-module symbols by id; none for a language tree-sitter does not scope."""
    try:
        scoped = scope_source(path, text.encode("utf-8"))
    except SymbolsError:
        return {}
    return {s.id: s for s in scoped.symbols if not s.is_module}


def _hunks(base: list[str], new: list[str]) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(a=base, b=new, autojunk=False)
    return [_Hunk(i1, i2, j1, j2) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def _enclosing(hunk: _Hunk, base_symbols: dict[str, Symbol], new_symbols: dict[str, Symbol]) -> Symbol | None:
    """The smallest base symbol holding the whole hunk that the new text still defines."""
    first = hunk.base_start + 1
    last = max(hunk.base_end, first)
    holders = [
        s for s in base_symbols.values()
        if s.start_line <= first and last <= s.end_line and s.id in new_symbols
        # A pure insertion at a symbol's first line goes before it, not into it.
        and not (hunk.base_start == hunk.base_end and first == s.start_line)
    ]  # fmt: skip
    return min(holders, key=lambda s: s.end_line - s.start_line, default=None)


def _line_map(base: list[str], current: list[str]) -> dict[int, int]:
    """Base line index -> current line index, for the lines both texts share unchanged."""
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=base, b=current, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            mapping[a + k] = b + k
    return mapping


def _line_edit(path: str, hunk: _Hunk, base: list[str], new: list[str], mapping: dict[int, int]) -> LineEdit:
    """The hunk on the current text, when its lines and one line of context either side are unchanged."""
    low, high = max(hunk.base_start - 1, 0), min(hunk.base_end + 1, len(base))
    anchor = [k for k in range(low, high)]
    mapped = [mapping.get(k) for k in anchor]
    consecutive = all(m is not None for m in mapped) and all(
        b - a == 1 for a, b in zip(mapped, mapped[1:])  # type: ignore[operator]
    )
    if not consecutive:
        raise StaleText(
            f"{path}: you changed the lines around line {hunk.base_start + 1} since the run started, "
            "so its change there is not applied; re-run the swarm on your current text"
        )
    if hunk.base_start < len(base) and hunk.base_start in mapping:
        start = mapping[hunk.base_start]
    elif hunk.base_start > 0:
        start = mapping[hunk.base_start - 1] + 1
    else:
        start = 0
    count = hunk.base_end - hunk.base_start
    return LineEdit(start + 1, start + count, "".join(new[hunk.new_start:hunk.new_end]))


def file_edits(path: str, base_text: str, new_text: str, current_text: str) -> tuple[LineEdit, ...]:
    """The edits that turn the user's `current_text` into it plus the run's change (base -> new).

    `path` is the file's repo-relative path (it picks the language). Edits
    are sorted and disjoint. StaleText when the user changed a place the run
    changed too.
    """
    base, new, current = _lines(base_text), _lines(new_text), _lines(current_text)
    hunks = _hunks(base, new)
    if not hunks:
        return ()
    base_symbols, new_symbols = _symbols(path, base_text), _symbols(path, new_text)
    groups: dict[str, Symbol] = {}
    loose: list[_Hunk] = []
    for hunk in hunks:
        symbol = _enclosing(hunk, base_symbols, new_symbols)
        if symbol is None:
            loose.append(hunk)
        else:
            groups[symbol.id] = symbol
    # Keep the outermost of nested symbols, and none a loose hunk reaches into.
    outer = {
        sid: s for sid, s in groups.items()
        if not any(o.id != sid and o.start_line <= s.start_line and s.end_line <= o.end_line for o in groups.values())
    }  # fmt: skip
    for sid, symbol in list(outer.items()):
        if any(h.base_start < symbol.end_line and symbol.start_line - 1 < max(h.base_end, h.base_start + 1) for h in loose):
            del outer[sid]
    kept_spans = [(s.start_line - 1, s.end_line) for s in outer.values()]
    for hunk in hunks:
        inside = any(lo <= hunk.base_start and hunk.base_end <= hi for lo, hi in kept_spans)
        if not inside and hunk not in loose:
            loose.append(hunk)
    current_symbols = _symbols(path, current_text) if outer else {}
    edits: list[LineEdit] = []
    for sid, symbol in outer.items():
        mine = current_symbols.get(sid)
        if mine is None:
            raise StaleText(f"{path}: {sid} is no longer in your text (renamed or deleted since the run started); "
                            "its rewrite is not applied")
        base_symbol_text = "".join(base[symbol.start_line - 1:symbol.end_line])
        if "".join(current[mine.start_line - 1:mine.end_line]) != base_symbol_text:
            raise StaleText(f"{path}: you edited {sid} since the run started, so its rewrite is not applied; "
                            "re-run the swarm on your current text")
        target = new_symbols[sid]
        edits.append(LineEdit(mine.start_line, mine.end_line, "".join(new[target.start_line - 1:target.end_line])))
    if loose:
        mapping = _line_map(base, current)
        edits.extend(_line_edit(path, h, base, new, mapping) for h in sorted(loose, key=lambda h: h.base_start))
    edits.sort(key=lambda e: (e.first_line, e.last_line))
    for before, after in zip(edits, edits[1:]):
        if after.first_line <= before.last_line:
            raise StaleText(f"{path}: the run's changes around line {after.first_line} overlap; apply its patch by hand")
    return tuple(edits)
