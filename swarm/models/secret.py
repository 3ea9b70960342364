"""API keys held so that they cannot leak by accident: no repr, no str, and
a `redact` that scrubs them out of any text headed for a message or a log."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NoReturn

REDACTED = "[redacted]"


class Secret:
    """A key read from the environment. Only `reveal()` gives the value, and
    only the code that builds request headers calls it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source  # the environment variable's name, safe to show

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from ${self.source})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: read the key from the environment again")


def redact(text: str, secrets: Iterable[Secret | None]) -> str:
    """`text` with every secret replaced by a marker, and so is any word that
    shares 16 characters in a row with one (a server may echo a key
    truncated, or wrapped in other text)."""
    for secret in secrets:
        if secret is None or not secret.reveal():
            continue
        value = secret.reveal()
        text = text.replace(value, REDACTED)
        if len(value) >= _WINDOW + 8:
            text = _WORD.sub(lambda m: REDACTED if _shares_window(m.group(0), value) else m.group(0), text)
    return text


_WINDOW = 16
_WORD = re.compile(r"[A-Za-z0-9_\-.~+/=]{%d,}" % _WINDOW)


def _shares_window(word: str, value: str) -> bool:
    return any(word[i : i + _WINDOW] in value for i in range(len(word) - _WINDOW + 1))
