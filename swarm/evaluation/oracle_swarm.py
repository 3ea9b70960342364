"""The oracle through the real swarm: a scripted model plays the gold patch.

    outcome = await run_oracle_swarm(instance, checkout, python=interpreter, script_dir=tmp)

The gold patch's whole-symbol operations (gold_plan.py, planned for the
swarm's own editing tools: rewrites, deletes, inserts placed after their
sibling) become a script
for the scripted model (docs/scripted-model.md): the coordinator assigns
each operation's owner in order and waits for its report; the owner
`propose_rewrite`s the post-image text of its symbol (`insert_child` and
`after` for a new member) or `propose_delete`s it. `run_swarm` then carries every proposal through the harness
participant, the check pipeline and the proxy user exactly as it would a
model's, and the run's patch is compared with the gold patch.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symbols.model import split_id
from swarm.config import parse_config
from swarm.evaluation.gold_plan import PatchPlan, plan_patch
from swarm.evaluation.instances import Instance
from swarm.evaluation.oracle import OracleOutcome, OracleStep, compare_with_gold
from swarm.evaluation.patch_images import images
from swarm.evaluation.symbol_ops import OpKind, SymbolOp

# A scripted model regenerates any symbol: no symbol is "too large to rewrite whole".
UNLIMITED_TOKENS = 10**9


def _glob_literal(text: str) -> str:
    """`text` as an fnmatch pattern matching only itself."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def owner_runs(ops: Sequence[SymbolOp]) -> list[tuple[str, list[SymbolOp]]]:
    """Consecutive ops of one owner, in order: one assignment each."""
    runs: list[tuple[str, list[SymbolOp]]] = []
    for op in ops:
        if runs and runs[-1][0] == op.owner:
            runs[-1][1].append(op)
        else:
            runs.append((op.owner, [op]))
    return runs


def definitions_first(ops: Sequence[SymbolOp]) -> list[SymbolOp]:
    """`ops` with each insert moved ahead of the earlier ops whose new text
    names the inserted symbol: the swarm checks one proposal at a time, so a
    rewrite calling a helper the patch adds must come after that helper (else
    Pyright rightly reports the name missing). An insert stays put when its
    parent or anchor is made by an op it would jump over."""
    ordered = list(ops)
    for op in [o for o in ops if o.kind is OpKind.INSERT]:
        at = ordered.index(op)
        name = re.split(r"[.:]", split_id(op.symbol_id)[1])[-1]
        uses = re.compile(rf"\b{re.escape(name)}\b")
        users = [n for n, o in enumerate(ordered[:at]) if o.kind is not OpKind.DELETE and uses.search(o.source)]
        if not users:
            continue
        target = users[0]
        made_between = {o.symbol_id for o in ordered[target:at] if o.kind is OpKind.INSERT}
        if op.parent_id in made_between or op.after_id in made_between:
            continue
        ordered.insert(target, ordered.pop(at))
    return ordered


def oracle_script(plan: PatchPlan, instance_id: str) -> dict[str, Any]:
    """The scripted-model script that plays `plan` through the swarm."""
    replies: list[dict[str, Any]] = []
    coordinator_turn = 0
    agent_turns: dict[str, int] = {}

    def coordinator(name: str, arguments: dict[str, Any]) -> None:
        nonlocal coordinator_turn
        coordinator_turn += 1
        replies.append({"role": "coordinator", "turn": coordinator_turn,
                        "tool_calls": [{"name": name, "arguments": arguments}]})

    for owner, ops in owner_runs(definitions_first(plan.ops)):
        coordinator("assign", {"symbol_id": owner, "instruction": f"oracle: apply {len(ops)} gold edit(s) to {owner}"})
        for op in ops:
            turn = agent_turns[owner] = agent_turns.get(owner, 0) + 1
            rationale = f"oracle: {op.describe()}"
            arguments: dict[str, Any] = {"new_source": op.source, "rationale": rationale}
            tool = "propose_rewrite"
            if op.kind is OpKind.DELETE:
                tool, arguments = "propose_delete", {"rationale": rationale}
            elif op.kind is OpKind.INSERT:
                arguments["insert_child"] = True
                if op.after_id:
                    arguments["after"] = op.after_id
            replies.append({"role": "symbol_agent", "agent": _glob_literal(owner), "turn": turn,
                            "tool_calls": [{"name": tool, "arguments": arguments}]})
        turn = agent_turns[owner] = agent_turns.get(owner, 0) + 1
        replies.append({"role": "symbol_agent", "agent": _glob_literal(owner), "turn": turn,
                        "tool_calls": [{"name": "done", "arguments": {"summary": "oracle: gold edits proposed"}}]})
        coordinator("wait", {})
    coordinator("finish", {"summary": f"oracle: the gold patch of {instance_id} as {len(plan.ops)} symbol edit(s)"})
    # Whatever else is asked (a rejected final acceptance, a wait that timed out): end plainly.
    replies.append({"role": "coordinator", "repeat": True,
                    "tool_calls": [{"name": "give_up", "arguments": {"reason": "oracle: the script has no more edits"}}]})
    replies.append({"role": "symbol_agent", "repeat": True,
                    "tool_calls": [{"name": "done", "arguments": {"summary": "oracle: nothing more to do"}}]})
    replies.append({"role": "reviewer", "repeat": True, "text": "Approved: oracle run."})
    return {"description": f"oracle: the gold patch of {instance_id} through the swarm", "reply": replies}


