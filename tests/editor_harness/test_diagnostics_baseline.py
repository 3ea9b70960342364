from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.diagnostics_baseline import committed_text

pytestmark = pytest.mark.anyio


async def test_committed_text_ignores_the_working_tree(python_repo: Path) -> None:
    committed = (python_repo / "shop" / "cart.py").read_text()
    (python_repo / "shop" / "cart.py").write_text("# rewritten, not committed\n")
    assert await committed_text(python_repo, "shop/cart.py") == committed
    # Paths are relative to the workspace, even inside a subdirectory of the repo.
    assert await committed_text(python_repo / "shop", "money.py") == (python_repo / "shop" / "money.py").read_text()


async def test_untracked_or_not_a_repo_gives_none(python_repo: Path, tmp_path: Path) -> None:
    (python_repo / "new.py").write_text("x = 1\n")
    assert await committed_text(python_repo, "new.py") is None
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("a = 1\n")
    assert await committed_text(plain, "a.py") is None
