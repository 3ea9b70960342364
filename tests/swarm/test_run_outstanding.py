"""Whole scripted runs where one of two assigned symbols ends rejected: the
final acceptance request carries that; the auto policy refuses half a fix
while that symbol's agent says it is done, and only notes it when the agent
gave up (it is not part of the fix; the reproduction still has to pass)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swarm.messages import Message, MessageKind
from swarm.proxy import make_proxy
from swarm.run import RunRequest, run_swarm
from tests.swarm.scenario_runs import SCENARIOS, kinds, open_log, scenario_variant, scripted_config

pytestmark = pytest.mark.anyio

FIXED = "shop/discounts.py::BulkDiscount.applies_to"
REJECTED = "shop/discounts.py::PercentOff.amount_off"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


GIVE_UP = '''name = "give_up"
arguments.reason = "there is no rounding helper to call"'''
DONE = '''name = "done"
arguments.summary = "amount_off rounds now"'''


async def run(repo: Path, scenario: Path) -> Any:
    config = scripted_config(scenario)
    return await run_swarm(
        RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )


def final_requests(repo: Path, run_id: str) -> tuple[list[Message], tuple[Message, ...]]:
    with open_log(repo) as log:
        messages = log.transcript(run_id)
    return [m for m in kinds(messages, MessageKind.APPROVAL_REQUEST) if m.body.get("final")], messages


async def test_a_symbol_that_says_done_while_its_proposal_stands_rejected_blocks_the_final_acceptance(
    python_repo: Path, tmp_path: Path
) -> None:
    outcome = await run(python_repo, scenario_variant(tmp_path, "python_half_fix.toml", GIVE_UP, DONE))
    assert outcome.status == "gave_up", outcome.reason
    finals, messages = final_requests(python_repo, outcome.run_id)
    assert len(finals) == 1
    outstanding = finals[0].body["outstanding"]
    assert [(o["symbol_id"], o["kind"]) for o in outstanding] == [(REJECTED, "rejected")]
    assert '"rounded" is not defined' in outstanding[0]["reason"]
    verdict = next(m for m in messages if m.in_reply_to == finals[0].id)
    assert verdict.kind is MessageKind.REJECTION
    assert verdict.body["reason"].startswith(
        f"rejected: [outstanding] 1 symbol(s) whose latest proposal stands rejected: {REJECTED} (rejected: [diagnostics]"
    )
    # The approved fix alone was not accepted as the run's patch.
    assert outcome.reason == "no different approach"


async def test_a_symbol_that_gave_up_after_its_rejection_is_noted_not_held_against_the_fix(python_repo: Path) -> None:
    outcome = await run(python_repo, SCENARIOS / "python_half_fix.toml")
    assert outcome.status == "accepted", outcome.reason
    assert "+        return quantity >= self.min_quantity" in outcome.patch and "rounded" not in outcome.patch
    finals, messages = final_requests(python_repo, outcome.run_id)
    outstanding = finals[0].body["outstanding"]
    # Its agent said it is not part of the fix: a give_up, noted, not a standing rejection.
    assert [(o["symbol_id"], o["kind"]) for o in outstanding] == [(REJECTED, "gave_up")]
    assert outstanding[0]["reason"] == "there is no rounding helper to call"
    verdict = next(m for m in messages if m.in_reply_to == finals[0].id)
    assert verdict.kind is MessageKind.APPROVAL
    assert "[outstanding] task(s) that gave up" in verdict.body["reason"]
