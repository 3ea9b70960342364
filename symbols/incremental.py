"""Re-scope one edited file in milliseconds: tree-sitter incremental reparse,
then re-scope only the top-level statements the edit touched.

Every top-level symbol outside the edit keeps its subtree: those before it
are reused as they are, those after it are shifted by the edit's byte and
line deltas. This is exactly what a full re-scope would produce, because a
top-level symbol's subtree depends only on its own text (the property test
in tests/symbols/test_incremental.py checks it over random edits). Where
that argument does not hold (duplicate `#n` names, damage that moves
statement boundaries) it falls back to a full scope of the new tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tree_sitter as ts

from symbols.languages import Definition, Language
from symbols.model import FileSymbols, Symbol, make_id
from symbols.scope import Scoper, file_symbols, line_count, module_symbol, parse, scope_tree, words


@dataclass(frozen=True, slots=True)
class Parsed:
    """One file as last scoped in this process, with the tree to reparse from."""

    source: bytes
    tree: ts.Tree
    symbols: FileSymbols


def parse_file(path: str, language: Language, source: bytes) -> Parsed:
    tree = parse(language, source)
    return Parsed(source, tree, scope_tree(path, source, language, tree))


def edit_range(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end) of the one span where `old` and `new` differ."""
    shortest = min(len(old), len(new))
    low, high = 0, shortest
    # Binary search over slice equality: memcmp speed, no Python loop per byte.
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    prefix = low
    low, high = 0, shortest - prefix
    while low < high:
        middle = (low + high + 1) // 2
        if old[len(old) - middle :] == new[len(new) - middle :]:
            low = middle
        else:
            high = middle - 1
    return prefix, len(old) - low, len(new) - low


def _point(source: bytes, offset: int) -> tuple[int, int]:
    row = source.count(b"\n", 0, offset)
    return row, offset - (source.rfind(b"\n", 0, offset) + 1)


def _point_after(source: bytes, start: int, start_point: tuple[int, int], offset: int) -> tuple[int, int]:
    # Counting from the edit's start, not from the top: the edit is short, the file is not.
    newlines = source.count(b"\n", start, offset)
    if newlines == 0:
        return start_point[0], start_point[1] + offset - start
    return start_point[0] + newlines, offset - (source.rfind(b"\n", start, offset) + 1)


def reparse(path: str, language: Language, previous: Parsed, source: bytes) -> Parsed:
    """`previous` brought to `source`; `previous.tree` is consumed (edited in place)."""
    old = previous.source
    if source == old:
        return previous
    start, old_end, new_end = edit_range(old, source)
    start_point = _point(old, start)
    old_tree = previous.tree
    old_tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=start_point,
        old_end_point=_point_after(old, start, start_point, old_end),
        new_end_point=_point_after(source, start, start_point, new_end),
    )
    tree = parse(language, source, old_tree)
    symbols = _rescope(path, language, previous, source, old_tree, tree, start, old_end, new_end)
    return Parsed(source, tree, symbols)


def _groups(symbols: tuple[Symbol, ...]) -> list[list[Symbol]]:
    """Top-level symbols, each with its subtree, in source order."""
    module_id = symbols[0].id
    groups: list[list[Symbol]] = []
    for symbol in symbols[1:]:
        if symbol.parent == module_id or not groups:
            groups.append([symbol])
        else:
            groups[-1].append(symbol)
    return groups


_NUMBERED = re.compile(r"#\d+")


def _base(qualname: str) -> str:
    return _NUMBERED.sub("", qualname) if "#" in qualname else qualname


def _grown(symbol: Symbol, delta: int, line_delta: int, source: bytes) -> Symbol:
    """An enclosing symbol of the edit: same start, end moved."""
    if symbol.parent is None:  # the module ends where the file does
        return _moved(symbol, 0, len(source) - symbol.end_byte, 0, line_count(source) - symbol.end_line)
    return _moved(symbol, 0, delta, 0, line_delta)


