"""Reading JSON records the way SWE-bench files come: JSONL (one object a
line) or one JSON document, each record with its place for error messages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import EvaluationError


def read_records(
    path: Path, error: type[EvaluationError], what: str, unpack: Callable[[Any], list[Any]]
) -> Iterator[tuple[Any, str]]:
    """(record, place) pairs: "file:line" for a JSONL file; for a `.json` file
    the records `unpack` finds in the document, as "file[index]". Problems
    raise `error`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} file {path} does not exist") from None
    if Path(path).suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(f"{path}: not valid JSON ({exc})") from None
        for index, record in enumerate(unpack(document)):
            yield record, f"{path}[{index}]"
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        yield record, f"{path}:{number}"
