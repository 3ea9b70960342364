"""Search data derived from one index, computed once and memoised per index
version: BM25 over symbols and over files, name and path lookups, and the
definition/reference graph the repo map ranks.
"""

from __future__ import annotations

import re
import weakref
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from symbols.bm25 import Bm25
from symbols.model import Symbol, SymbolKind
from symbols.tokens import Vocabulary

if TYPE_CHECKING:
    from symbols.index import RepoIndex

_QUALNAME_PARTS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_tests?\.(py|rs)$|(^|/)conftest\.py$")
# A name defined in more places than this says little about which one is meant.
MAX_FANOUT = 20


def is_test_path(path: str) -> bool:
    return _TEST_PATH.search(path) is not None


def qualname_parts(symbol: Symbol) -> list[str]:
    """`Shop.total` -> [Shop, total]; `<Ledger as Render>::render` -> [Ledger, Render, render]."""
    if symbol.kind is SymbolKind.MODULE:
        return []
    return [p for p in _QUALNAME_PARTS.findall(symbol.qualname) if p not in ("as", "impl", "for")]


def module_name(path: str) -> str:
    """`src/pkg/mod.py` -> `src.pkg.mod`; `pkg/__init__.py` -> `pkg`."""
    stem = path.rsplit(".", 1)[0]
    if path.endswith(("/__init__.py", "/__init__.pyi", "/mod.rs", "/lib.rs")):
        stem = stem.rsplit("/", 1)[0]
    return stem.replace("/", ".")


class Corpus:
    """Everything locate and the repo map need, as flat arrays over symbols."""

    def __init__(self, index: RepoIndex) -> None:
        self.root = index.root
        self.paths: list[str] = index.paths()
        self.symbols: list[Symbol] = []
        file_of: list[int] = []
        for number, path in enumerate(self.paths):
            symbols = index.file(path).symbols
            self.symbols.extend(symbols)
            file_of.extend([number] * len(symbols))
        self.file_of = np.array(file_of, dtype=np.int64)
        self.position = {s.id: i for i, s in enumerate(self.symbols)}
        self.by_name: dict[str, list[int]] = {}
        self.by_tail: dict[str, list[int]] = {}
        for i, symbol in enumerate(self.symbols):
            self.by_name.setdefault(symbol.name, []).append(i)
            parts = qualname_parts(symbol)
            for length in (2, 3):
                if len(parts) >= length:
                    # Lowercased: `cart.add` in an issue is usually `Cart.add`.
                    self.by_tail.setdefault(".".join(parts[-length:]).lower(), []).append(i)
        self.by_path_suffix: dict[str, list[int]] = {}
        for number, path in enumerate(self.paths):
            components = path.split("/")
            for start in range(len(components)):
                self.by_path_suffix.setdefault("/".join(components[start:]), []).append(number)
        self.test_file = np.array([is_test_path(p) for p in self.paths], dtype=bool)
        self.is_module = np.array([s.is_module for s in self.symbols], dtype=bool)
        # Enclosing definition of each symbol, -1 at top level (modules do not count).
        self.enclosing = np.array(
            [-1 if s.parent is None or self.is_module[self.position[s.parent]] else self.position[s.parent] for s in self.symbols],
            dtype=np.int64,
        )
        self.first_symbol = np.searchsorted(self.file_of, np.arange(len(self.paths)))

    @cached_property
    def _tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """(symbol, term id) of every search term of every symbol document.

        A symbol's document: its name (twice: it is what issues most often
        say), its parents' names, signature, docstring and the identifiers
        its own code uses.
        """
        vocabulary = self.vocabulary
        term_ids: list[int] = []
        lengths: list[int] = []
        for symbol in self.symbols:
            before = len(term_ids)
            if not symbol.is_module:
                own = vocabulary.word(symbol.name)
                term_ids.extend(own)
                term_ids.extend(own)
                vocabulary.names(qualname_parts(symbol)[:-1], term_ids)
            vocabulary.text(symbol.signature, term_ids)
            vocabulary.text(symbol.docstring, term_ids)
            vocabulary.names(symbol.references, term_ids)
            lengths.append(len(term_ids) - before)
        doc = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        return doc, np.array(term_ids, dtype=np.int64)

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary()

    @cached_property
    def bm25(self) -> Bm25:
        doc, term = self._tokens
        return Bm25.from_arrays(doc, term, len(self.symbols), len(self.vocabulary.ids))

    @cached_property
    def file_bm25(self) -> Bm25:
        """Files as the union of their symbols' documents plus their path's words."""
        doc, term = self._tokens
        path_terms: list[int] = []
        path_lengths: list[int] = []
        for path in self.paths:
            before = len(path_terms)
            self.vocabulary.text(path.replace("/", " ").replace(".", " "), path_terms)
            path_lengths.append(len(path_terms) - before)
        files = np.concatenate((self.file_of[doc], np.repeat(np.arange(len(self.paths)), path_lengths)))
        terms_all = np.concatenate((term, np.array(path_terms, dtype=np.int64)))
        return Bm25.from_arrays(files, terms_all, len(self.paths), len(self.vocabulary.ids))

    @cached_property
    def graph(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, target, weight) arrays: references to definitions, and containment.

        A reference to a name defined in k places gives each 1/k; names
        defined in more than MAX_FANOUT places are left out.
        """
        n = len(self.symbols)
        name_number = {name: number for number, name in enumerate(self.by_name)}
        defined_as = np.array([name_number[s.name] for s in self.symbols], dtype=np.int64)
        ref_source: list[int] = []
        ref_name: list[int] = []
        lookup = name_number.get
        for i, symbol in enumerate(self.symbols):
            for name in symbol.references:
                number = lookup(name)
                if number is not None:
                    ref_source.append(i)
                    ref_name.append(number)
        counts = np.bincount(defined_as, minlength=len(name_number))
        order = np.argsort(defined_as, kind="stable")
        starts = np.cumsum(counts) - counts
        sources_in = np.array(ref_source, dtype=np.int64)
        names_in = np.array(ref_name, dtype=np.int64)
        keep = counts[names_in] <= MAX_FANOUT
        sources_in, names_in = sources_in[keep], names_in[keep]
        fan = counts[names_in]
        sources = np.repeat(sources_in, fan)
        offsets = np.arange(int(fan.sum())) - np.repeat(np.cumsum(fan) - fan, fan)
        targets = order[np.repeat(starts[names_in], fan) + offsets]
        weights = np.repeat(1.0 / np.maximum(fan, 1), fan)
        distinct = sources != targets
        sources, targets, weights = sources[distinct], targets[distinct], weights[distinct]
        # A symbol's importance flows to its container and back.
        children = np.array([i for i, s in enumerate(self.symbols) if s.parent is not None], dtype=np.int64)
        parents = np.array([self.position[s.parent] for s in self.symbols if s.parent is not None], dtype=np.int64)
        child_counts = np.bincount(parents, minlength=n) if len(parents) else np.zeros(n)
        return (
            np.concatenate((sources, children, parents)),
            np.concatenate((targets, parents, children)),
            np.concatenate((weights, np.full(len(children), 0.3), 0.3 / np.maximum(child_counts[parents], 1))),
        )


_memo: weakref.WeakKeyDictionary[RepoIndex, tuple[int, Corpus]] = weakref.WeakKeyDictionary()


def corpus_for(index: RepoIndex) -> Corpus:
    """The corpus of `index` as it is now; rebuilt after the index changes."""
    found = _memo.get(index)
    if found is not None and found[0] == index.version:
        return found[1]
    corpus = Corpus(index)
    _memo[index] = (index.version, corpus)
    return corpus
