"""Which other Python files a change can break: the ones worth re-checking.

Pyright (in open-files mode) only checks the files a client opened, so a
rewrite that breaks a caller elsewhere goes unseen unless that caller is
open and re-checked. The candidates are files that import the changed module
(or its package) AND mention a name whose definition changed. Finding them
is cheap text work: import statements and identifiers per file, cached by
modification time, computed again only for files that changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from symbols.errors import SymbolsError
from symbols.files import source_files
from symbols.model import FileSymbols, Symbol, SymbolKind
from symbols.scope import scope_source

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


def _own_text(source: bytes, spans: Sequence[tuple[int, int]]) -> bytes:
    pieces: list[bytes] = []
    cursor = 0
    for start, end in sorted(spans):
        pieces.append(source[cursor:start])
        cursor = max(cursor, end)
    pieces.append(source[cursor:])
    return b"".join(pieces)


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


def _texts_by_id(file_symbols: FileSymbols, source: bytes) -> dict[str, bytes]:
    """Each symbol's text; a class's (and the module's) without its members, since a
    changed method is that method's change, while a function owns its nested code."""
    by_id = file_symbols.by_id()
    texts: dict[str, bytes] = {}
    for symbol in file_symbols.symbols:
        text = source[symbol.start_byte : symbol.end_byte]
        if symbol.kind in (SymbolKind.MODULE, SymbolKind.CLASS):
            spans = [
                (by_id[c].start_byte - symbol.start_byte, by_id[c].end_byte - symbol.start_byte)
                for c in symbol.children
                if c in by_id
            ]
            # Blank lines between members are layout, not code.
            text = b" ".join(_own_text(text, spans).split())
        texts[symbol.id] = text
    return texts


def changed_names(path: str, old_text: str, new_text: str) -> frozenset[str] | None:
    """Names users of the changed definitions would spell; None when the module's
    own top-level code changed (then any importer may be affected)."""
    try:
        old = scope_source(path, old_text.encode("utf-8"))
        new = scope_source(path, new_text.encode("utf-8"))
    except SymbolsError:
        return None
    old_texts = _texts_by_id(old, old_text.encode("utf-8"))
    new_texts = _texts_by_id(new, new_text.encode("utf-8"))
    if old_texts[old.module.id] != new_texts[new.module.id]:
        return None
    symbols = {**old.by_id(), **new.by_id()}
    return frozenset(
        _spelled_as(symbols[symbol_id])
        for symbol_id in (old_texts.keys() | new_texts.keys()) - {old.module.id}
        if old_texts.get(symbol_id) != new_texts.get(symbol_id)
    )


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
