from __future__ import annotations

import sys
from pathlib import Path

import pytest

from swarm.evaluation.gold_plan import plan_file
from swarm.evaluation.mirrors import clone_at
from swarm.evaluation.oracle_swarm import (
    PatchPlan,
    definitions_first,
    oracle_script,
    owner_runs,
    run_oracle_swarm,
    swarm_plan,
)
from swarm.models.scripted import parse_script
from swarm.evaluation.symbol_ops import OpKind, SymbolOp
from swarm.messages import MessageKind
from swarm.runner.resume import last_event
from tests.swarm.evaluation.conftest import BUGGY, FIXED, TinyRepo, make_tiny_repo
from tests.swarm.scenario_runs import open_log

pytestmark = pytest.mark.anyio

GOLD = "import math\n\n" + FIXED.replace("def zero():\n    return 0", "def zero():\n    return math.floor(0.5)")


def test_the_script_assigns_each_owner_in_order_and_proposes_its_post_image(tmp_path: Path) -> None:
    plan = PatchPlan((plan_file("tiny/__init__.py", BUGGY, GOLD),), {"tiny/__init__.py": GOLD})
    assert [owner for owner, _ in owner_runs(plan.ops)] == [
        "tiny/__init__.py::<module>", "tiny/__init__.py::add", "tiny/__init__.py::zero"]
    script = oracle_script(plan, "acme__tiny-1")
    replies = script["reply"]
    coordinator = [r["tool_calls"][0]["name"] for r in replies if r["role"] == "coordinator" and "turn" in r]
    assert coordinator == ["assign", "wait", "assign", "wait", "assign", "wait", "finish"]
    module = [r for r in replies if r.get("agent") == "tiny/__init__.py::<module>"]
    assert [r["tool_calls"][0]["name"] for r in module] == ["propose_rewrite", "done"]
    assert module[0]["tool_calls"][0]["arguments"]["new_source"].startswith("import math\n")
    # The scripted model accepts it as a script.
    parsed = parse_script(script, tmp_path / "oracle.json")
    assert len(parsed.replies) == len(replies)


def test_a_helper_the_patch_adds_is_proposed_before_the_rewrites_that_call_it() -> None:
    # pytest-5103's shape: two methods start calling a method the patch adds after them.
    pre = ("class R:\n    def visit_a(self, n):\n        return n\n\n"
           "    def visit_b(self, n):\n        return n\n\n    def other(self):\n        return 0\n")
    post = ("class R:\n    def visit_a(self, n):\n        return self._all(n)\n\n"
            "    def _all(self, n):\n        return [n]\n\n"
            "    def visit_b(self, n):\n        return self._all(n)\n\n    def other(self):\n        return 0\n")
    plan = PatchPlan((plan_file("r.py", pre, post),), {"r.py": post})
    kinds = [(o.kind, o.symbol_id) for o in plan.ops]
    assert kinds.index((OpKind.INSERT, "r.py::R._all")) > kinds.index((OpKind.REWRITE, "r.py::R.visit_a"))
    ordered = definitions_first(plan.ops)
    assert [(o.kind, o.symbol_id) for o in ordered] == [
        (OpKind.INSERT, "r.py::R._all"), (OpKind.REWRITE, "r.py::R.visit_a"), (OpKind.REWRITE, "r.py::R.visit_b")]
    assert sorted(ordered, key=id) == sorted(plan.ops, key=id)  # nothing lost or added
    # The script follows that order: R (the parent) proposes first.
    script = oracle_script(plan, "x")
    assigned = [r["tool_calls"][0]["arguments"]["symbol_id"] for r in script["reply"]
                if r["role"] == "coordinator" and r["tool_calls"][0]["name"] == "assign"]
    assert assigned == ["r.py::R", "r.py::R.visit_a", "r.py::R.visit_b"]


def test_an_insert_does_not_jump_over_the_op_that_makes_its_anchor() -> None:
    first = SymbolOp.insert("m.py::<module>", "m.py::helper", "def helper():\n    return 1\n", None)
    user = SymbolOp.rewrite("m.py::main", "def main():\n    return helper2()\n")
    second = SymbolOp.insert("m.py::<module>", "m.py::helper2", "def helper2():\n    return 2\n", "m.py::helper")
    # helper2 may not move ahead of `user`: its anchor `helper` is made after `user`.
    assert definitions_first([user, first, second]) == [user, first, second]
    # With the anchor made first, it moves.
    assert definitions_first([first, user, second]) == [first, second, user]
    unused = SymbolOp.rewrite("m.py::main", "def main():\n    return 0\n")
    assert definitions_first([unused, first]) == [unused, first]


