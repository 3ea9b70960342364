"""Jobs in a pool of worker processes on this machine (the default)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import TypeVar

from swarm.evaluation.executors import ClosingExecutor, Outcome

J = TypeVar("J")
R = TypeVar("R")


class LocalExecutor(ClosingExecutor):
    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        # spawn, not fork: the parent may hold threads (progress display) and
        # open files that a forked worker must not inherit.
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def map_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[Outcome[J, R]]:
        futures: dict[Future[R], J] = {self._pool.submit(fn, job): job for job in jobs}
        try:
            for future in as_completed(futures):
                job = futures[future]
                try:
                    yield Outcome(job, future.result())
                except Exception as exc:  # the job raised, or its worker died
                    yield Outcome(job, None, f"{type(exc).__name__}: {exc}")
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
