"""What a change introduced and fixed: a pure diff of two diagnostic lists.

Line numbers are useless as identity: a rewrite that adds two lines moves
every later diagnostic down by two. A diagnostic is identified instead by
(path, severity, code, message, anchor), the anchor being the source text
its range covers (whitespace-collapsed; the whole line for an empty range).
Within one identity, before and after items are paired by distance after
mapping old lines through the change (unchanged head and tail of the file
map exactly), so multiplicities count: one more identical error is one
introduced error. A second pass pairs leftovers with the same message that
sit on the same (mapped) line: the text there changed, the problem did not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from editor_harness.diagnostics_types import Diagnostic
from lsp.positions import split_lines

Texts = str | Mapping[str, str] | None
_ANCHOR_LIMIT = 240
# Cost of pairing an item whose line fell inside the rewritten region.
_UNMAPPED = 10_000


class LineMap:
    """Maps old line numbers to new ones for lines outside the changed region."""

    def __init__(self, before: str, after: str) -> None:
        old = split_lines(before)
        new = split_lines(after)
        prefix = 0
        limit = min(len(old), len(new))
        while prefix < limit and old[prefix] == new[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
            suffix += 1
        self.prefix = prefix
        self.old_tail_start = len(old) - suffix  # 0-based first line of the common tail
        self.shift = len(new) - len(old)

    def map(self, line: int) -> int | None:
        """The new 1-based line of old 1-based `line`, or None if it was rewritten."""
        if line <= self.prefix:
            return line
        if line > self.old_tail_start:
            return line + self.shift
        return None


def _text_for(texts: Texts, path: str) -> str | None:
    if texts is None or isinstance(texts, str):
        return texts
    return texts.get(path)


def anchor_text(diagnostic: Diagnostic, lines: Sequence[str]) -> str:
    """The source text a diagnostic points at, whitespace-collapsed."""
    first = diagnostic.line - 1
    last = diagnostic.end_line - 1
    if not 0 <= first < len(lines):
        return ""
    if last < first or last >= len(lines):
        last = first
    if first == last:
        covered = lines[first][diagnostic.column : max(diagnostic.end_column, diagnostic.column)]
    else:
        middle = lines[first + 1 : last]
        covered = "\n".join([lines[first][diagnostic.column :], *middle, lines[last][: diagnostic.end_column]])
    text = " ".join(covered.split())
    if not text:
        text = " ".join(lines[first].split())
    return text[:_ANCHOR_LIMIT]


def _identity(diagnostic: Diagnostic, lines: Sequence[str] | None) -> tuple[object, ...]:
    anchor = anchor_text(diagnostic, lines) if lines is not None else None
    return (diagnostic.path, diagnostic.severity, diagnostic.code, diagnostic.message, anchor)


def _pair(
    before: list[Diagnostic], after: list[Diagnostic], line_map: LineMap | None
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """Pair items greedily by line distance; returns the unpaired (before, after)."""
    if not before or not after:
        return before, after
    costs = []
    for i, old in enumerate(before):
        mapped = line_map.map(old.line) if line_map is not None else old.line
        for j, new in enumerate(after):
            if mapped is None:
                cost = _UNMAPPED + abs(old.line - new.line)
            else:
                cost = abs(mapped - new.line) * 1000 + abs(old.column - new.column)
            costs.append((cost, i, j))
    costs.sort()
    used_before: set[int] = set()
    used_after: set[int] = set()
    for _, i, j in costs:
        if i not in used_before and j not in used_after:
            used_before.add(i)
            used_after.add(j)
    return (
        [d for i, d in enumerate(before) if i not in used_before],
        [d for j, d in enumerate(after) if j not in used_after],
    )


def _same_place(
    before: list[Diagnostic], after: list[Diagnostic], line_maps: Mapping[str, LineMap | None]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    remaining_after = list(after)
    unpaired_before: list[Diagnostic] = []
    for old in before:
        line_map = line_maps.get(old.path)
        mapped = line_map.map(old.line) if line_map is not None else None
        match = next(
            (
                new
                for new in remaining_after
                if mapped is not None
                and new.line == mapped
                and (new.path, new.severity, new.code, new.message) == (old.path, old.severity, old.code, old.message)
            ),
            None,
        )
        if match is None:
            unpaired_before.append(old)
        else:
            remaining_after.remove(match)
    return unpaired_before, remaining_after


def _sorted(items: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(items, key=lambda d: (d.path, d.line, d.column, d.severity, d.message)))


def diagnostics_delta(
    before: Sequence[Diagnostic],
    after: Sequence[Diagnostic],
    *,
    before_text: Texts = None,
    after_text: Texts = None,
) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]]:
    """(introduced, fixed): what `after` has that `before` had not, and the reverse.

    `before_text`/`after_text` are the file's text before and after the change
    (one string when all diagnostics are about one file, or a mapping path ->
    text). Without texts, diagnostics are matched by message and nearest line.
    """
    paths = {d.path for d in before} | {d.path for d in after}
    lines_before: dict[str, list[str] | None] = {}
    lines_after: dict[str, list[str] | None] = {}
    line_maps: dict[str, LineMap | None] = {}
    for path in paths:
        old_text = _text_for(before_text, path)
        new_text = _text_for(after_text, path)
        if old_text is None or new_text is None:
            lines_before[path] = lines_after[path] = None
            line_maps[path] = None
            continue
        lines_before[path] = split_lines(old_text)
        lines_after[path] = split_lines(new_text)
        line_maps[path] = LineMap(old_text, new_text)

    groups_before: dict[tuple[object, ...], list[Diagnostic]] = defaultdict(list)
    groups_after: dict[tuple[object, ...], list[Diagnostic]] = defaultdict(list)
    for diagnostic in before:
        groups_before[_identity(diagnostic, lines_before[diagnostic.path])].append(diagnostic)
    for diagnostic in after:
        groups_after[_identity(diagnostic, lines_after[diagnostic.path])].append(diagnostic)

    fixed: list[Diagnostic] = []
    introduced: list[Diagnostic] = []
    for key in groups_before.keys() | groups_after.keys():
        old, new = _pair(groups_before.get(key, []), groups_after.get(key, []), line_maps[str(key[0])])
        fixed.extend(old)
        introduced.extend(new)
    fixed, introduced = _same_place(fixed, introduced, line_maps)
    return _sorted(introduced), _sorted(fixed)
