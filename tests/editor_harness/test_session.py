"""open_session: the workspace, navigation and pipeline wired together."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.session import open_session, repository_languages
from editor_harness.workspace import Workspace

pytestmark = pytest.mark.anyio


def test_repository_languages(python_repo: Path, rust_repo: Path) -> None:
    assert repository_languages(Workspace.open(python_repo)) == ("python",)
    assert repository_languages(Workspace.open(rust_repo)) == ("rust",)
    (rust_repo / "build.py").write_text("print('hi')\n")
    assert repository_languages(Workspace.open(rust_repo)) == ("rust", "python")


async def test_session_without_servers_shares_one_workspace(python_repo: Path) -> None:
    async with open_session(python_repo, servers=False) as session:
        assert session.languages == ("python",) and session.servers is None and session.diagnostics is None
        assert session.navigator.workspace is session.workspace is session.pipeline.workspace
        found = await session.navigator.references_to("shop/discounts.py::parse_coupon")
        assert "shop/cart.py::Cart.apply_coupon" in [f.symbol_id for f in found]


async def test_session_with_servers_opens_diagnostics(python_repo: Path) -> None:
    async with open_session(python_repo) as session:
        assert session.servers is not None and session.diagnostics is not None
        assert session.pipeline.diagnostics is session.diagnostics
