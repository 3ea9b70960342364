"""A small recorded run of python_shop, made with the real bus, run log and check pipeline.

It plays what a run driver records, step by step: the coordinator's task,
a probe and its answer, a first proposal that fails its tests and is
rejected (the pipeline undoes it), a second that passes, is approved and
applied (begin_apply / finish_apply), the model calls, and the final patch.
The graph, replay and trajectory tests read the run log it leaves.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from editor_harness.session import open_session
from swarm.bus import open_bus
from swarm.records import ModelCall, RunStatus, content_hash
from swarm.runlog import RunLog

SYMBOL = "shop/discounts.py::BulkDiscount.applies_to"
CALLER = "shop/cart.py::Cart.total"
TESTS = ("tests/test_discounts.py",)

WRONG_FIX = """def applies_to(self, quantity: int) -> bool:
    return quantity >= self.min_quantity - 1
"""
RIGHT_FIX = """def applies_to(self, quantity: int) -> bool:
    return quantity >= self.min_quantity
"""


@dataclass(frozen=True, slots=True)
class RecordedRun:
    run_id: str
    repo: Path
    base_commit: str
    runlog: Path


def head_commit(repo: Path) -> str:
    out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


async def record_run(repo: Path, runlog_path: Path, *, finish: bool = True) -> RecordedRun:
    """Record the run in `runlog_path`, editing `repo` (a git repo of python_shop) in place."""
    base = head_commit(repo)
    issue = (repo / "ISSUE.md").read_text()
    with RunLog.open(runlog_path) as log:
        run_id = log.create_run(repo=repo, issue_text=issue, base_commit=base, config={"proxy": "auto"})
        # What the run driver records of its checkout (swarm.runner.checkout.Checkout.to_json).
        checkout = {"toplevel": str(repo), "subdir": "", "worktree": str(repo), "base_commit": base}
        log.record_event(run_id, "swarm.checkout", {**checkout, "repo": str(repo), "title": "bulk discount"})
        async with open_session(repo, servers=False, test_timeout=120) as session:
            pipeline = session.pipeline
            await pipeline.baseline(TESTS)
            async with open_bus(log, run_id) as bus:
                for address in ("coordinator", "proxy-user", "harness", SYMBOL, CALLER):
                    bus.register(address)
                task = await bus.send(
                    "task", "coordinator", SYMBOL, {"instruction": "Make the bulk discount apply at the threshold."}
                )
                probe = await bus.send(
                    "probe", SYMBOL, CALLER, {"question": "Do you pass the line quantity to applies_to?"}
                )
                await bus.send(
                    "answer", CALLER, SYMBOL, {"text": "Yes: amount_off(unit_price, quantity) per line."},
                    in_reply_to=probe.id,
                )  # fmt: skip
                for proposal_id, source, rationale in (
                    ("p1", WRONG_FIX, "Lower the bar by one."),
                    ("p2", RIGHT_FIX, "The threshold itself qualifies: use >=."),
                ):
                    version = session.workspace.version("shop/discounts.py")
                    message = await bus.send(
                        "edit_proposal",
                        SYMBOL,
                        "harness",
                        {
                            "proposal_id": proposal_id,
                            "symbol_id": SYMBOL,
                            "base_version": version,
                            "new_source": source,
                            "rationale": rationale,
                        },
                        in_reply_to=task.id,
                    )
                    await bus.flush()
                    log.record_proposal_message(message)
                    before = (repo / "shop/discounts.py").read_bytes()
                    report = await pipeline.rewrite_and_check(SYMBOL, source, version, tests=TESTS, keep="passed")
                    checked = await bus.send(
                        "check_report", "harness", SYMBOL,
                        {"proposal_id": proposal_id, "report": report.to_json(), "passed": report.ok},
                        in_reply_to=message.id,
                    )  # fmt: skip
                    await bus.flush()
                    log.record_check_report(run_id, proposal_id, report.to_json(), report.ok, checked.id)
                    log.record_model_call(
                        run_id,
                        ModelCall(
                            role="symbol_agent", provider="scripted", model="recorded-run", input_tokens=800,
                            output_tokens=60, cost_usd=0.0, latency_s=0.5, ok=True, address=SYMBOL,
                        ),
                    )  # fmt: skip
                    kind = "approval" if report.ok else "rejection"
                    reason = "checks pass and the failing test now passes" if report.ok else "tests fail"
                    decided = await bus.send(
                        kind, "proxy-user", SYMBOL, {"proposal_id": proposal_id, "reason": reason},
                        in_reply_to=message.id,
                    )  # fmt: skip
                    await bus.flush()
                    log.record_verdict(run_id, proposal_id, "approved" if report.ok else "rejected", reason, "auto",
                                       decided.id)  # fmt: skip
                    if report.ok:
                        after = (repo / "shop/discounts.py").read_bytes()
                        log.begin_apply(run_id, proposal_id, "shop/discounts.py", content_hash(before), content_hash(after))
                        log.finish_apply(run_id, proposal_id)
                        log.set_patch(run_id, session.workspace.diff())
                await bus.send("done", SYMBOL, "coordinator", {"reason": "applies_to fixed"}, in_reply_to=task.id)
        if finish:
            log.finish_run(run_id, RunStatus.DONE, "the issue is addressed")
    return RecordedRun(run_id, repo, base, runlog_path)
