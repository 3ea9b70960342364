"""Scope one file's source into its symbols with tree-sitter.

A pure function of (path, source): the index, the harness's rewrite checks
and the incremental updater all go through `scope_tree`.

Definitions are found by walking statement-level structure only (the
language's container node types), never expressions, and the identifiers a
symbol references come from one compiled regex over its own text (string
literals and comments masked). Both measured several times faster than
tree-sitter queries, which visit every node of the tree.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable

import tree_sitter as ts

from symbols.errors import UnsupportedLanguage
from symbols.languages import Definition, Language, language_for_path
from symbols.model import MODULE_NAME, FileSymbols, Symbol, SymbolKind, make_id


def content_hash(source: bytes) -> str:
    return hashlib.blake2b(source, digest_size=16).hexdigest()


_parsers: dict[str, ts.Parser] = {}


def parser_for(language: Language) -> ts.Parser:
    # Parsers are cheap to reuse and not shareable across threads; the index
    # fans out over processes, so one per language per process is right.
    parser = _parsers.get(language.name)
    if parser is None:
        parser = _parsers[language.name] = ts.Parser(language.ts_language)
    return parser


def parse(language: Language, source: bytes, old_tree: ts.Tree | None = None) -> ts.Tree:
    if old_tree is None:
        return parser_for(language).parse(source)
    return parser_for(language).parse(source, old_tree)


def scope_source(path: str, source: bytes) -> FileSymbols:
    language = language_for_path(path)
    if language is None:
        raise UnsupportedLanguage(f"{path}: no tree-sitter language for this file type")
    return scope_tree(path, source, language, parse(language, source))


def error_lines(tree: ts.Tree) -> tuple[int, ...]:
    """1-based lines holding ERROR or MISSING nodes; descends only into damaged subtrees."""
    lines: set[int] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            lines.add(node.start_point.row + 1)
            continue
        stack.extend(child for child in node.children if child.has_error)
    return tuple(sorted(lines))


def line_count(source: bytes) -> int:
    if not source:
        return 1
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def words(
    language: Language,
    source: bytes,
    start: int,
    end: int,
    holes: Iterable[tuple[int, int]] = (),
    exclude: str = "",
) -> tuple[str, ...]:
    """Sorted distinct identifiers in source[start:end] outside `holes` (sorted spans)."""
    pattern = language.word_pattern
    found: set[bytes] = set()
    position = start
    for hole_start, hole_end in holes:
        if hole_start > position:
            found.update(pattern.findall(source, position, hole_start))
        position = max(position, hole_end)
    if end > position:
        found.update(pattern.findall(source, position, end))
    found.difference_update(language.keywords)
    found.discard(b"")
    found.discard(exclude.encode())
    names = _NAMES
    out: list[str] = []
    for word in sorted(found):
        name = names.get(word)
        if name is None:
            # Interned so the on-disk cache stores each distinct name once.
            name = names[word] = sys.intern(word.decode("utf-8", errors="replace"))
        out.append(name)
    return tuple(out)


# bytes -> interned str for every identifier seen in this process: a dict hit
# is several times cheaper than decoding and interning each occurrence.
_NAMES: dict[bytes, str] = {}


class Scoper:
    """Turns definition nodes into Symbols, in source order, parents first.

    Holds the per-file state a scoping pass needs: the qualnames seen so far
    (for `#2` suffixes of true duplicates) and the symbols made.
    """

    def __init__(self, path: str, source: bytes, language: Language) -> None:
        self.path = path
        self.source = source
        self.language = language
        self.module_id = make_id(path, MODULE_NAME)
        self.seen: dict[str, int] = {}
        self.symbols: list[Symbol] = []

    def walk(
        self,
        nodes: Iterable[ts.Node],
        parent: Definition | None,
        parent_id: str,
        children: list[str],
        spans: list[tuple[int, int]],
        window: tuple[int, int] | None = None,
    ) -> None:
        """Scope every definition among `nodes` and below their containers.

        With a `window` (low, high), definitions at this level that do not
        touch it are skipped: the incremental updater keeps those itself.
        """
        language = self.language
        definition_types = language.definition_types
        container_types = language.container_types
        for node in nodes:
            kind = node.type
            if window is not None:
                start = language.outer_start(node).start_byte if kind in definition_types else node.start_byte
                if node.end_byte < window[0] or start > window[1]:
                    continue
            if kind in definition_types:
                self.define(node, language.outer_start(node), parent, parent_id, children, spans)
            elif kind in container_types:
                inner = language.unwrap(node)
                if inner is not None and inner.type in definition_types:
                    self.define(inner, node, parent, parent_id, children, spans)
                else:
                    self.walk(node.children, parent, parent_id, children, spans, window)

    def define(
        self,
        node: ts.Node,
        outer: ts.Node,
        parent: Definition | None,
        parent_id: str,
        children: list[str],
        spans: list[tuple[int, int]],
    ) -> None:
        definition = self.language.definition(node, self.source, parent)
        if definition is None:
            # Not a symbol after all (no name: a half-typed def); what it
            # holds still belongs to the enclosing symbol.
            self.walk(node.children, parent, parent_id, children, spans)
            return
        qualname = definition.qualname
        count = self.seen.get(qualname, 0) + 1
        self.seen[qualname] = count
        if count > 1:
            qualname = f"{qualname}#{count}"
            definition = _renamed(definition, qualname)
        symbol_id = make_id(self.path, qualname)
        children.append(symbol_id)
        start, end = outer.start_byte, node.end_byte
        spans.append((start, end))
        slot = len(self.symbols)
        self.symbols.append(None)  # type: ignore[arg-type]  # filled below, keeps parents first
        own_children: list[str] = []
        own_spans: list[tuple[int, int]] = []
        self.walk(node.children, definition, symbol_id, own_children, own_spans)
        self.symbols[slot] = Symbol(
            id=symbol_id,
            path=self.path,
            name=definition.name,
            qualname=qualname,
            kind=definition.kind,
            language=self.language.name,
            start_byte=start,
            end_byte=end,
            start_line=outer.start_point.row + 1,
            end_line=node.end_point.row + 1,
            signature=definition.signature,
            docstring=definition.docstring,
            parent=parent_id,
            children=tuple(own_children),
            references=words(self.language, self.source, start, end, own_spans, definition.name),
        )


def module_symbol(
    path: str,
    source: bytes,
    language: Language,
    root: ts.Node,
    children: list[str],
    spans: list[tuple[int, int]],
) -> Symbol:
    return Symbol(
        id=make_id(path, MODULE_NAME),
        path=path,
        name=MODULE_NAME,
        qualname=MODULE_NAME,
        kind=SymbolKind.MODULE,
        language=language.name,
        start_byte=0,
        end_byte=len(source),
        start_line=1,
        end_line=line_count(source),
        signature="",
        docstring=language.module_docstring(root, source),
        parent=None,
        children=tuple(children),
        references=words(language, source, 0, len(source), spans),
    )


def file_symbols(
    path: str, source: bytes, language: Language, tree: ts.Tree, symbols: list[Symbol], module: Symbol
) -> FileSymbols:
    damaged = tree.root_node.has_error
    return FileSymbols(
        path=path,
        language=language.name,
        content_hash=content_hash(source),
        symbols=(module, *symbols),
        has_errors=damaged,
        error_lines=error_lines(tree) if damaged else (),
    )


def scope_tree(path: str, source: bytes, language: Language, tree: ts.Tree) -> FileSymbols:
    root = tree.root_node
    scoper = Scoper(path, source, language)
    children: list[str] = []
    spans: list[tuple[int, int]] = []
    scoper.walk(root.children, None, scoper.module_id, children, spans)
    module = module_symbol(path, source, language, root, children, spans)
    return file_symbols(path, source, language, tree, scoper.symbols, module)


def _renamed(definition: Definition, qualname: str) -> Definition:
    # A true duplicate (conditional redefinition) keeps its children apart too.
    prefix = definition.child_prefix
    if prefix == definition.qualname:
        prefix = qualname
    return Definition(
        node=definition.node,
        name=definition.name,
        kind=definition.kind,
        qualname=qualname,
        child_prefix=prefix,
        signature=definition.signature,
        docstring=definition.docstring,
    )
