"""Which other Python files a change can break: the ones worth re-checking.

Pyright (in open-files mode) only checks the files a client opened, so a
rewrite that breaks a caller elsewhere goes unseen unless that caller is
open and re-checked. The candidates are files that import the changed module
(or its package) AND mention a name whose definition changed in a way its
users can see (signature, inferred return type, class attributes; a new
body under a declared return type is invisible to callers). Finding them is
cheap text work: import statements and identifiers per file, cached by
modification time, computed again only for files that changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import tree_sitter as ts

from symbols.errors import SymbolsError
from symbols.files import source_files
from symbols.languages import language_for_path
from symbols.model import FileSymbols, Symbol, SymbolKind
from symbols.scope import parse, scope_tree

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An import statement, with a parenthesised continuation if there is one.
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))",
    re.MULTILINE,
)


def import_tokens(text: str) -> frozenset[str]:
    """Every name that appears in the file's import statements (module path parts too)."""
    tokens: set[str] = set()
    for match in _IMPORT.finditer(text):
        for part in match.groups():
            if part:
                tokens.update(_IDENTIFIER.findall(part))
    tokens.discard("as")
    tokens.discard("import")
    return frozenset(tokens)


def module_tokens(path: str) -> frozenset[str]:
    """Names an importer of `path` would write: its module name and its packages'."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    # Layout folders are not package names.
    return frozenset(p for p in parts if p.isidentifier() and p not in {"src", "lib"})


def _without(source: bytes, offset: int, spans: Sequence[tuple[int, int]]) -> bytes:
    """`source` (which starts at byte `offset` of its file) minus the file spans
    `spans`, whitespace-collapsed: comments and layout are not code."""
    pieces: list[bytes] = []
    cursor = 0
    for start, end in sorted(spans):
        start, end = start - offset, end - offset
        if end <= cursor or start >= len(source):
            continue
        pieces.append(source[cursor : max(cursor, start)])
        cursor = max(cursor, end)
    pieces.append(source[cursor:])
    return b" ".join(b"".join(pieces).split())


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _spelled_as(symbol: Symbol) -> str:
    """The name a user of `symbol` writes: a method's own name (callers may never
    spell its class), or for dunders, which nobody spells, the class's name."""
    parts = [p for p in symbol.qualname.split("#")[0].split(".") if p.isidentifier()]
    if not parts:
        return symbol.name
    if _is_dunder(parts[-1]) and len(parts) > 1:
        return parts[-2]
    return parts[-1]


@dataclass(frozen=True, slots=True)
class _Facets:
    """What a definition's users can see of it."""

    code: bytes  # its own code (a class's or module's without its members)
    interface: bytes  # decorators and signature, up to the body (functions)
    returns_declared: bool
    self_attributes: frozenset[str]  # `self.x = ...` targets: they shape the class


_SELF_ATTRIBUTE = re.compile(rb"\bself\.([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]+)?=(?!=)")
_queries: dict[str, ts.Query] = {}


def _facets(path: str, text: str) -> tuple[FileSymbols, dict[str, _Facets]] | None:
    language = language_for_path(path)
    if language is None:
        return None
    source = text.encode("utf-8")
    tree = parse(language, source)
    file_symbols = scope_tree(path, source, language, tree)
    query = _queries.get(language.name)
    if query is None:
        query = _queries[language.name] = ts.Query(language.ts_language, "(comment) @comment (function_definition) @function")
    captures = ts.QueryCursor(query).captures(tree.root_node)
    comments = [(n.start_byte, n.end_byte) for n in captures.get("comment", [])]
    functions: dict[int, list[ts.Node]] = {}
    for node in captures.get("function", []):
        functions.setdefault(node.end_byte, []).append(node)
    by_id = file_symbols.by_id()
    facets: dict[str, _Facets] = {}
    for symbol in file_symbols.symbols:
        span = source[symbol.start_byte : symbol.end_byte]
        hidden = list(comments)
        if symbol.kind in (SymbolKind.MODULE, SymbolKind.CLASS):
            hidden += [(by_id[c].start_byte, by_id[c].end_byte) for c in symbol.children if c in by_id]
        code = _without(span, symbol.start_byte, hidden)
        candidates = [n for n in functions.get(symbol.end_byte, []) if n.start_byte >= symbol.start_byte]
        node = min(candidates, key=lambda n: n.start_byte) if candidates else None
        body = node.child_by_field_name("body") if node is not None else None
        if node is None or body is None:
            facets[symbol.id] = _Facets(code, code, False, frozenset())
            continue
        interface = _without(source[symbol.start_byte : body.start_byte], symbol.start_byte, comments)
        attributes = frozenset(m.decode() for m in _SELF_ATTRIBUTE.findall(code))
        facets[symbol.id] = _Facets(code, interface, node.child_by_field_name("return_type") is not None, attributes)
    return file_symbols, facets


