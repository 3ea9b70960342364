"""Applying model and test patches like the official harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.evaluation.errors import PatchApplyError
from swarm.evaluation.patches import apply_patch, apply_test_patch, diff
from tests.conftest import git
from tests.swarm.evaluation.conftest import EXISTING_TESTS, FIXED, NEW_TEST, TinyRepo


def test_a_clean_patch_applies_with_git_apply(tiny: TinyRepo, tmp_path: Path) -> None:
    patch = tiny.diff({"tiny/__init__.py": FIXED})
    log = tmp_path / "log"

    assert apply_patch(tiny.path, patch, log) == "git apply --verbose"
    assert (tiny.path / "tiny" / "__init__.py").read_text() == FIXED
    assert ">>>>> Applied Patch (patch, git apply --verbose)" in log.read_text()


def test_a_patch_with_drifted_context_falls_back_to_fuzzy_patch(tiny: TinyRepo, tmp_path: Path) -> None:
    patch = tiny.diff({"tiny/__init__.py": FIXED})
    # The checkout moved on: a line above the hunk changed, so git refuses the context.
    (tiny.path / "tiny" / "__init__.py").write_text("# header\n" + FIXED.replace("return a + b", "return a - b").replace("def add(a, b):", "def add(a, b):  # adds"))
    git(tiny.path, "commit", "-qam", "drift")

    method = apply_patch(tiny.path, patch, tmp_path / "log")

    assert method.startswith("patch --batch --fuzz=5")
    assert "return a + b" in (tiny.path / "tiny" / "__init__.py").read_text()


def test_a_patch_that_does_not_apply_leaves_the_tree_clean(tiny: TinyRepo, tmp_path: Path) -> None:
    bad = "diff --git a/tiny/__init__.py b/tiny/__init__.py\n--- a/tiny/__init__.py\n+++ b/tiny/__init__.py\n@@ -1,2 +1,2 @@\n-nothing\n-here\n+x\n+y\n"
    log = tmp_path / "log"

    with pytest.raises(PatchApplyError, match="does not apply"):
        apply_patch(tiny.path, bad, log, name="model patch")

    assert git(tiny.path, "status", "--porcelain") == ""
    assert ">>>>> Patch Apply Failed (model patch)" in log.read_text()


def test_an_empty_patch_is_a_no_op(tiny: TinyRepo, tmp_path: Path) -> None:
    assert apply_patch(tiny.path, "", tmp_path / "log") == "empty"
    assert diff(tiny.path) == ""


def test_a_patch_without_its_final_newline_still_applies(tiny: TinyRepo, tmp_path: Path) -> None:
    patch = tiny.diff({"tiny/__init__.py": FIXED}).rstrip("\n")
    apply_patch(tiny.path, patch, tmp_path / "log")
    assert "return a + b" in diff(tiny.path)


def test_the_test_patch_goes_on_after_resetting_the_files_it_touches(tiny: TinyRepo, tmp_path: Path) -> None:
    test_patch = tiny.diff({"tests/test_tiny.py": EXISTING_TESTS + NEW_TEST})
    # A model patch that edited the same test file must not make the test patch fail.
    (tiny.path / "tests" / "test_tiny.py").write_text("# the model rewrote this\n")

    apply_test_patch(tiny.path, tiny.base_commit, test_patch, tmp_path / "log")

    assert (tiny.path / "tests" / "test_tiny.py").read_text() == EXISTING_TESTS + NEW_TEST
