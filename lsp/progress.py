"""`$/progress` bookkeeping: which work-done tasks a server has running.

Servers announce long work (indexing, `cargo check`) as begin/report/end on a
token. A caller waits for "nothing running" (the server is ready) or for "a
task with this title ended after I asked" (a save-triggered check finished).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import trio

from lsp.condition import Changed


@dataclass(frozen=True, slots=True)
class ProgressTask:
    token: str
    title: str
    message: str = ""
    percentage: int | None = None


class ProgressTracker:
    def __init__(self) -> None:
        self.running: dict[str, ProgressTask] = {}
        self.created: set[str] = set()
        # Monotonic counts of begins and ends per title: a waiter remembers the
        # count when it asked and waits for it to grow, so an end that arrived
        # before the wait started is never missed.
        self.begun: dict[str, int] = {}
        self.ended: dict[str, int] = {}
        self.last_change = 0.0
        self.changed = Changed()

    def create(self, token: str) -> None:
        self.created.add(token)

    def handle(self, params: object) -> None:
        """Apply one `$/progress` notification's params."""
        if not isinstance(params, dict):
            return
        token = str(params.get("token"))
        value = params.get("value")
        if not isinstance(value, dict):
            return
        kind = value.get("kind")
        if kind == "begin":
            title = str(value.get("title", ""))
            self.running[token] = ProgressTask(token, title, str(value.get("message") or ""), value.get("percentage"))
            self.begun[title] = self.begun.get(title, 0) + 1
        elif kind == "report" and token in self.running:
            task = self.running[token]
            self.running[token] = ProgressTask(
                token, task.title, str(value.get("message") or task.message), value.get("percentage", task.percentage)
            )
        elif kind == "end":
            task = self.running.pop(token, None)
            self.created.discard(token)
            if task is not None:
                self.ended[task.title] = self.ended.get(task.title, 0) + 1
        else:
            return
        self._touch()

    def reset(self) -> None:
        """Forget running tasks (the server that ran them is gone); counts stay monotonic."""
        for task in self.running.values():
            self.ended[task.title] = self.ended.get(task.title, 0) + 1
        self.running.clear()
        self.created.clear()
        self._touch()

    def _touch(self) -> None:
        self.last_change = time.monotonic()
        self.changed.notify()

    def is_running(self, title_prefix: str) -> bool:
        return any(task.title.startswith(title_prefix) for task in self.running.values())

    def ended_count(self, title_prefix: str) -> int:
        return sum(n for title, n in self.ended.items() if title.startswith(title_prefix))

    def begun_count(self, title_prefix: str) -> int:
        return sum(n for title, n in self.begun.items() if title.startswith(title_prefix))

    async def wait_idle(self, quiet: float, timeout: float) -> bool:
        """True once no task has run and nothing changed for `quiet` seconds."""
        with trio.move_on_after(timeout):
            while True:
                if self.running:
                    await self.changed.wait_for(lambda: not self.running)
                    continue
                settle = self.last_change + quiet - time.monotonic()
                if settle <= 0:
                    return True
                with trio.move_on_after(settle):
                    # Any change restarts the quiet period.
                    await self.changed.wait()
        return False

    def describe(self) -> str:
        if not self.running:
            return "no work in progress"
        return "; ".join(
            f"{t.title}{': ' + t.message if t.message else ''}{f' ({t.percentage}%)' if t.percentage is not None else ''}"
            for t in self.running.values()
        )