def _rescope_innermost(
    path: str,
    language: Language,
    previous: Parsed,
    source: bytes,
    tree: ts.Tree,
    low: int,
    high: int,
    delta: int,
    line_delta: int,
) -> FileSymbols | None:
    """Re-scope only inside the innermost definition holding the whole change.

    That definition's own fields are recomputed, its children the change
    touches are scoped afresh, the others kept (before it) or shifted
    (after it); its ancestors keep everything but their end; every symbol
    after it shifts. When the definition's own name changed, its parent is
    tried instead. None when no definition qualifies: the caller falls back.
    """
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(low, high)
    chain: list[ts.Node] = []
    while node is not None:
        if node.type in language.definition_types:
            chain.append(node)
        node = node.parent
    for depth in range(len(chain)):
        found = _rescope_inside(path, language, previous, source, tree, chain[depth:], low, high, delta, line_delta)
        if found is not None:
            return found
    return None


def _rescope_inside(
    path: str,
    language: Language,
    previous: Parsed,
    source: bytes,
    tree: ts.Tree,
    chain: list[ts.Node],
    low: int,
    high: int,
    delta: int,
    line_delta: int,
) -> FileSymbols | None:
    target = chain[0]
    parent: Definition | None = None
    by_id = previous.symbols.by_id()
    for ancestor in reversed(chain[1:]):
        parent = language.definition(ancestor, source, parent)
        if parent is None:
            return None
        before = by_id.get(make_id(path, parent.qualname))
        # An ancestor whose header text moved (a damaged body makes the
        # signature run on) is not "unchanged but for its end"; one whose
        # id is a `#n` duplicate is found at another place and refused.
        if (
            before is None
            or before.start_byte != language.outer_start(ancestor).start_byte
            or (before.signature, before.docstring, before.kind) != (parent.signature, parent.docstring, parent.kind)
        ):
            return None
    module_id = previous.symbols.module.id
    parent_id = make_id(path, parent.qualname) if parent is not None else module_id
    definition = language.definition(target, source, parent)
    if definition is None:
        return None
    old_head = by_id.get(make_id(path, definition.qualname))
    outer = language.outer_start(target)
    if (
        old_head is None
        or old_head.parent != parent_id
        or old_head.start_byte != outer.start_byte
        or old_head.end_byte + delta != target.end_byte
    ):
        return None
    old = previous.symbols.symbols
    at = next(i for i, s in enumerate(old) if s is old_head)
    inside = {old_head.id}
    end = at + 1
    while end < len(old) and old[end].parent in inside:
        inside.add(old[end].id)
        end += 1
    # Children the change does not touch are kept (before it) or shifted
    # (after it) with their subtrees; the touched ones are scoped afresh.
    kept: list[Symbol] = []
    shifted: list[Symbol] = []
    dropped: list[Symbol] = []
    bucket = dropped
    for s in old[at + 1 : end]:
        if s.parent == old_head.id:
            if s.end_byte < low:
                bucket = kept
            elif s.start_byte > high - delta:
                bucket = shifted
            else:
                bucket = dropped
        bucket.append(s if bucket is kept else _shifted(s, delta, line_delta) if bucket is shifted else s)
    scoper = Scoper(path, source, language)
    touched_ids: list[str] = []
    touched_spans: list[tuple[int, int]] = []
    scoper.walk(target.children, _renamed_as(definition, old_head.qualname), old_head.id, touched_ids, touched_spans, (low, high))
    fresh = scoper.symbols
    # `#n` numbering is file-wide by qualname, and qualnames are not always
    # nested by span (two `impl Foo` blocks both name methods `Foo::...`):
    # a touched name shared with anything else means start over.
    others = {_base(s.qualname) for s in old[: at + 1]}
    others.update(_base(s.qualname) for s in kept)
    others.update(_base(s.qualname) for s in shifted)
    others.update(_base(s.qualname) for s in old[end:])
    if any(_base(s.qualname) in others for s in fresh) or any(_base(s.qualname) in others for s in dropped):
        return None
    tops = [s for s in kept if s.parent == old_head.id]
    tops_after = [s for s in shifted if s.parent == old_head.id]
    child_ids = [s.id for s in tops] + touched_ids + [s.id for s in tops_after]
    spans = [(s.start_byte, s.end_byte) for s in tops] + touched_spans + [(s.start_byte, s.end_byte) for s in tops_after]
    # Every definition at this level must be accounted for exactly once (a
    # doc comment turned into code can move where a kept child starts).
    if sorted(spans) != spans or _count_definitions(language, target.children) != len(child_ids):
        return None
    head = Symbol(
        id=old_head.id,
        path=path,
        name=definition.name,
        qualname=old_head.qualname,
        kind=definition.kind,
        language=language.name,
        start_byte=old_head.start_byte,
        end_byte=target.end_byte,
        start_line=old_head.start_line,
        end_line=target.end_point.row + 1,
        signature=definition.signature,
        docstring=definition.docstring,
        parent=parent_id,
        children=tuple(child_ids),
        references=words(language, source, old_head.start_byte, target.end_byte, spans, definition.name),
    )
    ancestors: set[str] = set()
    walk = old_head.parent
    while walk is not None:
        ancestors.add(walk)
        walk = by_id[walk].parent
    symbols = [_grown(s, delta, line_delta, source) if s.id in ancestors else s for s in old[:at]]
    symbols.append(head)
    symbols.extend(kept)
    symbols.extend(fresh)
    symbols.extend(shifted)
    symbols.extend(_shifted(s, delta, line_delta) for s in old[end:])
    return file_symbols(path, source, language, tree, symbols[1:], symbols[0])


