"""The on-disk index cache: one file per repository, plain tuples, marshal.

One file (not one per source file, not pickled dataclasses) because warm
start is dominated by I/O and object creation: `marshal.loads` of a dict of
tuples whose symbol rows stay packed as bytes until a file is asked for.

Layout: `{"version": CACHE_VERSION, "root": str, "entries": {path: Entry}}`
where Entry is `(mtime_ns, size, inode, content_hash, blob)` and `blob` is
`pack(file_symbols)` or b"" for a file that was skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
from pathlib import Path

from symbols.languages import registry
from symbols.model import FileSymbols, Symbol, SymbolKind, make_id

# Bump when scoping changes what it produces: an old cache is then rebuilt.
SCOPER_VERSION = 3
CACHE_FILE = "index.marshal"

Entry = tuple[int, int, int, str, bytes]

_KINDS = {kind.value: kind for kind in SymbolKind}


def cache_version() -> str:
    # A new grammar can change spans and ids: its version is part of the key.
    grammars = ",".join(
        f"{language.name}={language.ts_language.semantic_version}" for language in registry()
    )
    return f"{SCOPER_VERSION}/{marshal.version}/{grammars}"


def default_cache_dir(root: Path) -> Path:
    """`<user cache dir>/symbol-swarm/index/<hash of the root path>`: never inside the repo."""
    import platformdirs

    digest = hashlib.blake2b(str(Path(root).resolve()).encode(), digest_size=8).hexdigest()
    return Path(platformdirs.user_cache_dir("symbol-swarm")) / "index" / digest


def load(cache_dir: Path, root: Path) -> dict[str, Entry]:
    """The entries cached for `root`; empty when absent, stale or damaged (never raises)."""
    try:
        data = marshal.loads((Path(cache_dir) / CACHE_FILE).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("version") != cache_version()
        or data.get("root") != str(Path(root).resolve())
        or not isinstance(data.get("entries"), dict)
    ):
        return {}
    return data["entries"]


def save(cache_dir: Path, root: Path, entries: dict[str, Entry]) -> Path:
    """Write the cache atomically (temp file + rename): a crash leaves the old one whole."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    payload = marshal.dumps(
        {"version": cache_version(), "root": str(Path(root).resolve()), "entries": entries}
    )
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=cache_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        target = cache_dir / CACHE_FILE
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def pack(file_symbols: FileSymbols) -> bytes:
    """FileSymbols -> compact bytes: rows of plain values, parents by index."""
    index_of = {symbol.id: i for i, symbol in enumerate(file_symbols.symbols)}
    rows = tuple(
        (
            s.qualname,
            s.name,
            s.kind.value,
            s.start_byte,
            s.end_byte,
            s.start_line,
            s.end_line,
            s.signature,
            s.docstring,
            -1 if s.parent is None else index_of[s.parent],
            s.references,
        )
        for s in file_symbols.symbols
    )
    return marshal.dumps(
        (file_symbols.language, file_symbols.content_hash, file_symbols.has_errors,
         file_symbols.error_lines, rows)
    )


def unpack(path: str, blob: bytes) -> FileSymbols:
    """The inverse of `pack`; raises ValueError on a damaged blob."""
    try:
        language, digest, has_errors, error_lines, rows = marshal.loads(blob)
        ids = [make_id(path, row[0]) for row in rows]
        children: list[list[str]] = [[] for _ in rows]
        for i, row in enumerate(rows):
            if row[9] >= 0:
                children[row[9]].append(ids[i])
        symbols = tuple(
            Symbol(
                id=ids[i],
                path=path,
                name=name,
                qualname=qualname,
                kind=_KINDS[kind],
                language=language,
                start_byte=start_byte,
                end_byte=end_byte,
                start_line=start_line,
                end_line=end_line,
                signature=signature,
                docstring=docstring,
                parent=None if parent < 0 else ids[parent],
                children=tuple(children[i]),
                references=references,
            )
            for i, (qualname, name, kind, start_byte, end_byte, start_line, end_line,
                    signature, docstring, parent, references) in enumerate(rows)
        )
    except (EOFError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"{path}: damaged cache entry ({exc})") from None
    return FileSymbols(
        path=path,
        language=language,
        content_hash=digest,
        symbols=symbols,
        has_errors=has_errors,
        error_lines=tuple(error_lines),
    )
