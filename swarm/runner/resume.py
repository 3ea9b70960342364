"""Resuming an interrupted run: the worktree rebuilt from the run log alone.

The worktree is reset to the run's base commit (recreated if it is gone),
the reproduction is written again, and every approved edit is replayed in
order through the workspace. Each replay is checked against the content
hashes the run log recorded when the edit was first applied, so an edit is
in the result exactly once, with exactly its recorded text; one that was
approved but whose apply was never confirmed is applied and confirmed now
(`begin_apply` / `finish_apply`). Proposals still undecided when the run
died are superseded: their authors are asked again by the coordinator.

Where things are recorded (for `swarm replay` too):
- run row: `repo` (the user's --repo, absolute), `base_commit`;
- event `swarm.checkout`: {toplevel, subdir, worktree, base_commit, repo, title};
- event `swarm.reproduction`: {path, source, run (TestRun JSON on the base)};
- check reports: `report.edit` is the applied `Edit` (op, symbol, after text);
- applied_edits: paths relative to `<worktree>/<subdir>`, hashes before/after;
- event `swarm.outcome`: {status, reason, patch_path} when the run ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from editor_harness.edits import Edit
from editor_harness.errors import HarnessError
from editor_harness.testrun import TestRun
from editor_harness.workspace import Workspace
from swarm.errors import SwarmError
from swarm.records import Proposal, ResumeState, content_hash
from swarm.runlog import RunLog
from swarm.runner.checkout import Checkout
from swarm.runner.state import Approved, Reproduction


class ResumeError(SwarmError):
    """A run cannot be resumed safely (its record is incomplete or the replay diverged)."""


def last_event(runlog: RunLog, run_id: str, kind: str) -> Mapping[str, Any] | None:
    found = [e for e in runlog.events(run_id) if e.kind == kind]
    return found[-1].data if found else None


def recorded_checkout(runlog: RunLog, run_id: str) -> Checkout:
    data = last_event(runlog, run_id, "swarm.checkout")
    if data is None:
        raise ResumeError(f"run {run_id} has no recorded checkout (it was not started by `swarm run`); it cannot be resumed")
    return Checkout(Path(data["toplevel"]), data["subdir"], Path(data["worktree"]), data["base_commit"], run_id)


def recorded_reproduction(runlog: RunLog, run_id: str) -> Reproduction | None:
    data = last_event(runlog, run_id, "swarm.reproduction")
    if data is None:
        return None
    selection = tuple(data.get("selection") or (data["path"],))
    return Reproduction(data["path"], selection, data["source"], TestRun.from_json(dict(data["run"])))


def write_reproduction(root: Path, reproduction: Reproduction) -> None:
    target = root / reproduction.path
    target.parent.mkdir(parents=True, exist_ok=True)
    source = reproduction.source
    target.write_text(source if source.endswith("\n") else source + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Replayed:
    approved: tuple[Approved, ...]
    superseded: tuple[str, ...]
    proposals_made: int


def _edit_of(runlog: RunLog, run_id: str, proposal: Proposal) -> Edit:
    for check in reversed(runlog.check_reports(run_id)):
        if check.proposal_id == proposal.id and check.report.get("edit"):
            return Edit.from_json(dict(check.report["edit"]))
    raise ResumeError(f"approved proposal {proposal.id} has no recorded edit; run {run_id} cannot be rebuilt")


def replay_approved(runlog: RunLog, run_id: str, state: ResumeState, workspace: Workspace) -> Replayed:
    """Re-apply the approved edits on a worktree reset to the base (see the module doc)."""
    recorded = {e.proposal_id: e for e in runlog.applied_edits(run_id)}
    approved: list[Approved] = []
    for proposal in (*state.applied, *state.approved_not_applied):
        edit = _edit_of(runlog, run_id, proposal)
        target = workspace.root / edit.path
        before = content_hash(target.read_bytes() if target.is_file() else None)
        try:
            workspace.replay(edit)
        except HarnessError as exc:
            raise ResumeError(f"approved edit {proposal.id} ({proposal.symbol_id}) no longer applies: {exc}") from None
        after = content_hash(target.read_bytes())
        row = recorded.get(proposal.id)
        if row is not None and (row.before_hash, row.after_hash) != (before, after):
            raise ResumeError(
                f"replaying {proposal.id} ({proposal.symbol_id}) gave different file contents than the run recorded; "
                "the run log and the base commit disagree, so nothing more is applied"
            )
        if row is None or not row.confirmed:
            runlog.begin_apply(run_id, proposal.id, edit.path, before, after)
            runlog.finish_apply(run_id, proposal.id)
        approved.append(Approved(proposal.id, proposal.symbol_id, proposal.author or proposal.symbol_id, proposal.rationale))
    superseded = []
    for proposal in state.undecided:
        runlog.supersede(run_id, proposal.id)
        superseded.append(proposal.id)
    numbers = [int(p.id[1:]) for p in runlog.proposals(run_id) if p.id.startswith("p") and p.id[1:].isdigit()]
    return Replayed(tuple(approved), tuple(superseded), max(numbers, default=0))


def resume_note(replayed: Replayed, reproduction: Reproduction | None) -> str:
    lines = ["This run was interrupted and is now resumed."]
    if reproduction is not None:
        lines.append(f"The reproduction {reproduction.path} is written (it failed on the base).")
    if replayed.approved:
        lines.append("Approved and applied already:")
        lines.extend(f"- {a.symbol_id} ({a.proposal_id}): {a.rationale}" for a in replayed.approved)
    else:
        lines.append("No edit was approved before the interruption.")
    lines.append("Tasks open at the interruption were cancelled: assign again what is still needed, or finish(summary) if the fix is complete.")
    return "\n".join(lines)
