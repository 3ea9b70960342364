"""Turning before/after file contents into the patch: a real `git diff`.

The diff is made by git itself (so `git apply` and SWE-bench graders take
it as is) in a throwaway repository: blobs for the old and new contents go
into two trees that git compares. Nothing is written to the user's
repository, its config (diff drivers, external diff tools) plays no part,
and the workspace needs no git history at all.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from editor_harness.errors import HarnessError

_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")


def _git(args: Sequence[str], env: dict[str, str], stdin: bytes | None = None) -> bytes:
    try:
        result = subprocess.run(["git", *args], input=stdin, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise HarnessError("git is not installed; install git to produce patches") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()[-300:]
        raise HarnessError(f"git {args[0]} failed while building the patch: {message}")
    return result.stdout


def unified_diff(changes: Sequence[tuple[str, bytes, bytes, bool]]) -> str:
    """A git diff of `(path, old bytes, new bytes, executable)` changes, paths as given."""
    if not changes:
        return ""
    with tempfile.TemporaryDirectory(prefix="swarm-patch-") as tmp:
        base = Path(tmp)
        env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
        env.update(
            GIT_DIR=str(base / "repo.git"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            HOME=str(base),
            LC_ALL="C",
        )
        _git(["init", "--quiet", "--bare", str(base / "repo.git")], env)
        blobs = base / "blobs"
        blobs.mkdir()
        files: list[str] = []
        for number, (_, old, new, _) in enumerate(changes):
            for side, content in (("a", old), ("b", new)):
                target = blobs / f"{number}{side}"
                target.write_bytes(content)
                files.append(str(target))
        ids = _git(["hash-object", "-w", "--stdin-paths"], env, "\n".join(files).encode() + b"\n").split()
        trees = []
        for side in (0, 1):
            env["GIT_INDEX_FILE"] = str(base / f"index{side}")
            entries = "".join(
                f"{'100755' if executable else '100644'} {ids[2 * n + side].decode()}\t{path}\n"
                for n, (path, _, _, executable) in enumerate(changes)
            )
            _git(["update-index", "--add", "--index-info"], env, entries.encode("utf-8"))
            trees.append(_git(["write-tree"], env).decode().strip())
        env.pop("GIT_INDEX_FILE")
        out = _git(["diff", "--no-color", "--no-ext-diff", "--no-textconv", trees[0], trees[1]], env)
    return out.decode("utf-8", errors="replace")
