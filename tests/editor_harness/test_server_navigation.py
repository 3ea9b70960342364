"""Navigation through real pyright and rust-analyzer."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.diagnostics import DiagnosticsService
from editor_harness.language_servers import LanguageServers
from editor_harness.server_navigation import (
    Location,
    NavigationError,
    NavigationUnsupported,
    ServerNavigation,
    hover_text,
)

pytestmark = pytest.mark.anyio


def position(repo: Path, rel: str, needle: str, word: str | None = None) -> tuple[int, int]:
    for number, line in enumerate((repo / rel).read_text().splitlines(), 1):
        if needle in line:
            return number, line.index(word or needle, line.index(needle))
    raise AssertionError(f"{needle!r} not in {rel}")


def test_hover_text_shapes() -> None:
    assert hover_text({"kind": "markdown", "value": " doc "}) == "doc"
    assert hover_text({"language": "python", "value": "x: int"}) == "```python\nx: int\n```"
    assert hover_text(["a", {"value": "b"}, ""]) == "a\n\nb"
    assert hover_text(None) == ""


def test_location_describe() -> None:
    assert Location("a.py", 3, 4, 3, 8).describe() == "a.py:3:5"


@pytest.mark.slow
async def test_python_definition_references_hover(python_repo: Path) -> None:
    async with ServerNavigation.open(python_repo, ["python"]) as navigation:
        line, column = position(python_repo, "shop/cart.py", "self.bulk.amount_off", "amount_off")
        definition = await navigation.definition("shop/cart.py", line, column)
        assert definition == [Location("shop/discounts.py", *position(python_repo, "shop/discounts.py", "def amount_off", "amount_off"), 11, 18)]
        references = await navigation.references("shop/cart.py", line, column)
        assert {(r.path, r.line) for r in references} >= {("shop/cart.py", line), ("shop/discounts.py", definition[0].line)}
        assert all(not r.external for r in references)
        hover = await navigation.hover("shop/cart.py", line, column)
        assert hover is not None and "def amount_off" in hover and "unit_price: Money" in hover
        # Something outside the repository: flagged, with its absolute path.
        line, column = position(python_repo, "shop/cart.py", "from dataclasses import dataclass", "dataclass")
        column = len("from dataclasses import ")
        stdlib = await navigation.definition("shop/cart.py", line, column)
        assert stdlib and all(loc.external and Path(loc.path).is_absolute() for loc in stdlib)
        with pytest.raises(NavigationUnsupported, match="textDocument/implementation"):
            await navigation.implementations("shop/cart.py", line, column)


@pytest.mark.slow
async def test_python_columns_are_code_points(tmp_path: Path) -> None:
    module = tmp_path / "emoji.py"
    module.write_text("def target() -> int:\n    return 1\n\n\nlabel = '😀😀'; value = target()\n")
    async with ServerNavigation.open(tmp_path, ["python"]) as navigation:
        line, column = position(tmp_path, "emoji.py", "value = target()", "target")
        (found,) = await navigation.definition("emoji.py", line, column)
        assert (found.path, found.line, found.column, found.end_column) == ("emoji.py", 1, 4, 10)
        references = await navigation.references("emoji.py", 1, 4)
        assert Location("emoji.py", line, column, line, column + len("target")) in references


@pytest.mark.slow
async def test_bad_positions_and_paths(python_repo: Path) -> None:
    async with ServerNavigation.open(python_repo, ["python"]) as navigation:
        with pytest.raises(NavigationError, match="out of range"):
            await navigation.definition("shop/cart.py", 10_000, 0)
        with pytest.raises(NavigationError, match="outside the workspace"):
            await navigation.definition("../x.py", 1, 0)
        with pytest.raises(NavigationError, match="no language server handles"):
            await navigation.hover("pyproject.toml", 1, 0)
        with pytest.raises(NavigationError, match="cannot read"):
            await navigation.definition("shop/missing.py", 1, 0)


@pytest.mark.slow
async def test_rust_definition_references_implementations_hover(rust_repo: Path) -> None:
    async with ServerNavigation.open(rust_repo, ["rust"]) as navigation:
        line, column = position(rust_repo, "src/ledger.rs", "let balance = self.balance(from)?;", "balance(")
        (definition,) = await navigation.definition("src/ledger.rs", line, column)
        assert (definition.path, definition.line) == ("src/ledger.rs", position(rust_repo, "src/ledger.rs", "pub fn balance")[0])
        hover = await navigation.hover("src/ledger.rs", line, column)
        assert hover is not None and "pub fn balance(&self, id: AccountId) -> Result<i64, LedgerError>" in hover

        trait_line, trait_column = position(rust_repo, "src/report.rs", "pub trait Render", "Render")
        implementations = await navigation.implementations("src/report.rs", trait_line, trait_column)
        impl_line = position(rust_repo, "src/report.rs", "impl Render for")[0]
        assert [(i.path, i.line) for i in implementations] == [("src/report.rs", impl_line)]
        references = await navigation.references("src/report.rs", trait_line, trait_column)
        assert {r.path for r in references} >= {"src/lib.rs", "src/report.rs", "tests/transfers.rs"}


@pytest.mark.slow
async def test_nothing_there_is_an_empty_answer_not_an_error(python_repo: Path) -> None:
    async with ServerNavigation.open(python_repo, ["python"]) as navigation:
        blank = next(n for n, line in enumerate((python_repo / "shop/cart.py").read_text().splitlines(), 1) if not line)
        assert await navigation.hover("shop/cart.py", blank, 0) is None
        assert await navigation.definition("shop/cart.py", blank, 0) == []
        # A keyword has no definition either.
        line, column = position(python_repo, "shop/cart.py", "return self.subtotal()", "return")
        assert await navigation.definition("shop/cart.py", line, column) == []


@pytest.mark.slow
async def test_navigation_shares_servers_with_diagnostics(python_repo: Path) -> None:
    async with LanguageServers.open(python_repo, ["python"]) as servers:
        async with DiagnosticsService.open(python_repo, ["python"], servers=servers) as service:
            async with ServerNavigation.open(python_repo, ["python"], servers=servers) as navigation:
                cart = python_repo / "shop" / "cart.py"
                old = cart.read_text()
                new = old.replace("    def subtotal(self) -> Money:", "    # the sum of the lines\n    def subtotal(self) -> Money:")
                cart.write_text(new)
                await service.apply_change("shop/cart.py", new, old_text=old)
                # Navigation answers against the text the diagnostics service sent.
                line, column = position(python_repo, "shop/cart.py", "return self.subtotal() - self.discount()", "subtotal")
                (found,) = await navigation.definition("shop/cart.py", line, column)
                assert (found.path, found.line) == ("shop/cart.py", position(python_repo, "shop/cart.py", "def subtotal")[0])
                assert (await servers.client("python")).restarts == 0
