"""Navigator: answers in symbol ids, from Jedi, real pyright / rust-analyzer, and the index."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from editor_harness.language_servers import LanguageServers
from editor_harness.navigation import Navigator, SymbolLocation
from editor_harness.server_navigation import NavigationError, ServerNavigation
from editor_harness.workspace import Workspace
from lsp.servers import spec_for_language

pytestmark = pytest.mark.anyio


def _ids(found: list[SymbolLocation]) -> list[str | None]:
    return [item.symbol_id for item in found]


def _line_col(repo: Path, rel: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    for number, text in enumerate((repo / rel).read_text().splitlines(), 1):
        if needle in text:
            if occurrence == 0:
                return number, text.index(needle)
            occurrence -= 1
    raise AssertionError(f"{needle!r} not in {rel}")


# ------------------------------------------------------------------- python / jedi


async def test_definition_across_files_names_the_symbol(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    line, col = _line_col(python_repo, "shop/cart.py", "parse_coupon(code)")
    found = await nav.go_to_definition("shop/cart.py", line, col)
    assert _ids(found) == ["shop/discounts.py::parse_coupon"]
    assert found[0].source == "jedi"
    assert (found[0].location.path, found[0].location.line) == ("shop/discounts.py", 44)


async def test_definition_outside_the_repo_is_external(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    line, col = _line_col(python_repo, "shop/cart.py", "dataclass\n".strip(), 1)  # the decorator use
    found = await nav.go_to_definition("shop/cart.py", line, col + 1)
    assert found and all(item.location.external and item.symbol_id is None for item in found)


async def test_references_name_the_calling_symbols(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    found = await nav.references_to("shop/discounts.py::BulkDiscount.applies_to")
    assert _ids(found) == [
        "shop/discounts.py::BulkDiscount.applies_to",
        "shop/discounts.py::BulkDiscount.amount_off",
        "tests/test_discounts.py::test_bulk_discount_applies_at_threshold",
        "tests/test_discounts.py::test_bulk_discount_not_below_threshold",
    ]


async def test_implementations_of_a_protocol_and_its_method(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    assert _ids(await nav.implementations_of("shop/discounts.py::Discount")) == [
        "shop/discounts.py::PercentOff",
        "shop/discounts.py::BulkDiscount",
    ]
    assert _ids(await nav.implementations_of("shop/discounts.py::Discount.amount_off")) == [
        "shop/discounts.py::PercentOff.amount_off",
        "shop/discounts.py::BulkDiscount.amount_off",
    ]


async def test_implementations_are_transitive_subclasses_checked_by_jedi(python_repo: Path) -> None:
    (python_repo / "shop" / "special.py").write_text(
        "from shop.discounts import BulkDiscount\n\n\n"
        "class SeasonalBulk(BulkDiscount):\n    def applies_to(self, quantity: int) -> bool:\n        return True\n\n\n"
        "class Clearance(SeasonalBulk):\n    pass\n"
    )
    (python_repo / "shop" / "unrelated.py").write_text(
        "class BulkDiscount:\n    pass\n\n\nclass Lookalike(BulkDiscount):\n    def applies_to(self, q):\n        return False\n"
    )
    nav = Navigator(Workspace.open(python_repo))
    assert _ids(await nav.implementations_of("shop/discounts.py::BulkDiscount")) == [
        "shop/special.py::SeasonalBulk",
        "shop/special.py::Clearance",
    ]
    assert _ids(await nav.implementations_of("shop/discounts.py::BulkDiscount.applies_to")) == [
        "shop/special.py::SeasonalBulk.applies_to"
    ]


async def test_hover_shows_signature_and_docstring(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    hover = await nav.hover_symbol("shop/discounts.py::parse_coupon")
    assert hover is not None and hover.source == "jedi"
    assert "parse_coupon(code: str) -> PercentOff" in hover.text
    assert 'Turn a coupon code such as "SAVE15"' in hover.text
    assert hover.symbol_id == "shop/discounts.py::parse_coupon"


async def test_bad_positions_are_clear_errors(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    with pytest.raises(NavigationError, match="out of range"):
        await nav.go_to_definition("shop/cart.py", 10_000, 0)
    with pytest.raises(NavigationError, match="past the end of the line"):
        await nav.references("shop/cart.py", 1, 500)
    with pytest.raises(NavigationError, match="not a Python or Rust file"):
        await nav.go_to_definition("pyproject.toml", 1, 0)


async def test_position_of_a_symbol_is_its_name(python_repo: Path) -> None:
    nav = Navigator(Workspace.open(python_repo))
    assert nav.position_of("shop/discounts.py::BulkDiscount.applies_to") == ("shop/discounts.py", 35, 8)
    assert nav.position_of("shop/cart.py::LineItem") == ("shop/cart.py", 16, 6)  # after @dataclass
    assert nav.position_of("shop/cart.py::<module>") == ("shop/cart.py", 1, 0)


async def test_pyright_answers_when_jedi_finds_nothing(python_repo: Path) -> None:
    # Jedi does not resolve names inside string annotations; pyright does.
    (python_repo / "shop" / "receipts.py").write_text(
        "from __future__ import annotations\n\nimport typing\n\nif typing.TYPE_CHECKING:\n    from shop.money import Money\n\n\n"
        'def describe(amount: "Money") -> str:\n    return str(amount)\n'
    )
    workspace = Workspace.open(python_repo)
    line, col = _line_col(python_repo, "shop/receipts.py", '"Money"')
    without_server = await Navigator(workspace).go_to_definition("shop/receipts.py", line, col + 1)
    assert [item.source for item in without_server] == ["index"]  # Jedi had nothing
    async with ServerNavigation.open(python_repo, ["python"]) as server:
        found = await Navigator(workspace, server=server).go_to_definition("shop/receipts.py", line, col + 1)
    assert found and found[0].source == "pyright"
    assert found[0].symbol_id == "shop/money.py::Money"


async def test_a_server_that_cannot_start_falls_back_to_the_index(python_repo: Path) -> None:
    broken = replace(spec_for_language("python"), command=("/nonexistent/pyright-langserver", "--stdio"))
    (python_repo / "shop" / "receipts.py").write_text('def describe(amount: "Money") -> str:\n    return str(amount)\n')
    workspace = Workspace.open(python_repo)
    async with LanguageServers.open(python_repo, ["python"], specs={"python": broken}) as pool:
        async with ServerNavigation.open(python_repo, ["python"], servers=pool) as server:
            nav = Navigator(workspace, server=server)
            found = await nav.go_to_definition("shop/receipts.py", 1, 23)
    assert _ids(found) == ["shop/money.py::Money"] and found[0].source == "index"
    assert "pyright" in nav.last_failures


# --------------------------------------------------------------------- rust


async def test_rust_navigation_through_rust_analyzer(rust_repo: Path) -> None:
    workspace = Workspace.open(rust_repo)
    async with ServerNavigation.open(rust_repo, ["rust"]) as server:
        nav = Navigator(workspace, server=server)
        line, col = _line_col(rust_repo, "tests/transfers.rs", "l.transfer(a, b, cents!(30))")
        found = await nav.go_to_definition("tests/transfers.rs", line, col + 2)
        assert _ids(found) == ["src/ledger.rs::Ledger::transfer"] and found[0].source == "rust-analyzer"
        refs = await nav.references_to("src/ledger.rs::Ledger::transfer")
        assert {"tests/transfers.rs::transfer_moves_money", "tests/transfers.rs::transfer_can_empty_an_account"} <= set(
            _ids(refs)
        )
        impls = await nav.implementations_of("src/report.rs::Render")
        assert "src/report.rs::impl Render for Ledger" in _ids(impls)
        hover = await nav.hover_symbol("src/account.rs::Account::balance")
        assert hover is not None and "pub fn balance(&self) -> i64" in hover.text


async def test_rust_without_a_server_uses_the_index(rust_repo: Path) -> None:
    nav = Navigator(Workspace.open(rust_repo))
    impls = await nav.implementations_of("src/report.rs::Render::title")
    assert _ids(impls) == ["src/report.rs::<Ledger as Render>::title"] and impls[0].source == "index"
    line, col = _line_col(rust_repo, "src/report.rs", "format_cents(account")
    found = await nav.go_to_definition("src/report.rs", line, col)
    assert _ids(found) == ["src/report.rs::format_cents"]


def _unprobeable_python(tmp_path: Path) -> Path:
    """A real executable Jedi cannot probe (like the Python 3.6 of an old SWE-bench instance)."""
    script = tmp_path / "env" / "bin" / "python"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\necho 'this interpreter cannot run Jedi' >&2\nexit 1\n")
    script.chmod(0o755)
    return script


async def test_jedi_falls_back_to_this_python_when_the_runs_interpreter_cannot_be_probed(
    python_repo: Path, tmp_path: Path
) -> None:
    python = _unprobeable_python(tmp_path)
    nav = Navigator(Workspace.open(python_repo), python=str(python))
    line, col = _line_col(python_repo, "shop/cart.py", "parse_coupon(code)")
    found = await nav.go_to_definition("shop/cart.py", line, col)
    assert _ids(found) == ["shop/discounts.py::parse_coupon"] and found[0].source == "jedi"
    [note] = nav.notes
    assert str(python) in note and "instead" in note
    users = await nav.references_to("shop/discounts.py::parse_coupon")
    assert "shop/cart.py::Cart.apply_coupon" in _ids(users)
    assert len(nav.notes) == 1  # the fallback is taken (and noted) once per session
