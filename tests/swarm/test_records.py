"""Pure helpers over run log records: patch sizes, content hashes, apply outcomes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from swarm.records import (
    ABSENT,
    PROPOSAL_TRANSITIONS,
    AppliedEdit,
    ApplyOutcome,
    ProposalStatus,
    RunRecord,
    RunStatus,
    Spend,
    apply_outcome,
    content_hash,
    patch_stats,
)
from tests.conftest import git


def test_patch_stats_of_a_real_git_diff(python_repo: Path) -> None:
    discounts = python_repo / "shop" / "discounts.py"
    text = discounts.read_text()
    discounts.write_text(text.replace(">", ">=", 1) + "\n# -- a comment starting with dashes\n")
    (python_repo / "shop" / "extra.py").write_text("X = 1\n")
    git(python_repo, "add", "-A")
    patch = git(python_repo, "diff", "--cached")
    stats = patch_stats(patch)
    numstat = git(python_repo, "diff", "--cached", "--numstat").split()
    assert stats.files == 2
    assert stats.added == sum(int(n) for n in numstat[0::3])
    assert stats.removed == sum(int(n) for n in numstat[1::3])
    assert stats.lines == stats.added + stats.removed


def test_removed_lines_that_look_like_headers_are_counted() -> None:
    patch = "--- a/x.sql\n+++ b/x.sql\n@@ -1,2 +1,2 @@\n--- old\n+++ new\n keep\n"
    stats = patch_stats(patch)
    assert (stats.files, stats.added, stats.removed) == (1, 1, 1)


def test_no_newline_marker_and_empty_patch() -> None:
    patch = "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"
    assert patch_stats(patch).lines == 2
    assert patch_stats("").lines == 0
    assert patch_stats(None).files == 0


def test_content_hash_names_sha256_and_absence(tmp_path: Path) -> None:
    data = b"def f():\n    return 1\n"
    assert content_hash(data) == "sha256:" + hashlib.sha256(data).hexdigest()
    assert content_hash(None) == ABSENT
    assert content_hash(b"") != ABSENT
    # Same bytes as git stores them: the hash is of the bytes, not of decoded text.
    (tmp_path / "f.py").write_bytes(data)
    assert content_hash((tmp_path / "f.py").read_bytes()) == content_hash(data)


def _edit(before: bytes, after: bytes) -> AppliedEdit:
    return AppliedEdit("p1", "r1", "a.py", content_hash(before), content_hash(after), 1, 0.0, None)


def test_apply_outcome_tells_applied_from_not_applied_from_conflict() -> None:
    edit = _edit(b"old", b"new")
    assert apply_outcome(edit, content_hash(b"new")) is ApplyOutcome.APPLIED
    assert apply_outcome(edit, content_hash(b"old")) is ApplyOutcome.NOT_APPLIED
    assert apply_outcome(edit, content_hash(b"someone else's")) is ApplyOutcome.CONFLICT
    assert apply_outcome(edit, ABSENT) is ApplyOutcome.CONFLICT
    assert not edit.confirmed


def test_terminal_proposal_states_go_nowhere() -> None:
    for status in (ProposalStatus.REJECTED, ProposalStatus.APPLIED, ProposalStatus.SUPERSEDED):
        assert PROPOSAL_TRANSITIONS[status] == frozenset()
    assert ProposalStatus.APPLIED in PROPOSAL_TRANSITIONS[ProposalStatus.APPROVED]
    assert ProposalStatus.APPLIED not in PROPOSAL_TRANSITIONS[ProposalStatus.CHECKED]


def test_issue_title_skips_blank_lines_and_heading_marks() -> None:
    run = RunRecord(
        "r", "/repo", None, "\n\n## Bulk discount off by one  \nbody", {}, RunStatus.DONE, None, 0.0, None,
        None, Spend(), None, None, 1, 0,
    )  # fmt: skip
    assert run.issue_title == "Bulk discount off by one"
    assert run.to_json()["spend"]["unpriced_calls"] == 0



def test_records_become_plain_json_with_enum_values() -> None:
    run = RunRecord(
        "r", "/repo", "abc", "issue", {"models": {"x": 1}}, RunStatus.GAVE_UP, "budget", 1.0, 2.0, None,
        Spend(1, 2, 3, 0.5, 0), 42, "host", 2, 7,
    )  # fmt: skip
    data = run.to_json()
    assert type(data["status"]) is str and data["status"] == "gave_up"
    assert data["spend"] == {"model_calls": 1, "input_tokens": 2, "output_tokens": 3, "cost_usd": 0.5, "unpriced_calls": 0}
    assert data["config"] == {"models": {"x": 1}} and data["config"] is not run.config
    edit = _edit(b"a", b"b")
    assert edit.to_json() == {
        "proposal_id": "p1", "run_id": "r1", "path": "a.py", "before_hash": content_hash(b"a"),
        "after_hash": content_hash(b"b"), "order": 1, "started_at": 0.0, "applied_at": None,
    }  # fmt: skip
