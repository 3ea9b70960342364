"""Checkouts and file reads from local git mirrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.evaluation.errors import EvaluationError, MirrorError
from swarm.evaluation.mirrors import checkout, clone_at, mirror_path, show_file
from tests.conftest import git
from tests.swarm.evaluation.conftest import BUGGY, FIXED, TinyRepo


def test_mirrors_are_found_by_owner_plus_name(tiny: TinyRepo, tmp_path: Path) -> None:
    assert mirror_path(tiny.mirrors, "acme/tiny") == tiny.path / ".git"
    with pytest.raises(MirrorError, match="no mirror of acme/other"):
        mirror_path(tiny.mirrors, "acme/other")
    assert issubclass(MirrorError, EvaluationError)


def test_a_checkout_is_at_the_commit_and_leaves_the_mirror_alone(tiny: TinyRepo, tmp_path: Path) -> None:
    (tiny.path / "tiny" / "__init__.py").write_text(FIXED)
    git(tiny.path, "commit", "-qam", "fix")
    head = git(tiny.path, "rev-parse", "HEAD").strip()

    with checkout(tiny.mirrors, tiny.repo, tiny.base_commit) as tree:
        assert (tree / "tiny" / "__init__.py").read_text() == BUGGY
        (tree / "scratch.txt").write_text("only here")
        kept = tree
    assert not kept.exists()
    assert git(tiny.path, "rev-parse", "HEAD").strip() == head
    assert not (tiny.path / "scratch.txt").exists()


def test_an_unknown_commit_is_refused_and_cleaned_up(tiny: TinyRepo, tmp_path: Path) -> None:
    with pytest.raises(MirrorError, match="cannot check out"):
        clone_at(tiny.mirrors, tiny.repo, "f" * 40, tmp_path / "co")
    assert not (tmp_path / "co").exists()


def test_files_are_read_at_a_commit_without_a_checkout(tiny: TinyRepo) -> None:
    assert show_file(tiny.mirrors, tiny.repo, tiny.base_commit, "tiny/__init__.py") == BUGGY
    assert show_file(tiny.mirrors, tiny.repo, tiny.base_commit, "no/such/file.txt") is None
    with pytest.raises(MirrorError, match="has no commit"):
        show_file(tiny.mirrors, tiny.repo, "e" * 40, "tiny/__init__.py")
