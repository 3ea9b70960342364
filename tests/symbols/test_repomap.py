"""The repo map: ranked signatures, grouped by file, within a token budget."""

from __future__ import annotations

from pathlib import Path

from symbols.index import RepoIndex
from symbols.repomap import ELIDED, estimate_tokens, repo_map


def test_map_fits_the_budget_and_shows_signatures(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    text = repo_map(index, tokens=200)
    assert 0 < estimate_tokens(text) <= 200
    assert "shop/cart.py:" in text.splitlines()
    assert any(line.strip().startswith(("def ", "class ")) and line.endswith(ELIDED) for line in text.splitlines())


def test_bigger_budget_shows_more(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    small, large = repo_map(index, tokens=80), repo_map(index, tokens=2000)
    assert len(small) < len(large)
    assert set(small.splitlines()) - set(large.splitlines()) <= {line for line in small.splitlines() if line.endswith(":")}


def test_focus_pulls_the_map_toward_what_it_mentions(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    text = repo_map(index, focus="parse_coupon SAVE15 coupon codes", tokens=60)
    assert "def parse_coupon(code: str) -> PercentOff" in text


def test_children_are_shown_under_their_parents(rust_repo: Path):
    index = RepoIndex.build(rust_repo, use_cache=False)
    lines = repo_map(index, focus="Ledger::transfer", tokens=120).splitlines()
    transfer = next(i for i, line in enumerate(lines) if "fn transfer(" in line)
    above = [line for line in lines[:transfer] if line.startswith("  impl Ledger")]
    assert above, lines
    assert lines[transfer].startswith("    pub fn transfer")


def test_empty_and_zero_budget(tmp_path: Path, python_repo: Path):
    (tmp_path / "empty").mkdir()
    assert repo_map(RepoIndex.build(tmp_path / "empty", use_cache=False)) == ""
    assert repo_map(RepoIndex.build(python_repo, use_cache=False), tokens=0) == ""
