"""Removing the worktrees of runs that are not running.

    pruned = await prune_worktrees(runlog, keep=2)

Every run edits its own git worktree under `.swarm/worktrees/<run-id>`, and
it stays after the run so that the user can look at it and `--resume` is
fast. They add up. A pruned run loses nothing the log does not hold: its
patch is in the run log and `.swarm/runs/`, its base commit is kept by the
ref `refs/swarm/<run-id>/base`, and `swarm run --resume` of an unfinished
run recreates the worktree from the base and re-applies its approved edits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from swarm.records import RunStatus
from swarm.runlog import RunLog, observed_status
from swarm.runner.checkout import Checkout, remove_checkout
from swarm.runner.resume import ResumeError, recorded_checkout


@dataclass(frozen=True, slots=True)
class Pruned:
    run_id: str
    status: str
    worktree: Path
    bytes_freed: int


async def prune_worktrees(runlog: RunLog, *, keep: int = 0, dry_run: bool = False) -> list[Pruned]:
    """Remove the worktrees of runs that are not running, except the `keep`
    newest of them; what was (or, with `dry_run`, would be) removed."""
    pruned: list[Pruned] = []
    kept = 0
    for run in runlog.list_runs():  # newest first
        status = observed_status(run)
        if status is RunStatus.RUNNING:
            continue
        try:
            checkout = recorded_checkout(runlog, run.id)
        except ResumeError:  # not started by `swarm run`: no worktree of ours
            continue
        if not checkout.worktree.exists():
            continue
        if kept < keep:
            kept += 1
            continue
        size = _size(checkout.worktree)
        if not dry_run:
            await _remove(checkout)
        pruned.append(Pruned(run.id, status.value, checkout.worktree, size))
    return pruned


async def _remove(checkout: Checkout) -> None:
    await remove_checkout(checkout)
    if checkout.worktree.exists():
        raise OSError(f"git could not remove the worktree {checkout.worktree}; remove it by hand, then `git worktree prune`")


def _size(root: Path) -> int:
    total = 0
    for directory, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_size
            except OSError:
                pass
    return total