def swarm_plan(instance: Instance, checkout: Path) -> PatchPlan:
    def read(path: str) -> str | None:
        full = checkout / path
        return full.read_text(encoding="utf-8") if full.is_file() else None

    before, after = images(instance.patch, read)
    return plan_patch(instance.patch, before.get, after.get, max_inserts=1, fold=True)


def _steps(plan: PatchPlan, runlog_path: Path, run_id: str) -> tuple[OracleStep, ...]:
    from swarm.runlog import RunLog

    runlog = RunLog.open(runlog_path)
    try:
        proposals = runlog.proposals(run_id)
        checks = {c.proposal_id: c for c in runlog.check_reports(run_id)}
        verdicts = {a.proposal_id: a for a in runlog.approvals(run_id)}
    finally:
        runlog.close()
    steps: list[OracleStep] = []
    for op, proposal in zip(definitions_first(plan.ops), proposals):
        check = checks.get(proposal.id)
        report = check.report if check is not None else {}
        verdict = verdicts.get(proposal.id)
        stages = {s["name"]: {"status": s["status"], "elapsed_s": s["elapsed_s"], "summary": s["summary"]}
                  for s in report.get("stages", [])}
        if verdict is not None:
            stages["approval"] = {"status": str(verdict.verdict), "elapsed_s": 0.0, "summary": f"{verdict.policy}: {verdict.reason}"}
        approved = verdict is not None and str(verdict.verdict).endswith("approved")
        steps.append(OracleStep(
            op, bool(report.get("ok")) and approved, bool(report.get("applied")), float(report.get("elapsed_s", 0.0)),
            stages, tuple(report.get("regressions", ())),
        ))
    return tuple(steps)


async def run_oracle_swarm(
    instance: Instance,
    checkout: Path,
    *,
    script_dir: Path,
    python: str | None = None,
    servers: bool = True,
    test_timeout: float = 600.0,
    proxy: str = "auto",
) -> OracleOutcome:
    from swarm.run import RunRequest, run_swarm
    from swarm.runlog import runlog_path

    started = time.monotonic()
    plan = swarm_plan(instance, checkout)
    if not plan.expressible:
        return OracleOutcome("", "", "not_expressible", "; ".join(plan.problems), problems=plan.problems,
                             elapsed_s=time.monotonic() - started, plan=plan)
    script = script_dir / f"oracle-{instance.instance_id}.json"
    script.write_text(json.dumps(oracle_script(plan, instance.instance_id), indent=1), encoding="utf-8")
    config = parse_config(
        {"models": {"provider": "scripted", "model": str(script)},
         "swarm": {"large_symbol_tokens": UNLIMITED_TOKENS, "test_timeout_s": test_timeout}},
        env={},
    )
    request = RunRequest(
        repo=checkout, issue=instance.problem_statement or instance.instance_id, config=config, proxy=proxy,
        reproduce=False, interpreter=Path(python) if python else None, language_servers=servers,
        title=f"oracle {instance.instance_id}",
    )
    outcome = await run_swarm(request)
    steps = _steps(plan, runlog_path(checkout), outcome.run_id)
    verdict = compare_with_gold(outcome.worktree, dict(plan.post_images)) if outcome.worktree.is_dir() else ""
    approved = sum(1 for s in steps if "approval" in s.stages and s.stages["approval"]["status"].endswith("approved"))
    reason = f"{outcome.reason}; {approved}/{len(plan.ops)} proposal(s) approved; result vs gold: {verdict or 'not compared'}"
    return OracleOutcome(outcome.run_id, outcome.patch, outcome.status, reason, steps, (), verdict,
                         time.monotonic() - started, plan)
