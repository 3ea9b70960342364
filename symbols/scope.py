"""Scope one file's source into its symbols with tree-sitter.

A pure function of (path, source): the index, the harness's rewrite checks
and the incremental updater all go through `scope_tree`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

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


@dataclass
class _Open:
    definition: Definition
    start: ts.Node
    end_byte: int
    qualname: str
    children: list[str] = field(default_factory=list)
    references: set[str] = field(default_factory=set)


def _line_count(source: bytes) -> int:
    if not source:
        return 1
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def scope_tree(path: str, source: bytes, language: Language, tree: ts.Tree) -> FileSymbols:
    root = tree.root_node
    captured = ts.QueryCursor(language.definition_query).captures(root).get("def", [])
    identifiers = ts.QueryCursor(language.identifier_query).captures(root).get("id", [])
    # Definitions and identifiers are swept in source order together, so each
    # identifier lands in its innermost enclosing symbol in one pass.
    starts = sorted(((language.outer_start(n), n) for n in captured), key=lambda p: p[0].start_byte)
    identifiers.sort(key=lambda n: n.start_byte)

    module_id = make_id(path, MODULE_NAME)
    module_children: list[str] = []
    module_refs: set[str] = set()
    stack: list[_Open] = []
    finished: list[Symbol] = []
    seen_qualnames: dict[str, int] = {}
    next_identifier = 0

    def close(item: _Open) -> None:
        d = item.definition
        stack.pop()
        finished.append(
            Symbol(
                id=make_id(path, item.qualname),
                path=path,
                name=d.name,
                qualname=item.qualname,
                kind=d.kind,
                language=language.name,
                start_byte=item.start.start_byte,
                end_byte=item.end_byte,
                start_line=item.start.start_point.row + 1,
                end_line=d.node.end_point.row + 1,
                signature=d.signature,
                docstring=d.docstring,
                parent=make_id(path, stack[-1].qualname) if stack else module_id,
                children=tuple(item.children),
                references=tuple(sorted(item.references - {d.name})),
            )
        )

    def advance_to(position: int) -> None:
        nonlocal next_identifier
        while next_identifier < len(identifiers) and identifiers[next_identifier].start_byte < position:
            ident = identifiers[next_identifier]
            next_identifier += 1
            while stack and ident.start_byte >= stack[-1].end_byte:
                close(stack[-1])
            text = source[ident.start_byte : ident.end_byte].decode("utf-8", errors="replace")
            (stack[-1].references if stack else module_refs).add(text)
        while stack and position >= stack[-1].end_byte:
            close(stack[-1])

    for start, node in starts:
        advance_to(start.start_byte)
        parent = stack[-1].definition if stack else None
        definition = language.definition(node, source, parent)
        if definition is None:
            continue
        qualname = definition.qualname
        count = seen_qualnames.get(qualname, 0) + 1
        seen_qualnames[qualname] = count
        if count > 1:
            qualname = f"{qualname}#{count}"
            definition = _renamed(definition, qualname)
        (stack[-1].children if stack else module_children).append(make_id(path, qualname))
        stack.append(_Open(definition, start, node.end_byte, qualname))
    advance_to(len(source) + 1)

    finished.sort(key=lambda s: (s.start_byte, -s.end_byte))
    module = Symbol(
        id=module_id,
        path=path,
        name=MODULE_NAME,
        qualname=MODULE_NAME,
        kind=SymbolKind.MODULE,
        language=language.name,
        start_byte=0,
        end_byte=len(source),
        start_line=1,
        end_line=_line_count(source),
        signature="",
        docstring=language.module_docstring(root, source),
        parent=None,
        children=tuple(module_children),
        references=tuple(sorted(module_refs)),
    )
    damaged = root.has_error
    return FileSymbols(
        path=path,
        language=language.name,
        content_hash=content_hash(source),
        symbols=(module, *finished),
        has_errors=damaged,
        error_lines=error_lines(tree) if damaged else (),
    )


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
