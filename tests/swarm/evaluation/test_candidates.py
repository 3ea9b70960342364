from __future__ import annotations

from pathlib import Path

from swarm.evaluation.candidates import Candidate, check_all, check_candidate, dedupe
from tests.swarm.evaluation.selection_fixtures import base_reader, shop_candidates


def test_usable_candidates_are_grouped_by_meaning(python_repo: Path) -> None:
    names = ["good", "good_reformatted", "off_by_one", "stale", "does_not_parse", "comment_only"]
    checks, groups = check_all(shop_candidates(python_repo, names), base_reader(python_repo))
    problems = {c.candidate.label: c.problem for c in checks}
    assert problems["c1"] == problems["c2"] == problems["c3"] == ""
    assert problems["c4"].startswith("does not apply")
    assert problems["c5"].startswith("does not parse: new syntax errors in shop/discounts.py")
    assert problems["c6"] == "changes only comments, whitespace or formatting"
    assert [g.labels for g in groups] == [("c1", "c2"), ("c3",)]
    assert groups[0].representative.label == "c1"
    assert "shop/discounts.py" in checks[0].post_images


def test_an_empty_patch_is_dropped(python_repo: Path) -> None:
    check = check_candidate(Candidate("c1", "scripted:x", "  \n"), base_reader(python_repo))
    assert not check.usable and check.problem == "empty patch"
    assert dedupe([check]) == []


def test_candidate_json_keeps_everything() -> None:
    candidate = Candidate("c2", "openai:gpt", "diff", run_id="r", status="accepted", elapsed_s=1.5, cost_usd=0.1,
                          tests={"tests/test_r.py": "x"})
    assert candidate.to_json() == {
        "label": "c2", "model": "openai:gpt", "patch": "diff", "run_id": "r", "status": "accepted",
        "elapsed_s": 1.5, "cost_usd": 0.1, "tests": {"tests/test_r.py": "x"},
    }
