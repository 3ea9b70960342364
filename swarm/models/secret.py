"""API keys held so that they cannot leak by accident: no repr, no str, and
a `redact` that scrubs them out of any text headed for a message or a log."""

from __future__ import annotations

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
    """`text` with every occurrence of a secret (and of its longer halves,
    in case a server echoes it truncated) replaced by a marker."""
    for secret in secrets:
        if secret is None:
            continue
        value = secret.reveal()
        if not value:
            continue
        text = text.replace(value, REDACTED)
        if len(value) >= 24:
            # Halves are long enough to be unmistakable, short keys' are not.
            for fragment in (value[: len(value) // 2], value[len(value) // 2 :]):
                text = text.replace(fragment, REDACTED)
    return text
