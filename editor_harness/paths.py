"""Keeping every path the harness touches inside the workspace root.

A path is refused when it leaves the root lexically (`../x`, `/etc/x`) or
through a symlink anywhere along it (a link to `/etc`, a linked directory).
"""

from __future__ import annotations

import os
from pathlib import Path

from editor_harness.errors import OutsideWorkspace


def _is_within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def relative_path(root: Path, path: str | Path) -> str:
    """`path` (absolute, or relative to `root`) as a root-relative posix path.

    Raises OutsideWorkspace when it, or what it resolves to through symlinks,
    lies outside `root`. `root` must already be resolved.
    """
    text = os.fspath(path)
    if not text or "\0" in text:
        raise OutsideWorkspace(f"{text!r}: not a usable path")
    candidate = Path(text)
    full = candidate if candidate.is_absolute() else root / candidate
    lexical = Path(os.path.normpath(full))
    if not _is_within(lexical, root):
        raise OutsideWorkspace(f"{text}: outside the workspace {root}; use a path inside it")
    resolved = full.resolve()
    if not _is_within(resolved, root):
        raise OutsideWorkspace(
            f"{text}: resolves through a symlink to {resolved}, outside the workspace {root}"
        )
    rel = lexical.relative_to(root).as_posix()
    if rel == ".":
        raise OutsideWorkspace(f"{text}: the workspace root itself is not a file")
    return rel


def writable_path(root: Path, path: str | Path) -> Path:
    """The absolute path to write for a root-relative `path`, refusing symlinks.

    Writing through a symlink would either escape the root or silently edit a
    different file than the one the caller named, so both are refused.
    """
    rel = relative_path(root, path)
    full = root / rel
    if full.is_symlink():
        target = full.resolve().relative_to(root).as_posix()
        raise OutsideWorkspace(f"{rel} is a symlink to {target}; edit {target} instead")
    return full
