"""A throw-away copy of a workspace with some files replaced: where a CLI
fallback computes the "before" picture once the real files already hold the
change (the tree the user works in is never written to)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from symbols.files import SKIPPED_DIRS, git_files


def _listed_files(root: Path) -> list[str] | None:
    names = git_files(root)
    if names is None:
        return None
    return [n for n in names if not any(part in SKIPPED_DIRS for part in n.split("/")[:-1])]


@contextmanager
def scratch_copy(root: Path, overrides: Mapping[str, str]) -> Iterator[Path]:
    """A temporary copy of `root` (git-listed files, or everything outside
    build/VCS folders) with `overrides` (repo-relative path -> text) written in."""
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="swarm-diagnostics-") as tmp:
        copy = Path(tmp) / root.name
        listed = _listed_files(root)
        if listed is None:
            shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED_DIRS))
        else:
            copy.mkdir()
            for rel in listed:
                source = root / rel
                if not source.is_file():
                    continue
                target = copy / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        for rel, text in overrides.items():
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield copy
