"""A throw-away copy of a workspace with some files replaced: where a CLI
fallback computes the "before" picture once the real files already hold the
change (the tree the user works in is never written to)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from symbols.files import SKIPPED_DIRS


def _listed_files(root: Path) -> list[str] | None:
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
    names = result.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return [n for n in names if n and not any(part in SKIPPED_DIRS for part in n.split("/")[:-1])]


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
