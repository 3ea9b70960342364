"""Which files of a repository are source worth indexing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pathspec

from symbols.languages import language_for_path

MAX_FILE_BYTES = 1_000_000
# Directories that hold vendored, generated or build output rather than source.
SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "target", "build", "dist",
     "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".swarm", ".eggs"}
)


def git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files of a git work tree, or None when `root` is not one."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return [p for p in result.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore_file = directory / ".gitignore"
    try:
        lines = ignore_file.read_text(errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _walk_files(root: Path) -> list[str]:
    """Every file under `root`, honouring each directory's .gitignore."""
    found: list[str] = []
    # (directory relative to root with trailing '/', spec) for every .gitignore in force.
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def ignored(rel: str) -> bool:
        for base, spec in specs:
            if rel.startswith(base) and spec.match_file(rel[len(base):]):
                return True
        return False

    def visit(directory: str) -> None:
        full = root / directory if directory else root
        spec = _ignore_spec(full)
        if spec is not None:
            specs.append((directory, spec))
        try:
            entries = sorted(os.scandir(full), key=lambda e: e.name)
        except OSError:
            entries = []
        for entry in entries:
            rel = directory + entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name not in SKIPPED_DIRS and not ignored(rel + "/"):
                    visit(rel + "/")
            elif not ignored(rel):
                found.append(rel)
        if spec is not None:
            specs.pop()

    visit("")
    return found


_COMMENT_STARTS = (b"#", b"//", b"/*", b"*", b'"""', b"'''")


def looks_generated(head: bytes) -> bool:
    """Binary, or a header comment saying the file is generated.

    Only the leading comment block counts: the same words in a string
    further down (a template of a generated file) do not.
    """
    sample = head[:2048]
    if b"\0" in sample:
        return True
    for line in sample.lower().splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith(_COMMENT_STARTS):
            return False
        if b"@generated" in line or (b"generated" in line and b"do not edit" in line):
            return True
    return False


def candidate_files(root: Path) -> list[str]:
    """Repo-relative posix paths a language knows, before any file is opened; sorted.

    Tracked plus untracked-unignored files of a git work tree, else a walk
    that honours every .gitignore on the way down.
    """
    root = Path(root)
    listed = git_files(root)
    candidates = listed if listed is not None else _walk_files(root)
    return sorted(
        rel
        for rel in candidates
        if language_for_path(rel) is not None
        and not any(part in SKIPPED_DIRS for part in rel.split("/")[:-1])
    )


def skip_reason(size: int, head: bytes) -> str | None:
    """Why a file of this size starting with `head` is not indexed, or None."""
    if size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES} bytes"
    sample = head[:2048]
    if b"\0" in sample:
        return "binary"
    if looks_generated(sample):
        return "generated (its header says so)"
    return None


def source_files(root: Path) -> list[str]:
    """Repo-relative posix paths of the files a language knows, sorted.

    `candidate_files` less binary, generated, huge and unreadable files.
    """
    root = Path(root)
    kept: list[str] = []
    for rel in candidate_files(root):
        full = root / rel
        try:
            if not full.is_file():
                continue
            with full.open("rb") as handle:
                if skip_reason(full.stat().st_size, handle.read(2048)) is not None:
                    continue
        except OSError:
            continue
        kept.append(rel)
    return kept
