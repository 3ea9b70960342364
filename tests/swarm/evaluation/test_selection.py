from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from editor_harness.testrun import Outcome, TestResult, TestRun
from swarm.config import parse_config
from swarm.evaluation.candidate_tests import CheckoutBench
from swarm.evaluation.candidates import Candidate
from swarm.evaluation.selection import (
    ModelReviewer,
    is_test_path,
    reproduction_files,
    select_candidate,
    selection_quality,
    reproduction_ids,
)
from swarm.models.providers import model_for
from tests.conftest import git
from tests.swarm.evaluation.selection_fixtures import REPRO, base_reader, shop_candidates

pytestmark = pytest.mark.anyio


def reviewer_for(tmp_path: Path, votes: list[str], repeat_last: bool = False) -> ModelReviewer:
    replies = []
    for n, label in enumerate(votes):
        repeat = "repeat = true\n" if repeat_last and n == len(votes) - 1 else ""
        if label.startswith("text:"):
            replies.append(f'[[reply]]\nrole = "reviewer"\n{repeat}text = "{label[5:]}"\n')
        else:
            replies.append(
                f'[[reply]]\nrole = "reviewer"\n{repeat}[[reply.tool_calls]]\nname = "choose_patch"\n'
                f'arguments = {{ label = "{label}", reason = "reason {n}" }}\n'
            )
    script = tmp_path / "reviewer.toml"
    script.write_text("\n".join(replies))
    config = parse_config({"models": {"provider": "scripted", "model": str(script)}}, env={})
    return ModelReviewer(model_for("reviewer", config, env={}), votes=len(votes))


async def test_tests_rank_and_the_reviewer_breaks_the_tie(python_repo: Path, tmp_path: Path) -> None:
    names = ["off_by_one", "good", "good_reformatted", "stale", "does_not_parse", "also_good"]
    candidates = shop_candidates(python_repo, names)
    bench = CheckoutBench(python_repo, git(python_repo, "rev-parse", "HEAD").strip(), python=sys.executable, timeout=300)
    try:
        selection = await select_candidate(
            candidates,
            issue="BulkDiscount ignores the threshold quantity itself",
            read_base=base_reader(python_repo),
            bench=bench,
            reviewer=reviewer_for(tmp_path, ["c2"]),
        )
    finally:
        bench.close()
    assert selection.chosen is not None and selection.chosen.label == "c2"
    assert [list(g.labels) for g in selection.groups] == [["c1"], ["c2", "c3"], ["c6"]]
    evidence = {e.label: e for e in selection.evidence}
    # Everyone meets c2's reproduction test; the off-by-one fix breaks a guarded test.
    assert evidence["c1"].reproduction_passed == evidence["c2"].reproduction_passed == 1
    assert "tests/test_discounts.py::test_bulk_discount_not_below_threshold" in evidence["c1"].regressions
    assert evidence["c2"].regressions == evidence["c6"].regressions == ()
    assert evidence["c2"].regression_total >= 1
    assert selection.tied == ("c2", "c6")
    assert selection.votes == ("c2: reason 0",)
    assert selection.reproduction_tests == ("tests/test_repro_bulk.py::test_bulk_applies_at_its_threshold",)
    record = selection.to_json()
    assert record["dropped"]["c4"].startswith("does not apply") and record["dropped"]["c5"].startswith("does not parse")
    quality = selection_quality(selection, {"c1": False, "c2": True, "c6": True})
    assert quality == {"chosen": "c2", "chosen_resolves": True, "any_resolves": True, "selected_is_best": True}


async def test_one_meaning_needs_no_tests(python_repo: Path) -> None:
    candidates = shop_candidates(python_repo, ["good", "good_reformatted", "stale"])
    selection = await select_candidate(candidates, issue="x", read_base=base_reader(python_repo), bench=None)
    assert selection.chosen is not None and selection.chosen.label == "c1"
    assert selection.reason == "all usable candidates agree (c1, c2)" and selection.evidence == ()


async def test_nothing_usable_chooses_nothing(python_repo: Path) -> None:
    candidates = shop_candidates(python_repo, ["stale", "does_not_parse"])
    selection = await select_candidate(candidates, issue="x", read_base=base_reader(python_repo), bench=None)
    assert selection.chosen is None and selection.reason == "no candidate applies and parses"
    assert selection_quality(selection, {"c1": False, "c2": False})["selected_is_best"] is True


class FakeBench:
    """Answers from a table instead of running tests: for the tie-breaking rules only."""

    def __init__(self, passing: Mapping[str, set[str]]) -> None:
        self.passing = passing

    async def run(self, patch: str, test_files: Mapping[str, str], selection: Sequence[str]) -> TestRun:
        ok = self.passing.get(patch, set())
        results = tuple(TestResult(t, Outcome.PASSED if t in ok else Outcome.FAILED) for t in selection)
        return TestRun(tuple(selection), results, 0, False, "", "", 0.0, "none")

    def regression_tests(self, symbol_ids: Sequence[str], limit: int) -> tuple[str, ...]:
        return ("tests/test_discounts.py::test_coupon_parsing",)


async def test_a_tie_without_a_reviewer_keeps_the_first(python_repo: Path) -> None:
    candidates = shop_candidates(python_repo, ["good", "also_good"])
    everything = {"tests/test_discounts.py::test_coupon_parsing", "tests/test_repro_bulk.py::test_bulk_applies_at_its_threshold"}
    bench = FakeBench({"": everything, **{c.patch: everything for c in candidates}})
    selection = await select_candidate(candidates, issue="x", read_base=base_reader(python_repo), bench=bench)
    assert selection.chosen is not None and selection.chosen.label == "c1"
    assert "no reviewer configured" in selection.reason and selection.tied == ("c1", "c2")


async def test_the_reviewer_majority_and_a_bad_vote(tmp_path: Path) -> None:
    options = [("c1", "diff one"), ("c2", "diff two"), ("c3", "diff three")]
    label, reason = await reviewer_for(tmp_path / "a", ["c3", "c2", "c3"]).choose("issue", options)
    assert label == "c3" and reason.count("c3:") == 2
    label, reason = await reviewer_for(tmp_path / "b", ["c2", "c1"]).choose("issue", options)
    assert label == "c1"  # one vote each: the earlier label wins
    label, reason = await reviewer_for(tmp_path / "c", ["text:I like both"], repeat_last=True).choose("issue", options)
    assert label == "c1" and "no valid vote" in reason and "kept the first" in reason


@pytest.fixture(autouse=True)
def _dirs(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()


def test_reproduction_files_and_their_test_ids() -> None:
    a = Candidate("c1", "m", "p", tests={"tests/test_r.py": REPRO})
    b = Candidate("c2", "m", "p", tests={"tests/test_r.py": REPRO.replace("3", "4")})
    files = reproduction_files([a, b])
    assert list(files) == ["tests/test_r.py", "tests/test_r_c2.py"]
    assert reproduction_ids("tests/test_r.py", REPRO) == ["tests/test_r.py::test_bulk_applies_at_its_threshold"]
    klass = "class TestX:\n    def test_y(self):\n        pass\n"
    assert reproduction_ids("tests/test_k.py", klass) == ["tests/test_k.py::TestX::test_y"]
    rust = "#[test]\nfn repro() {\n    assert!(true);\n}\n\nfn helper() {}\n"
    assert reproduction_ids("tests/repro.rs", rust) == ["tests/repro.rs::repro"]
    assert reproduction_ids("tests/empty.py", "X = 1\n") == ["tests/empty.py"]
    assert is_test_path("tests/test_r.py") and is_test_path("tests/repro.rs") and not is_test_path("shop/cart.py")
