"""The Workspace: the one object every agent reads and edits the repository through.

Reads go through the symbol index; edits are whole-symbol operations
(rewrite, insert, delete, rename, undo) that are validated before anything
is written, written atomically, versioned per file and recorded as `Edit`s.

Concurrency: the editing methods are synchronous and never yield to the trio
scheduler, so each one is atomic with respect to other trio tasks; a second
edit based on a file version the first one replaced is refused with
StaleVersion. Async work that must see one file steady across awaits (apply
a rewrite, then wait for its diagnostics) holds `workspace.lock(path)`.

External changes (an editor or git touching a file) are noticed by stat on
the next access: the file is re-read, re-indexed, and its version bumped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trio

from symbols.errors import SymbolsError, UnknownSymbol
from symbols.index import RepoIndex
from symbols.languages import Language, language_for_path
from symbols.model import MODULE_NAME, FileSymbols, Symbol, SymbolKind, make_id, split_id
from symbols.incremental import Parsed, reparse
from symbols.scope import content_hash, parse

from editor_harness import rewrite_checks as checks
from editor_harness.edits import Edit, EditOp
from editor_harness.errors import (
    EditConflict,
    OutsideWorkspace,
    RewriteRejected,
    StaleVersion,
    SymbolNotFound,
    SyntaxInvalid,
    UnsupportedFile,
)
from editor_harness.network_guard import GuardMode
from editor_harness.patch import unified_diff
from editor_harness.paths import relative_path, writable_path
from editor_harness.reading import SearchHit, SymbolText, find_in_text, shorten
from editor_harness.reindent import clean_block, indent_unit, leading_whitespace, newline_of, reindent
from editor_harness.run_tests import DEFAULT_TIMEOUT_S, run_tests
from editor_harness.selection import SelectedTest, select_tests
from editor_harness.syntax import body_node, definition_node, line_end, line_start, name_node
from editor_harness.testrun import TestRun

CONTAINERS = frozenset({SymbolKind.MODULE, SymbolKind.CLASS, SymbolKind.IMPL, SymbolKind.TRAIT, SymbolKind.MOD})


@dataclass
class _File:
    """What the workspace knows of one file: its bytes now, at first read, and its version."""

    version: int
    source: bytes
    original: bytes
    stamp: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Target:
    """What every edit starts from: the symbol, its file now, the file's symbols."""

    symbol: Symbol
    rel: str
    state: _File
    language: Language
    old: bytes
    old_symbols: FileSymbols


@dataclass(frozen=True, slots=True)
class _Undo:
    edit: Edit
    file_before: bytes


def _stamp(full: Path) -> tuple[int, int, int]:
    st = full.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _decode(path: str, source: bytes) -> str:
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedFile(f"{path} is not UTF-8 (byte {exc.start}); the harness edits UTF-8 files only") from None


