"""A patch as whole-symbol operations: the oracle's conversion.

    plan = plan_file("src/a.py", pre_text, post_text)
    plan.ops, plan.problem, plan.exact

Each changed file is scoped before and after (symbols/); the change becomes
the smallest set of operations on the innermost symbols that changed:
deletes of symbols the patch removes, rewrites of symbols whose text
changed, inserts of new symbols into their container after the right
sibling, and last, when the module's own lines (imports, constants,
top-level statements) changed, a `<module>` rewrite as the Workspace
defines it (the whole file, every symbol kept).

Planning replays the ops on a scratch Workspace holding only that file, so
a plan is known to reproduce the post-image before anyone uses it; ops the
Workspace refuses make the file "not expressible", with the reason.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from editor_harness.errors import HarnessError
from editor_harness.workspace import CONTAINERS, Workspace
from symbols.errors import SymbolsError
from symbols.index import RepoIndex
from symbols.languages import language_for_path
from symbols.model import MODULE_NAME, FileSymbols, Symbol, make_id
from symbols.scope import scope_source

from swarm.evaluation.diff_files import FileStatus, file_changes
from swarm.evaluation.symbol_ops import OpKind, SymbolOp, apply_op


@dataclass(frozen=True, slots=True)
class FilePlan:
    path: str
    ops: tuple[SymbolOp, ...]
    problem: str = ""  # non-empty: the change cannot be expressed as symbol ops, and why
    exact: bool = True  # the ops reproduce the post-image byte for byte (else up to trailing blanks)

    @property
    def expressible(self) -> bool:
        return not self.problem

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ops": [op.to_json() for op in self.ops],
            "problem": self.problem,
            "exact": self.exact,
        }


@dataclass(frozen=True, slots=True)
class PatchPlan:
    files: tuple[FilePlan, ...]
    post_images: Mapping[str, str] = field(default_factory=dict)  # path -> text the patch makes

    @property
    def ops(self) -> tuple[SymbolOp, ...]:
        return tuple(op for plan in self.files for op in plan.ops)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{plan.path}: {plan.problem}" for plan in self.files if plan.problem)

    @property
    def expressible(self) -> bool:
        return all(plan.expressible for plan in self.files)


def normalized_lines(text: str) -> list[str]:
    """Lines without trailing whitespace, trailing blank lines dropped: the
    Workspace empties whitespace-only lines and ends a file with one newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def same_text(a: str, b: str) -> bool:
    return normalized_lines(a) == normalized_lines(b)


def _span(source: bytes, symbol: Symbol) -> str:
    return source[symbol.start_byte : symbol.end_byte].decode("utf-8", "replace")


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _added_names(old: str, new: str) -> set[str]:
    """Identifiers on the lines `new` adds to `old`."""
    added = [line[1:] for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line.startswith("+ ")]
    return {name for line in added for name in _IDENTIFIER.findall(line)}


def _blank_lines_before(source: bytes, offset: int) -> int:
    """The start of the blank lines (and indentation) that lead up to `offset`."""
    start = source.rfind(b"\n", 0, offset) + 1
    while start > 0:
        previous = source.rfind(b"\n", 0, start - 1) + 1
        if source[previous : start - 1].strip():
            break
        start = previous
    return max(0, start - 1) if start > 0 else 0


def _line_form(source: bytes, symbol: Symbol) -> str:
    """The symbol's text from the start of its first line, so its indentation
    travels with it (the Workspace re-indents to the symbol's column)."""
    start = source.rfind(b"\n", 0, symbol.start_byte) + 1
    prefix = source[start : symbol.start_byte]
    if prefix.strip():
        start = symbol.start_byte
    return source[start : symbol.end_byte].decode("utf-8", "replace")


