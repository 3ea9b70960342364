"""Protocol data back to plain JSON values."""

from __future__ import annotations

import json
from types import MappingProxyType

from swarm.models.jsonable import plain


def test_read_only_mappings_and_tuples_become_dicts_and_lists() -> None:
    value = MappingProxyType({"a": (1, MappingProxyType({"b": [2, (3,)]})), 4: None})
    assert plain(value) == {"a": [1, {"b": [2, [3]]}], "4": None}
    assert json.loads(json.dumps(plain(value))) == plain(value)


def test_scalars_pass_through() -> None:
    for scalar in ("s", 1, 1.5, True, None):
        assert plain(scalar) is scalar
