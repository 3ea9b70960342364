"""Guided mode end to end: the scripted model plays the small model's part
(draft, choice, rewrite) through the real bus, harness, tracer and tests."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.prompts import Recorded, RecordingModel
from editor_harness.tracing.model import CallSample, TracedSymbol
from swarm.agents.guided_coordinator import NOT_CODE, looks_like_code, observed_call, rerank
from swarm.models.providers import model_for
from swarm.proxy import make_proxy
from swarm.run import RunRequest, run_swarm
from tests.swarm.scenario_runs import Events, open_log, scripted_config

pytestmark = [pytest.mark.anyio]

FIX = "shop/discounts.py::BulkDiscount.applies_to"


async def guided_run(repo: Path, scenario: str) -> tuple[Any, Events, list[Any]]:
    config = scripted_config(scenario, run={"mode": "guided"})
    events, recorded = Events(), Recorded()
    outcome = await run_swarm(
        RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
        on_event=events,
        model_factory=lambda role: RecordingModel(model_for(role, config), role, recorded),  # type: ignore[arg-type,return-value]
    )
    return outcome, events, recorded.requests


@pytest.mark.slow
async def test_guided_run_fixes_the_python_example_with_two_coordinator_calls(python_repo: Path) -> None:
    outcome, events, calls = await guided_run(python_repo, "python_guided.toml")
    assert outcome.status == "accepted", outcome.reason
    assert "+        return quantity >= self.min_quantity" in outcome.patch
    assert "tests/test_swarm_repro.py" in outcome.patch
    assert "mode guided" in events.of("started")[0].text
    coordinator = [c for c in calls if c[0] == "coordinator"]
    # One draft, one choice; each offers exactly one tool and forces a call.
    assert [[t.name for t in c[3]] for c in coordinator] == [["write_reproduction"], ["assign"]]
    assert {c[4] for c in coordinator} == {"required"}
    draft = coordinator[0][2][-1].content
    assert "cart.add(\"PEN\", 10)" in draft and "test_code" in draft
    assert "shop/cart.py::Cart" in draft          # the definitions the issue's code names
    choice = coordinator[1][3][0].parameters["properties"]["symbol_id"]["enum"]
    assert FIX in choice and len(choice) <= 5
    choosing = coordinator[1][2][-1].content
    assert "AssertionError" in choosing or "assert" in choosing
    # What the failing reproduction observed, next to the option it concerns.
    assert "the failing test ran it: (self=BulkDiscount(min_quantity=10, pct=5), quantity=10) -> False" in choosing
    agent = [c for c in calls if c[0] == "symbol_agent" and c[3]]
    assert sorted(t.name for t in agent[0][3]) == ["done", "give_up", "propose_rewrite", "read_symbol", "run_tests"]
    opening = agent[0][2][-1].content
    assert "return quantity > self.min_quantity" in opening      # its own code
    assert "Failing test tests/test_swarm_repro.py" in opening   # the failing test's output
    assert "shop/discounts.py" in opening and "applies_to(" in opening
    assert "Where it is used:" in opening and "amount_off" in opening   # the call site
    assert subprocess.run(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=outcome.worktree,
                          capture_output=True).returncode == 0


@pytest.mark.slow
async def test_guided_fallbacks_existing_failing_test_and_next_candidate(python_repo: Path) -> None:
    outcome, events, calls = await guided_run(python_repo, "python_guided_fallbacks.toml")
    assert outcome.status == "accepted", outcome.reason
    assert "+        return quantity >= self.min_quantity" in outcome.patch
    assert "test_swarm_repro" not in outcome.patch       # neither draft was a reproduction
    notes = " ".join(e.text for e in events.of("note"))
    assert "tests/test_discounts.py::test_bulk_discount_applies_at_threshold" in notes
    agents = [c[1] for c in calls if c[0] == "symbol_agent" and c[3]]
    assert agents[0] == "shop/cart.py::Cart.total" and FIX in agents
    assert "return self.subtotal() - self.discount()" in (outcome.worktree / "shop/cart.py").read_text()  # undone
    with open_log(python_repo) as log:
        events_logged = [e for e in log.events(outcome.run_id) if e.kind == "swarm.reproduction"]
        drafts = [e.data for e in log.events(outcome.run_id) if e.kind == "guided.draft"]
    assert events_logged and events_logged[-1].data.get("existing") is True
    # Both failed drafts are in the log with what the run said about them.
    assert [d["result"].splitlines()[0] for d in drafts] == [NOT_CODE, "not a reproduction: it passes on the current code."]
    assert drafts[0]["source"] == "tests/test_swarm_repro.py" and "def test_still_nothing" in drafts[1]["source"]
    # Cart.total's wrong fix was rejected; the abandoned candidate is not held
    # against applies_to's fix at the final acceptance.
    with open_log(python_repo) as log:
        verdicts = [(a.proposal_id, a.verdict.value) for a in log.approvals(outcome.run_id)]
        finals = [e.data for e in log.events(outcome.run_id) if e.kind == "final.verdict"]
    assert verdicts == [("p1", "rejected"), ("p2", "approved")]
    assert finals[-1]["approved"] and "outstanding" not in finals[-1]["reason"]


def test_observed_call_is_one_short_line() -> None:
    returned = TracedSymbol("a.py::f", 1, (CallSample("x=1", return_repr="False"),))
    assert observed_call(returned) == "   the failing test ran it: (x=1) -> False"
    raised = TracedSymbol("a.py::g", 3, (CallSample("n=0", raised_repr="ZeroDivisionError('division by zero')"),))
    assert observed_call(raised) == "   the failing test ran it: 3 calls, first (n=0) raised ZeroDivisionError('division by zero')"
    long = TracedSymbol("a.py::h", 1, (CallSample("self=" + "A" * 400 + ", quantity=10", return_repr="False"),))
    line = observed_call(long, limit=100)
    assert line.endswith("quantity=10) -> False") and " ... " in line and len(line) <= 100 + len("   the failing test ran it: ")
    assert observed_call(TracedSymbol("a.py::k", 0, ())) == ""


def test_rerank_puts_executed_candidates_first_the_last_called_first() -> None:
    ranked = ["a.py::f", "a.py::g", "b.py::h"]
    executed = ["tests/test_a.py::test_x", "b.py::h", "c.py::k", "a.py::g"]
    assert rerank(ranked, executed) == ["a.py::g", "b.py::h", "c.py::k", "a.py::f"]
    executed = ["tests/test_a.py::test_x", "a.py::g", "c.py::k", "b.py::h"]
    assert rerank(ranked, executed) == ["b.py::h", "a.py::g", "c.py::k", "a.py::f"]
    assert rerank(ranked, []) == ranked


@pytest.mark.slow
async def test_guided_run_fixes_the_rust_example(rust_repo: Path) -> None:
    outcome, _events, calls = await guided_run(rust_repo, "rust_guided.toml")
    assert outcome.status == "accepted", outcome.reason
    assert "+        if balance < amount {" in outcome.patch
    assert "tests/swarm_repro.rs" in outcome.patch
    draft = [c for c in calls if c[0] == "coordinator"][0][2][-1].content
    assert "tests/transfers.rs" in draft and "use ledger" in draft   # an existing test's imports shown
    choice = [c for c in calls if c[0] == "coordinator"][1][3][0].parameters["properties"]["symbol_id"]["enum"]
    assert "src/ledger.rs::Ledger::transfer" in choice


def test_a_draft_must_look_like_code() -> None:
    assert not looks_like_code("tests/test_swarm_repro.py")
    assert not looks_like_code("I will write a test that checks the discount.")
    assert looks_like_code("from shop import Cart\n\ndef test_x():\n    assert Cart")
    assert looks_like_code("use ledger::Ledger;\n#[test]\nfn t() { assert!(true); }\n")
