"""`run_swarm` end to end: the scripted model drives the bundled examples
through the real bus, harness, language servers and test runners."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.records import RunStatus
from swarm.run import NotAGitRepository, RunRequest, run_swarm
from tests.conftest import make_repo
from tests.swarm.scenario_runs import Events, kinds, open_log, scripted_config

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

AGENT = "shop/discounts.py::BulkDiscount.applies_to"
NEIGHBOUR = "shop/cart.py::Cart.discount"


def pytest_passes(repo: Path, *selection: str) -> bool:
    result = subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection],
                            cwd=repo, capture_output=True, text=True)
    return result.returncode == 0


async def test_python_example_is_fixed_through_the_whole_protocol(python_repo: Path) -> None:
    config = scripted_config("python_shop.toml")
    events = Events()
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
        on_event=events,
    )
    assert outcome.status == "accepted", outcome.reason
    assert "-        return quantity > self.min_quantity" in outcome.patch
    assert "+        return quantity >= self.min_quantity" in outcome.patch
    assert "tests/test_swarm_repro.py" in outcome.patch
    assert outcome.model.startswith("scripted:")
    assert outcome.patch_path is not None and outcome.patch_path.read_text() == outcome.patch
    # The user's tree is untouched; the worktree holds the fix and its tests pass.
    assert "quantity > self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
    assert subprocess.run(["git", "-C", str(python_repo), "status", "--porcelain"], capture_output=True,
                          text=True).stdout.strip() == ""
    assert pytest_passes(outcome.worktree)
    # The patch applies to the user's tree and makes the example's failing test pass.
    subprocess.run(["git", "-C", str(python_repo), "apply", str(outcome.patch_path)], check=True)
    assert pytest_passes(python_repo, "tests/test_discounts.py::test_bulk_discount_applies_at_threshold")

    with open_log(python_repo) as log:
        messages = log.transcript(outcome.run_id)
        probes = kinds(messages, MessageKind.PROBE)
        answers = kinds(messages, MessageKind.ANSWER)
        assert [(p.sender, p.recipient) for p in probes] == [(AGENT, NEIGHBOUR)]
        assert [(a.sender, a.recipient, a.in_reply_to) for a in answers] == [(NEIGHBOUR, AGENT, probes[0].id)]
        assert "quantity" in answers[0].body["text"]
        approvals = log.approvals(outcome.run_id)
        assert [(a.proposal_id, a.verdict.value, a.policy) for a in approvals] == [
            ("p1", "rejected", "auto"), ("p2", "approved", "auto"),
        ]
        assert "test_bulk_discount_not_below_threshold" in approvals[0].reason
        assert [e.proposal_id for e in log.applied_edits(outcome.run_id)] == ["p2"]
        run = log.load_run(outcome.run_id)
        assert run.status is RunStatus.DONE and run.patch == outcome.patch
        final = [e for e in log.events(outcome.run_id) if e.kind == "final.verdict"]
        assert len(final) == 1 and final[0].data["approved"] is True
        repro = [e for e in log.events(outcome.run_id) if e.kind == "swarm.reproduction"]
        assert repro[0].data["path"] == "tests/test_swarm_repro.py"
        # Every message went through the log: the reproduction was written before any proposal.
        first_proposal = kinds(messages, MessageKind.EDIT_PROPOSAL)[0]
        assert repro[0].at < first_proposal.created_at
    assert [v["approved"] for v in outcome.verdicts] == [False, True, True]
    assert events.of("started")[0].data["model"].startswith("scripted:")
    assert {e.data["proposal_id"] for e in events.of("verdict")} == {"p1", "p2", "final-1"}
    assert events.of("finished")[0].data["status"] == "accepted"


async def test_a_folder_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotAGitRepository, match="not inside a git repository"):
        await run_swarm(RunRequest(repo=tmp_path, issue="x", config=scripted_config("python_shop.toml")))


async def test_the_repo_may_be_a_subdirectory_and_the_patch_is_relative_to_it(tmp_path: Path) -> None:
    outer = tmp_path / "outer"
    inner = make_repo(outer, "python_shop")  # outer/python_shop is its own repo: make an umbrella repo instead
    subprocess.run(["rm", "-rf", str(inner / ".git")], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(outer)], check=True)
    subprocess.run(["git", "-C", str(outer), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(outer), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "i"], check=True)
    config = scripted_config("python_shop.toml")
    outcome = await run_swarm(
        RunRequest(repo=inner, issue=(inner / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "accepted", outcome.reason
    assert "a/shop/discounts.py" in outcome.patch and "python_shop/" not in outcome.patch
    assert outcome.worktree == outer / ".swarm" / "worktrees" / outcome.run_id / "python_shop"
    assert (outer / ".swarm" / "runs.sqlite3").is_file()


async def test_rust_example_is_fixed_with_cargo_and_rust_analyzer(rust_repo: Path) -> None:
    config = scripted_config("rust_ledger.toml")
    outcome = await run_swarm(
        RunRequest(repo=rust_repo, issue=(rust_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "accepted", outcome.reason
    assert "-        if balance <= amount {" in outcome.patch and "+        if balance < amount {" in outcome.patch
    assert "tests/swarm_repro.rs" in outcome.patch
    result = subprocess.run(["cargo", "test", "--offline", "-q"], cwd=outcome.worktree, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    with open_log(rust_repo) as log:
        messages = log.transcript(outcome.run_id)
        probe = kinds(messages, MessageKind.PROBE)[0]
        answer = kinds(messages, MessageKind.ANSWER)[0]
        assert (probe.sender, probe.recipient) == ("src/ledger.rs::Ledger::transfer", "src/ledger.rs::Ledger::balance")
        assert (answer.sender, answer.in_reply_to) == ("src/ledger.rs::Ledger::balance", probe.id)
        checks = log.check_reports(outcome.run_id)
        stages = {s["name"]: s["status"] for s in checks[0].report["stages"]}
        assert stages == {"syntax": "passed", "diagnostics": "passed", "tests": "passed"}
        assert [a.verdict.value for a in log.approvals(outcome.run_id)] == ["approved"]


async def test_a_changed_signature_sends_follow_ups_to_the_owners_of_its_references(python_repo: Path) -> None:
    config = scripted_config("python_follow_up.toml")
    outcome = await run_swarm(
        RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    assert outcome.status == "accepted", outcome.reason
    with open_log(python_repo) as log:
        messages = log.transcript(outcome.run_id)
    follow_ups = kinds(messages, MessageKind.FOLLOW_UP)
    owners = {m.recipient for m in follow_ups}
    assert "shop/discounts.py::BulkDiscount.amount_off" in owners
    assert all(m.sender == "harness" and m.body["new_signature"].endswith("inclusive: bool = True) -> bool")
               for m in follow_ups)
    replies = {m.sender for m in kinds(messages, MessageKind.DONE) if m.in_reply_to in {f.id for f in follow_ups}}
    assert "shop/discounts.py::BulkDiscount.amount_off" in replies
