"""Grading batches: reports, resuming, one bad instance never stopping the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.evaluation.evaluate import evaluate, plan
from swarm.evaluation.executors.local import LocalExecutor
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instances import Instance
from swarm.evaluation.predictions import Prediction
from swarm.evaluation.report import InstanceResult
from tests.swarm.evaluation.conftest import TinyRepo

pytestmark = pytest.mark.slow

BAD_PATCH = (
    "diff --git a/tiny/__init__.py b/tiny/__init__.py\n--- a/tiny/__init__.py\n+++ b/tiny/__init__.py\n"
    "@@ -1,2 +1,2 @@\n-no such\n-lines\n+x\n+y\n"
)


def three(tiny: TinyRepo) -> tuple[list[Instance], dict[str, Prediction]]:
    instances = [tiny.instance(f"acme__tiny-{n}") for n in (1, 2, 3)]
    patches = {"acme__tiny-1": instances[0].patch, "acme__tiny-2": "", "acme__tiny-3": BAD_PATCH}
    return instances, {i: Prediction(i, "model", p) for i, p in patches.items()}


def test_a_batch_grades_everything_and_writes_the_report(tiny: TinyRepo, settings: GradeSettings, tmp_path: Path) -> None:
    instances, predictions = three(tiny)
    seen: list[tuple[str, int, int]] = []
    report_path = tmp_path / "report.json"

    with LocalExecutor(2) as executor:
        report = evaluate(
            instances, predictions, settings, executor=executor, report_path=report_path,
            on_result=lambda r, done, total: seen.append((r.instance_id, done, total)),
        )

    assert (report["resolved"], report["unresolved"], report["error"], report["total"]) == (1, 1, 1, 3)
    assert report["resolved_ids"] == ["acme__tiny-1"] and report["error_ids"] == ["acme__tiny-3"]
    assert json.loads(report_path.read_text()) == report
    assert sorted(i for i, _, _ in seen) == ["acme__tiny-1", "acme__tiny-2", "acme__tiny-3"]
    assert [d for _, d, _ in seen] == [1, 2, 3] and {t for _, _, t in seen} == {3}


def test_resuming_keeps_finished_results_and_retries_errors(
    tiny: TinyRepo, settings: GradeSettings, tmp_path: Path
) -> None:
    instances, predictions = three(tiny)
    report_path = tmp_path / "report.json"
    with LocalExecutor(1) as executor:
        first = evaluate(instances, predictions, settings, executor=executor, report_path=report_path)

    again = plan(instances, predictions, settings, previous=_results(report_path))
    assert sorted(again.kept) == ["acme__tiny-1", "acme__tiny-2"]
    assert [j.instance.instance_id for j in again.jobs] == ["acme__tiny-3"]

    with LocalExecutor(1) as executor:
        second = evaluate(instances, predictions, settings, executor=executor, report_path=report_path)
    assert second["instances"]["acme__tiny-1"] == first["instances"]["acme__tiny-1"]
    assert second["error_ids"] == ["acme__tiny-3"]

    forced = plan(instances, predictions, settings, previous={})
    assert len(forced.jobs) == 3


def test_a_different_model_in_the_report_is_graded_again(tiny: TinyRepo, settings: GradeSettings) -> None:
    instances, predictions = three(tiny)
    previous = {"acme__tiny-1": InstanceResult("acme__tiny-1", "another-model", "resolved")}
    assert "acme__tiny-1" not in plan(instances, predictions, settings, previous=previous).kept


def test_an_instance_without_a_usable_spec_is_an_error_and_the_rest_go_on(
    tiny: TinyRepo, settings: GradeSettings, tmp_path: Path
) -> None:
    instances, predictions = three(tiny)
    overrides = {"acme/tiny": {"*": {"python": "three"}}}
    with LocalExecutor(1) as executor:
        report = evaluate(instances[:1], predictions, settings, executor=executor,
                          report_path=tmp_path / "r.json", overrides=overrides)

    assert report["error_ids"] == ["acme__tiny-1"]
    assert "python must look like" in report["instances"]["acme__tiny-1"]["error"]


def test_instances_without_predictions_are_reported_incomplete(
    tiny: TinyRepo, settings: GradeSettings, tmp_path: Path
) -> None:
    instances, predictions = three(tiny)
    only_gold = {"acme__tiny-1": predictions["acme__tiny-1"]}
    with LocalExecutor(1) as executor:
        report = evaluate(instances, only_gold, settings, executor=executor, report_path=tmp_path / "r.json")

    assert report["incomplete_ids"] == ["acme__tiny-2", "acme__tiny-3"]
    assert report["resolved"] == 1 and report["total"] == 3


def _results(path: Path) -> dict[str, InstanceResult]:
    from swarm.evaluation.report import load_results

    return load_results(path)
