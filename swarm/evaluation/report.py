"""Grading results: one per instance, and the run report in the shape of the
official harness's final report (`total_instances`, `resolved_ids`, ...)
plus the plain counts `resolved`, `unresolved`, `error`, `total` and every
instance's details (status, tests_status, log_path, env, timings).

The report file is rewritten atomically after every instance, so a batch
that stops can be resumed from it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import ReportError
from swarm.evaluation.instances import Instance
from swarm.evaluation.predictions import Prediction

RESOLVED, UNRESOLVED, ERROR = "resolved", "unresolved", "error"
STATUSES = (RESOLVED, UNRESOLVED, ERROR)
SCHEMA_VERSION = 2  # as the official harness's report


@dataclass(frozen=True, slots=True)
class InstanceResult:
    instance_id: str
    model_name_or_path: str
    status: str  # resolved | unresolved | error
    resolution: str = ""  # swebench's RESOLVED_FULL / _PARTIAL / _NO; empty on error
    patch_is_None: bool = False
    patch_exists: bool = False
    patch_successfully_applied: bool = False
    tests_status: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    log_dir: str = ""
    log_path: str = ""  # test output, with swebench's start/end markers
    env: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InstanceResult:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def swebench_report(self) -> dict[str, Any]:
        """The per-instance `report.json` the official harness writes."""
        entry: dict[str, Any] = {
            "patch_is_None": self.patch_is_None,
            "patch_exists": self.patch_exists,
            "patch_successfully_applied": self.patch_successfully_applied,
            "resolved": self.status == RESOLVED,
        }
        if self.tests_status:
            entry["tests_status"] = self.tests_status
        return {self.instance_id: entry}


def summarize(
    results: Mapping[str, InstanceResult],
    instances: Sequence[Instance],
    predictions: Mapping[str, Prediction],
) -> dict[str, Any]:
    """The run report over the selected instances."""
    ids = [i.instance_id for i in instances]
    graded = {i: results[i] for i in ids if i in results}
    by_status = {s: sorted(i for i, r in graded.items() if r.status == s) for s in STATUSES}
    completed = sorted(by_status[RESOLVED] + by_status[UNRESOLVED])
    incomplete = sorted(i for i in ids if i not in graded)
    empty = sorted(i for i in ids if i in predictions and predictions[i].is_empty)
    submitted = sorted(i for i in ids if i in predictions)
    models = sorted({r.model_name_or_path for r in graded.values()})
    return {
        # The counts.
        "resolved": len(by_status[RESOLVED]),
        "unresolved": len(by_status[UNRESOLVED]),
        "error": len(by_status[ERROR]),
        "total": len(ids),
        # The official harness's report keys.
        "total_instances": len(ids),
        "submitted_instances": len(submitted),
        "completed_instances": len(completed),
        "resolved_instances": len(by_status[RESOLVED]),
        "unresolved_instances": len(by_status[UNRESOLVED]),
        "empty_patch_instances": len(empty),
        "error_instances": len(by_status[ERROR]),
        "completed_ids": completed,
        "incomplete_ids": incomplete,
        "empty_patch_ids": empty,
        "submitted_ids": submitted,
        "resolved_ids": by_status[RESOLVED],
        "unresolved_ids": by_status[UNRESOLVED],
        "error_ids": by_status[ERROR],
        "schema_version": SCHEMA_VERSION,
        "model_name_or_path": models[0] if len(models) == 1 else models,
        "instances": {i: graded[i].as_dict() for i in ids if i in graded},
    }


def write_report(path: Path, report: Mapping[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load_results(path: Path) -> dict[str, InstanceResult]:
    """Per-instance results of an earlier report, to resume from; none if the
    file does not exist."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["instances"]
        return {i: InstanceResult.from_dict(entry) for i, entry in entries.items()}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportError(
            f"cannot resume from {path} ({type(exc).__name__}: {exc}); "
            "pass --force to grade everything again, or another --report"
        ) from None
