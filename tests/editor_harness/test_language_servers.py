from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from editor_harness.language_servers import LanguageServers, ServerUnavailable, relative_inside
from lsp.servers import PYRIGHT

pytestmark = pytest.mark.anyio


@pytest.mark.slow
async def test_one_client_per_language_shared(python_repo: Path) -> None:
    async with LanguageServers.open(python_repo, ["python"]) as servers:
        first = await servers.client("python")
        assert first is await servers.client("python")
        assert first.alive and servers.failure("python") is None
        assert servers.language_of("shop/cart.py") == "python"
        assert servers.language_of("src/lib.rs") is None
        with pytest.raises(ServerUnavailable, match="no language server for 'rust'"):
            await servers.client("rust")
    assert not first.alive


@pytest.mark.slow
async def test_a_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    broken = {"python": replace(PYRIGHT, command=("no-such-server",), search_dirs=())}
    async with LanguageServers.open(tmp_path, ["python"], specs=broken) as servers:
        with pytest.raises(ServerUnavailable, match="no-such-server"):
            await servers.client("python")
        failure = servers.failure("python")
        assert failure is not None and "not found" in failure


def test_relative_inside(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "escape.py").symlink_to("/etc/hostname")
    root = tmp_path.resolve()
    assert relative_inside(root, "pkg/a.py") == "pkg/a.py"
    assert relative_inside(root, root / "pkg" / "a.py") == "pkg/a.py"
    assert relative_inside(root, "pkg/../pkg/a.py") == "pkg/a.py"
    assert relative_inside(root, "../outside.py") is None
    assert relative_inside(root, "escape.py") is None
