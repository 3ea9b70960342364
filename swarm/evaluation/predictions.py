"""Predictions in SWE-bench's format: `instance_id`, `model_name_or_path`,
`model_patch`, read from and written to JSONL so the official harness can
grade our output and we can grade anybody's.

Besides files, two built-in prediction sets validate the grader itself:
`gold` (each instance's own fix) and `empty` (no change at all).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import PredictionFileError
from swarm.evaluation.instances import Instance
from swarm.evaluation.records import read_records

BUILTIN: tuple[str, ...] = ("gold", "empty")


@dataclass(frozen=True, slots=True)
class Prediction:
    instance_id: str
    model_name_or_path: str
    model_patch: str | None

    @property
    def is_empty(self) -> bool:
        return not (self.model_patch or "").strip()

    def as_record(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "model_name_or_path": self.model_name_or_path,
            "model_patch": self.model_patch,
        }


def parse_prediction(record: Any, where: str) -> Prediction:
    if not isinstance(record, Mapping):
        raise PredictionFileError(f"{where}: expected a JSON object, got {type(record).__name__}")
    instance_id = record.get("instance_id")
    if not isinstance(instance_id, str) or not instance_id:
        raise PredictionFileError(f"{where}: missing instance_id")
    patch = record.get("model_patch")
    if patch is not None and not isinstance(patch, str):
        raise PredictionFileError(f"{where}: model_patch must be a string or null")
    model = record.get("model_name_or_path")
    return Prediction(instance_id, str(model) if model else "unknown", patch)


def _records(path: Path) -> Iterable[tuple[Any, str]]:
    def unpack(document: Any) -> list[Any]:
        # SWE-agent writes {instance_id: prediction}; the harness takes both.
        items = list(document.values()) if isinstance(document, dict) else document
        if not isinstance(items, list):
            raise PredictionFileError(f"{path}: expected a list or an object of predictions")
        return items

    return read_records(path, PredictionFileError, "predictions", unpack)


def read_predictions(path: Path) -> dict[str, Prediction]:
    """instance_id -> prediction. A repeated id must repeat the same patch."""
    found: dict[str, Prediction] = {}
    for record, where in _records(Path(path)):
        prediction = parse_prediction(record, where)
        known = found.get(prediction.instance_id)
        if known is not None and known != prediction:
            raise PredictionFileError(
                f"{where}: two different predictions for {prediction.instance_id}; keep one"
            )
        found[prediction.instance_id] = prediction
    return found


def builtin_predictions(name: str, instances: Sequence[Instance]) -> dict[str, Prediction]:
    """`gold`: every instance's reference fix; `empty`: no change."""
    if name == "gold":
        return {i.instance_id: Prediction(i.instance_id, "gold", i.patch) for i in instances}
    if name == "empty":
        return {i.instance_id: Prediction(i.instance_id, "empty", "") for i in instances}
    raise PredictionFileError(f"unknown built-in predictions {name!r}; use one of {', '.join(BUILTIN)}")


def load_predictions(source: str, instances: Sequence[Instance]) -> dict[str, Prediction]:
    """`gold`, `empty`, or a path to a .jsonl / .json predictions file."""
    if source in BUILTIN and not Path(source).exists():
        return builtin_predictions(source, instances)
    return read_predictions(Path(source))


def write_predictions(path: Path, predictions: Iterable[Prediction]) -> None:
    """Write a JSONL file atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for prediction in predictions:
            out.write(json.dumps(prediction.as_record()) + "\n")
    os.replace(tmp, path)


def append_prediction(path: Path, prediction: Prediction) -> None:
    """Add one prediction to a JSONL file, flushed to disk before returning, so
    a batch run that stops keeps every prediction it finished."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(prediction.as_record()) + "\n")
        out.flush()
        os.fsync(out.fileno())
