"""Run reports: official keys, the issue's counts, resuming."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.evaluation.errors import ReportError
from swarm.evaluation.instances import parse_instance
from swarm.evaluation.predictions import Prediction
from swarm.evaluation.report import InstanceResult, load_results, summarize, write_report
from tests.swarm.evaluation.test_instances import record

INSTANCES = [parse_instance(record(f"a__b-{n}"), "x") for n in range(1, 6)]
PREDICTIONS = {
    "a__b-1": Prediction("a__b-1", "m", "p"),
    "a__b-2": Prediction("a__b-2", "m", ""),
    "a__b-3": Prediction("a__b-3", "m", "p"),
    "a__b-4": Prediction("a__b-4", "m", None),
}
RESULTS = {
    "a__b-1": InstanceResult("a__b-1", "m", "resolved", "RESOLVED_FULL", patch_exists=True,
                             patch_successfully_applied=True,
                             tests_status={"FAIL_TO_PASS": {"success": ["t"], "failure": []}},
                             timings={"total": 1.5}),
    "a__b-2": InstanceResult("a__b-2", "m", "unresolved", "RESOLVED_NO", patch_exists=True),
    "a__b-3": InstanceResult("a__b-3", "m", "error", error="the model patch does not apply", patch_exists=True),
}


def test_summary_has_the_issue_counts_and_the_official_keys() -> None:
    report = summarize(RESULTS, INSTANCES, PREDICTIONS)

    assert (report["resolved"], report["unresolved"], report["error"], report["total"]) == (1, 1, 1, 5)
    assert report["total_instances"] == 5
    assert report["submitted_instances"] == 4 and report["submitted_ids"] == ["a__b-1", "a__b-2", "a__b-3", "a__b-4"]
    assert report["completed_ids"] == ["a__b-1", "a__b-2"] and report["completed_instances"] == 2
    assert report["resolved_ids"] == ["a__b-1"] and report["unresolved_ids"] == ["a__b-2"]
    assert report["error_ids"] == ["a__b-3"] and report["error_instances"] == 1
    assert report["incomplete_ids"] == ["a__b-4", "a__b-5"]
    assert report["empty_patch_ids"] == ["a__b-2", "a__b-4"] and report["empty_patch_instances"] == 2
    assert report["schema_version"] == 2 and report["model_name_or_path"] == "m"
    entry = report["instances"]["a__b-1"]
    assert {"status", "tests_status", "log_path", "env", "timings"} <= set(entry)


def test_results_outside_the_selection_are_left_out() -> None:
    report = summarize(RESULTS, INSTANCES[:1], PREDICTIONS)
    assert report["total"] == 1 and list(report["instances"]) == ["a__b-1"]


def test_the_per_instance_report_matches_the_harness() -> None:
    assert RESULTS["a__b-1"].swebench_report() == {
        "a__b-1": {
            "patch_is_None": False,
            "patch_exists": True,
            "patch_successfully_applied": True,
            "resolved": True,
            "tests_status": {"FAIL_TO_PASS": {"success": ["t"], "failure": []}},
        }
    }


def test_reports_are_written_atomically_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "report.json"
    write_report(path, summarize(RESULTS, INSTANCES, PREDICTIONS))

    assert json.loads(path.read_text())["resolved"] == 1
    assert not list(path.parent.glob(".*.tmp"))
    assert load_results(path) == RESULTS


def test_resuming_from_nothing_or_garbage(tmp_path: Path) -> None:
    assert load_results(tmp_path / "absent.json") == {}
    broken = tmp_path / "broken.json"
    broken.write_text('{"instances": {"a__b-1": {"status": "maybe"}}}')
    with pytest.raises(ReportError, match="--force"):
        load_results(broken)
    broken.write_text("not json")
    with pytest.raises(ReportError, match="cannot resume"):
        load_results(broken)


def test_status_must_be_known() -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        InstanceResult("a", "m", "maybe")
