"""Localization: which symbols an issue is about, as one pure pipeline.

    issue text -> mentions + search terms
               -> scores: BM25 (symbols, files) + exact mentions + PageRank
               -> ranking

`locate(index, text, k)` is a pure function of the index and the text (the
search data it derives from the index are memoised per index version), so
it is testable and reproducible without any model.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

import numpy as np

from symbols.corpus import MAX_FANOUT, Corpus, corpus_for, module_name, qualname_parts
from symbols.mentions import Mention, MentionKind, find_mentions
from symbols.model import SymbolKind
from symbols.rank import pagerank

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symbols.index import RepoIndex


@dataclass(frozen=True, slots=True)
class Weights:
    """How the signals combine. Mentions are absolute (an exact hit scores
    ~3, far above the best BM25 match, which is normalised to 1)."""

    bm25: float = 1.0
    file_bm25: float = 0.6
    mention: float = 1.0
    pagerank: float = 0.4
    test_factor: float = 0.5
    module_factor: float = 0.5
    bm25_seeds: int = 30


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Located:
    symbol_id: str
    path: str
    start_line: int
    end_line: int
    score: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Ranking:
    """Scores of every symbol of a corpus for one query."""

    corpus: Corpus
    scores: np.ndarray

    def symbols(self, k: int) -> list[Located]:
        order = np.argsort(-self.scores, kind="stable")[:k]
        out: list[Located] = []
        for i in order:
            if self.scores[i] <= 0:
                break
            s = self.corpus.symbols[int(i)]
            out.append(Located(s.id, s.path, s.start_line, s.end_line, round(float(self.scores[i]), 6)))
        return out

    def files(self, k: int) -> list[tuple[str, float]]:
        """Files by their best symbol's score."""
        best = np.zeros(len(self.corpus.paths))
        np.maximum.at(best, self.corpus.file_of, self.scores)
        order = np.argsort(-best, kind="stable")[:k]
        return [(self.corpus.paths[int(i)], round(float(best[i]), 6)) for i in order if best[i] > 0]


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _split_dotted(name: str) -> list[str]:
    return [p for p in re.split(r"\.|::", name) if p]


