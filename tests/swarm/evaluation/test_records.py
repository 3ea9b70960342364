"""JSON / JSONL record reading shared by instance and prediction files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swarm.evaluation.errors import InstanceFileError
from swarm.evaluation.records import read_records


def as_list(document: Any) -> list[Any]:
    return document if isinstance(document, list) else [document]


def test_jsonl_records_carry_their_line_number(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert list(read_records(path, InstanceFileError, "records", as_list)) == [
        ({"a": 1}, f"{path}:1"),
        ({"a": 2}, f"{path}:3"),
    ]


def test_json_documents_are_unpacked_with_indices(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('[{"a": 1}, {"a": 2}]')
    assert [where for _, where in read_records(path, InstanceFileError, "records", as_list)] == [
        f"{path}[0]",
        f"{path}[1]",
    ]


def test_errors_use_the_callers_error_type(tmp_path: Path) -> None:
    with pytest.raises(InstanceFileError, match="records file .* does not exist"):
        list(read_records(tmp_path / "none.jsonl", InstanceFileError, "records", as_list))
    bad = tmp_path / "bad.json"
    bad.write_text("[1,")
    with pytest.raises(InstanceFileError, match="bad.json: not valid JSON"):
        list(read_records(bad, InstanceFileError, "records", as_list))
