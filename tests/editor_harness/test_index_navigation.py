"""IndexNavigation: answers by name from the index alone, on the Rust example."""

from __future__ import annotations

from pathlib import Path

import pytest

from editor_harness.index_navigation import IndexNavigation, word_at
from editor_harness.server_navigation import NavigationError
from symbols.index import RepoIndex

pytestmark = pytest.mark.anyio


def test_word_at() -> None:
    assert word_at("let x = format_cents(a);", 10) == "format_cents"
    assert word_at("let x = format_cents(a);", 20) == "format_cents"  # just past the end still counts
    assert word_at("  (  )  ", 3) is None


async def test_definitions_references_and_hover_by_name(rust_repo: Path) -> None:
    nav = IndexNavigation(rust_repo, RepoIndex.build(rust_repo))
    found = await nav.definition("src/report.rs", 42, 70)
    assert [(loc.path, loc.line, loc.column) for loc in found] == [("src/report.rs", 33, 7)]
    refs = await nav.references("src/report.rs", 33, 8)
    assert [(loc.path, loc.line) for loc in refs] == [("src/report.rs", 33), ("src/report.rs", 42)]
    hover = await nav.hover("src/report.rs", 33, 8)
    assert hover is not None and "pub fn format_cents(cents: i64) -> String" in hover
    with pytest.raises(NavigationError, match="out of range"):
        await nav.references("src/report.rs", 999, 0)


async def test_trait_implementations_by_name(rust_repo: Path) -> None:
    nav = IndexNavigation(rust_repo, RepoIndex.build(rust_repo))
    found = await nav.implementations("src/report.rs", 6, 11)  # `pub trait Render`
    assert [(loc.path, loc.line) for loc in found] == [("src/report.rs", 38)]


def test_name_location_skips_attributes_and_doc_comments(rust_repo: Path) -> None:
    index = RepoIndex.build(rust_repo)
    nav = IndexNavigation(rust_repo, index)
    location = nav.name_location(index.symbol("src/account.rs::AccountId"))
    assert (location.line, location.column) == (7, 11)
