"""Jobs as Ray tasks: on a Ray cluster at an address (`ray://host:10001` or
`host:6379`), or on a local cluster started for the run and stopped after.

A local cluster listens on 127.0.0.1 only, without the dashboard, with usage
statistics off: nothing dials out. On a real cluster every node needs
symbol-swarm installed (the `bench` extra), the mirrors directory and the
Python interpreters at the same paths; each node keeps its own environment
cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from swarm.evaluation.errors import ExecutorError
from swarm.evaluation.executors import ClosingExecutor, Outcome, default_workers

J = TypeVar("J")
R = TypeVar("R")


def _loopback_only() -> None:
    """Keep a local cluster on 127.0.0.1. Ray otherwise binds its services to
    the address of the interface that routes to the internet (it even maps
    an explicit 127.0.0.1 to it); its "no cluster" switch, meant for laptops,
    makes every node address loopback."""
    from ray._private import ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False


class RayExecutor(ClosingExecutor):
    name = "ray"

    def __init__(self, workers: int | None = None, *, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise ExecutorError("ray is not installed; install the bench extra: pip install -e '.[bench]'") from None
        self._ray: Any = ray
        # Read by the driver and inherited by every process of a local cluster.
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
                self.workers = workers or int(ray.cluster_resources().get("CPU", 1))
            else:
                self.workers = workers or default_workers()
                _loopback_only()
                ray.init(
                    num_cpus=self.workers,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
        except Exception as exc:
            where = address or "a local cluster"
            raise ExecutorError(f"cannot start Ray on {where}: {type(exc).__name__}: {exc}") from None

    def map_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[Outcome[J, R]]:
        ray = self._ray
        # One CPU per job caps concurrency at `workers` on a local cluster;
        # a lost worker is retried once (grading is idempotent).
        task = ray.remote(num_cpus=1, max_retries=1)(fn)
        pending = {task.remote(job): job for job in jobs}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    job = pending.pop(ref)
                    try:
                        yield Outcome(job, ray.get(ref))
                    except Exception as exc:
                        yield Outcome(job, None, f"{type(exc).__name__}: {exc}")
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._ray.is_initialized():
            self._ray.shutdown()
