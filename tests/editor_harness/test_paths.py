"""Keeping paths inside the workspace root: traversal and symlink escapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.errors import OutsideWorkspace
from editor_harness.paths import relative_path, writable_path


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "a.py").write_text("x = 1\n")
    return repo.resolve()


def test_relative_and_absolute_paths_inside(root: Path) -> None:
    assert relative_path(root, "pkg/a.py") == "pkg/a.py"
    assert relative_path(root, root / "pkg" / "a.py") == "pkg/a.py"
    assert relative_path(root, "pkg/../pkg/a.py") == "pkg/a.py"
    assert relative_path(root, "pkg/new.py") == "pkg/new.py"  # need not exist yet


@pytest.mark.parametrize("bad", ["../x.py", "pkg/../../x.py", "/etc/passwd", "", ".", "a\0b"])
def test_lexical_escapes_are_refused(root: Path, bad: str) -> None:
    with pytest.raises(OutsideWorkspace):
        relative_path(root, bad)


def test_symlink_escapes_are_refused(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("s = 1\n")
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "linkdir").symlink_to(outside)
    (root / "dangling.py").symlink_to(tmp_path / "nowhere.py")
    for bad in ("link.py", "linkdir/secret.py", "linkdir/new.py", "dangling.py"):
        with pytest.raises(OutsideWorkspace, match="symlink"):
            relative_path(root, bad)


def test_symlinks_inside_are_readable_but_not_writable(root: Path) -> None:
    (root / "alias.py").symlink_to(root / "pkg" / "a.py")
    assert relative_path(root, "alias.py") == "alias.py"
    with pytest.raises(OutsideWorkspace, match="edit pkg/a.py instead"):
        writable_path(root, "alias.py")
    assert writable_path(root, "pkg/a.py") == root / "pkg" / "a.py"
