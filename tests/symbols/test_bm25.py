"""BM25 scores: matches the textbook formula, ranks sensibly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symbols.bm25 import B, K1, Bm25


def textbook(documents: list[list[str]], query: list[str]) -> list[float]:
    n = len(documents)
    average = sum(map(len, documents)) / n
    out = []
    for doc in documents:
        total = 0.0
        for term in set(query):
            df = sum(term in d for d in documents)
            tf = doc.count(term)
            if not tf:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            total += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(doc) / average))
        out.append(total)
    return out


def test_scores_equal_the_textbook_formula():
    documents = [["bulk", "discount", "discount"], ["cart", "total"], ["discount", "cart", "coupon", "code"], []]
    index, vocabulary = Bm25.build(documents)
    query = ["discount", "cart"]
    got = index.scores([vocabulary.ids[t] for t in query])
    assert got == pytest.approx(textbook(documents, query))


def test_repeated_query_terms_count_sublinearly():
    index, vocabulary = Bm25.build([["a"], ["b"]])
    once = index.scores([vocabulary.ids["a"]])
    twice = index.scores([vocabulary.ids["a"]] * 2)
    assert twice[0] == pytest.approx(once[0] * (1 + math.log(2)))


def test_unknown_terms_and_empty_corpus():
    index, _ = Bm25.build([["a"]])
    assert index.scores([99, -1]).tolist() == [0.0]
    empty, _ = Bm25.build([])
    assert empty.scores([0]).shape == (0,)


def test_rare_terms_outweigh_common_ones():
    documents = [["common", "rare"], ["common"], ["common"], ["common"]]
    index, vocabulary = Bm25.build(documents)
    scores = index.scores([vocabulary.ids["rare"], vocabulary.ids["common"]])
    assert int(np.argmax(scores)) == 0