def _count_definitions(language: Language, nodes: list[ts.Node]) -> int:
    """How many definitions the scoper would find directly at this level."""
    count = 0
    for node in nodes:
        if node.type in language.definition_types:
            count += 1
        elif node.type in language.container_types:
            inner = language.unwrap(node)
            if inner is not None and inner.type in language.definition_types:
                count += 1
            else:
                count += _count_definitions(language, node.children)
    return count


def _renamed_as(definition: Definition, qualname: str) -> Definition:
    return definition if definition.qualname == qualname else Definition(
        node=definition.node,
        name=definition.name,
        kind=definition.kind,
        qualname=qualname,
        child_prefix=definition.child_prefix,
        signature=definition.signature,
        docstring=definition.docstring,
    )


def _shifted(symbol: Symbol, delta: int, line_delta: int) -> Symbol:
    """A symbol after the edit: moved whole."""
    return _moved(symbol, delta, delta, line_delta, line_delta)


def _moved(symbol: Symbol, start: int, end: int, start_line: int, end_line: int) -> Symbol:
    # Half the symbols of a file move on every edit. Building them through
    # the frozen dataclass's __init__ (one object.__setattr__ per field)
    # dominated an update; the slot descriptors set the same fields directly.
    moved = object.__new__(Symbol)
    _set_id(moved, symbol.id)
    _set_path(moved, symbol.path)
    _set_name(moved, symbol.name)
    _set_qualname(moved, symbol.qualname)
    _set_kind(moved, symbol.kind)
    _set_language(moved, symbol.language)
    _set_start_byte(moved, symbol.start_byte + start)
    _set_end_byte(moved, symbol.end_byte + end)
    _set_start_line(moved, symbol.start_line + start_line)
    _set_end_line(moved, symbol.end_line + end_line)
    _set_signature(moved, symbol.signature)
    _set_docstring(moved, symbol.docstring)
    _set_parent(moved, symbol.parent)
    _set_children(moved, symbol.children)
    _set_references(moved, symbol.references)
    return moved


_set_id = Symbol.id.__set__  # type: ignore[attr-defined]
_set_path = Symbol.path.__set__  # type: ignore[attr-defined]
_set_name = Symbol.name.__set__  # type: ignore[attr-defined]
_set_qualname = Symbol.qualname.__set__  # type: ignore[attr-defined]
_set_kind = Symbol.kind.__set__  # type: ignore[attr-defined]
_set_language = Symbol.language.__set__  # type: ignore[attr-defined]
_set_start_byte = Symbol.start_byte.__set__  # type: ignore[attr-defined]
_set_end_byte = Symbol.end_byte.__set__  # type: ignore[attr-defined]
_set_start_line = Symbol.start_line.__set__  # type: ignore[attr-defined]
_set_end_line = Symbol.end_line.__set__  # type: ignore[attr-defined]
_set_signature = Symbol.signature.__set__  # type: ignore[attr-defined]
_set_docstring = Symbol.docstring.__set__  # type: ignore[attr-defined]
_set_parent = Symbol.parent.__set__  # type: ignore[attr-defined]
_set_children = Symbol.children.__set__  # type: ignore[attr-defined]
_set_references = Symbol.references.__set__  # type: ignore[attr-defined]


