"""`swarm replay RUN`: does a recorded run reproduce from its run log alone?

    report = await replay_run(runlog, run_id)
    report.ok, report.divergences, render_report(report)

1. the run's starting tree: its recorded base commit checked out in a
   temporary git worktree (of the recorded repository, or of `repo`), the
   reproduction test written again when the run recorded one;
2. every approved edit, in the recorded apply order, re-applied through the
   harness's check pipeline (`Edit` from the proposal's check report:
   rewrite and insert go through the pipeline; delete and rename are
   replayed by the workspace and their checks are not re-run) with the same
   tests the recorded report ran;
3. compared with the record: each stage's outcome (syntax, diagnostics,
   tests), each test's outcome, the verdict's evidence (an approved proposal
   must pass its checks again when it passed them then), and the final
   patch. Anything that differs is a `Divergence`.

Where the run's checkout is recorded: the run row (`repo`, `base_commit`)
and the event `swarm.checkout` {toplevel, subdir, worktree, base_commit}
written by the run driver; the reproduction in `swarm.reproduction`
{path, source}. Without the event the run row is used, with the run's
`repo` as the repository toplevel.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from editor_harness.edits import Edit, EditOp
from editor_harness.errors import HarnessError
from editor_harness.pipeline import CheckReport
from editor_harness.pytest_runner import default_python
from editor_harness.session import EditorSession, open_session
from swarm.errors import SwarmError
from swarm.records import CheckRecord, Proposal, RunSnapshot
from swarm.runlog import RunLog

DEFAULT_TEST_TIMEOUT_S = 300.0


class ReplayError(SwarmError):
    """A run cannot be replayed (no base commit, the repository lacks it, no recorded edit)."""


@dataclass(frozen=True, slots=True)
class RecordedCheckout:
    toplevel: Path
    subdir: str
    base_commit: str
    reproduction_path: str | None = None
    reproduction_source: str | None = None


@dataclass(frozen=True, slots=True)
class Divergence:
    """One thing the replay did differently: `what` differs, as recorded vs as replayed."""

    proposal_id: str  # "" for the run as a whole (the patch)
    what: str
    recorded: str
    replayed: str

    def to_json(self) -> dict[str, str]:
        return {"proposal_id": self.proposal_id, "what": self.what, "recorded": self.recorded, "replayed": self.replayed}


@dataclass(frozen=True, slots=True)
class ReplayedEdit:
    proposal_id: str
    symbol_id: str
    op: str
    report: CheckReport | None  # None: replayed without checks (delete, rename)

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id, "symbol_id": self.symbol_id, "op": self.op,
            "report": self.report.to_json() if self.report else None,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReplayReport:
    run_id: str
    base_commit: str
    edits: tuple[ReplayedEdit, ...]
    patch: str
    recorded_patch: str
    divergences: tuple[Divergence, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.divergences

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "ok": self.ok, "base_commit": self.base_commit,
            "edits": [e.to_json() for e in self.edits], "patch": self.patch, "recorded_patch": self.recorded_patch,
            "divergences": [d.to_json() for d in self.divergences], "notes": list(self.notes),
        }  # fmt: skip


def recorded_checkout(snapshot: RunSnapshot, repo: Path | None = None) -> RecordedCheckout:
    """Where and from what the run started (see the module doc); `repo` overrides the toplevel."""
    checkout: Mapping[str, Any] = {}
    reproduction: Mapping[str, Any] = {}
    for event in snapshot.events:
        if event.kind == "swarm.checkout":
            checkout = event.data
        elif event.kind == "swarm.reproduction":
            reproduction = event.data
    base = str(checkout.get("base_commit") or snapshot.run.base_commit or "")
    if not base:
        raise ReplayError(f"run {snapshot.run.id} recorded no base commit, so its starting tree is unknown")
    toplevel = Path(repo) if repo is not None else Path(str(checkout.get("toplevel") or snapshot.run.repo))
    return RecordedCheckout(
        toplevel=toplevel,
        subdir=str(checkout.get("subdir") or ""),
        base_commit=base,
        reproduction_path=reproduction.get("path"),
        reproduction_source=reproduction.get("source"),
    )


def _git(cwd: Path, *args: str, check: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError:
        raise ReplayError("git is not installed: replay needs git to check out the run's base commit") from None
    if check and result.returncode != 0:
        raise ReplayError(f"git {args[0]} in {cwd} failed: {result.stderr.strip()[-300:]}")
    return result.stdout


@contextmanager
def temporary_worktree(toplevel: Path, commit: str) -> Iterator[Path]:
    """A detached git worktree of `toplevel` at `commit`, removed afterwards."""
    if not (toplevel / ".git").exists():
        raise ReplayError(f"{toplevel} is not a git repository: pass --repo with a clone that has the run's base commit")
    if not _git(toplevel, "cat-file", "-t", commit, check=False).strip():
        raise ReplayError(
            f"the run's base commit {commit[:12]} is not in {toplevel}: fetch it there, or pass --repo with a clone that has it"
        )
    with tempfile.TemporaryDirectory(prefix="swarm-replay-") as tmp:
        tree = Path(tmp) / "tree"
        _git(toplevel, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        try:
            yield tree
        finally:
            _git(toplevel, "worktree", "remove", "--force", str(tree), check=False)
            _git(toplevel, "worktree", "prune", check=False)


def applied_in_order(snapshot: RunSnapshot) -> list[Proposal]:
    """The approved proposals the run applied, in apply order (approved-not-applied last, in verdict order)."""
    by_id = {p.id: p for p in snapshot.proposals}
    ordered = [by_id[e.proposal_id] for e in sorted(snapshot.applied, key=lambda e: e.order) if e.proposal_id in by_id]
    seen = {p.id for p in ordered}
    for approval in snapshot.approvals:
        if approval.verdict.value == "approved" and approval.proposal_id not in seen:
            proposal = by_id.get(approval.proposal_id)
            if proposal is not None and proposal.status.value == "approved":
                ordered.append(proposal)
                seen.add(proposal.id)
    return ordered


def last_check(snapshot: RunSnapshot, proposal_id: str) -> CheckRecord | None:
    found = [c for c in snapshot.checks if c.proposal_id == proposal_id]
    return found[-1] if found else None


def recorded_edit(check: CheckRecord | None, proposal: Proposal) -> Edit:
    """The edit a proposal made, from its check report; a bare rewrite when the report has none."""
    if check is not None and check.report.get("edit"):
        return Edit.from_json(dict(check.report["edit"]))
    return Edit(0, EditOp.REWRITE, proposal.symbol_id, proposal.symbol_id.partition("::")[0], "", proposal.new_source, 0, 0)


async def replay_run(
    runlog: RunLog,
    run_id: str,
    *,
    repo: Path | None = None,
    servers: bool = True,
    python: str | None = None,
    test_timeout: float = DEFAULT_TEST_TIMEOUT_S,
) -> ReplayReport:
    """Replay `run_id` from `runlog` in a temporary worktree and compare (see the module doc)."""
    snapshot = runlog.snapshot(run_id)
    checkout = recorded_checkout(snapshot, repo)
    proposals = applied_in_order(snapshot)
    notes: list[str] = []
    if not servers:
        notes.append("language servers off: the diagnostics stage is not compared")
    with temporary_worktree(checkout.toplevel, checkout.base_commit) as tree:
        root = tree / checkout.subdir if checkout.subdir else tree
        if checkout.reproduction_path and checkout.reproduction_source is not None:
            target = root / checkout.reproduction_path
            target.parent.mkdir(parents=True, exist_ok=True)
            source = checkout.reproduction_source
            target.write_text(source if source.endswith("\n") else source + "\n", encoding="utf-8")
        interpreter = python or default_python(checkout.toplevel / checkout.subdir if checkout.subdir else checkout.toplevel)
        async with open_session(root, servers=servers, test_timeout=test_timeout, python=interpreter) as session:
            edits: list[ReplayedEdit] = []
            divergences: list[Divergence] = []
            for proposal in proposals:
                check = last_check(snapshot, proposal.id)
                edit = recorded_edit(check, proposal)
                replayed, notes_for = await _reapply(session, edit, check)
                notes += notes_for
                edits.append(ReplayedEdit(proposal.id, proposal.symbol_id, edit.op.value, replayed))
                if replayed is not None:
                    divergences += compare_checks(proposal.id, check, replayed, compare_diagnostics=servers)
        new_files = [checkout.reproduction_path] if checkout.reproduction_path else []
        patch = _patch(root, checkout.base_commit, new_files)
    recorded_patch = snapshot.run.patch or ""
    if patch != recorded_patch:
        divergences.append(Divergence("", "final patch", recorded_patch, patch))
    return ReplayReport(run_id, checkout.base_commit, tuple(edits), patch, recorded_patch, tuple(divergences), tuple(notes))


async def _reapply(session: EditorSession, edit: Edit, check: CheckRecord | None) -> tuple[CheckReport | None, list[str]]:
    tests = _recorded_tests(check)
    pipeline = session.pipeline
    if edit.op is EditOp.REWRITE:
        return await pipeline.rewrite_and_check(edit.symbol_id, edit.after, None, tests=tests), []
    if edit.op is EditOp.INSERT and edit.parent_id is not None:
        return await pipeline.insert_and_check(edit.parent_id, edit.after, after=edit.after_id, tests=tests), []
    try:
        session.workspace.replay(edit)
    except HarnessError as exc:
        raise ReplayError(f"recorded {edit.op.value} of {edit.symbol_id} no longer applies: {exc}") from None
    return None, [f"{edit.op.value} of {edit.symbol_id} replayed without re-running its checks"]


def _recorded_tests(check: CheckRecord | None) -> Sequence[str] | None:
    if check is None:
        return None
    selected = check.report.get("selected_tests")
    return [str(t) for t in selected] if isinstance(selected, list) and selected else None


def compare_checks(
    proposal_id: str, check: CheckRecord | None, replayed: CheckReport, *, compare_diagnostics: bool = True
) -> list[Divergence]:
    """Stage outcomes, test outcomes and the verdict's evidence, recorded vs replayed."""
    if check is None:
        return [Divergence(proposal_id, "check report", "none recorded", "passed" if replayed.ok else "failed")]
    out: list[Divergence] = []
    recorded_stages = {s.get("name"): s.get("status") for s in check.report.get("stages", ()) if isinstance(s, Mapping)}
    for stage in replayed.stages:
        if stage.name == "diagnostics" and not compare_diagnostics:
            continue
        before = recorded_stages.get(stage.name)
        if before != stage.status.value:
            out.append(Divergence(proposal_id, f"{stage.name} stage", str(before), f"{stage.status.value}: {stage.summary}"))
    recorded_tests: dict[str, str] = {}
    run = check.report.get("test_run")
    if isinstance(run, Mapping):
        recorded_tests = {str(r["node_id"]): str(r["outcome"]) for r in run.get("results", ()) if isinstance(r, Mapping)}
    replayed_tests = {r.node_id: r.outcome.value for r in replayed.test_run.results} if replayed.test_run else {}
    for node_id in sorted(set(recorded_tests) | set(replayed_tests)):
        before, after = recorded_tests.get(node_id, "not run"), replayed_tests.get(node_id, "not run")
        if before != after:
            out.append(Divergence(proposal_id, f"test {node_id}", before, after))
    if check.passed and not replayed.ok:
        out.append(Divergence(proposal_id, "verdict evidence", "checks passed (approved)", "checks fail now"))
    return out


