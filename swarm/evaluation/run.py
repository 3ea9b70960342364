"""Batch runs: one solver per SWE-bench instance, predictions out.

    summary = run_batch(instances, settings, executor=executor, on_result=progress)

Each instance gets a clean checkout of its base commit (from the mirrors,
in a temp dir), optionally its own interpreter (the grader's cached
environment plus a layer holding the checkout, see instance_env.py), and a
solver:

- `swarm`: `swarm.run.run_swarm` on the problem statement;
- `oracle`: the gold patch as a scripted swarm run (oracle_swarm.py):
  proposals, the check pipeline, the proxy user, the run's patch;
- `oracle-direct`: the gold patch through the check pipeline alone (oracle.py);
- `swarm` with `candidates > 1`: K independent swarms (models/temperatures
  from the config), one patch chosen among them (selection.py).

Resumable: predictions are appended and flushed one line at a time, and an
instance whose id is already in the predictions file is skipped. Beside
them, `<out>.runs.jsonl` keeps one record per instance: run id(s), status,
time, spend, and the solver's details. One failing instance never stops the
batch: its error becomes its record and an empty prediction is not written
(so a rerun tries it again).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import EvaluationError
from swarm.evaluation.executors import Executor
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instances import Instance
from swarm.evaluation.mirrors import clone_at
from swarm.evaluation.predictions import Prediction, append_prediction, read_predictions

MODES = ("swarm", "oracle", "oracle-direct")


@dataclass(frozen=True, slots=True)
class RunSettings:
    mirrors: Path
    out: Path  # predictions JSONL
    mode: str = "swarm"  # "swarm" | "oracle"
    config_path: Path | None = None  # swarm.toml (None: the usual search)
    candidates: int = 1
    grade: GradeSettings | None = None  # environments for the instance's interpreter; None: no interpreter
    test_timeout: float = 600.0
    servers: bool = True  # language servers for the diagnostics stage
    work_dir: Path | None = None
    keep_checkouts: bool = False

    @property
    def runs_path(self) -> Path:
        return self.out.with_name(self.out.stem + ".runs.jsonl")


@dataclass(frozen=True, slots=True)
class BenchJob:
    instance: Instance
    settings: RunSettings


@dataclass(frozen=True, slots=True)
class InstanceRun:
    instance_id: str
    model_name_or_path: str
    patch: str | None  # None: no prediction (the run failed before producing one)
    status: str
    reason: str
    run_ids: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    timings: Mapping[str, float] = field(default_factory=dict)
    spend: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "model_name_or_path": self.model_name_or_path,
            "status": self.status,
            "reason": self.reason,
            "run_ids": list(self.run_ids),
            "elapsed_s": round(self.elapsed_s, 3),
            "timings": dict(self.timings),
            "spend": dict(self.spend),
            "has_patch": self.patch is not None and bool(self.patch.strip()),
            "details": dict(self.details),
        }


Solver = Callable[[Instance, Path, "str | None", RunSettings], InstanceRun]


def _solve_oracle(instance: Instance, checkout: Path, python: str | None, settings: RunSettings) -> InstanceRun:
    """The gold patch as a scripted swarm run: proposals, checks, proxy approval (oracle_swarm.py)."""
    import trio

    from swarm.evaluation.oracle import ORACLE_MODEL
    from swarm.evaluation.oracle_swarm import run_oracle_swarm

    outcome = trio.run(
        lambda: run_oracle_swarm(
            instance, checkout, script_dir=checkout.parent, python=python, servers=settings.servers,
            test_timeout=settings.test_timeout,
        )
    )
    patch = outcome.patch if outcome.status == "accepted" else None
    return InstanceRun(
        instance.instance_id, ORACLE_MODEL, patch, outcome.status, outcome.reason, (outcome.run_id,),
        details=outcome.to_json(),
    )


def _solve_oracle_direct(instance: Instance, checkout: Path, python: str | None, settings: RunSettings) -> InstanceRun:
    """The gold patch through the check pipeline alone, no agents or proxy (oracle.py)."""
    import trio

    from swarm.evaluation.oracle import ORACLE_MODEL, run_oracle

    outcome = trio.run(
        lambda: run_oracle(instance, checkout, python=python, servers=settings.servers, test_timeout=settings.test_timeout)
    )
    patch = outcome.patch if outcome.status == "accepted" else None
    return InstanceRun(
        instance.instance_id, ORACLE_MODEL, patch, outcome.status, outcome.reason, (outcome.run_id,),
        details=outcome.to_json(),
    )


def _solve_swarm(instance: Instance, checkout: Path, python: str | None, settings: RunSettings) -> InstanceRun:
    from swarm.evaluation.swarm_solver import solve_with_swarm

    return solve_with_swarm(instance, checkout, python, settings)


SOLVERS: Mapping[str, Solver] = {"oracle": _solve_oracle, "oracle-direct": _solve_oracle_direct, "swarm": _solve_swarm}


def run_job(job: BenchJob) -> InstanceRun:
    """One instance, start to finish; every failure becomes an `error` record."""
    instance, settings = job.instance, job.settings
    started = time.monotonic()
    timings: dict[str, float] = {}
    model = "oracle" if settings.mode.startswith("oracle") else "swarm"
    root = Path(settings.work_dir) if settings.work_dir else None
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f"swarm-bench-{instance.instance_id}-", dir=root)
    try:
        lap = time.monotonic()
        checkout = clone_at(settings.mirrors, instance.repo, instance.base_commit, Path(tmp) / "repo")
        timings["checkout"] = round(time.monotonic() - lap, 3)
        python: str | None = None
        if settings.grade is not None:
            from swarm.evaluation.instance_env import prepare_interpreter

            lap = time.monotonic()
            log = Path(tmp) / "environment.log"
            python = str(prepare_interpreter(instance, checkout, settings.grade, log))
            timings["environment"] = round(time.monotonic() - lap, 3)
        lap = time.monotonic()
        result = SOLVERS[settings.mode](instance, checkout, python, settings)
        timings["solve"] = round(time.monotonic() - lap, 3)
        model = result.model_name_or_path
        return replace(result, elapsed_s=time.monotonic() - started, timings={**timings, **result.timings})
    except EvaluationError as exc:
        return InstanceRun(instance.instance_id, model, None, "error", str(exc), elapsed_s=time.monotonic() - started, timings=timings)
    except Exception as exc:  # a bug of ours: keep the batch going, keep the traceback
        return InstanceRun(
            instance.instance_id, model, None, "error", f"internal error: {type(exc).__name__}: {exc}",
            elapsed_s=time.monotonic() - started, timings=timings, details={"traceback": traceback.format_exc()},
        )
    finally:
        if not settings.keep_checkouts:
            _remove_tree(Path(tmp))


def _remove_tree(path: Path) -> None:
    import shutil

    # Runs may leave read-only files (git objects, build output).
    def force(function: Any, name: str, _exc: Any) -> None:
        os.chmod(name, 0o700)
        function(name)

    if path.exists():
        shutil.rmtree(path, onerror=force)


def done_ids(out: Path) -> set[str]:
    """Instances that already have a prediction in `out`."""
    return set(read_predictions(out)) if Path(out).is_file() else set()


def record_run(settings: RunSettings, result: InstanceRun) -> None:
    if result.patch is not None:
        append_prediction(settings.out, Prediction(result.instance_id, result.model_name_or_path, result.patch))
    settings.runs_path.parent.mkdir(parents=True, exist_ok=True)
    with settings.runs_path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(result.to_json()) + "\n")
        out.flush()
        os.fsync(out.fileno())


OnRun = Callable[[InstanceRun, int, int], None]


def run_batch(
    instances: Sequence[Instance],
    settings: RunSettings,
    *,
    executor: Executor,
    on_result: OnRun | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Run every instance not yet in `settings.out`; returns a summary."""
    if settings.mode not in MODES:
        raise EvaluationError(f"unknown mode {settings.mode!r}; use one of {', '.join(MODES)}")
    skip = set() if force else done_ids(settings.out)
    jobs = [BenchJob(i, settings) for i in instances if i.instance_id not in skip]
    counts: dict[str, int] = {}
    done = 0
    started = time.monotonic()
    for outcome in executor.map_unordered(run_job, jobs):
        result = outcome.result
        if result is None:
            job = outcome.job
            result = InstanceRun(
                job.instance.instance_id, settings.mode, None, "error",
                f"the {executor.name} executor lost this job: {outcome.error}",
            )
        record_run(settings, result)
        done += 1
        counts[result.status] = counts.get(result.status, 0) + 1
        if on_result is not None:
            on_result(result, done, len(jobs))
    return {
        "total": len(instances),
        "skipped": len(instances) - len(jobs),
        "ran": len(jobs),
        "statuses": counts,
        "wall_s": round(time.monotonic() - started, 3),
        "predictions": str(settings.out),
        "runs": str(settings.runs_path),
    }
