"""A whole scripted run where one of two assigned symbols ends rejected: the
final acceptance request carries that, and the auto policy refuses half a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.run import RunRequest, run_swarm
from tests.swarm.scenario_runs import kinds, open_log, scripted_config

pytestmark = pytest.mark.anyio

FIXED = "shop/discounts.py::BulkDiscount.applies_to"
REJECTED = "shop/discounts.py::PercentOff.amount_off"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


async def test_the_final_acceptance_sees_a_rejected_symbol_and_auto_refuses_half_a_fix(python_repo: Path) -> None:
    config = scripted_config("python_half_fix.toml")
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "gave_up", outcome.reason
    with open_log(python_repo) as log:
        messages = log.transcript(outcome.run_id)
    finals = [m for m in kinds(messages, MessageKind.APPROVAL_REQUEST) if m.body.get("final")]
    assert len(finals) == 1
    outstanding = finals[0].body["outstanding"]
    assert [(o["symbol_id"], o["kind"]) for o in outstanding] == [(REJECTED, "rejected"), (REJECTED, "gave_up")]
    assert '"rounded" is not defined' in outstanding[0]["reason"]
    assert outstanding[1]["reason"] == "there is no rounding helper to call"
    verdict = next(m for m in messages if m.in_reply_to == finals[0].id)
    assert verdict.kind is MessageKind.REJECTION
    assert verdict.body["reason"].startswith(
        f"rejected: [outstanding] 1 symbol(s) whose latest proposal stands rejected: {REJECTED} (rejected: [diagnostics]"
    )
    assert "[outstanding] task(s) that gave up" in verdict.body["reason"]
    # The approved fix alone was not accepted as the run's patch.
    assert outcome.reason == "no different approach"
