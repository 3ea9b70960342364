from __future__ import annotations

from pathlib import Path

from editor_harness.diagnostics_scratch import scratch_copy
from tests.conftest import git


def test_copy_has_overrides_and_leaves_the_original(python_repo: Path) -> None:
    (python_repo / ".gitignore").write_text("ignored.txt\n")
    (python_repo / "ignored.txt").write_text("secret build output")
    (python_repo / "untracked.py").write_text("x = 1\n")
    original = (python_repo / "shop" / "cart.py").read_text()
    with scratch_copy(python_repo, {"shop/cart.py": "# old text\n"}) as copy:
        assert copy != python_repo
        assert (copy / "shop" / "cart.py").read_text() == "# old text\n"
        assert (copy / "shop" / "money.py").read_text() == (python_repo / "shop" / "money.py").read_text()
        assert (copy / "untracked.py").exists()
        assert not (copy / "ignored.txt").exists()
        assert not (copy / ".git").exists()
    assert not copy.exists()
    assert (python_repo / "shop" / "cart.py").read_text() == original
    assert git(python_repo, "status", "--porcelain").strip().splitlines() == ["?? .gitignore", "?? untracked.py"]


def test_copy_of_a_plain_directory_skips_build_folders(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("a = 1\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "big.py").write_text("huge = True\n")
    with scratch_copy(tmp_path, {"src/new.py": "n = 2\n"}) as copy:
        assert (copy / "src" / "a.py").read_text() == "a = 1\n"
        assert (copy / "src" / "new.py").read_text() == "n = 2\n"
        assert not (copy / ".venv").exists()
