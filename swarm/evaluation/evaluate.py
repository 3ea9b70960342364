"""A grading batch: predictions for a set of instances, graded on an
executor, the report rewritten after every instance.

Resuming: results already in the report are kept, except errors, which are
graded again (an error is usually the machine's fault: a build that could
not reach the package index, a killed worker); `force` grades everything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarm.evaluation.errors import SpecError
from swarm.evaluation.executors import Executor
from swarm.evaluation.grading import GradeJob, GradeSettings, grade_job, instance_log_dir
from swarm.evaluation.instances import Instance
from swarm.evaluation.predictions import Prediction
from swarm.evaluation.report import ERROR, InstanceResult, load_results, summarize, write_report
from swarm.evaluation.specs import SpecOverrides, spec_for

OnResult = Callable[[InstanceResult, int, int], None]  # result, done, to do


@dataclass(frozen=True, slots=True)
class Plan:
    jobs: tuple[GradeJob, ...]
    kept: Mapping[str, InstanceResult]  # from an earlier report
    refused: Mapping[str, InstanceResult]  # no usable spec: error without running


def plan(
    instances: Sequence[Instance],
    predictions: Mapping[str, Prediction],
    settings: GradeSettings,
    *,
    previous: Mapping[str, InstanceResult],
    overrides: SpecOverrides | None = None,
) -> Plan:
    jobs: list[GradeJob] = []
    kept: dict[str, InstanceResult] = {}
    refused: dict[str, InstanceResult] = {}
    for instance in instances:
        prediction = predictions.get(instance.instance_id)
        if prediction is None:
            continue
        earlier = previous.get(instance.instance_id)
        if (
            earlier is not None
            and earlier.status != ERROR
            and earlier.model_name_or_path == prediction.model_name_or_path
        ):
            kept[instance.instance_id] = earlier
            continue
        try:
            spec = spec_for(instance, overrides)
        except SpecError as exc:
            refused[instance.instance_id] = InstanceResult(
                instance_id=instance.instance_id,
                model_name_or_path=prediction.model_name_or_path,
                status=ERROR,
                patch_is_None=prediction.model_patch is None,
                patch_exists=prediction.model_patch is not None,
                log_dir=str(instance_log_dir(settings, prediction)),
                error=str(exc),
            )
            continue
        jobs.append(GradeJob(instance, prediction, spec, settings))
    return Plan(tuple(jobs), kept, refused)


def evaluate(
    instances: Sequence[Instance],
    predictions: Mapping[str, Prediction],
    settings: GradeSettings,
    *,
    executor: Executor,
    report_path: Path,
    overrides: SpecOverrides | None = None,
    force: bool = False,
    on_result: OnResult | None = None,
) -> dict[str, Any]:
    """Grade every instance that has a prediction; returns the report (also
    written to `report_path`)."""
    previous = {} if force else load_results(report_path)
    work = plan(instances, predictions, settings, previous=previous, overrides=overrides)
    results: dict[str, InstanceResult] = {**work.kept}
    total = len(work.jobs) + len(work.refused)
    done = 0

    def record(result: InstanceResult) -> None:
        nonlocal done
        done += 1
        results[result.instance_id] = result
        write_report(report_path, summarize(results, instances, predictions))
        if on_result is not None:
            on_result(result, done, total)

    write_report(report_path, summarize(results, instances, predictions))
    for result in work.refused.values():
        record(result)
    for outcome in executor.map_unordered(grade_job, work.jobs):
        if outcome.result is not None:
            record(outcome.result)
            continue
        job = outcome.job
        record(
            InstanceResult(
                instance_id=job.instance.instance_id,
                model_name_or_path=job.prediction.model_name_or_path,
                status=ERROR,
                patch_is_None=job.prediction.model_patch is None,
                patch_exists=job.prediction.model_patch is not None,
                log_dir=str(instance_log_dir(settings, job.prediction)),
                error=f"the {executor.name} executor lost this job: {outcome.error}",
            )
        )
    return summarize(results, instances, predictions)
