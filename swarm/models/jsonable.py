"""Protocol data back to plain JSON values (dicts and lists), since frozen
dataclasses may hold read-only mappings and tuples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """`value` with every Mapping made a dict and every tuple a list."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value
