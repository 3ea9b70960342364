"""The oracle: an instance's gold patch driven through the editing machinery.

    outcome = await run_oracle(instance, checkout, python=interpreter)
    outcome.patch, outcome.matches_gold, outcome.steps

The gold patch becomes whole-symbol operations (gold_plan.py); each goes
through the harness's check pipeline as a proposal from the symbol's owner
(syntax, diagnostics delta from warm language servers, the tests selected
for the symbol, run with the instance's interpreter). The final patch is the
Workspace's diff, compared with the gold patch by applying both: the
resulting files must be the same (up to whitespace-only lines) or mean the
same (equal normalized AST).

It measures the machinery -- that real-world edits can be expressed as
symbol operations, pass the checks and give a patch that resolves the
instance -- never a model, and its predictions are labelled `oracle`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from editor_harness.errors import HarnessError
from editor_harness.pipeline import CheckPipeline, CheckReport
from editor_harness.session import open_session
from editor_harness.workspace import Workspace

from swarm.evaluation.ast_normalize import normalized
from swarm.evaluation.gold_plan import PatchPlan, plan_patch, same_text
from swarm.evaluation.instances import Instance
from swarm.evaluation.patch_images import images
from swarm.evaluation.symbol_ops import OpKind, SymbolOp

ORACLE_MODEL = "oracle"


@dataclass(frozen=True, slots=True)
class OracleStep:
    op: SymbolOp
    ok: bool  # the pipeline applied it and no stage failed
    applied: bool
    elapsed_s: float  # the whole check pipeline for this op
    stages: dict[str, dict[str, Any]]  # name -> {status, elapsed_s, summary}
    regressions: tuple[str, ...] = ()  # selected tests that passed on the base and fail now
    failures: tuple[str, ...] = ()  # failing selected tests (first few), with their gist
    introduced: tuple[str, ...] = ()  # new diagnostics (first few)

    @property
    def clean(self) -> bool:
        """Nothing the edit itself broke: applied, no new diagnostics error, no regression."""
        diagnostics = self.stages.get("diagnostics", {}).get("status")
        return self.applied and diagnostics != "failed" and not self.regressions

    def to_json(self) -> dict[str, Any]:
        return {
            "op": self.op.describe(),
            "owner": self.op.owner,
            "ok": self.ok,
            "clean": self.clean,
            "applied": self.applied,
            "elapsed_s": round(self.elapsed_s, 4),
            "stages": self.stages,
            "regressions": list(self.regressions),
            "failures": list(self.failures),
            "introduced": list(self.introduced),
        }


@dataclass(frozen=True, slots=True)
class OracleOutcome:
    run_id: str
    patch: str
    status: str  # "accepted" | "not_expressible" | "refused"
    reason: str
    steps: tuple[OracleStep, ...] = ()
    problems: tuple[str, ...] = ()
    matches_gold: str = ""  # "same" | "equivalent" | "differs" | "" (not compared)
    elapsed_s: float = 0.0
    plan: PatchPlan | None = field(default=None, compare=False)
    baseline_s: float = 0.0  # the tests run before the first edit

    def to_json(self) -> dict[str, Any]:
        pipeline_s = [s.elapsed_s for s in self.steps]
        return {
            "run_id": self.run_id,
            "status": self.status,
            "reason": self.reason,
            "ops": len(self.steps),
            "ops_ok": sum(1 for s in self.steps if s.ok),
            "ops_clean": sum(1 for s in self.steps if s.clean),
            "check_pipeline_s_mean": round(sum(pipeline_s) / len(pipeline_s), 4) if pipeline_s else None,
            "matches_gold": self.matches_gold,
            "problems": list(self.problems),
            "elapsed_s": round(self.elapsed_s, 3),
            "baseline_s": round(self.baseline_s, 3),
            "steps": [s.to_json() for s in self.steps],
        }


def compare_with_gold(root: Path, post_images: dict[str, str]) -> str:
    """"same" when every file the gold patch makes is there (whitespace-only
    lines aside), "equivalent" when they differ only in comments/layout,
    else "differs"."""
    verdict = "same"
    for path, gold in post_images.items():
        full = root / path
        ours = full.read_text(encoding="utf-8", errors="replace") if full.is_file() else None
        if ours is not None and same_text(ours, gold):
            continue
        if ours is not None and normalized(path, ours) == normalized(path, gold):
            verdict = "equivalent"
            continue
        return "differs"
    return verdict


async def _apply(pipeline: CheckPipeline, workspace: Workspace, op: SymbolOp) -> CheckReport:
    if op.kind is OpKind.REWRITE:
        return await pipeline.rewrite_and_check(op.symbol_id, op.source, None)
    if op.kind is OpKind.INSERT:
        assert op.parent_id is not None
        return await pipeline.insert_and_check(op.parent_id, op.source, after=op.after_id)
    return await pipeline.delete_and_check(op.symbol_id)


def _step(op: SymbolOp, report: CheckReport) -> OracleStep:
    stages = {s.name: {"status": s.status.value, "elapsed_s": round(s.elapsed_s, 4), "summary": s.summary} for s in report.stages}
    failures = tuple(
        f"{r.node_id}: {r.message.strip().splitlines()[-1][:200] if r.message.strip() else r.outcome.value}"
        for r in (report.test_run.failures() if report.test_run else ())[:5]
    )
    introduced = tuple(d.describe()[:300] for d in (report.delta.introduced if report.delta else ())[:3])
    return OracleStep(
        op, report.ok and report.applied, report.applied, report.elapsed_s, stages,
        report.regressions, failures, introduced,
    )


async def _baseline(pipeline: CheckPipeline, workspace: Workspace, ops: tuple[SymbolOp, ...], limit: int) -> float:
    """Run, before any edit, the tests the pipeline will select for the ops'
    symbols, so a failing test is told apart from one the edit broke."""
    started = time.monotonic()
    selection: list[str] = []
    for op in ops:
        try:
            found = workspace.select_tests(op.owner, limit=limit)
        except HarnessError:
            continue  # a symbol the base lacks
        selection.extend(t.node_id for t in found if t.node_id not in selection)
    if selection:
        try:
            await pipeline.baseline(selection)
        except HarnessError:
            pass  # no baseline: failures then count as failures, never as regressions
    return time.monotonic() - started


def gold_plan(instance: Instance, checkout: Path) -> PatchPlan:
    def read(path: str) -> str | None:
        full = checkout / path
        return full.read_text(encoding="utf-8") if full.is_file() else None

    before, after = images(instance.patch, read)
    return plan_patch(instance.patch, before.get, after.get)


async def run_oracle(
    instance: Instance,
    checkout: Path,
    *,
    python: str | None = None,
    servers: bool = True,
    test_timeout: float = 600.0,
    on_step: Callable[[OracleStep], None] | None = None,
) -> OracleOutcome:
    """Drive `instance`'s gold patch through the check pipeline in `checkout`
    (a clean checkout of its base commit). Never raises for the instance's
    own problems: they are the outcome's status and reason."""
    started = time.monotonic()
    run_id = f"oracle-{uuid.uuid4().hex[:12]}"
    plan = gold_plan(instance, checkout)
    if not plan.expressible:
        return OracleOutcome(
            run_id, "", "not_expressible", "; ".join(plan.problems), problems=plan.problems,
            elapsed_s=time.monotonic() - started, plan=plan,
        )
    steps: list[OracleStep] = []
    async with open_session(checkout, servers=servers, test_timeout=test_timeout, python=python) as session:
        baseline_s = await _baseline(session.pipeline, session.workspace, plan.ops, session.pipeline.max_tests)
        for op in plan.ops:
            report = await _apply(session.pipeline, session.workspace, op)
            step = _step(op, report)
            steps.append(step)
            if on_step is not None:
                on_step(step)
            if not report.applied:
                return OracleOutcome(
                    run_id, session.workspace.diff(), "refused", f"{op.describe()}: {report.syntax.summary}",
                    tuple(steps), elapsed_s=time.monotonic() - started, plan=plan,
                )
        patch = session.workspace.diff()
    verdict = compare_with_gold(checkout, dict(plan.post_images))
    failed = [s for s in steps if not s.ok]
    dirty = [s for s in steps if not s.clean]
    if not failed:
        reason = f"{len(steps)} op(s) applied, every check passed"
    else:
        reason = (f"{len(steps)} op(s) applied; {len(failed)} with a failed check stage, "
                  f"{len(dirty)} with a new error or a regression")
    return OracleOutcome(
        run_id, patch, "accepted", f"{reason}; result vs gold: {verdict}", tuple(steps), (), verdict,
        time.monotonic() - started, plan, baseline_s,
    )
