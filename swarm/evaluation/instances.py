"""SWE-bench task instances: loading, validating and selecting them.

Files are JSONL (one instance per line, the dataset's own export format) or a
JSON list. `FAIL_TO_PASS` / `PASS_TO_PASS` come either as lists or as
JSON-encoded strings (the Hugging Face export); both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import InstanceFileError
from swarm.evaluation.records import read_records

REQUIRED_FIELDS: tuple[str, ...] = (
    "instance_id",
    "repo",
    "base_commit",
    "version",
    "patch",
    "test_patch",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
)


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    repo: str
    base_commit: str
    version: str
    environment_setup_commit: str
    patch: str
    test_patch: str
    fail_to_pass: tuple[str, ...]
    pass_to_pass: tuple[str, ...]
    problem_statement: str = ""
    hints_text: str = ""
    created_at: str = ""

    def as_swebench(self) -> dict[str, Any]:
        """The record in the dataset's own shape, as swebench's functions take it."""
        return {
            "instance_id": self.instance_id,
            "repo": self.repo,
            "base_commit": self.base_commit,
            "version": self.version,
            "environment_setup_commit": self.environment_setup_commit,
            "patch": self.patch,
            "test_patch": self.test_patch,
            "FAIL_TO_PASS": list(self.fail_to_pass),
            "PASS_TO_PASS": list(self.pass_to_pass),
            "problem_statement": self.problem_statement,
            "hints_text": self.hints_text,
            "created_at": self.created_at,
        }


def _test_ids(value: Any, field: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise InstanceFileError(f"{where}: {field} is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InstanceFileError(f"{where}: {field} must be a list of test ids")
    return tuple(value)


def parse_instance(record: Any, where: str) -> Instance:
    """One record -> an Instance; `where` names it in error messages."""
    if not isinstance(record, Mapping):
        raise InstanceFileError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        raise InstanceFileError(f"{where}: missing field(s) {', '.join(missing)}")
    for name in ("instance_id", "repo", "base_commit", "patch", "test_patch"):
        if not isinstance(record[name], str):
            raise InstanceFileError(f"{where}: {name} must be a string")
    if "/" not in record["repo"]:
        raise InstanceFileError(f"{where}: repo must be 'owner/name', got {record['repo']!r}")
    base_commit = record["base_commit"]
    return Instance(
        instance_id=record["instance_id"],
        repo=record["repo"],
        base_commit=base_commit,
        version=str(record["version"]),
        environment_setup_commit=str(record.get("environment_setup_commit") or base_commit),
        patch=record["patch"],
        test_patch=record["test_patch"],
        fail_to_pass=_test_ids(record["FAIL_TO_PASS"], "FAIL_TO_PASS", where),
        pass_to_pass=_test_ids(record["PASS_TO_PASS"], "PASS_TO_PASS", where),
        problem_statement=str(record.get("problem_statement") or ""),
        hints_text=str(record.get("hints_text") or ""),
        created_at=str(record.get("created_at") or ""),
    )


def _records(path: Path) -> Iterable[tuple[Any, str]]:
    def unpack(document: Any) -> list[Any]:
        if not isinstance(document, list):
            raise InstanceFileError(f"{path}: a .json instances file must hold a list")
        return document

    return read_records(path, InstanceFileError, "instances", unpack)


def load_instances(paths: Sequence[Path], ids: Iterable[str] | None = None) -> list[Instance]:
    """Instances from one or more files, deduplicated by id (a later copy must
    be identical to the first), in file order; only `ids` if given."""
    wanted = None if ids is None else list(dict.fromkeys(ids))
    by_id: dict[str, Instance] = {}
    for path in paths:
        for record, where in _records(Path(path)):
            instance = parse_instance(record, where)
            known = by_id.get(instance.instance_id)
            if known is None:
                by_id[instance.instance_id] = instance
            elif known != instance:
                raise InstanceFileError(
                    f"{where}: {instance.instance_id} appears twice with different contents; "
                    "keep one copy"
                )
    if wanted is None:
        return list(by_id.values())
    unknown = [instance_id for instance_id in wanted if instance_id not in by_id]
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise InstanceFileError(f"{len(unknown)} selected id(s) not in the instances files: {shown}")
    return [by_id[instance_id] for instance_id in wanted]


def read_ids(path: Path) -> list[str]:
    """Instance ids from a text file: one per line, `#` comments and blanks ignored."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InstanceFileError(f"ids file {path} does not exist") from None
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
