"""What a test run returns, and the protocol every test runner implements.

One file per runner (pytest_runner.py, cargo_runner.py); `run_tests.py`
picks one for a repository.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from editor_harness.errors import TestRunError
from editor_harness.network_guard import GuardMode


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class TestResult:
    """One test's outcome. `node_id` is a pytest node id or `TARGET_SOURCE::test_name` for cargo."""

    __test__ = False  # not a pytest test class despite the name

    node_id: str
    outcome: Outcome
    duration_s: float = 0.0
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "outcome": self.outcome.value, "duration_s": self.duration_s, "message": self.message}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestResult:
        return cls(data["node_id"], Outcome(data["outcome"]), float(data["duration_s"]), data.get("message", ""))


@dataclass(frozen=True, slots=True)
class TestRun:
    """One run of a selection of tests.

    `exit_code` is None when the run was killed at its timeout
    (`timed_out`). `network_guard` names how the network was blocked
    ("netns", "socket-guard" or "none"). `note` explains anything unusual:
    nothing matched, the build failed, the run was killed.
    """

    __test__ = False

    selection: tuple[str, ...]
    results: tuple[TestResult, ...]
    exit_code: int | None
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    elapsed_s: float
    network_guard: str
    runner: str = ""
    note: str = ""
    counts: dict[str, int] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        counted = Counter(r.outcome.value for r in self.results)
        object.__setattr__(self, "counts", {o.value: counted.get(o.value, 0) for o in Outcome})

    @property
    def ok(self) -> bool:
        """Every selected test ran and none failed or errored."""
        return (
            not self.timed_out
            and bool(self.results)
            and self.counts["failed"] == 0
            and self.counts["error"] == 0
            and self.exit_code == 0
        )

    def failures(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if r.outcome in (Outcome.FAILED, Outcome.ERROR))

    def outcome_of(self, node_id: str) -> Outcome | None:
        for result in self.results:
            if result.node_id == node_id:
                return result.outcome
        return None

    def summary(self) -> str:
        parts = [f"{n} {name}" for name, n in self.counts.items() if n]
        text = ", ".join(parts) if parts else "no tests ran"
        if self.timed_out:
            text += f"; killed at the timeout after {self.elapsed_s:.1f}s"
        return text + (f" ({self.note})" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "selection": list(self.selection),
            "results": [r.to_json() for r in self.results],
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "stdout_tail": self.stdout_tail,
            "stderr_tail": self.stderr_tail,
            "elapsed_s": self.elapsed_s,
            "network_guard": self.network_guard,
            "runner": self.runner,
            "note": self.note,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TestRun:
        return cls(
            selection=tuple(data["selection"]),
            results=tuple(TestResult.from_json(r) for r in data["results"]),
            exit_code=data["exit_code"],
            timed_out=bool(data["timed_out"]),
            stdout_tail=data["stdout_tail"],
            stderr_tail=data["stderr_tail"],
            elapsed_s=float(data["elapsed_s"]),
            network_guard=data["network_guard"],
            runner=data.get("runner", ""),
            note=data.get("note", ""),
        )


def check_timeout(timeout: float) -> None:
    if not timeout > 0:
        raise TestRunError(f"timeout must be a positive number of seconds, got {timeout}")


class TestRunner(Protocol):
    """Runs a selection of one repository's tests with a hard timeout, off the network."""

    __test__ = False

    name: str

    async def run(
        self, selection: Sequence[str], *, timeout: float, network: GuardMode | str = GuardMode.AUTO
    ) -> TestRun: ...
