"""Search data derived from an index: lookups, documents, the reference graph, memoisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from symbols.corpus import corpus_for, is_test_path, module_name, qualname_parts
from symbols.index import RepoIndex


def test_test_paths():
    assert is_test_path("tests/test_cart.py") and is_test_path("pkg/tests/x.py")
    assert is_test_path("src/foo_test.py") and is_test_path("conftest.py") and is_test_path("lib/testing/util.py")
    assert not is_test_path("shop/cart.py") and not is_test_path("src/contest.py")


def test_module_names_and_qualname_parts(rust_repo: Path):
    assert module_name("src/pkg/mod.py") == "src.pkg.mod"
    assert module_name("pkg/__init__.py") == "pkg"
    index = RepoIndex.build(rust_repo, use_cache=False)
    assert qualname_parts(index.symbol("src/report.rs::<Ledger as Render>::render")) == ["Ledger", "Render", "render"]
    assert qualname_parts(index.symbol("src/report.rs::<module>")) == []


def test_lookups(python_repo: Path):
    corpus = corpus_for(RepoIndex.build(python_repo, use_cache=False))
    applies = corpus.position["shop/discounts.py::BulkDiscount.applies_to"]
    assert applies in corpus.by_name["applies_to"]
    assert applies in corpus.by_tail["bulkdiscount.applies_to"]
    assert corpus.paths[corpus.by_path_suffix["discounts.py"][0]] == "shop/discounts.py"
    assert corpus.test_file[corpus.paths.index("tests/test_cart.py")]
    assert corpus.symbols[corpus.first_symbol[corpus.paths.index("shop/discounts.py")]].id == "shop/discounts.py::<module>"


def test_graph_links_references_to_definitions(python_repo: Path):
    corpus = corpus_for(RepoIndex.build(python_repo, use_cache=False))
    sources, targets, weights = corpus.graph
    amount_off = corpus.position["shop/discounts.py::BulkDiscount.amount_off"]
    applies = corpus.position["shop/discounts.py::BulkDiscount.applies_to"]
    assert ((sources == amount_off) & (targets == applies)).any()
    assert (sources != targets).all() and (weights > 0).all()
    assert len(sources) == len(targets) == len(weights)


def test_bm25_documents_favour_names(python_repo: Path):
    corpus = corpus_for(RepoIndex.build(python_repo, use_cache=False))
    scores = corpus.bm25.scores(corpus.vocabulary.query("parse coupon"))
    assert corpus.symbols[int(np.argmax(scores))].id == "shop/discounts.py::parse_coupon"


def test_memoised_per_index_version(python_repo: Path):
    index = RepoIndex.build(python_repo, use_cache=False)
    first = corpus_for(index)
    assert corpus_for(index) is first
    (python_repo / "shop/extra.py").write_text("def extra():\n    pass\n")
    index.update("shop/extra.py")
    second = corpus_for(index)
    assert second is not first and "shop/extra.py::extra" in second.position
