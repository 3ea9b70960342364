"""The proxy policy inside a whole run: a quit at the human prompt ends the
run cancelled and resumable, with no unapproved edit in its worktree; the
`llm` reviewer is one of the run's models (its calls logged and budgeted)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from swarm.proxy import make_proxy
from swarm.proxy.human import HumanProxy
from swarm.records import ProposalStatus, RunStatus
from swarm.run import RunRequest, run_swarm
from tests.swarm.proxy.evidence import lines
from tests.swarm.scenario_runs import SCENARIOS, Events, open_log, scenario_variant, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
FIX = "return quantity >= self.min_quantity"
BAD = "return quantity >= 0"
BASE = "return quantity > self.min_quantity"


async def test_quit_at_the_human_prompt_cancels_the_run_and_resume_finishes_it(python_repo: Path) -> None:
    screen = Console(file=io.StringIO(), record=True, width=140)
    config = scripted_config("python_shop.toml")
    issue = (python_repo / "ISSUE.md").read_text()
    events = Events()
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=issue, config=config),
        proxy=HumanProxy(screen, lines("q")),
        on_event=events,
    )
    assert outcome.status == "cancelled"
    assert "you quit at the approval of proposal p1" in outcome.reason
    assert f"swarm run --resume {outcome.run_id}" in outcome.reason
    assert outcome.patch == ""
    # p1 was on disk tentatively while the prompt waited: it was taken back.
    text = (outcome.worktree / "shop/discounts.py").read_text()
    assert BASE in text and BAD not in text
    shown = screen.export_text()
    assert "Proposal p1" in shown and "[q]uit: q" in shown  # the prompt really was shown and answered
    with open_log(python_repo) as log:
        run = log.load_run(outcome.run_id)
        assert run.status is RunStatus.INTERRUPTED
        assert log.approvals(outcome.run_id) == ()  # a quit is no rejection
        assert log.proposal(outcome.run_id, "p1").status is ProposalStatus.CHECKED  # undecided
        quits = [e for e in log.events(outcome.run_id) if e.kind == "proxy.quit"]
        assert len(quits) == 1 and "p1" in quits[0].data["reason"]

    resumed = await run_swarm(
        RunRequest(repo=python_repo, issue="", config=scripted_config("python_resume.toml"), resume=outcome.run_id),
        proxy=make_proxy("auto", config=config),
    )
    assert resumed.run_id == outcome.run_id and resumed.status == "accepted"
    assert resumed.patch.count(f"+        {FIX}") == 1 and BAD not in resumed.patch
    with open_log(python_repo) as log:
        assert log.load_run(outcome.run_id).status is RunStatus.DONE
        assert log.proposal(outcome.run_id, "p1").status in (ProposalStatus.SUPERSEDED, ProposalStatus.REJECTED)


REVIEWER = '''

# ------------------------------------------------------------------ reviewer

[[reply]]
role = "reviewer"
repeat = true
[[reply.tool_calls]]
name = "verdict"
arguments.approved = true
arguments.reason = "The threshold is inclusive now and the reproduction passes."
'''


async def test_the_llm_reviewer_is_one_of_the_runs_models(python_repo: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "python_shop_reviewed.toml"
    scenario.write_text((SCENARIOS / "python_shop.toml").read_text() + REVIEWER)
    config = scripted_config(scenario)
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config, proxy="llm"),
    )
    assert outcome.status == "accepted", outcome.reason
    assert outcome.patch.count(f"+        {FIX}") == 1
    with open_log(python_repo) as log:
        calls = log.model_calls(outcome.run_id)
        reviewer = [c for c in calls if c.call.role == "reviewer"]
        # The rules reject p1 (a regression) without asking the model; p2 and
        # the final acceptance reach it, and both calls are in the run's log.
        assert len(reviewer) == 2 and all(c.call.ok for c in reviewer)
        assert log.load_run(outcome.run_id).spend.model_calls == len(calls)
        approvals = log.approvals(outcome.run_id)
        assert [(a.proposal_id, a.verdict.value) for a in approvals] == [("p1", "rejected"), ("p2", "approved")]
        assert "the reviewer model was not asked" in approvals[0].reason
        assert approvals[1].reason == "The threshold is inclusive now and the reproduction passes."
        assert all(a.policy == f"llm:scripted:{scenario}" for a in approvals)


async def test_a_bad_proxy_spec_fails_before_any_run_exists(python_repo: Path) -> None:
    from swarm.proxy import ProxyError

    with pytest.raises(ProxyError, match="unknown proxy policy 'robot'"):
        await run_swarm(RunRequest(repo=python_repo, issue="x", config=scripted_config("python_shop.toml"), proxy="robot"))
    with pytest.raises(ProxyError, match="replay needs a run id"):
        await run_swarm(RunRequest(repo=python_repo, issue="x", config=scripted_config("python_shop.toml"), proxy="replay:"))
    assert not (python_repo / ".swarm" / "worktrees").exists() or not any((python_repo / ".swarm" / "worktrees").iterdir())


TYPED_FIX = '''def applies_to(self, quantity: int) -> bool:
    return quantity >= self.min_quantity
'''
# Right at run time, wrong to Pyright (an int annotated as str): the kind of
# inference error legacy code is full of.
MISTYPED_FIX = '''def applies_to(self, quantity: int) -> bool:
    limit: str = self.min_quantity
    return quantity >= limit
'''


async def test_a_type_error_the_tests_outweighed_does_not_sink_the_final_acceptance(
    python_repo: Path, tmp_path: Path
) -> None:
    config = scripted_config(scenario_variant(tmp_path, "python_shop.toml", TYPED_FIX, MISTYPED_FIX))
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "accepted", outcome.reason
    assert "+        limit: str = self.min_quantity" in outcome.patch
    with open_log(python_repo) as log:
        approved = [a for a in log.approvals(outcome.run_id) if a.verdict.value == "approved"]
        finals = [e.data for e in log.events(outcome.run_id) if e.kind == "final.verdict"]
    assert "outweighed by" in approved[0].reason and "tests_outweigh_types" in approved[0].reason
    # The final acceptance weighs the same error by the same rule.
    assert len(finals) == 1 and finals[0]["approved"]
    assert "outweighed by" in finals[0]["reason"]