class Workspace:
    """A repository checkout being read and edited through whole-symbol operations."""

    def __init__(self, root: Path, index: RepoIndex) -> None:
        self.root = Path(root).resolve()
        self.index = index
        self._files: dict[str, _File] = {}
        self._edits: list[Edit] = []
        self._undo: list[_Undo] = []
        self._locks: dict[str, trio.Lock] = {}
        # The last parse of each file this workspace edited: the next edit of
        # that file reparses incrementally from its tree instead of from scratch.
        self._parsed: dict[str, Parsed] = {}

    @classmethod
    def open(cls, root: Path | str, *, index: RepoIndex | None = None) -> Workspace:
        resolved = Path(root).resolve()
        if not resolved.is_dir():
            raise OutsideWorkspace(f"{root}: not a directory; pass the root of a checkout")
        try:
            return cls(resolved, index if index is not None else RepoIndex.build(resolved))
        except SymbolsError as exc:
            raise UnsupportedFile(f"{root}: cannot index: {exc}") from None

    # ----------------------------------------------------------------- files

    def relative(self, path: str | Path) -> str:
        return relative_path(self.root, path)

    def lock(self, path: str) -> trio.Lock:
        """The lock serialising multi-step async work on one file (see module doc)."""
        rel = self.relative(path)
        lock = self._locks.get(rel)
        if lock is None:
            lock = self._locks[rel] = trio.Lock()
        return lock

    def _file(self, path: str) -> tuple[str, _File]:
        rel = self.relative(path)
        full = self.root / rel
        try:
            stamp = _stamp(full)
        except FileNotFoundError:
            self._files.pop(rel, None)
            self.index.remove(rel)
            raise SymbolNotFound(f"{rel}: no such file in {self.root}") from None
        known = self._files.get(rel)
        if known is not None and known.stamp == stamp:
            return rel, known
        source = full.read_bytes()
        if known is None:
            if language_for_path(rel) is None:
                raise UnsupportedFile(f"{rel}: not a Python or Rust source file")
            known = self._files[rel] = _File(1, source, source, stamp)
            try:
                current = self.index.file(rel).content_hash == content_hash(source)
            except UnknownSymbol:
                current = False
            if not current:  # changed since the index was built, or never indexed
                self.index.update(rel, source)
        elif known.source != source:
            known.version += 1
            known.source = source
            known.stamp = stamp
            self.index.update(rel, source)
        else:
            known.stamp = stamp
        return rel, known

    def _peek(self, path: str) -> bytes:
        """A file's bytes without taking it into the workspace's keeping (for wide searches)."""
        rel = self.relative(path)
        if rel in self._files:
            return self._file(rel)[1].source
        return (self.root / rel).read_bytes()

    def version(self, path: str) -> int:
        """The file's current version: 1 when first read, +1 on every change."""
        return self._file(path)[1].version

    def text(self, path: str) -> str:
        rel, state = self._file(path)
        return _decode(rel, state.source)

    # -------------------------------------------------------------- reading

    def symbol(self, symbol_id: str) -> Symbol:
        try:
            path, _ = split_id(symbol_id)
        except ValueError as exc:
            raise SymbolNotFound(str(exc)) from None
        self._file(path)
        try:
            return self.index.symbol(symbol_id)
        except UnknownSymbol as exc:
            hint = self._similar(symbol_id)
            raise SymbolNotFound(f"{exc}{hint}") from None

    def _similar(self, symbol_id: str) -> str:
        path, qualname = split_id(symbol_id)
        name = re.split(r"\.|::", qualname)[-1]
        near = [s.id for s in self.index.definitions(name)][:5]
        if not near and path in self.index.paths():
            near = [s.id for s in self.index.file(path).symbols[1:6]]
        return f"; did you mean {', '.join(near)}?" if near else ""

    def symbol_at(self, path: str, line: int, column: int = 0) -> Symbol:
        rel, _ = self._file(path)
        return self.index.symbol_at(rel, line, column)

    def read_symbol(self, symbol_id: str, max_chars: int | None = None) -> SymbolText:
        """The symbol's whole text, or (past `max_chars`) an outline with elided bodies."""
        symbol = self.symbol(symbol_id)
        _, state = self._file(symbol.path)
        if max_chars is None:
            text, elided = state.source[symbol.start_byte : symbol.end_byte].decode("utf-8", "replace"), False
        else:
            language = self._language(symbol.path)
            text, elided = shorten(state.source, self.index.file(symbol.path), symbol, language, max_chars)
        return SymbolText(
            symbol_id=symbol.id,
            path=symbol.path,
            kind=symbol.kind,
            start_line=symbol.start_line,
            end_line=symbol.end_line,
            version=state.version,
            text=text,
            elided=elided,
            signature=symbol.signature,
        )

    def outline(self, path: str | None = None) -> tuple[Symbol, ...]:
        """Every symbol of one file (module first), or of the whole workspace."""
        if path is None:
            return tuple(self.index.symbols())
        rel, _ = self._file(path)
        return self.index.file(rel).symbols

    def find_symbols(self, name: str, limit: int = 50) -> tuple[Symbol, ...]:
        """Symbols named `name` exactly, then those whose qualified name contains it."""
        exact = self.index.definitions(name)
        needle = name.lower()
        seen = {s.id for s in exact}
        partial = [
            s for s in self.index.symbols() if s.id not in seen and not s.is_module and needle in s.qualname.lower()
        ]
        return tuple((exact + partial)[:limit])

    def search(
        self,
        pattern: str,
        *,
        regex: bool = False,
        ignore_case: bool = False,
        paths: Iterable[str] | None = None,
        limit: int = 100,
    ) -> tuple[SearchHit, ...]:
        """Text search over the indexed files; each hit names its innermost symbol."""
        flags = re.IGNORECASE if ignore_case else 0
        try:
            compiled = re.compile(pattern.encode("utf-8") if regex else re.escape(pattern.encode("utf-8")), flags)
        except re.error as exc:
            raise RewriteRejected(f"bad regular expression {pattern!r}: {exc}") from None
        targets = [self.relative(p) for p in paths] if paths is not None else self.index.paths()
        hits: list[SearchHit] = []
        for rel in targets:
            try:
                source = self._peek(rel)
            except (SymbolNotFound, UnsupportedFile, OutsideWorkspace, OSError):
                continue
            for line, column, text in find_in_text(source, compiled, limit - len(hits)):
                try:
                    symbol_id = self.index.symbol_at(rel, line, column).id
                except UnknownSymbol:
                    symbol_id = module_id(rel)  # a file the index does not cover
                hits.append(SearchHit(rel, line, column, text, symbol_id))
            if len(hits) >= limit:
                break
        return tuple(hits)

    # ---------------------------------------------------------------- tests

    def select_tests(self, symbol_id: str, *, limit: int = 50) -> tuple[SelectedTest, ...]:
        """Tests that exercise the symbol, found through the index (see selection.py)."""
        self.symbol(symbol_id)
        return select_tests(self.index, symbol_id, limit=limit)

    async def run_tests(
        self,
        selection: Sequence[str] = (),
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        runner: str | None = None,
        python: str | None = None,
        network: GuardMode | str = GuardMode.AUTO,
    ) -> TestRun:
        """Run tests of this checkout with a hard timeout, off the network (see run_tests.py)."""
        return await run_tests(self.root, selection, timeout=timeout, runner=runner, python=python, network=network)

    # -------------------------------------------------------------- editing

    def edits(self) -> tuple[Edit, ...]:
        return tuple(self._edits)

    def _language(self, path: str) -> Language:
        language = language_for_path(path)
        if language is None:
            raise UnsupportedFile(f"{path}: not a Python or Rust source file")
        return language

    def _check_base(self, rel: str, state: _File, base_version: int | None) -> None:
        if base_version is not None and base_version != state.version:
            raise StaleVersion(rel, base_version, state.version)
        writable_path(self.root, rel)  # symlinked files are refused before any work
        _decode(rel, state.source)

    def _commit(
        self, rel: str, state: _File, new_source: bytes, edit_fields: dict[str, object], parsed: Parsed | None = None
    ) -> Edit:
        full = writable_path(self.root, rel)
        tmp = full.with_name(f".{full.name}.swarm-{os.getpid()}.tmp")
        try:
            mode = full.stat().st_mode
            tmp.write_bytes(new_source)
            os.chmod(tmp, mode & 0o7777)
            os.replace(tmp, full)
        finally:
            tmp.unlink(missing_ok=True)
        before = state.source
        base = state.version
        if parsed is not None:
            self._parsed[rel] = parsed
        else:
            self._parsed.pop(rel, None)
        state.version += 1
        state.source = new_source
        state.stamp = _stamp(full)
        self.index.update(rel, new_source)
        edit = Edit(
            seq=len(self._edits) + 1,
            path=rel,
            base_version=base,
            new_version=state.version,
            **edit_fields,  # type: ignore[arg-type]
        )
        self._edits.append(edit)
        if edit.op is not EditOp.UNDO:
            self._undo.append(_Undo(edit, before))
        return edit

    def _old_parse(self, target: _Target) -> Parsed:
        """The file as it is now, parsed (kept from the last edit when it still matches)."""
        known = self._parsed.get(target.rel)
        if known is None or known.source != target.old:
            known = self._parsed[target.rel] = Parsed(target.old, parse(target.language, target.old), target.old_symbols)
        return known

    def _new_parse(self, target: _Target, new: bytes) -> Parsed:
        """`new` parsed and scoped incrementally from the file's current parse."""
        old = self._old_parse(target)
        # reparse edits the tree it is given: hand it a copy so a refused edit leaves ours intact.
        return reparse(target.rel, target.language, Parsed(old.source, old.tree.copy(), old.symbols), new)

    def _target(self, symbol_id: str, base_version: int | None) -> _Target:
        symbol = self.symbol(symbol_id)
        rel, state = self._file(symbol.path)
        self._check_base(rel, state, base_version)
        return _Target(symbol, rel, state, self._language(rel), state.source, self.index.file(rel))

    def _prepare(self, text: str, indent: str, language: Language, newline: str) -> bytes:
        cleaned = clean_block(text)
        if not cleaned:
            raise RewriteRejected("the new text is empty; to remove a symbol use delete_symbol")
        checks.refuse_elided(cleaned)
        block = reindent(cleaned, indent, language)[len(indent) :]
        return block.replace("\n", newline).encode("utf-8")

    def rewrite_symbol(self, symbol_id: str, new_source: str, base_version: int | None) -> Edit:
        """Replace a symbol's whole text (decorators/attributes/doc comments included).

        `new_source` may be at any indentation; it is moved to the symbol's
        column. For `path::<module>` it is the whole file, which must keep
        every symbol id the file had. Refused, with the file untouched, when
        `base_version` is stale, the text does not parse, or it no longer
        defines exactly this symbol. Pass `base_version=None` only when no
        concurrent writer can exist (scripts, the CLI).
        """
        target = self._target(symbol_id, base_version)
        symbol, rel, state, language, old, old_symbols = (
            target.symbol, target.rel, target.state, target.language, target.old, target.old_symbols
        )
        newline = newline_of(old)
        if symbol.is_module:
            cleaned = new_source.replace("\r\n", "\n").rstrip()
            if not cleaned.strip():
                raise RewriteRejected("the new module text is empty; a file cannot be deleted through its module")
            checks.refuse_elided(cleaned)
            new = (cleaned + "\n").replace("\n", newline).encode("utf-8")
            new_scoped = self._new_parse(target, new)
            checks.check_syntax(rel, old, old_symbols, new_scoped)
            checks.check_module_rewrite(old_symbols, new_scoped.symbols)
            checks.check_compiles(rel, language.name, (old, new, 0))
            rewritten = new_scoped.symbols.module
        else:
            indent = leading_whitespace(old[line_start(old, symbol.start_byte) : symbol.start_byte].decode("utf-8"))
            text = self._prepare(new_source, indent, language, newline)
            new = old[: symbol.start_byte] + text + old[symbol.end_byte :]
            region = (symbol.start_byte, symbol.start_byte + len(text))
            new_scoped = self._new_parse(target, new)
            checks.check_syntax(rel, old, old_symbols, new_scoped)
            checks.check_rewrite(old_symbols, new_scoped.symbols, symbol.id, region)
            rewritten = new_scoped.symbols.by_id()[symbol.id]
            checks.check_compiles(rel, language.name, (_snippet(old, symbol), _snippet(new, rewritten), _offset(new, rewritten)))
            checks.check_region(new_scoped, rewritten, region)
        return self._commit(
            rel,
            state,
            new,
            {"op": EditOp.REWRITE, "symbol_id": symbol.id, "before": _span_text(old, symbol), "after": _span_text(new, rewritten)},
            new_scoped,
        )

    def insert_symbol(
        self, parent_id: str, source: str, after: str | None = None, *, base_version: int | None = None
    ) -> Edit:
        """Add one new definition to a module, class, impl, trait or mod.

        Placed after the child `after` (an id), else after the parent's last
        child (at the end of the file for a module), at the children's
        indentation with the language's usual blank lines around it.
        """
        target = self._target(parent_id, base_version)
        parent, rel, state, language, old, old_symbols = (
            target.symbol, target.rel, target.state, target.language, target.old, target.old_symbols
        )
        if parent.kind not in CONTAINERS:
            raise RewriteRejected(
                f"{parent.qualname} is a {parent.kind.value}; insert into a module, class, impl, trait or mod "
                "(nested functions are part of their function's text: rewrite it)"
            )
        newline = newline_of(old)
        position, prefix, suffix, indent = self._insertion_point(target, after)
        text = self._prepare(source, indent, language, newline)
        lead = (prefix.replace("\n", newline) + indent).encode("utf-8")
        new = old[:position] + lead + text + suffix.replace("\n", newline).encode("utf-8") + old[position:]
        new_scoped = self._new_parse(target, new)
        checks.check_syntax(rel, old, old_symbols, new_scoped)
        child = checks.check_insert(old_symbols, new_scoped.symbols, parent.id)
        checks.check_compiles(rel, language.name, (b"", _snippet(new, child), _offset(new, child)))
        text_start = position + len(lead)
        checks.check_region(new_scoped, child, (text_start, text_start + len(text)))
        return self._commit(
            rel,
            state,
            new,
            {
                "op": EditOp.INSERT,
                "symbol_id": child.id,
                "before": "",
                "after": _span_text(new, child),
                "parent_id": parent.id,
                "after_id": after,
            },
            new_scoped,
        )

    def _insertion_point(self, target: _Target, after: str | None) -> tuple[int, str, str, str]:
        """(byte offset, text before the new symbol, text after it, its indentation)."""
        parent, source, language = target.symbol, target.old, target.language
        by_id = target.old_symbols.by_id()
        blank = "\n\n" if language.name == "python" and parent.is_module else "\n"
        if after is not None:
            if after not in parent.children:
                raise SymbolNotFound(f"{after} is not a direct child of {parent.id}; pass one of its children")
            anchor: Symbol | None = by_id[after]
        elif parent.is_module:
            anchor = None
        else:
            anchor = by_id[parent.children[-1]] if parent.children else None
        if anchor is not None:
            indent = leading_whitespace(source[line_start(source, anchor.start_byte) : anchor.start_byte].decode())
            return anchor.end_byte, "\n" + blank, "", indent
        unit = indent_unit(source.decode("utf-8", "replace"))
        if parent.is_module:
            stripped = len(source.rstrip())
            lead = ("\n" + blank) if stripped else ""
            # The file's own trailing newline (kept after the insertion point) ends the new symbol.
            return stripped, lead, "" if b"\n" in source[stripped:] else "\n", ""
        parent_indent = leading_whitespace(source[line_start(source, parent.start_byte) : parent.start_byte].decode())
        body = body_node(definition_node(language, self._old_parse(target).tree, parent))
        if language.name == "python" or body is None or body.type == "block":
            return parent.end_byte, "\n" + blank, "", parent_indent + unit
        # A braced body with no children: open a line inside the braces.
        close = body.end_byte - 1
        if source[body.start_byte + 1 : close].strip():
            return close, "\n", "\n" + parent_indent, parent_indent + unit
        return body.start_byte + 1, "\n", "\n" + parent_indent, parent_indent + unit

    def delete_symbol(self, symbol_id: str, *, base_version: int | None = None) -> Edit:
        """Remove a symbol (with its decorators/attributes/doc comments) and its blank-line gap."""
        target = self._target(symbol_id, base_version)
        symbol, rel, state, language, old, old_symbols = (
            target.symbol, target.rel, target.state, target.language, target.old, target.old_symbols
        )
        if symbol.is_module:
            raise RewriteRejected("a module cannot be deleted through the workspace")
        start, end = _deletion_range(old, symbol)
        new = old[:start] + old[end:]
        new_scoped = self._new_parse(target, new)
        parent = old_symbols.by_id()[symbol.parent or old_symbols.module.id]
        try:
            checks.check_syntax(rel, old, old_symbols, new_scoped)
            checks.check_delete(old_symbols, new_scoped.symbols, symbol.id)
            new_parent = new_scoped.symbols.by_id()[parent.id]
            checks.check_compiles(
                rel, language.name, (_snippet(old, parent), _snippet(new, new_parent), _offset(new, new_parent))
            )
        except SyntaxInvalid as exc:
            raise RewriteRejected(
                f"deleting {symbol.qualname} would leave invalid code ({exc}); "
                f"rewrite its parent {parent.qualname} instead"
            ) from None
        return self._commit(
            rel,
            state,
            new,
            {"op": EditOp.DELETE, "symbol_id": symbol.id, "before": _span_text(old, symbol), "after": ""},
            new_scoped,
        )

    def rename_symbol(self, symbol_id: str, new_name: str, *, base_version: int | None = None) -> Edit:
        """Rename a definition (its own name only: references are the caller's follow-ups)."""
        if not new_name.isidentifier():
            raise RewriteRejected(f"{new_name!r} is not a valid identifier")
        target = self._target(symbol_id, base_version)
        symbol, rel, state, language, old, old_symbols = (
            target.symbol, target.rel, target.state, target.language, target.old, target.old_symbols
        )
        if symbol.is_module or symbol.kind is SymbolKind.IMPL:
            raise RewriteRejected(f"{symbol.qualname} has no name of its own to rename")
        name = name_node(definition_node(language, self._old_parse(target).tree, symbol))
        if name is None:
            raise RewriteRejected(f"{symbol.qualname}: cannot find its name in the source")
        new = old[: name.start_byte] + new_name.encode("utf-8") + old[name.end_byte :]
        new_scoped = self._new_parse(target, new)
        prefix = symbol.qualname[: len(symbol.qualname) - len(symbol.name)]
        new_id = make_id(rel, prefix + new_name)
        checks.check_syntax(rel, old, old_symbols, new_scoped)
        checks.check_rename(old_symbols, new_scoped.symbols, symbol.id, new_id)
        renamed = new_scoped.symbols.by_id()[new_id]
        checks.check_compiles(rel, language.name, (_snippet(old, symbol), _snippet(new, renamed), _offset(new, renamed)))
        return self._commit(
            rel,
            state,
            new,
            {
                "op": EditOp.RENAME,
                "symbol_id": new_id,
                "previous_id": symbol.id,
                "before": _span_text(old, symbol),
                "after": _span_text(new, renamed),
            },
            new_scoped,
        )

    def undo(self, symbol_id: str | None = None) -> Edit:
        """Undo the latest edit (of `symbol_id`, when given); returns the undo's own Edit.

        If the file has not changed since that edit, its previous bytes are
        restored exactly. If it has (other symbols edited since), the undo is
        rebased: allowed only when the symbol's text is still exactly what the
        edit produced, and applied as a checked inverse operation; otherwise
        refused with EditConflict. Undoing a delete after later changes to the
        file is refused (the gap it left is no longer known).
        """
        for position in range(len(self._undo) - 1, -1, -1):
            entry = self._undo[position]
            if symbol_id is None or symbol_id in (entry.edit.symbol_id, entry.edit.previous_id):
                break
        else:
            what = f" of {symbol_id}" if symbol_id else ""
            raise EditConflict(f"no edit{what} to undo")
        edit = entry.edit
        rel, state = self._file(edit.path)
        if state.version == edit.new_version:
            inverse = self._restore(rel, state, edit, entry.file_before)
        else:
            inverse = self._rebase_undo(rel, state, edit)
        del self._undo[position]
        return inverse

    def _restore(self, rel: str, state: _File, edit: Edit, before: bytes) -> Edit:
        restored_id = edit.previous_id or edit.symbol_id
        return self._commit(
            rel,
            state,
            before,
            {"op": EditOp.UNDO, "symbol_id": restored_id, "before": edit.after, "after": edit.before, "undoes": edit.seq},
        )

    def _rebase_undo(self, rel: str, state: _File, edit: Edit) -> Edit:
        if edit.op is EditOp.DELETE:
            raise EditConflict(
                f"{rel} changed since {edit.symbol_id} was deleted; re-insert it with insert_symbol instead"
            )
        try:
            current = self.index.symbol(edit.symbol_id)
        except UnknownSymbol:
            raise EditConflict(f"{edit.symbol_id} no longer exists, so its edit #{edit.seq} cannot be undone") from None
        if _span_text(state.source, current) != edit.after:
            raise EditConflict(
                f"{edit.symbol_id} changed again after edit #{edit.seq}; undo the later edits first "
                "or rewrite it yourself"
            )
        if edit.op is EditOp.INSERT:
            inverse = self.delete_symbol(edit.symbol_id)
        elif edit.op is EditOp.RENAME and edit.previous_id is not None:
            inverse = self.rename_symbol(edit.symbol_id, _last_name(edit.previous_id))
        else:
            inverse = self.rewrite_symbol(edit.symbol_id, edit.before, state.version)
        # Relabel: the inverse operation is recorded as the undo of `edit`.
        relabelled = Edit(**{**inverse.to_json(), "op": EditOp.UNDO, "undoes": edit.seq})
        self._edits[-1] = relabelled
        self._undo.pop()
        return relabelled

    def replay(self, edit: Edit) -> Edit:
        """Apply a recorded Edit again (e.g. from a run log, on a fresh checkout).

        Every operation goes through its usual checks; the returned Edit's
        `after` equals the recorded one when the replay reproduced it. An
        UNDO replays as `undo` of the same symbol, so a log replays in order.
        """
        if edit.op is EditOp.REWRITE:
            return self.rewrite_symbol(edit.symbol_id, edit.after, None)
        if edit.op is EditOp.INSERT:
            if edit.parent_id is None:
                raise EditConflict(f"edit #{edit.seq} is an insert without a parent id; it cannot be replayed")
            return self.insert_symbol(edit.parent_id, edit.after, edit.after_id)
        if edit.op is EditOp.DELETE:
            return self.delete_symbol(edit.symbol_id)
        if edit.op is EditOp.RENAME:
            if edit.previous_id is None:
                raise EditConflict(f"edit #{edit.seq} is a rename without its old id; it cannot be replayed")
            return self.rename_symbol(edit.previous_id, _last_name(edit.symbol_id))
        return self.undo(edit.symbol_id)

    # ----------------------------------------------------------------- patch

    def changed_paths(self) -> tuple[str, ...]:
        return tuple(sorted(rel for rel, f in self._files.items() if f.source != f.original))

    def diff(self) -> str:
        """The workspace's changes as a unified git diff (`git apply`-able).

        Relative to each file's text when the workspace first read it, so
        edits made before the workspace opened are not part of the patch.
        """
        changes: list[tuple[str, bytes, bytes, bool]] = []
        for rel in sorted(self._files):
            try:
                _, state = self._file(rel)
            except SymbolNotFound:
                continue
            if state.source != state.original:
                executable = os.access(self.root / rel, os.X_OK)
                changes.append((rel, state.original, state.source, executable))
        return unified_diff(changes)


