"""The rules a changed file must satisfy before the Workspace writes it.

Each check compares the file before and after (both parsed and scoped) and
raises a RewriteRejected subclass whose message tells the agent what was
wrong and what to send instead. Nothing here touches the disk.
"""

from __future__ import annotations

import ast
import warnings

from symbols.incremental import Parsed
from symbols.model import FileSymbols, Symbol, split_id

from editor_harness.errors import SymbolMismatch, SyntaxInvalid
from editor_harness.syntax import code_nodes_between, damaged_lines

ELISION_TAG = "<<elided"
_SHOWN = 5


def subtree(symbols: FileSymbols, symbol_id: str) -> set[str]:
    """`symbol_id` and all its descendants."""
    by_id = symbols.by_id()
    found: set[str] = set()
    stack = [symbol_id]
    while stack:
        current = stack.pop()
        if current in found or current not in by_id:
            continue
        found.add(current)
        stack.extend(by_id[current].children)
    return found


def _names(ids: set[str] | list[str]) -> str:
    shown = sorted(split_id(i)[1] for i in ids)
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(shown[:_SHOWN]) + more


def refuse_elided(text: str) -> None:
    if ELISION_TAG in text:
        raise SymbolMismatch(
            "the new text still contains an elision marker (<<elided ...>>) from a shortened "
            "read: send the complete text, or rewrite the elided children one by one"
        )


def check_syntax(path: str, old_source: bytes, old: FileSymbols, new: Parsed) -> None:
    """No ERROR/MISSING node on a line that was not already damaged before."""
    introduced = damaged_lines(new.source, new.symbols.error_lines) - damaged_lines(old_source, old.error_lines)
    if not introduced:
        return
    lines = new.source.split(b"\n")
    shown: list[str] = []
    bad: list[int] = []
    for number in new.symbols.error_lines:
        text = lines[number - 1].decode("utf-8", errors="replace").strip() if number - 1 < len(lines) else ""
        if introduced[text] > 0:
            introduced[text] -= 1
            bad.append(number)
            shown.append(f"line {number}: {text[:80]!r}")
    raise SyntaxInvalid(
        f"{path}: the new text does not parse ({'; '.join(shown[:_SHOWN])}); "
        "send the complete, syntactically valid definition",
        tuple(bad),
    )


def _python_error(source: bytes, path: str) -> SyntaxError | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes etc. are not our business
        try:
            compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as exc:
            return exc
        except (ValueError, MemoryError, RecursionError):
            return None  # null bytes, absurd nesting: tree-sitter's verdict stands
    return None


def check_compiles(path: str, language: str, snippets: tuple[bytes, bytes, int]) -> None:
    """For Python, `check_python_compiles` on (old text, new text, line offset) of the
    changed part (see Workspace._snippet); other languages rely on tree-sitter."""
    if language == "python":
        check_python_compiles(path, *snippets)


def check_python_compiles(path: str, old: bytes, new: bytes, line_offset: int = 0) -> None:
    """CPython's own parser accepts `new`, when it accepted `old`.

    tree-sitter is lenient where CPython is not (an empty class body parses);
    text that did not compile before (newer syntax than this interpreter,
    Python 2, a context the snippet lacks) is left to tree-sitter alone.
    """
    error = _python_error(new, path)
    if error is None or _python_error(old, path) is not None:
        return
    line = (error.lineno or 0) + line_offset
    raise SyntaxInvalid(
        f"{path}: the new text does not compile (line {line}: {error.msg}); "
        "send the complete, syntactically valid definition",
        (line,) if error.lineno else (),
    )


def check_region(new: Parsed, symbol: Symbol, region: tuple[int, int]) -> None:
    """The symbol lies inside the spliced region and nothing but comments surrounds it."""
    start, end = region
    if symbol.start_byte < start or symbol.end_byte > end:
        raise SymbolMismatch(
            f"the new text for {symbol.qualname} does not form one complete definition "
            "(it merges with the code around it); send exactly one whole definition"
        )
    stray = code_nodes_between(new.tree, start, symbol.start_byte) + code_nodes_between(
        new.tree, symbol.end_byte, end
    )
    if stray:
        first = stray[0]
        text = new.source[first.start_byte : first.end_byte].decode("utf-8", errors="replace")
        raise SymbolMismatch(
            f"the new text holds code outside {symbol.qualname} (line {first.start_point.row + 1}: "
            f"{text.splitlines()[0][:60]!r}); send only the definition itself"
        )