def _patch(root: Path, base: str, new_files: Sequence[str]) -> str:
    present = [f for f in new_files if (root / f).is_file()]
    if present:
        _git(root, "add", "--intent-to-add", "--", *present)
    return _git(root, "diff", "--relative", "--no-color", "--no-ext-diff", base, "--", ".")


# -- rendering ------------------------------------------------------------------


def side_by_side(left: str, right: str, width: int = 80) -> list[str]:
    """Two texts in columns, `|` between equal lines and `*` between different ones."""
    column = (width - 3) // 2
    a, b = left.splitlines() or [""], right.splitlines() or [""]
    lines = []
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else ""
        y = b[i] if i < len(b) else ""
        mark = "|" if x == y else "*"
        lines.append(f"{_fit(x, column)} {mark} {_fit(y, column)}".rstrip())
    return lines


def _fit(text: str, width: int) -> str:
    text = text.expandtabs(4)
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def render_report(report: ReplayReport, width: int = 80) -> str:
    lines = [f"Replay of run {report.run_id} from {report.base_commit[:12]}"]
    for edit in report.edits:
        state = "not re-checked" if edit.report is None else ("checks PASSED" if edit.report.ok else "checks FAILED")
        lines.append(f"  {edit.proposal_id}  {edit.op} {edit.symbol_id}: {state}")
    if not report.edits:
        lines.append("  (the run applied no edits)")
    lines += [f"  note: {note}" for note in report.notes]
    if report.ok:
        lines.append("REPRODUCED: same check outcomes, same verdict evidence, same final patch")
        return "\n".join(lines) + "\n"
    lines.append(f"DIVERGED in {len(report.divergences)} place(s):")
    column = (width - 3) // 2
    for d in report.divergences:
        where = f"{d.proposal_id}: " if d.proposal_id else ""
        lines += ["", f"{where}{d.what}", f"{_fit('recorded', column)}   replayed", *side_by_side(d.recorded, d.replayed, width)]
    return "\n".join(lines) + "\n"