def _rescope(
    path: str,
    language: Language,
    previous: Parsed,
    source: bytes,
    old_tree: ts.Tree,
    tree: ts.Tree,
    start: int,
    old_end: int,
    new_end: int,
) -> FileSymbols:
    root = tree.root_node
    old_symbols = previous.symbols.symbols

    # The dirty span (new coordinates): the edit plus whatever the parser says
    # changed shape, widened to whole top-level statements, one neighbour on
    # each side, and any attributes / doc comments that attach to them.
    low, high = start, new_end
    for changed in old_tree.changed_ranges(tree):
        low = min(low, changed.start_byte)
        high = max(high, changed.end_byte)
    delta = new_end - old_end
    line_delta = source.count(b"\n", start, new_end) - previous.source.count(b"\n", start, old_end)
    # Inside one definition, `#n` numbering cannot change anywhere else:
    # every qualname below it starts with its own (unchanged) qualname.
    innermost = _rescope_innermost(path, language, previous, source, tree, low, high, delta, line_delta)
    if innermost is not None:
        return innermost
    if any("#" in s.qualname for s in old_symbols):
        return scope_tree(path, source, language, tree)
    nodes = root.children
    first = 0
    while first < len(nodes) and nodes[first].end_byte < low:
        first += 1
    last = len(nodes) - 1
    while last >= 0 and nodes[last].start_byte > high:
        last -= 1
    first, last = max(first - 1, 0), min(last + 1, len(nodes) - 1)
    trivia = language.leading_trivia_types
    while first > 0 and nodes[first - 1].type in trivia:
        first -= 1
    while last < len(nodes) - 1 and nodes[last].type in trivia:
        last += 1
    dirty = nodes[first : last + 1] if first <= last else []
    if dirty:
        low, high = min(low, dirty[0].start_byte), max(high, dirty[-1].end_byte)

    old_high = high - delta
    before: list[list[Symbol]] = []
    after: list[list[Symbol]] = []
    for group in _groups(old_symbols):
        head = group[0]
        if head.end_byte <= low:
            before.append(group)
        elif head.start_byte >= old_high:
            after.append(group)
        elif head.start_byte < low or head.end_byte > old_high:
            # Straddles the dirty span: statement boundaries moved; start over.
            return scope_tree(path, source, language, tree)

    scoper = Scoper(path, source, language)
    top_ids: list[str] = []
    spans: list[tuple[int, int]] = []
    for group in before:
        top_ids.append(group[0].id)
        spans.append((group[0].start_byte, group[0].end_byte))
        scoper.symbols.extend(group)
    scoper.walk(dirty, None, scoper.module_id, top_ids, spans)
    fresh = scoper.symbols[sum(len(g) for g in before) :]
    if fresh and (min(s.start_byte for s in fresh) < low or max(s.end_byte for s in fresh) > high):
        return scope_tree(path, source, language, tree)
    for group in after:
        moved = [_shifted(s, delta, line_delta) for s in group]
        top_ids.append(moved[0].id)
        spans.append((moved[0].start_byte, moved[0].end_byte))
        scoper.symbols.extend(moved)
    qualnames = {s.qualname for s in scoper.symbols}
    if len(qualnames) != len(scoper.symbols) or any("#" in s.qualname for s in fresh):
        # A duplicate name appeared: `#n` numbering is file-wide.
        return scope_tree(path, source, language, tree)
    module = module_symbol(path, source, language, root, top_ids, spans)
    return file_symbols(path, source, language, tree, scoper.symbols, module)