class _Planner:
    """Replays ops on a scratch workspace while choosing them."""

    def __init__(
        self,
        path: str,
        workspace: Workspace,
        post: bytes,
        post_symbols: FileSymbols,
        anchored_inserts: bool = True,
        max_inserts: int | None = None,
        fold: bool = False,
    ) -> None:
        self.anchored_inserts = anchored_inserts
        self.max_inserts = max_inserts
        self.fold = fold
        self.path = path
        self.workspace = workspace
        self.post = post
        self.post_by_id = post_symbols.by_id()
        self.ops: list[SymbolOp] = []

    def current(self) -> tuple[bytes, dict[str, Symbol]]:
        text = self.workspace.text(self.path).encode("utf-8")
        return text, self.workspace.index.file(self.path).by_id()

    def emit(self, op: SymbolOp) -> None:
        apply_op(self.workspace, op)
        self.ops.append(op)

    def visit(self, symbol_id: str) -> None:
        """Ops that turn the current subtree of `symbol_id` into its post-image."""
        source, by_id = self.current()
        symbol, target = by_id[symbol_id], self.post_by_id[symbol_id]
        if _span(source, symbol) == _span(self.post, target):
            return
        first = len(self.ops)
        for child in symbol.children:
            if child not in self.post_by_id:
                self.emit(SymbolOp.delete(child))
        for child in target.children:
            if child in by_id:
                self.visit(child)
        if symbol.kind in CONTAINERS:
            self._insert_children(symbol_id, target)
        if symbol.is_module:
            return  # the module's own lines are compared last, over the whole file
        source, by_id = self.current()
        if not same_text(_span(source, by_id[symbol_id]), _span(self.post, target)):
            if self.fold:
                # The whole new text carries its members' changes: only deletes stay separate
                # (a rewrite may not drop members).
                self.ops[first:] = [op for op in self.ops[first:] if op.kind is OpKind.DELETE]
            self.emit(SymbolOp.rewrite(symbol_id, _line_form(self.post, target)))

    def _insert_children(self, parent_id: str, target: Symbol) -> None:
        _, by_id = self.current()
        new = [c for c in target.children if c not in by_id]
        if not by_id[parent_id].is_module and new and (
            (self.max_inserts is not None and len(new) > self.max_inserts)
            # Appended last but due elsewhere: the parent's rewrite must place them anyway.
            or (not self.anchored_inserts and list(target.children[-len(new):]) != new)
        ):
            return  # the parent's own rewrite brings them, all at once
        previous: str | None = None
        for child in target.children:
            _, by_id = self.current()
            if child not in by_id:
                siblings = by_id[parent_id].children
                # No earlier sibling: appended last; the parent's rewrite then puts it first.
                after = previous if self.anchored_inserts and previous in siblings else None
                self.emit(SymbolOp.insert(parent_id, child, _line_form(self.post, self.post_by_id[child]), after))
            previous = child

    def module_first(self, pre: bytes, pre_symbols: FileSymbols) -> None:
        """When the module's own lines change (imports, constants), rewrite them
        first, so the symbol rewrites that follow can use them: the post-image
        with every top-level symbol kept as it was before and new ones left out
        (they are inserted after). Top-level symbols the patch removes go first."""
        pre_by_id = pre_symbols.by_id()
        module_id = pre_symbols.module.id
        target = self.post_by_id[module_id]
        for child in pre_by_id[module_id].children:
            if child not in self.post_by_id:
                self.emit(SymbolOp.delete(child))
        pieces: list[bytes] = []
        position = 0
        for child in target.children:
            symbol = self.post_by_id[child]
            if child in pre_by_id:
                pieces.append(self.post[position : symbol.start_byte])
                pieces.append(pre[pre_by_id[child].start_byte : pre_by_id[child].end_byte])
            else:
                cut = _blank_lines_before(self.post, symbol.start_byte)
                pieces.append(self.post[position:cut])
            position = symbol.end_byte
        pieces.append(self.post[position:])
        own_lines = b"".join(pieces).decode("utf-8", "replace")
        source, _ = self.current()
        old_text = source.decode("utf-8", "replace")
        if same_text(own_lines, old_text):
            return
        changed = {s.name for s in pre_symbols.symbols[1:] if s.id in self.post_by_id
                   and _span(pre, s) != _span(self.post, self.post_by_id[s.id])}
        if changed & _added_names(old_text, own_lines):
            return  # the new module lines use symbols the patch changes: they go last (finish)
        self.emit(SymbolOp.rewrite(module_id, own_lines))

    def finish(self) -> None:
        source, _ = self.current()
        if not same_text(source.decode("utf-8", "replace"), self.post.decode("utf-8", "replace")):
            self.emit(SymbolOp.rewrite(make_id(self.path, MODULE_NAME), self.post.decode("utf-8", "replace")))


