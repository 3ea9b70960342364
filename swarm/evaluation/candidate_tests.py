"""Running tests against a candidate patch in a fresh checkout of the base.

    bench = CheckoutBench(source_repo, base_commit, python=interpreter)
    run = await bench.run(patch, {"tests/test_repro.py": text}, ["tests/test_repro.py::test_it"])

Every run gets its own `git clone --shared` of the base (no objects copied),
the patch applied with `git apply`, the extra test files written, then the
harness's run-tests endpoint (hard timeout, network blocked). Regression
tests are chosen once, from an index of the base, with the harness's test
selection.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import trio

from editor_harness.errors import TestRunError
from editor_harness.run_tests import run_tests
from editor_harness.selection import select_tests
from editor_harness.testrun import TestRun
from symbols.errors import SymbolsError
from symbols.index import RepoIndex

from swarm.evaluation.errors import EvaluationError, PatchApplyError


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def fresh_checkout(source: Path, commit: str, into: Path) -> Path:
    """`into`: a clean checkout of `commit` of the repository at `source`."""
    made = _git("clone", "--quiet", "--shared", "--no-checkout", str(source), str(into))
    if made.returncode != 0:
        raise EvaluationError(f"cannot clone {source}: {made.stderr.strip()[-300:]}")
    moved = _git("-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit, cwd=into)
    if moved.returncode != 0:
        raise EvaluationError(f"{source} has no commit {commit}: {moved.stderr.strip()[-300:]}")
    return into


def apply_in(checkout: Path, patch: str) -> None:
    if not patch.strip():
        return
    patch_file = checkout.parent / f".{checkout.name}.candidate.diff"
    patch_file.write_text(patch if patch.endswith("\n") else patch + "\n", encoding="utf-8")
    try:
        done = _git("apply", "--whitespace=nowarn", str(patch_file), cwd=checkout)
    finally:
        patch_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise PatchApplyError(f"the candidate patch does not apply: {done.stderr.strip()[-300:]}")


class CheckoutBench:
    """A `selection.TestBench` over a local git repository holding the base commit."""

    def __init__(
        self,
        source: Path,
        base_commit: str,
        *,
        python: str | None = None,
        timeout: float = 600.0,
        work_dir: Path | None = None,
    ) -> None:
        self.source = Path(source)
        self.base_commit = base_commit
        self.python = python
        self.timeout = timeout
        self.work_dir = work_dir
        self._index: RepoIndex | None = None
        self._index_dir: tempfile.TemporaryDirectory[str] | None = None
        self.runs = 0

    async def run(self, patch: str, test_files: Mapping[str, str], selection: Sequence[str]) -> TestRun:
        self.runs += 1
        with tempfile.TemporaryDirectory(prefix="swarm-candidate-", dir=self.work_dir) as tmp:
            checkout = await trio.to_thread.run_sync(fresh_checkout, self.source, self.base_commit, Path(tmp) / "repo")
            apply_in(checkout, patch)
            for path, text in test_files.items():
                target = checkout / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            try:
                return await run_tests(checkout, list(selection), timeout=self.timeout, python=self.python)
            except TestRunError as exc:
                return TestRun(tuple(selection), (), None, False, "", "", 0.0, "none", note=str(exc))

    def _base_index(self) -> RepoIndex:
        if self._index is None:
            self._index_dir = tempfile.TemporaryDirectory(prefix="swarm-candidate-index-", dir=self.work_dir)
            checkout = fresh_checkout(self.source, self.base_commit, Path(self._index_dir.name) / "repo")
            self._index = RepoIndex.build(checkout, use_cache=False)
        return self._index

    def regression_tests(self, symbol_ids: Sequence[str], limit: int) -> tuple[str, ...]:
        if not symbol_ids:
            return ()
        index = self._base_index()
        found: list[str] = []
        for symbol_id in symbol_ids:
            try:
                selected = select_tests(index, symbol_id, limit=limit)
            except (SymbolsError, KeyError):
                continue  # a symbol the base lacks (a new one): nothing guards it yet
            found.extend(t.node_id for t in selected if t.node_id not in found)
        return tuple(found[:limit])

    def close(self) -> None:
        if self._index_dir is not None:
            self._index_dir.cleanup()
            self._index_dir = None
            self._index = None