def _last_name(symbol_id: str) -> str:
    """`a.py::A.f` -> `f`; `lib.rs::T::f` -> `f`; a `#2` duplicate suffix dropped."""
    return re.split(r"\.|::", split_id(symbol_id)[1])[-1].split("#")[0]


def _snippet(source: bytes, symbol: Symbol) -> bytes:
    """The symbol's text as CPython should compile it alone: at its own indentation,
    under an `if True:` when it is indented (a method, a nested function)."""
    if symbol.is_module:
        return source
    indent = source[line_start(source, symbol.start_byte) : symbol.start_byte]
    text = source[symbol.start_byte : symbol.end_byte]
    return b"if True:\n" + indent + text if indent and not indent.strip() else text


def _offset(source: bytes, symbol: Symbol) -> int:
    """Added to a line number in `_snippet(source, symbol)` gives the file's line."""
    if symbol.is_module:
        return 0
    indented = source[line_start(source, symbol.start_byte) : symbol.start_byte]
    return symbol.start_line - 1 - (1 if indented and not indented.strip() else 0)


def _span_text(source: bytes, symbol: Symbol) -> str:
    return source[symbol.start_byte : symbol.end_byte].decode("utf-8", errors="replace")


def _deletion_range(source: bytes, symbol: Symbol) -> tuple[int, int]:
    """Bytes to cut for a deletion: the symbol's whole lines plus the blank gap before
    it (or, when nothing blank precedes it, the gap after it)."""
    start = line_start(source, symbol.start_byte)
    if source[start : symbol.start_byte].strip():
        start = symbol.start_byte  # something precedes it on its line: keep that
    end = line_end(source, symbol.end_byte)
    if source[symbol.end_byte : end].strip():
        end = symbol.end_byte
    before = start
    while before > 0:
        previous = line_start(source, before - 1)
        if source[previous:before].strip():
            break
        before = previous
    if before < start:
        return before, end
    after = end
    while after < len(source) and not source[after : line_end(source, after)].strip():
        after = line_end(source, after)
    return start, after


def module_id(path: str) -> str:
    return make_id(path, MODULE_NAME)
