"""The replay proxy: a new run re-driven with a recorded run's decisions (scripted model, real harness)."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.pipeline import CheckReport
from swarm.proxy import make_proxy
from swarm.proxy.replay import ReplayProxy, changed_lines, normalized
from swarm.protocols import ApprovalRequest
from swarm.run import RunRequest, run_swarm
from tests.swarm.scenario_runs import open_log, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

AGENT = "shop/discounts.py::BulkDiscount.applies_to"


async def test_a_rerun_takes_the_recorded_decisions(python_repo: Path) -> None:
    config = scripted_config("python_shop.toml")
    issue = (python_repo / "ISSUE.md").read_text()
    first = await run_swarm(RunRequest(repo=python_repo, issue=issue, config=config, proxy="auto"))
    assert first.status == "accepted", first.reason
    second = await run_swarm(RunRequest(repo=python_repo, issue=issue, config=config, proxy=f"replay:{first.run_id}"))
    assert second.status == "accepted", second.reason
    assert second.patch == first.patch
    with open_log(python_repo) as log:
        before = [(a.proposal_id, a.verdict.value) for a in log.approvals(first.run_id)]
        after = log.approvals(second.run_id)
        assert [(a.proposal_id, a.verdict.value) for a in after] == before == [("p1", "rejected"), ("p2", "approved")]
        assert {a.policy for a in after} == {f"replay:{first.run_id}"}
        assert all(a.reason.startswith(f"as run {first.run_id} decided p") for a in after)
        final = [e.data for e in log.events(second.run_id) if e.kind == "final.verdict"]
        assert final[-1]["policy"] == f"replay:{first.run_id}" and final[-1]["approved"] is True

        # A rewrite the recorded run never saw goes to the fallback, which says so.
        proxy = make_proxy(f"replay:{first.run_id}", config=config, runlog=log)
        assert isinstance(proxy, ReplayProxy) and proxy.name == f"replay:{first.run_id}"
        check = log.check_reports(first.run_id)[-1]
        report = CheckReport.from_json(dict(check.report))
        novel = ApprovalRequest(
            run_id="new", proposal_id="p9", issue=issue, symbol_id=AGENT, diff="-a\n+b\n",
            rationale="something else", report=report, new_source="def applies_to(self, q):\n    return True\n",
        )  # fmt: skip
        verdict = await proxy.decide(novel)
        assert verdict.policy == "auto" and verdict.reason.startswith(f"run {first.run_id} never decided this rewrite")
        recorded_p2 = log.proposal(first.run_id, "p2")
        same = ApprovalRequest(
            run_id="new", proposal_id="p1", issue=issue, symbol_id=AGENT, diff="", rationale="",
            report=report, new_source=recorded_p2.new_source + "  \n\n",
        )  # fmt: skip
        replayed = await proxy.decide(same)
        assert replayed.approved and replayed.policy == proxy.name
        assert (proxy.replayed, proxy.fell_back) == (1, 1)


def test_normalized_and_changed_lines() -> None:
    assert normalized("\ndef f():  \n    pass\n  \n\n") == ("def f():", "    pass")
    patch = "diff --git a/x b/x\nindex 1..2\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b \n"
    assert changed_lines(patch) == ("-a", "+b")