def test_inserts_are_proposed_by_the_parent_as_new_members() -> None:
    pre = "class A:\n    def f(self):\n        return 1\n"
    post = pre + "\n    def g(self):\n        return 2\n"
    plan = PatchPlan((plan_file("a.py", pre, post, anchored_inserts=False),), {"a.py": post})
    [proposal] = [r for r in oracle_script(plan, "x")["reply"] if r.get("agent") == "a.py::A" and r["tool_calls"][0]["name"] == "propose_rewrite"]
    assert proposal["tool_calls"][0]["arguments"]["insert_child"] is True


async def test_the_gold_patch_through_run_swarm(tiny: TinyRepo, tmp_path: Path) -> None:
    instance = tiny.instance("acme__tiny-1", gold={"tiny/__init__.py": GOLD})
    checkout = clone_at(tiny.mirrors, tiny.repo, tiny.base_commit, tmp_path / "checkout")
    outcome = await run_oracle_swarm(instance, checkout, script_dir=tmp_path, python=sys.executable, servers=False, test_timeout=120)
    assert outcome.status == "accepted", outcome.reason
    assert outcome.matches_gold == "same" and "3/3 proposal(s) approved" in outcome.reason
    assert all(s.stages["approval"]["status"] == "approved" for s in outcome.steps)
    assert "+import math" in outcome.patch and "+    return a + b" in outcome.patch


async def test_a_removed_symbol_is_deleted_by_its_own_agent(tmp_path: Path) -> None:
    base = BUGGY + "\n\ndef unused():\n    return 1\n"
    tiny = make_tiny_repo(tmp_path / "src", files={"tiny/__init__.py": base})
    instance = tiny.instance("acme__tiny-2", gold={"tiny/__init__.py": FIXED})
    checkout = clone_at(tiny.mirrors, tiny.repo, tiny.base_commit, tmp_path / "checkout")
    plan = swarm_plan(instance, checkout)
    assert plan.expressible and [op.kind for op in plan.ops] == [OpKind.DELETE, OpKind.REWRITE]
    deleting = [r for r in oracle_script(plan, "x")["reply"] if r.get("agent") == "tiny/__init__.py::unused"]
    assert deleting[0]["tool_calls"][0]["name"] == "propose_delete"
    outcome = await run_oracle_swarm(instance, checkout, script_dir=tmp_path, python=sys.executable, servers=False,
                                     test_timeout=120)
    assert outcome.status == "accepted", outcome.reason
    assert "2/2 proposal(s) approved" in outcome.reason and outcome.matches_gold == "same"
    assert _result(checkout, outcome.run_id) == FIXED
    assert "-def unused():" in outcome.patch
    with open_log(checkout) as log:
        [proposal] = [m for m in log.messages(outcome.run_id) if m.kind is MessageKind.EDIT_PROPOSAL and m.body["op"] == "delete"]
        assert proposal.sender == proposal.body["symbol_id"] == "tiny/__init__.py::unused"
        [edit] = [c.report["edit"] for c in log.check_reports(outcome.run_id) if c.proposal_id == proposal.body["proposal_id"]]
        assert edit["op"] == "delete"


def _result(checkout: Path, run_id: str) -> str:
    """The module as the run's worktree holds it."""
    with open_log(checkout) as log:
        checkout_event = last_event(log, run_id, "swarm.checkout")
    assert checkout_event is not None
    return (Path(checkout_event["worktree"]) / "tiny/__init__.py").read_text()


CLASS_BASE = BUGGY + """

class Calc:
    def add(self, a, b):
        return a + b

    def zero(self):
        return 0
"""


async def test_an_inserted_method_lands_where_the_gold_patch_puts_it(tmp_path: Path) -> None:
    tiny = make_tiny_repo(tmp_path / "src", files={"tiny/__init__.py": CLASS_BASE})
    gold = CLASS_BASE.replace("        return a + b\n", "        return a + b\n\n    def double(self, a):\n        return 2 * a\n")
    instance = tiny.instance("acme__tiny-3", gold={"tiny/__init__.py": gold})
    checkout = clone_at(tiny.mirrors, tiny.repo, tiny.base_commit, tmp_path / "checkout")
    plan = swarm_plan(instance, checkout)
    [insert] = [op for op in plan.ops if op.kind is OpKind.INSERT]
    assert insert.after_id == "tiny/__init__.py::Calc.add"
    proposal = [r for r in oracle_script(plan, "x")["reply"] if r.get("agent") == "tiny/__init__.py::Calc"][0]
    assert proposal["tool_calls"][0]["arguments"]["after"] == "tiny/__init__.py::Calc.add"
    outcome = await run_oracle_swarm(instance, checkout, script_dir=tmp_path, python=sys.executable, servers=False,
                                     test_timeout=120)
    assert outcome.status == "accepted", outcome.reason
    # Byte for byte the gold post-image: between add and zero, not appended after zero.
    assert _result(checkout, outcome.run_id) == gold
