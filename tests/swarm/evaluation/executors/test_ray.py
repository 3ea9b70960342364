"""The Ray executor, on a small local cluster (127.0.0.1 only): plain jobs,
and two tiny instances graded for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from swarm.evaluation.evaluate import evaluate
from swarm.evaluation.executors.ray import RayExecutor
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.predictions import Prediction
from tests.swarm.evaluation.conftest import TinyRepo
from tests.swarm.evaluation.executors.jobs import fail_on_three, square

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_executor() -> Iterator[RayExecutor]:
    executor = RayExecutor(2)
    try:
        yield executor
    finally:
        executor.close()


def test_jobs_run_on_the_local_cluster(ray_executor: RayExecutor) -> None:
    import ray

    outcomes = {o.job: o for o in ray_executor.map_unordered(fail_on_three, [1, 2, 3])}

    assert [outcomes[n].result for n in (1, 2)] == [1, 2]
    assert outcomes[3].result is None and "three is not welcome" in outcomes[3].error
    assert sorted(o.result or 0 for o in ray_executor.map_unordered(square, [2, 3])) == [4, 9]
    # Local only: the node listens on loopback.
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


def test_two_instances_are_graded_on_ray(
    ray_executor: RayExecutor, tiny: TinyRepo, settings: GradeSettings, tmp_path: Path
) -> None:
    instances = [tiny.instance("acme__tiny-1"), tiny.instance("acme__tiny-2")]
    predictions = {
        "acme__tiny-1": Prediction("acme__tiny-1", "gold", instances[0].patch),
        "acme__tiny-2": Prediction("acme__tiny-2", "gold", ""),
    }

    report = evaluate(instances, predictions, settings, executor=ray_executor, report_path=tmp_path / "r.json")

    assert report["resolved_ids"] == ["acme__tiny-1"]
    assert report["unresolved_ids"] == ["acme__tiny-2"]
