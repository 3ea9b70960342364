"""Checkouts of real repositories from a directory of local git mirrors.

A mirrors directory holds one git repository per upstream, named
`owner+name` (bare, or a `.git` directory inside a work tree). Checkouts are
`git clone --shared` into a temp dir: no objects are copied and the mirror is
never written to.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from swarm.evaluation.errors import MirrorError

__all__ = ["MirrorError", "checkout", "clone_at", "mirror_path", "show_file"]


def mirror_path(mirrors: Path, repo: str) -> Path:
    """`owner/name` -> the git directory of its mirror under `mirrors`."""
    base = Path(mirrors) / repo.replace("/", "+")
    for candidate in (base, base / ".git", base / "repo"):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise MirrorError(f"no mirror of {repo} in {mirrors} (expected a git repository at {base})")


def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise MirrorError(f"git {' '.join(args[:3])} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def clone_at(mirrors: Path, repo: str, commit: str, into: Path) -> Path:
    """Make `into` a clean checkout of `repo` at `commit`; returns `into`."""
    source = mirror_path(mirrors, repo)
    _git("clone", "--quiet", "--shared", "--no-checkout", str(source), str(into))
    try:
        _git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, cwd=into)
    except MirrorError as exc:
        shutil.rmtree(into, ignore_errors=True)
        raise MirrorError(f"{repo}: cannot check out {commit}: {exc}") from None
    return into


@contextlib.contextmanager
def checkout(mirrors: Path, repo: str, commit: str) -> Iterator[Path]:
    """A temporary clean checkout of `repo` at `commit`, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="swarm-checkout-") as tmp:
        yield clone_at(mirrors, repo, commit, Path(tmp) / repo.replace("/", "+"))


def show_file(mirrors: Path, repo: str, commit: str, path: str) -> str | None:
    """The text of `path` at `commit`, read straight from the mirror (no
    checkout); None if that commit has no such file."""
    source = mirror_path(mirrors, repo)
    known = subprocess.run(
        ["git", "--git-dir", str(source), "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
    )
    if known.returncode != 0:
        raise MirrorError(f"{repo}: mirror {source} has no commit {commit}; update the mirror")
    result = subprocess.run(
        ["git", "--git-dir", str(source), "show", f"{commit}:{path}"],
        capture_output=True,
    )
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")
