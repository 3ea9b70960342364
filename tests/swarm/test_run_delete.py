"""Whole runs (scripted model, auto proxy, real pytest) with `propose_delete`
and anchored inserts: checked, approved or rejected and undone, logged as
op "delete", and replayed exactly once by `swarm run --resume`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.records import ProposalStatus
from swarm.run import RunRequest, run_swarm
from tests.conftest import git
from tests.swarm.scenario_runs import Events, kinds, open_log, scripted_config
from tests.swarm.test_run_resume import kill_at, swarm

LEGACY = "\n\ndef legacy_round(cents: float) -> int:\n    return int(cents)\n"
APPLIES_TO = "shop/discounts.py::BulkDiscount.applies_to"


@pytest.fixture
def shop(python_repo: Path) -> Path:
    """python_shop with an unused function committed: something that may be deleted."""
    money = python_repo / "shop" / "money.py"
    money.write_text(money.read_text() + LEGACY)
    git(python_repo, "commit", "-qam", "an unused helper")
    return python_repo


@pytest.mark.anyio
async def test_deletes_and_an_anchored_insert_through_the_swarm(shop: Path) -> None:
    config = scripted_config("python_delete.toml")
    events = Events()
    outcome = await run_swarm(
        RunRequest(repo=shop, issue="Remove dead code; add Money.is_zero.", config=config, reproduce=False),
        proxy=make_proxy("auto", config=config),
        on_event=events,
    )
    assert outcome.status == "accepted", outcome.reason
    money = (outcome.worktree / "shop/money.py").read_text()
    assert "legacy_round" not in money
    # The new method sits right after parse, before __add__ (not appended last).
    assert money.index("def parse") < money.index("def is_zero") < money.index("def __add__")
    # The rejected delete was undone: applies_to is there, byte for byte.
    assert (outcome.worktree / "shop/discounts.py").read_text() == (shop / "shop/discounts.py").read_text()
    assert "-def legacy_round" in outcome.patch and "+    def is_zero(self) -> bool:" in outcome.patch
    assert "applies_to" not in outcome.patch
    proposed = {e.data["symbol_id"]: e.data["op"] for e in events.of("proposal")}
    assert proposed == {APPLIES_TO: "delete", "shop/money.py::legacy_round": "delete", "shop/money.py::Money": "insert"}
    with open_log(shop) as log:
        messages = log.transcript(outcome.run_id)
        proposals = {m.body["proposal_id"]: m for m in kinds(messages, MessageKind.EDIT_PROPOSAL)}
        ops = [(m.sender, m.body["op"]) for m in proposals.values()]
        # Money's first insert named no member (after="nope"): the tool refused it, so one insert reached the bus.
        assert ops == [(APPLIES_TO, "delete"), ("shop/money.py::legacy_round", "delete"), ("shop/money.py::Money", "insert")]
        assert [m.body.get("after") for m in proposals.values()] == [None, None, "shop/money.py::Money.parse"]
        verdicts = {a.proposal_id: a.verdict.value for a in log.approvals(outcome.run_id)}
        by_symbol = {m.body["symbol_id"]: verdicts[pid] for pid, m in proposals.items()}
        assert by_symbol == {APPLIES_TO: "rejected", "shop/money.py::legacy_round": "approved",
                             "shop/money.py::Money": "approved"}
        # The delete's check ran the tests that use applies_to, and they failed.
        [check] = [c for c in log.check_reports(outcome.run_id) if proposals[c.proposal_id].sender == APPLIES_TO]
        assert check.report["edit"]["op"] == "delete" and not check.passed


@pytest.mark.slow
def test_an_applied_delete_is_replayed_once_on_resume(shop: Path, tmp_path: Path) -> None:
    # Killed right after the approved delete of legacy_round was applied and confirmed.
    run_id = kill_at(shop, "applied", tmp_path, "python_delete.toml", "--no-reproduce")

    resumed = swarm(shop, "python_delete_resume.toml", "--resume", run_id[:12])
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    outcome = json.loads(out)
    assert outcome["status"] == "accepted"
    assert outcome["patch"].count("-def legacy_round") == 1
    money = (Path(outcome["worktree"]) / "shop/money.py").read_text()
    assert "legacy_round" not in money and money == (shop / "shop/money.py").read_text().replace(LEGACY, "")
    with open_log(shop) as log:
        [applied] = log.applied_edits(run_id)
        assert applied.confirmed
        assert log.proposal(run_id, applied.proposal_id).status is ProposalStatus.APPLIED
        assert log.proposal(run_id, applied.proposal_id).symbol_id == "shop/money.py::legacy_round"
