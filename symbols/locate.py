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
    """How the signals combine. BM25 and PageRank arrive normalised to a
    best of 1, mention scores absolute (an exact hit on a frame line or a
    dotted name scores 2-3). The defaults were tuned by coordinate search on
    half of the SWE-bench Lite dev instances and checked on the other half
    (bench/RESULTS.md): keywords carry most, mentions decide among them."""

    bm25: float = 3.0
    file_bm25: float = 1.2
    pagerank: float = 0.4
    inherited_bm25: float = 1.0  # share of its class's (impl's, trait's) BM25 a member gets
    title_bm25: float = 2.0
    frame: float = 1.0
    path: float = 0.5
    dotted: float = 1.0
    identifier: float = 0.5
    message: float = 0.5
    file_mention: float = 0.5  # share of a file's mentions every symbol in it gets
    test_factor: float = 0.2
    module_factor: float = 0.2
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
    """Scores what a text mentions exactly, per mention kind, per symbol and per file."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.symbol = {kind: np.zeros(len(corpus.symbols)) for kind in MentionKind}
        self.file = {kind: np.zeros(len(corpus.paths)) for kind in MentionKind}

    def files_for(self, path: str) -> list[int]:
        components = [c for c in path.split("/") if c not in ("", ".")]
        for start in range(len(components)):
            found = self.corpus.by_path_suffix.get("/".join(components[start:]))
            if found:
                return found if len(found) <= MAX_FANOUT else []
        return []

    def named(self, kind: MentionKind, name: str, amount: float, files: list[int] | None = None) -> None:
        defined = self.corpus.by_name.get(name, [])
        if files is not None:
            allowed = set(files)
            defined = [i for i in defined if int(self.corpus.file_of[i]) in allowed]
        if 0 < len(defined) <= MAX_FANOUT:
            scores = self.symbol[kind]
            for i in defined:
                scores[i] += amount / math.sqrt(len(defined))

    def at_line(self, kind: MentionKind, file: int, line: int, amount: float) -> None:
        corpus = self.corpus
        index = int(corpus.first_symbol[file])
        best, best_size = index, math.inf
        while index < len(corpus.symbols) and corpus.file_of[index] == file:
            s = corpus.symbols[index]
            size = s.end_byte - s.start_byte
            if s.start_line <= line <= s.end_line and size <= best_size:
                best, best_size = index, size
            index += 1
        self.symbol[kind][best] += amount

    def frame(self, m: Mention) -> None:
        assert m.path is not None
        files = self.files_for(m.path)
        for f in files:
            self.file[m.kind][f] += 2.0 * m.weight / len(files)
            if m.line is not None:
                self.at_line(m.kind, f, m.line, 2.0 * m.weight / len(files))
        if m.name:
            self.named(m.kind, m.name, 2.0 * m.weight, files if files else None)

    def dotted(self, m: Mention) -> None:
        assert m.name is not None
        parts = _split_dotted(m.name)
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
                    self.symbol[m.kind][i] += amount * m.weight / len(candidates)
                hit = True
                break
        # `ascii.rst`, `sympy.core.basic`: a module.
        as_path = "/".join(parts)
        for f in self.files_for(as_path + ".py") + self.files_for(as_path + "/__init__.py") + self.files_for(as_path + ".rs"):
            self.file[m.kind][f] += 1.5 * m.weight
            hit = True
        if not hit:
            self.named(m.kind, parts[-1], 1.0 * m.weight)

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
                    self.at_line(MentionKind.MESSAGE, number, data.count(b"\n", 0, at) + 1, 3.0)

    def add(self, mentions: list[Mention]) -> None:
        pieces: list[bytes] = []
        for m in mentions:
            if m.kind is MentionKind.FRAME:
                self.frame(m)
            elif m.kind is MentionKind.PATH:
                for f in self.files_for(m.path or m.text):
                    self.file[m.kind][f] += 2.0 * m.weight
            elif m.kind is MentionKind.DOTTED:
                self.dotted(m)
            elif m.kind is MentionKind.IDENTIFIER and m.name:
                self.named(m.kind, m.name, 1.5 * m.weight)
            elif m.kind is MentionKind.MESSAGE:
                pieces.append(m.text.encode())
        if pieces:
            self.message(pieces)


@dataclass(frozen=True, slots=True)
class Signals:
    """Every per-symbol signal of one query, before they are combined."""

    corpus: Corpus
    bm25: np.ndarray  # normalised to a best of 1
    file_bm25: np.ndarray  # per file, normalised
    mentions: dict[MentionKind, np.ndarray]  # per symbol, absolute
    file_mentions: dict[MentionKind, np.ndarray]  # per file, absolute
    pagerank: np.ndarray  # normalised
    title_bm25: np.ndarray  # BM25 of the title alone, normalised


def _spread_to_children(corpus: Corpus, scores: np.ndarray) -> None:
    # Methods of a mentioned class share some of its mention.
    for i in np.nonzero(scores)[0]:
        s = corpus.symbols[int(i)]
        if s.kind is not SymbolKind.MODULE and s.children:
            share = 0.3 * scores[i] / math.sqrt(len(s.children))
            for child in s.children:
                scores[corpus.position[child]] += share


def signals(index: RepoIndex, text: str, weights: Weights = DEFAULT_WEIGHTS) -> Signals:
    corpus = corpus_for(index)
    n = len(corpus.symbols)
    bm25_index = corpus.bm25  # builds the vocabulary the query is mapped with
    # The title says what is wrong in the fewest words: its terms count twice,
    # and a match on the title alone is a signal of its own.
    title = next((line for line in text.splitlines() if line.strip()), "")
    title_query = corpus.vocabulary.query(title)
    query = corpus.vocabulary.query(text) + title_query
    bm25 = _normalised(bm25_index.scores(query)) if n else np.zeros(0)
    title_bm25 = _normalised(bm25_index.scores(title_query)) if n else np.zeros(0)
    file_bm25 = _normalised(corpus.file_bm25.scores(query)) if n else np.zeros(0)
    resolver = _Resolver(corpus)
    resolver.add(find_mentions(text))
    for scores in resolver.symbol.values():
        _spread_to_children(corpus, scores)
    seeds = np.zeros(n)
    for kind in MentionKind:
        seeds += resolver.symbol[kind] + 0.1 * resolver.file[kind][corpus.file_of]
    top = np.argsort(-bm25)[: weights.bm25_seeds]
    seeds[top] += bm25[top]
    # Nothing matched at all: no ranking (a global PageRank is the repo map's job).
    pr = _normalised(pagerank(corpus.graph, n, seeds)) if seeds.any() else np.zeros(n)
    return Signals(corpus, bm25, file_bm25, resolver.symbol, resolver.file, pr, title_bm25)


def combine(signals: Signals, weights: Weights = DEFAULT_WEIGHTS) -> np.ndarray:
    corpus = signals.corpus
    per_kind = {
        MentionKind.FRAME: weights.frame,
        MentionKind.PATH: weights.path,
        MentionKind.DOTTED: weights.dotted,
        MentionKind.IDENTIFIER: weights.identifier,
        MentionKind.MESSAGE: weights.message,
    }
    mentioned = np.zeros(len(corpus.symbols))
    mentioned_files = np.zeros(len(corpus.paths))
    for kind, factor in per_kind.items():
        mentioned += factor * signals.mentions[kind]
        mentioned_files += factor * signals.file_mentions[kind]
    enclosing = corpus.enclosing
    inherited = np.where(enclosing >= 0, signals.bm25[np.maximum(enclosing, 0)], 0.0)
    scores = (
        weights.bm25 * signals.bm25
        + weights.inherited_bm25 * inherited
        + weights.title_bm25 * signals.title_bm25
        + weights.file_bm25 * signals.file_bm25[corpus.file_of]
        + mentioned
        + weights.file_mention * mentioned_files[corpus.file_of]
        + weights.pagerank * signals.pagerank
    )
    scores[corpus.test_file[corpus.file_of]] *= weights.test_factor
    scores[corpus.is_module] *= weights.module_factor
    return scores


def rank(index: RepoIndex, text: str, weights: Weights = DEFAULT_WEIGHTS) -> Ranking:
    """Every symbol of `index` scored against `text`."""
    found = signals(index, text, weights)
    return Ranking(found.corpus, combine(found, weights))


def locate(index: RepoIndex, issue_text: str, k: int = 10, *, weights: Weights = DEFAULT_WEIGHTS) -> list[Located]:
    """The `k` symbols most likely to need changing for this issue, best first."""
    return rank(index, issue_text, weights).symbols(k)