class _Resolver:
    """Adds mention scores to symbols and files of one corpus."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.symbol = np.zeros(len(corpus.symbols))
        self.file = np.zeros(len(corpus.paths))

    def files_for(self, path: str) -> list[int]:
        components = [c for c in path.split("/") if c not in ("", ".")]
        for start in range(len(components)):
            found = self.corpus.by_path_suffix.get("/".join(components[start:]))
            if found:
                return found if len(found) <= MAX_FANOUT else []
        return []

    def named(self, name: str, amount: float, files: list[int] | None = None) -> None:
        defined = self.corpus.by_name.get(name, [])
        if files is not None:
            allowed = set(files)
            defined = [i for i in defined if int(self.corpus.file_of[i]) in allowed]
        if 0 < len(defined) <= MAX_FANOUT:
            for i in defined:
                self.symbol[i] += amount / math.sqrt(len(defined))

    def at_line(self, file: int, line: int, amount: float) -> None:
        corpus = self.corpus
        first = int(corpus.first_symbol[file])
        last = first
        best, best_size = first, math.inf
        while last < len(corpus.symbols) and corpus.file_of[last] == file:
            s = corpus.symbols[last]
            size = s.end_byte - s.start_byte
            if s.start_line <= line <= s.end_line and size <= best_size:
                best, best_size = last, size
            last += 1
        self.symbol[best] += amount

    def frame(self, m: Mention) -> None:
        assert m.path is not None
        files = self.files_for(m.path)
        for f in files:
            self.file[f] += 2.0 * m.weight / len(files)
            if m.line is not None:
                self.at_line(f, m.line, 2.0 * m.weight / len(files))
        if m.name:
            self.named(m.name, 2.0 * m.weight, files if files else None)

    def dotted(self, m: Mention) -> None:
        assert m.name is not None
        parts = _split_dotted(m.name)
        module = ".".join(parts)
        hit = False
        for length in (3, 2):
            if len(parts) < length:
                continue
            candidates = self.corpus.by_tail.get(".".join(parts[-length:]).lower(), [])
            if 0 < len(candidates) <= MAX_FANOUT:
                tail = parts[-length:]
                prefix = ".".join(parts[:-length])
                for i in candidates:
                    symbol = self.corpus.symbols[i]
                    # `Cart.add` written as such beats `cart.add` (a variable, probably a Cart).
                    amount = 3.0 if qualname_parts(symbol)[-length:] == tail else 1.5
                    if prefix and module_name(symbol.path).endswith(prefix):
                        amount += 1.0
                    self.symbol[i] += amount * m.weight / len(candidates)
                hit = True
                break
        for f in self.files_for(module.replace(".", "/") + ".py") + self.files_for(module.replace(".", "/") + "/__init__.py"):
            self.file[f] += 1.5 * m.weight
            hit = True
        if not hit:
            self.named(parts[-1], 1.0 * m.weight)

    def message(self, pieces: list[bytes]) -> None:
        corpus = self.corpus
        for number, path in enumerate(corpus.paths):
            try:
                data = (corpus.root / path).read_bytes()
            except OSError:
                continue
            for piece in pieces:
                at = data.find(piece)
                if at >= 0:
                    self.at_line(number, data.count(b"\n", 0, at) + 1, 3.0)

    def add(self, mentions: list[Mention]) -> None:
        pieces: list[bytes] = []
        for m in mentions:
            if m.kind is MentionKind.FRAME:
                self.frame(m)
            elif m.kind is MentionKind.PATH:
                for f in self.files_for(m.path or m.text):
                    self.file[f] += 2.0 * m.weight
            elif m.kind is MentionKind.DOTTED:
                self.dotted(m)
            elif m.kind is MentionKind.IDENTIFIER and m.name:
                self.named(m.name, 1.5 * m.weight)
            elif m.kind is MentionKind.MESSAGE:
                pieces.append(m.text.encode())
        if pieces:
            self.message(pieces)


def mention_scores(corpus: Corpus, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(per-symbol, per-file) scores of what the text mentions exactly."""
    resolver = _Resolver(corpus)
    resolver.add(find_mentions(text))
    symbol = resolver.symbol
    # Methods of a mentioned class share some of its mention.
    for i in np.nonzero(symbol)[0]:
        s = corpus.symbols[int(i)]
        if s.kind is not SymbolKind.MODULE and s.children:
            for child in s.children:
                symbol[corpus.position[child]] += 0.3 * symbol[i] / math.sqrt(len(s.children))
    return symbol, resolver.file


def rank(index: RepoIndex, text: str, weights: Weights = DEFAULT_WEIGHTS) -> Ranking:
    """Every symbol of `index` scored against `text`."""
    corpus = corpus_for(index)
    n = len(corpus.symbols)
    if n == 0:
        return Ranking(corpus, np.zeros(0))
    bm25_index = corpus.bm25  # builds the vocabulary the query is mapped with
    query = corpus.vocabulary.query(text)
    bm25 = _normalised(bm25_index.scores(query))
    file_bm25 = _normalised(corpus.file_bm25.scores(query))
    mentioned, mentioned_files = mention_scores(corpus, text)
    seeds = mentioned + mentioned_files[corpus.file_of] * 0.1
    top = np.argsort(-bm25)[: weights.bm25_seeds]
    seeds[top] += bm25[top]
    pr = _normalised(pagerank(corpus.graph, n, seeds))
    scores = (
        weights.bm25 * bm25
        + weights.file_bm25 * file_bm25[corpus.file_of]
        + weights.mention * (mentioned + 0.5 * mentioned_files[corpus.file_of])
        + weights.pagerank * pr
    )
    scores[corpus.test_file[corpus.file_of]] *= weights.test_factor
    modules = np.fromiter((s.kind is SymbolKind.MODULE for s in corpus.symbols), dtype=bool, count=n)
    scores[modules] *= weights.module_factor
    return Ranking(corpus, scores)


def locate(index: RepoIndex, issue_text: str, k: int = 10, *, weights: Weights = DEFAULT_WEIGHTS) -> list[Located]:
    """The `k` symbols most likely to need changing for this issue, best first."""
    return rank(index, issue_text, weights).symbols(k)
