"""swarm.lsp_backend pieces that need no editor (the whole backend runs end to
end under a real `swarm lsp` in tests/swarm/cli/test_lsp.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp.backend import BackendError, SourcePosition
from swarm.lsp_backend import SwarmBackend, patch_files
from tests.swarm.scenario_runs import scripted_config

PATCH = """diff --git a/shop/discounts.py b/shop/discounts.py
index 1..2 100644
--- a/shop/discounts.py
+++ b/shop/discounts.py
@@ -1 +1 @@
-a
+b
diff --git a/tests/test_swarm_repro.py b/tests/test_swarm_repro.py
new file mode 100644
--- /dev/null
+++ b/tests/test_swarm_repro.py
diff --git a/old.py b/old.py
deleted file mode 100644
"""


def test_patch_files_names_each_file_and_what_happens_to_it() -> None:
    assert patch_files(PATCH) == [("shop/discounts.py", "changed"), ("tests/test_swarm_repro.py", "new"), ("old.py", "deleted")]
    assert patch_files("") == []


class Buffers:
    def __init__(self, texts: dict[Path, str]) -> None:
        self.texts = texts

    async def report(self, message: str, percentage: int | None = None) -> None: ...
    async def ask(self, message: str, actions: object) -> str | None: return None
    async def show(self, path: Path, *, external: bool = False) -> bool: return True

    def current_text(self, path: Path) -> str | None:
        return self.texts.get(path)


def test_symbol_at_finds_the_innermost_symbol_and_refuses_clearly(python_repo: Path) -> None:
    backend = SwarmBackend(python_repo, scripted_config("python_shop.toml"))
    discounts = python_repo / "shop/discounts.py"
    line = 1 + next(i for i, t in enumerate(discounts.read_text().splitlines()) if "quantity > self.min_quantity" in t)
    saved = Buffers({})
    assert backend.symbol_at(SourcePosition(discounts, line, 9), saved) == "shop/discounts.py::BulkDiscount.applies_to"
    with pytest.raises(BackendError, match="unsaved changes"):
        backend.symbol_at(SourcePosition(discounts, line, 9), Buffers({discounts: discounts.read_text() + "# x\n"}))
    with pytest.raises(BackendError, match="line 999 is not in it"):
        backend.symbol_at(SourcePosition(discounts, 999, 1), saved)
    with pytest.raises(BackendError, match="does not exist"):
        backend.symbol_at(SourcePosition(python_repo / "nope.py", 1, 1), saved)
    assert backend.lenses(discounts, discounts.read_text()) == ()   # no run yet, no lenses
    assert backend.cancel() is False
