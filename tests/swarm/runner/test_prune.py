"""`swarm prune`: real git worktrees made the way runs make them, a real run
log; the running run and the kept ones stay, the others go, and a pruned
unfinished run can still be resumed from its base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarm.records import RunStatus
from swarm.runlog import RunLog, runlog_path
from swarm.runner.checkout import create_checkout, reset_checkout
from swarm.runner.prune import prune_worktrees
from swarm.runner.resume import recorded_checkout

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]


async def started(log: RunLog, repo: Path, run_id: str, status: RunStatus | None) -> Path:
    """A run as `swarm run` records it: a worktree, its checkout event, then its end (None: still running)."""
    checkout = await create_checkout(repo, run_id)
    log.create_run(repo=repo, issue_text=f"issue {run_id}", base_commit=checkout.base_commit, run_id=run_id)
    log.record_event(run_id, "swarm.checkout", {**checkout.to_json(), "repo": str(repo), "title": run_id})
    (checkout.worktree / "scratch.txt").write_text("x" * 10_000)
    if status is not None:
        log.finish_run(run_id, status, "ended", "--- a\n+++ b\n" if status is RunStatus.DONE else None)
    return checkout.worktree


async def test_prune_keeps_running_and_newest_runs_and_resume_still_works(python_repo: Path) -> None:
    log = RunLog.open(runlog_path(python_repo, environ={}))
    with log:
        oldest = await started(log, python_repo, "20261101-000000-aaaaaa", RunStatus.DONE)
        interrupted = await started(log, python_repo, "20261102-000000-bbbbbb", RunStatus.INTERRUPTED)
        newest = await started(log, python_repo, "20261103-000000-cccccc", RunStatus.GAVE_UP)
        running = await started(log, python_repo, "20261104-000000-dddddd", None)  # owned by this live process
        log.create_run(repo=python_repo, issue_text="a bench run without a checkout", run_id="20261105-000000-eeeeee")
        log.finish_run("20261105-000000-eeeeee", RunStatus.FAILED, "no checkout")

        planned = await prune_worktrees(log, keep=1, dry_run=True)
        assert [p.worktree for p in planned] == [interrupted, oldest]
        assert all(p.bytes_freed >= 10_000 for p in planned)
        assert oldest.exists() and interrupted.exists()  # a dry run removes nothing

        pruned = await prune_worktrees(log, keep=1)
        assert [(p.run_id, p.status) for p in pruned] == [
            ("20261102-000000-bbbbbb", "interrupted"), ("20261101-000000-aaaaaa", "done"),
        ]
        assert not oldest.exists() and not interrupted.exists()
        assert newest.exists() and running.exists()
        worktrees = subprocess.run(["git", "-C", str(python_repo), "worktree", "list"], capture_output=True, text=True).stdout
        assert str(oldest) not in worktrees and str(running) in worktrees
        assert log.load_run("20261101-000000-aaaaaa").patch  # the log keeps the patch

        # The interrupted run resumes from its base ref: the worktree comes back.
        checkout = await reset_checkout(recorded_checkout(log, "20261102-000000-bbbbbb"))
        assert (checkout.root / "shop" / "discounts.py").is_file()
        assert await prune_worktrees(log, keep=3) == []


def test_swarm_prune_command(python_repo: Path) -> None:
    import trio

    async def make() -> None:
        with RunLog.open(runlog_path(python_repo, environ={})) as log:
            await started(log, python_repo, "20261101-000000-aaaaaa", RunStatus.DONE)

    trio.run(make)
    env = {k: v for k, v in os.environ.items() if k != "SWARM_RUNLOG"}

    def prune(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "swarm.cli.main", "prune", "--repo", str(python_repo), *args],
                              cwd=ROOT, env=env, capture_output=True, text=True)

    dry = prune("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would remove" in dry.stdout and "20261101-000000-aaaaaa" in dry.stdout
    done = prune("--json")
    assert done.returncode == 0, done.stderr
    assert [p["run_id"] for p in json.loads(done.stdout)] == ["20261101-000000-aaaaaa"]
    assert prune().stdout.strip() == "No worktree to prune."
    bad = prune("--keep", "-1")
    assert bad.returncode == 2 and "--keep must be 0 or more" in bad.stderr
