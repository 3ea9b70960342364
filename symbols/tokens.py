"""Words for keyword search: identifiers split into their parts, lowercased.

`parse_url` and `ParseURL` both yield `parse_url`/`parseurl` plus `parse`
and `url`, so an issue saying "URL parsing" meets code that says
`parse_url`. One small stemmer keeps plurals and `-ing`/`-ed` forms together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# English glue words and words every issue template uses; they carry no
# signal about where in the code a problem is.
STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does doing done for from had has have
    he her here him his how i if in into is it its itself just me more most my no nor not of
    off on once only or other our out over own same she should so some such than that the their
    them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours also any each few get
    got use used using like want make made way one two see seems thing things well still
    however example expected actual behavior behaviour bug issue problem result results code
    reproduce following work works working version python error errors line file run running
    def class self cls fn pub let mut impl async await return none true false
    """.split()
)


def stem(word: str) -> str:
    """A deliberately tiny stemmer: plural `s`, `ing`, `ed`."""
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@lru_cache(maxsize=200_000)
def identifier_terms(identifier: str) -> tuple[str, ...]:
    """`BulkDiscount` -> (`bulkdiscount`, `bulk`, `discount`); stopwords dropped."""
    whole = identifier.lower().strip("_")
    parts = [p.lower() for p in _PARTS.findall(identifier)]
    found: list[str] = []
    if whole and whole not in STOPWORDS and len(whole) > 1:
        found.append(stem(whole))
    if len(parts) > 1:
        found.extend(stem(p) for p in parts if len(p) > 1 and p not in STOPWORDS)
    return tuple(found)


def terms(text: str) -> list[str]:
    """Every search term of a free text, in order, repeats kept."""
    out: list[str] = []
    for word in WORD.findall(text):
        out.extend(identifier_terms(word))
    return out


def terms_of_names(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        out.extend(identifier_terms(name))
    return out


class Vocabulary:
    """Search terms as small integers, with per-identifier memoisation.

    Building a corpus looks up the same few thousand identifiers hundreds
    of thousands of times; a dict hit per identifier replaces splitting,
    lowercasing and stemming it again.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._of_word: dict[str, tuple[int, ...]] = {}

    def term_id(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.ids)
        return found

    def word(self, word: str) -> tuple[int, ...]:
        found = self._of_word.get(word)
        if found is None:
            found = self._of_word[word] = tuple(self.term_id(t) for t in identifier_terms(word))
        return found

    def text(self, text: str, out: list[int]) -> None:
        of_word = self._of_word
        for word in WORD.findall(text):
            found = of_word.get(word)
            out.extend(found if found is not None else self.word(word))

    def names(self, names: Iterable[str], out: list[int]) -> None:
        of_word = self._of_word
        for name in names:
            found = of_word.get(name)
            out.extend(found if found is not None else self.word(name))

    def query(self, text: str) -> list[int]:
        """Term ids of a query; terms the corpus never saw are dropped."""
        return [self.ids[t] for t in terms(text) if t in self.ids]
