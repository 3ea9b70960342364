"""The repo map: the most relevant definitions of a repository, as signatures
with bodies elided, fitted to a token budget.

One pure pipeline, after aider's: rank (PageRank over the definition /
reference graph, personalised toward what `focus` mentions) -> choose the
longest prefix of the ranking that fits the budget (binary search) ->
render grouped by file, each symbol under its enclosing definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from symbols.corpus import Corpus, corpus_for
from symbols.locate import rank
from symbols.rank import pagerank

if TYPE_CHECKING:
    from symbols.index import RepoIndex

ELIDED = " …"
INDENT = "  "


def estimate_tokens(text: str) -> int:
    """~4 characters a token: close enough for code with BPE tokenizers, and free."""
    return (len(text) + 3) // 4


def map_scores(index: RepoIndex, focus: str = "") -> tuple[Corpus, np.ndarray]:
    """Importance of every symbol: toward `focus` when given, else global PageRank."""
    if focus.strip():
        ranking = rank(index, focus)
        return ranking.corpus, ranking.scores
    corpus = corpus_for(index)
    return corpus, pagerank(corpus.graph, len(corpus.symbols))


def render(corpus: Corpus, chosen: list[int]) -> str:
    """Files in path order; in each, the chosen symbols in source order under their ancestors."""
    by_file: dict[int, set[int]] = {}
    for i in chosen:
        symbol = corpus.symbols[i]
        if symbol.is_module:
            by_file.setdefault(int(corpus.file_of[i]), set())
            continue
        shown = by_file.setdefault(int(corpus.file_of[i]), set())
        shown.add(i)
        parent = symbol.parent
        while parent is not None:
            j = corpus.position[parent]
            if corpus.symbols[j].is_module:
                break
            shown.add(j)
            parent = corpus.symbols[j].parent
    lines: list[str] = []
    chosen_set = set(chosen)
    for file in sorted(by_file, key=lambda f: corpus.paths[f]):
        lines.append(f"{corpus.paths[file]}:")
        for i in sorted(by_file[file]):
            symbol = corpus.symbols[i]
            depth = _depth(corpus, i)
            suffix = ELIDED if i in chosen_set else ""
            lines.append(f"{INDENT * (depth + 1)}{symbol.signature or symbol.name}{suffix}")
    return "\n".join(lines) + ("\n" if lines else "")


def _depth(corpus: Corpus, i: int) -> int:
    depth = 0
    parent = corpus.symbols[i].parent
    while parent is not None and not corpus.symbols[corpus.position[parent]].is_module:
        depth += 1
        parent = corpus.symbols[corpus.position[parent]].parent
    return depth


def fit(corpus: Corpus, scores: np.ndarray, tokens: int) -> str:
    """The longest best-first prefix of symbols whose rendering fits `tokens`."""
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0 and not corpus.symbols[int(i)].is_module]
    low, high = 0, len(order)
    best = ""
    while low <= high:
        middle = (low + high) // 2
        text = render(corpus, order[:middle])
        if estimate_tokens(text) <= tokens:
            best, low = text, middle + 1
        else:
            high = middle - 1
    return best


def repo_map(index: RepoIndex, focus: str = "", tokens: int = 1024) -> str:
    """The repo map of `index`, toward `focus`, within about `tokens` tokens."""
    corpus, scores = map_scores(index, focus)
    return fit(corpus, scores, max(tokens, 0))