def plan_file(
    path: str,
    pre: str | None,
    post: str | None,
    *,
    anchored_inserts: bool = True,
    deletes: bool = True,
    max_inserts: int | None = None,
    fold: bool = False,
) -> FilePlan:
    """The ops that turn `pre` (None: the file is new) into `post` (None: deleted).

    For an editor with fewer operations: `anchored_inserts=False` appends new
    members last (the parent's rewrite then orders them); `deletes=False`
    makes a removed symbol a problem; `max_inserts`: a class (impl, ...)
    gaining more new members than that is rewritten whole instead, so its
    members arrive together (one at a time, each may use one not yet there);
    `fold`: a symbol rewritten whole takes its members' rewrites and inserts
    with it instead of after them.
    """
    if language_for_path(path) is None:
        return FilePlan(path, (), "not a Python or Rust source file: the Workspace edits those only")
    if pre is None:
        return FilePlan(path, (), "a new file: the Workspace edits symbols of existing files only")
    if post is None:
        return FilePlan(path, (), "a deleted file: the Workspace cannot delete a module")
    if pre == post:
        return FilePlan(path, ())
    pre_bytes, post_bytes = pre.encode("utf-8"), post.encode("utf-8")
    try:
        pre_symbols, post_symbols = scope_source(path, pre_bytes), scope_source(path, post_bytes)
    except SymbolsError as exc:
        return FilePlan(path, (), f"cannot scope the file: {exc}")
    with tempfile.TemporaryDirectory(prefix="swarm-oracle-plan-") as tmp:
        root = Path(tmp).resolve()
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(pre_bytes)
        workspace = Workspace(root, RepoIndex(root, files={path: pre_symbols}))
        planner = _Planner(path, workspace, post_bytes, post_symbols, anchored_inserts, max_inserts, fold)
        try:
            planner.module_first(pre_bytes, pre_symbols)
            planner.visit(pre_symbols.module.id)
            planner.finish()
        except HarnessError as exc:
            done = "; ".join(op.describe() for op in planner.ops) or "none"
            return FilePlan(path, tuple(planner.ops), f"the Workspace refused an op ({exc}); ops before it: {done}")
        final = workspace.text(path)
    removed = [op.symbol_id for op in planner.ops if op.kind is OpKind.DELETE]
    if removed and not deletes:
        return FilePlan(path, tuple(planner.ops), f"removes {', '.join(removed)}: this editor has no delete operation")
    return FilePlan(path, tuple(planner.ops), exact=final == post)


def plan_patch(
    patch: str,
    read_pre: Callable[[str], str | None],
    read_post: Callable[[str], str | None],
    *,
    anchored_inserts: bool = True,
    deletes: bool = True,
    max_inserts: int | None = None,
    fold: bool = False,
) -> PatchPlan:
    """Plan every file of `patch`; `read_pre`/`read_post` give a file's text
    before and after it (None when absent)."""
    plans: list[FilePlan] = []
    posts: dict[str, str] = {}
    for change in file_changes(patch):
        if change.status is FileStatus.RENAMED:
            plans.append(FilePlan(change.path, (), f"a renamed file ({change.old_path} -> {change.new_path})"))
            continue
        pre = read_pre(change.old_path) if change.old_path else None
        post = read_post(change.new_path) if change.new_path else None
        if post is not None:
            posts[change.path] = post
        plans.append(plan_file(change.path, pre, post, anchored_inserts=anchored_inserts, deletes=deletes,
                               max_inserts=max_inserts, fold=fold))
    return PatchPlan(tuple(plans), posts)

