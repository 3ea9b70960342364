"""Okapi BM25 over a fixed set of documents.

Built with numpy from flat (document, term) arrays: one sort, no Python loop
per posting. A query costs a few vector operations per query term.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from symbols.tokens import Vocabulary

K1 = 1.2
B = 0.75


@dataclass(frozen=True, slots=True)
class Bm25:
    size: int
    # Postings of term t: docs[indptr[t]:indptr[t+1]] with their BM25 term
    # weights (idf times the length-normalised tf part) alongside.
    indptr: np.ndarray
    docs: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_arrays(cls, doc: np.ndarray, term: np.ndarray, size: int, vocabulary_size: int) -> Bm25:
        """`doc[i]`, `term[i]`: the document and term id of token i."""
        lengths = np.bincount(doc, minlength=size).astype(np.float64)
        average = float(lengths.mean()) if size and lengths.sum() else 1.0
        keys, tf = np.unique(term.astype(np.int64) * max(size, 1) + doc, return_counts=True)
        terms_of = keys // max(size, 1)
        docs = keys % max(size, 1)
        df = np.bincount(terms_of, minlength=vocabulary_size)
        idf = np.log(1 + (size - df + 0.5) / (df + 0.5))
        norms = K1 * (1 - B + B * lengths / average)
        weights = idf[terms_of] * tf * (K1 + 1) / (tf + norms[docs])
        indptr = np.concatenate(([0], np.cumsum(df)))
        return cls(size, indptr, docs, weights)

    @classmethod
    def build(cls, documents: Sequence[Iterable[str]]) -> tuple[Bm25, Vocabulary]:
        """From documents of string terms; also returns the vocabulary to query with."""
        vocabulary = Vocabulary()
        term: list[int] = []
        lengths: list[int] = []
        for document in documents:
            before = len(term)
            term.extend(vocabulary.term_id(t) for t in document)
            lengths.append(len(term) - before)
        doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        return (
            cls.from_arrays(doc, np.array(term, dtype=np.int64), len(lengths), len(vocabulary.ids)),
            vocabulary,
        )

    def scores(self, query: Iterable[int]) -> np.ndarray:
        """One score per document for query term ids; repeats count sublinearly."""
        out = np.zeros(self.size, dtype=np.float64)
        for term, count in Counter(query).items():
            if not 0 <= term < len(self.indptr) - 1:
                continue
            start, end = self.indptr[term], self.indptr[term + 1]
            out[self.docs[start:end]] += self.weights[start:end] * (1 + math.log(count))
        return out
