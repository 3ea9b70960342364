"""Gold locations of a SWE-bench patch: the files it changes and the symbols
whose pre-image spans hold its changed lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from symbols.index import RepoIndex
from symbols.model import Symbol

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


@dataclass(slots=True)
class FileChange:
    path: str
    removed: list[int] = field(default_factory=list)  # old line numbers of '-' lines
    # (old line the insertion follows, indentation of its first added line)
    inserted: list[tuple[int, int]] = field(default_factory=list)


def parse_patch(patch: str) -> list[FileChange]:
    changes: list[FileChange] = []
    current: FileChange | None = None
    old_line = 0
    pending_insert = False
    for line in patch.splitlines():
        if line.startswith("--- "):
            current = None
            continue
        if line.startswith("+++ "):
            target = line[4:].strip()
            path = target[2:] if target.startswith("b/") else target
            current = FileChange(path)
            changes.append(current)
            continue
        match = _HUNK.match(line)
        if match:
            old_line = int(match.group(1)) - 1
            pending_insert = False
            continue
        if current is None or line.startswith("\\"):
            continue
        if line.startswith("-"):
            old_line += 1
            current.removed.append(old_line)
            pending_insert = False
        elif line.startswith("+"):
            if not pending_insert and line[1:].strip():
                body = line[1:]
                current.inserted.append((old_line, len(body) - len(body.lstrip())))
                pending_insert = True
        else:
            old_line += 1
            pending_insert = False
    return changes


def _innermost(symbols: tuple[Symbol, ...], line: int, also: int | None = None) -> Symbol:
    best = symbols[0]
    for s in symbols[1:]:
        if s.start_line <= line <= s.end_line and (also is None or s.start_line <= also <= s.end_line):
            if s.end_byte - s.start_byte <= best.end_byte - best.start_byte:
                best = s
    return best


def _indent_of(source_lines: list[str], line: int) -> int:
    if 1 <= line <= len(source_lines):
        text = source_lines[line - 1]
        return len(text) - len(text.lstrip())
    return 0


def gold_symbols(index: RepoIndex, changes: list[FileChange]) -> set[str]:
    """Innermost symbol of each changed line; for an insertion, the symbol
    the inserted code lands in (judged by its indentation)."""
    gold: set[str] = set()
    for change in changes:
        if change.path not in index.paths():
            continue
        symbols = index.file(change.path).symbols
        for line in change.removed:
            gold.add(_innermost(symbols, line).id)
        if change.inserted:
            lines = (index.root / change.path).read_text(errors="replace").splitlines()
        for after, indent in change.inserted:
            before = _innermost(symbols, after) if after >= 1 else symbols[0]
            following = _innermost(symbols, after + 1)
            if before.id == following.id:
                gold.add(before.id)
            elif not before.is_module and indent > _indent_of(lines, before.start_line) and after <= before.end_line:
                gold.add(before.id)  # appended at the end of `before`'s body
            else:
                gold.add(_innermost(symbols, after, after + 1).id if after >= 1 else symbols[0].id)
    return gold