def defined_in(symbols: FileSymbols, region: tuple[int, int]) -> list[Symbol]:
    """Outermost symbols whose spans lie inside `region`."""
    start, end = region
    inside = [s for s in symbols.symbols[1:] if start <= s.start_byte and s.end_byte <= end]
    ids = {s.id for s in inside}
    return [s for s in inside if s.parent not in ids]


def check_rewrite(old: FileSymbols, new: FileSymbols, symbol_id: str, region: tuple[int, int]) -> None:
    """Same id, every descendant kept, nothing outside the symbol added or removed."""
    new_ids = set(new.by_id())
    _, qualname = split_id(symbol_id)
    if symbol_id not in new_ids:
        found = defined_in(new, region)
        what = f"it defines {_names([s.id for s in found])}" if found else "it defines no symbol"
        raise SymbolMismatch(
            f"the new text no longer defines {qualname} ({what}); keep the name and kind "
            "(renaming is a separate operation: rename_symbol)"
        )
    old_inside, new_inside = subtree(old, symbol_id), subtree(new, symbol_id)
    dropped = old_inside - new_inside
    if dropped:
        raise SymbolMismatch(
            f"the new text of {qualname} drops {_names(dropped)}; keep them "
            "(to remove one, use delete_symbol on it)"
        )
    old_outside, new_outside = set(old.by_id()) - old_inside, new_ids - new_inside
    added, removed = new_outside - old_outside, old_outside - new_outside
    if added:
        raise SymbolMismatch(
            f"the new text of {qualname} also defines {_names(added)} beside it; "
            "send only this symbol (add others with insert_symbol)"
        )
    if removed:
        raise SymbolMismatch(f"rewriting {qualname} would remove {_names(removed)}; send only this symbol")


def check_module_rewrite(old: FileSymbols, new: FileSymbols) -> None:
    """A whole-file rewrite keeps every symbol id the file had (it may add new ones)."""
    removed = set(old.by_id()) - set(new.by_id())
    if removed:
        raise SymbolMismatch(
            f"the new module text drops {_names(removed)}; keep every definition "
            "(delete one explicitly with delete_symbol, rename with rename_symbol)"
        )


def check_insert(old: FileSymbols, new: FileSymbols, parent_id: str) -> Symbol:
    """Exactly one new child of the parent (with its own children); returns it."""
    old_ids = set(old.by_id())
    by_id = new.by_id()
    removed = old_ids - set(by_id)
    if removed:
        raise SymbolMismatch(f"inserting here would remove {_names(removed)}; check the text and position")
    fresh = [c for c in by_id[parent_id].children if c not in old_ids]
    if len(fresh) != 1:
        what = f"{len(fresh)} definitions ({_names(fresh)})" if fresh else "no definition"
        raise SymbolMismatch(f"insert_symbol takes exactly one definition; the text holds {what}")
    inserted = by_id[fresh[0]]
    added = set(by_id) - old_ids
    stray = added - subtree(new, inserted.id)
    if stray:
        raise SymbolMismatch(f"the inserted text also changes {_names(stray)}; insert one definition only")
    siblings = {by_id[c].name for c in by_id[parent_id].children if c != inserted.id}
    if inserted.name in siblings:
        raise SymbolMismatch(
            f"{split_id(parent_id)[1]} already defines {inserted.name}; rewrite that symbol instead"
        )
    return inserted


def check_delete(old: FileSymbols, new: FileSymbols, symbol_id: str) -> None:
    expected = set(old.by_id()) - subtree(old, symbol_id)
    actual = set(new.by_id())
    if actual != expected:
        changed = actual ^ expected
        raise SymbolMismatch(f"deleting {split_id(symbol_id)[1]} would also change {_names(changed)}")


def check_rename(old: FileSymbols, new: FileSymbols, old_id: str, new_id: str) -> None:
    inside = subtree(old, old_id)
    expected = (set(old.by_id()) - inside) | {new_id + i[len(old_id) :] for i in inside}
    actual = set(new.by_id())
    if actual != expected:
        raise SymbolMismatch(
            f"renaming {split_id(old_id)[1]} would change {_names(actual ^ expected)}; "
            "pick a name no sibling uses"
        )
