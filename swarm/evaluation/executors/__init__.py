"""Where grading jobs (and, later, benchmark runs) execute: a local process
pool or a Ray cluster, behind one small protocol. Neither is a scheduler of
ours: each hands jobs to an existing one and yields outcomes as they finish.

Jobs and the function must be picklable (a top-level function and frozen
dataclasses): both implementations run them in other processes.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, Protocol, TypeVar

J = TypeVar("J")
R = TypeVar("R")

EXECUTORS: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[J, R]):
    """A finished job: its result, or why there is none (the function raised,
    or its worker died)."""

    job: J
    result: R | None
    error: str = ""


class Executor(Protocol):
    name: str
    workers: int

    def map_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[Outcome[J, R]]:
        """Run `fn(job)` for every job; yield each outcome as soon as it is done.
        A failing job never stops the others."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class ClosingExecutor(ABC):
    """`with` support for implementations: leaving the block closes them."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Executor:
        return self  # type: ignore[return-value]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def open_executor(name: str, *, workers: int | None = None, ray_address: str | None = None) -> Executor:
    """`local` (a process pool on this machine) or `ray` (a local Ray cluster,
    or the cluster at `ray_address`)."""
    from swarm.evaluation.errors import ExecutorError

    if name == "local":
        if ray_address:
            raise ExecutorError("--ray-address needs --executor ray")
        from swarm.evaluation.executors.local import LocalExecutor

        return LocalExecutor(workers or default_workers())
    if name == "ray":
        from swarm.evaluation.executors.ray import RayExecutor

        return RayExecutor(workers, address=ray_address)
    raise ExecutorError(f"unknown executor {name!r}; use one of {', '.join(EXECUTORS)}")
