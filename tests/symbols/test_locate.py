"""Localization on the bundled examples' real issues, and its building blocks."""

from __future__ import annotations

from pathlib import Path

from symbols.index import RepoIndex
from symbols.locate import Weights, combine, locate, rank, signals
from symbols.mentions import MentionKind


def ids(found):
    return [f.symbol_id for f in found]


def test_python_example_issue_ranks_the_buggy_method_in_the_top_five(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    found = locate(index, (python_repo / "ISSUE.md").read_text(), 5)
    assert "shop/discounts.py::BulkDiscount.applies_to" in ids(found)


def test_rust_example_issue_ranks_the_buggy_method_first(rust_repo: Path):
    index = RepoIndex.build(rust_repo, use_cache=False)
    found = locate(index, (rust_repo / "ISSUE.md").read_text(), 5)
    assert ids(found)[0] == "src/ledger.rs::Ledger::transfer"


def test_results_carry_places_and_descending_scores(rust_repo: Path):
    index = RepoIndex.build(rust_repo, use_cache=False)
    found = locate(index, "Ledger::transfer refuses to empty an account", 4)
    assert len(found) == 4
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    top = found[0]
    symbol = index.symbol(top.symbol_id)
    assert (top.path, top.start_line, top.end_line) == (symbol.path, symbol.start_line, symbol.end_line)
    assert set(top.as_dict()) == {"symbol_id", "path", "start_line", "end_line", "score"}


def test_a_stack_frame_line_beats_keywords(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    total = index.symbol("shop/cart.py::Cart.total")
    text = f'Traceback:\n  File "/site-packages/shop/cart.py", line {total.start_line + 1}, in total\nTypeError: boom'
    assert ids(locate(index, text, 1)) == ["shop/cart.py::Cart.total"]


def test_an_error_message_is_found_in_string_literals(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    found = locate(index, "I get\n\nValueError: quantity must be positive\n\nwhen adding nothing", 3)
    assert ids(found)[0] == "shop/cart.py::Cart.add"


def test_tests_rank_below_the_code_they_test(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    ranking = rank(index, "bulk discount threshold")
    files = [path for path, _ in ranking.files(10)]
    assert files.index("shop/discounts.py") < files.index("tests/test_discounts.py")


def test_pure_and_deterministic(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    text = (python_repo / "ISSUE.md").read_text()
    assert locate(index, text, 10) == locate(index, text, 10)
    fresh = RepoIndex.build(python_repo, use_cache=False)
    assert locate(fresh, text, 10) == locate(index, text, 10)


def test_weights_change_the_combination_not_the_signals(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    found = signals(index, "`Cart.total` is wrong")
    assert found.mentions[MentionKind.DOTTED].max() > 0
    only_mentions = combine(found, Weights(bm25=0, file_bm25=0, pagerank=0))
    cart_total = found.corpus.position["shop/cart.py::Cart.total"]
    assert int(only_mentions.argmax()) == cart_total


def test_empty_repository_and_empty_query(tmp_path: Path):
    index = RepoIndex.build(tmp_path, use_cache=False)
    assert locate(index, "anything at all", 5) == []
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    index = RepoIndex.build(tmp_path, use_cache=False)
    assert locate(index, "", 5) == []
