"""`swarm symbols`, `swarm map`, `swarm locate`: what the code is, what
matters in it, and where an issue points."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from symbols.index import RepoIndex
    from symbols.model import FileSymbols


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    outline = subparsers.add_parser(
        "symbols",
        help="outline the symbols of a file or a tree",
        description="Outline every symbol (kind, qualified name, lines, signature) of a file or a directory tree.",
    )
    outline.add_argument("path", type=Path, help="a source file or a directory")
    outline.add_argument("--json", action="store_true", help="machine-readable output")
    outline.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")
    outline.set_defaults(handler=run_symbols)

    repo_map = subparsers.add_parser(
        "map",
        help="the repo map: the most relevant definitions, fitted to a token budget",
        description="Rank definitions by PageRank over the definition/reference graph (toward --focus) "
        "and print their signatures, bodies elided, within --tokens.",
    )
    repo_map.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
    repo_map.add_argument("--focus", default="", help="text to rank toward (an issue, names, paths)")
    repo_map.add_argument("--tokens", type=int, default=1024, help="token budget (default: 1024)")
    repo_map.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")
    repo_map.set_defaults(handler=run_map)

    locate = subparsers.add_parser(
        "locate",
        help="rank the symbols an issue is most likely about",
        description="Rank symbols for an issue: exact mentions (paths, names, stack frames), "
        "BM25 over names/signatures/docstrings/code, and PageRank.",
    )
    locate.add_argument("--repo", type=Path, default=Path("."), help="repository root (default: .)")
    locate.add_argument("--issue", required=True, help="file holding the issue text, or - for stdin")
    locate.add_argument("-k", type=int, default=10, help="how many symbols (default: 10)")
    locate.add_argument("--json", action="store_true", help="JSON list of {symbol_id, path, start_line, end_line, score}")
    locate.add_argument("--no-cache", action="store_true", help="neither read nor write the index cache")
    locate.set_defaults(handler=run_locate)


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rindexing: {done}/{total} files", end=end, file=sys.stderr, flush=True)

    return report


def _index(root: Path, no_cache: bool) -> RepoIndex:
    from symbols.index import RepoIndex

    return RepoIndex.build(root, use_cache=not no_cache, progress=_progress())


def _warn_about(index: RepoIndex) -> None:
    for path, reason in sorted(index.skipped().items()):
        if reason.startswith("unreadable"):
            print(f"swarm: warning: {path}: {reason}", file=sys.stderr)


def _file_json(fs: FileSymbols) -> dict[str, object]:
    return {
        "path": fs.path,
        "language": fs.language,
        "has_errors": fs.has_errors,
        "error_lines": list(fs.error_lines),
        "symbols": [
            {
                "id": s.id,
                "kind": s.kind.value,
                "name": s.name,
                "qualname": s.qualname,
                "start_line": s.start_line,
                "end_line": s.end_line,
                "start_byte": s.start_byte,
                "end_byte": s.end_byte,
                "signature": s.signature,
                "docstring": s.docstring,
                "parent": s.parent,
                "children": list(s.children),
                "references": list(s.references),
            }
            for s in fs.symbols
        ],
    }


def _outline(fs: FileSymbols) -> list[str]:
    by_id = fs.by_id()
    lines = [f"{fs.path}" + (f"  (syntax errors on lines {', '.join(map(str, fs.error_lines[:10]))}: symbols may be partial)" if fs.has_errors else "")]
    for symbol in fs.symbols[1:]:
        depth = 1
        parent = symbol.parent
        while parent is not None and not by_id[parent].is_module:
            depth += 1
            parent = by_id[parent].parent
        label = symbol.signature or symbol.name
        lines.append(f"{'  ' * depth}{symbol.kind.value:<8} {symbol.qualname}  [{symbol.start_line}-{symbol.end_line}]  {label}")
    return lines


def _scope_one_file(path: Path) -> FileSymbols:
    from symbols.errors import UnreadableFile
    from symbols.scope import scope_source

    try:
        source = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"swarm: warning: {path}: not valid UTF-8 (byte {exc.start}); names shown with replacement characters", file=sys.stderr)
    return scope_source(path.as_posix(), source)


def run_symbols(args: argparse.Namespace) -> int:
    from symbols.errors import NotADirectory

    path: Path = args.path
    if path.is_file():
        files = [_scope_one_file(path)]
    elif path.is_dir():
        index = _index(path, args.no_cache)
        _warn_about(index)
        files = list(index.files())
    else:
        raise NotADirectory(f"{path}: no such file or directory")
    if args.json:
        json.dump([_file_json(fs) for fs in files], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for fs in files:
            print("\n".join(_outline(fs)))
        if not files:
            print(f"no Python or Rust source files under {path}", file=sys.stderr)
    return 0


def run_map(args: argparse.Namespace) -> int:
    from symbols.errors import SymbolsError
    from symbols.repomap import repo_map

    if args.tokens <= 0:
        raise SymbolsError(f"--tokens must be positive, got {args.tokens}")
    index = _index(args.repo, args.no_cache)
    text = repo_map(index, args.focus, args.tokens)
    if not text:
        print(f"no symbols to map under {index.root}", file=sys.stderr)
    sys.stdout.write(text)
    return 0


def _read_issue(source: str) -> str:
    from symbols.errors import SymbolsError, UnreadableFile

    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UnreadableFile(f"{source}: cannot read the issue ({exc.strerror or exc})") from None
    if not text.strip():
        raise SymbolsError(f"{source}: the issue is empty; give the issue text in a file or on stdin")
    return text


def run_locate(args: argparse.Namespace) -> int:
    from symbols.errors import SymbolsError
    from symbols.locate import locate

    if args.k <= 0:
        raise SymbolsError(f"-k must be positive, got {args.k}")
    text = _read_issue(args.issue)
    index = _index(args.repo, args.no_cache)
    found = locate(index, text, args.k)
    if args.json:
        json.dump([f.as_dict() for f in found], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    if not found:
        print("no symbol matches the issue", file=sys.stderr)
    for rank, f in enumerate(found, 1):
        print(f"{rank:>3}. {f.score:8.3f}  {f.symbol_id}  ({f.path}:{f.start_line}-{f.end_line})")
    return 0
