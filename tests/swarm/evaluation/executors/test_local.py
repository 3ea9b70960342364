"""The local process-pool executor."""

from __future__ import annotations

import pytest

from swarm.evaluation.errors import ExecutorError
from swarm.evaluation.executors import default_workers, open_executor
from swarm.evaluation.executors.local import LocalExecutor
from tests.swarm.evaluation.executors.jobs import die_on_two, fail_on_three, square


def test_every_job_comes_back_once() -> None:
    with LocalExecutor(2) as executor:
        outcomes = list(executor.map_unordered(square, range(6)))

    assert sorted((o.job, o.result) for o in outcomes) == [(n, n * n) for n in range(6)]
    assert all(o.error == "" for o in outcomes)


def test_a_failing_job_does_not_stop_the_others() -> None:
    with LocalExecutor(2) as executor:
        outcomes = {o.job: o for o in executor.map_unordered(fail_on_three, [1, 2, 3, 4])}

    assert outcomes[3].result is None and "ValueError: three is not welcome" in outcomes[3].error
    assert [outcomes[n].result for n in (1, 2, 4)] == [1, 2, 4]


def test_a_dead_worker_becomes_an_outcome_not_a_crash() -> None:
    with LocalExecutor(1) as executor:
        outcomes = {o.job: o for o in executor.map_unordered(die_on_two, [2])}

    assert outcomes[2].result is None and "BrokenProcessPool" in outcomes[2].error


def test_executors_by_name() -> None:
    with open_executor("local", workers=1) as executor:
        assert executor.name == "local" and executor.workers == 1
    assert 1 <= default_workers() <= 4
    with pytest.raises(ExecutorError, match="unknown executor"):
        open_executor("slurm")
    with pytest.raises(ExecutorError, match="--ray-address needs --executor ray"):
        open_executor("local", ray_address="ray://somewhere:10001")