def changed_names(path: str, old_text: str, new_text: str) -> frozenset[str] | None:
    """Names the users of changed definitions spell, for changes those users can
    see; None when the module's own top-level code changed (any importer may be
    affected). Comments and layout are no change; nor is a new body under an
    unchanged signature with a declared return type, unless it assigns `self.`
    attributes (which shape its class)."""
    try:
        old = _facets(path, old_text)
        new = _facets(path, new_text)
    except SymbolsError:
        return None
    if old is None or new is None:
        return None
    (old_symbols, old_facets), (new_symbols, new_facets) = old, new
    if old_facets[old_symbols.module.id].code != new_facets[new_symbols.module.id].code:
        return None
    symbols = {**old_symbols.by_id(), **new_symbols.by_id()}
    names: set[str] = set()
    for symbol_id in (old_facets.keys() | new_facets.keys()) - {old_symbols.module.id}:
        before, after = old_facets.get(symbol_id), new_facets.get(symbol_id)
        if before is not None and after is not None and before.code == after.code:
            continue
        symbol = symbols[symbol_id]
        if before is None or after is None or symbol.kind not in (SymbolKind.FUNCTION, SymbolKind.METHOD):
            names.add(_spelled_as(symbol))
            continue
        if before.interface != after.interface or not (before.returns_declared and after.returns_declared):
            names.add(_spelled_as(symbol))
        attributes = before.self_attributes | after.self_attributes
        if attributes:
            parts = symbol.qualname.split(".")
            names.update(attributes)
            if len(parts) > 1:
                names.add(parts[-2])
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class _FileFacts:
    stamp: tuple[int, int]
    imports: frozenset[str]
    words: frozenset[str]


class DependentFinder:
    def __init__(self, root: Path, *, limit: int = 20, extensions: tuple[str, ...] = (".py", ".pyi")) -> None:
        self.root = Path(root).resolve()
        self.limit = limit
        self.extensions = extensions
        self._files: list[str] | None = None
        self._facts: dict[str, _FileFacts] = {}

    def files(self) -> list[str]:
        if self._files is None:
            self._files = [p for p in source_files(self.root) if p.endswith(self.extensions)]
        return self._files

    def _facts_of(self, rel: str) -> _FileFacts | None:
        full = self.root / rel
        try:
            stat = full.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        facts = self._facts.get(rel)
        if facts is None or facts.stamp != stamp:
            try:
                text = full.read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            facts = _FileFacts(stamp, import_tokens(text), frozenset(_IDENTIFIER.findall(text)))
            self._facts[rel] = facts
        return facts

    def dependents(self, path: str, old_text: str | None, new_text: str) -> tuple[list[str], int]:
        """(files to re-check, how many qualified before the limit cut them)."""
        names = changed_names(path, old_text, new_text) if old_text is not None else None
        if names is not None and not names:
            return [], 0
        wanted = module_tokens(path)
        stem = PurePosixPath(path).with_suffix("").name
        direct: list[str] = []
        indirect: list[str] = []
        for rel in self.files():
            if rel == path:
                continue
            facts = self._facts_of(rel)
            if facts is None or not (facts.imports & wanted):
                continue
            if names is not None and not (facts.words & names):
                continue
            (direct if stem in facts.imports else indirect).append(rel)
        found = direct + indirect
        return found[: self.limit], len(found)
