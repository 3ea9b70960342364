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


def _git_files(root: Path) -> list[str] | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        return None
    return [p for p in result.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _walk_files(root: Path) -> list[str]:
    ignore_file = root / ".gitignore"
    spec = pathspec.GitIgnoreSpec.from_lines(
        ignore_file.read_text(errors="replace").splitlines() if ignore_file.is_file() else []
    )
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not spec.match_file(rel_dir + d + "/")
        )
        found.extend(rel_dir + f for f in sorted(filenames) if not spec.match_file(rel_dir + f))
    return found


def looks_generated(head: bytes) -> bool:
    sample = head[:2048].lower()
    return b"\0" in sample or b"@generated" in sample or b"do not edit" in sample


def source_files(root: Path) -> list[str]:
    """Repo-relative posix paths of the files a language knows, sorted.

    Tracked (plus untracked, unignored) files of a git repo, else a walk that
    honours the top-level .gitignore; binary, generated and huge files skipped.
    """
    root = Path(root)
    listed = _git_files(root)
    candidates = listed if listed is not None else _walk_files(root)
    kept: list[str] = []
    for rel in candidates:
        if language_for_path(rel) is None or any(part in SKIPPED_DIRS for part in rel.split("/")[:-1]):
            continue
        full = root / rel
        try:
            if not full.is_file() or full.stat().st_size > MAX_FILE_BYTES:
                continue
            with full.open("rb") as handle:
                if looks_generated(handle.read(2048)):
                    continue
        except OSError:
            continue
        kept.append(rel)
    return sorted(kept)
