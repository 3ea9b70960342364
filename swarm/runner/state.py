"""What every participant of one run shares: the editor session, the models,
the run log, the reproduction, the budget, and how the run ends.

One `RunState` per run, made by the driver. Participants read it and call
`end(status, reason)`: the first call decides the outcome and wakes the
driver, which cancels everyone else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import trio

from editor_harness.session import EditorSession
from editor_harness.testrun import Outcome, TestResult, TestRun
from swarm.models.budget import SpendTracker
from swarm.protocols import Model, ProxyUser
from swarm.runlog import RunLog
from swarm.runner.checkout import Checkout
from swarm.runner.request import RunEvent, RunRequest

if TYPE_CHECKING:
    from swarm.bus import Bus


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-run bounds on the agents ([swarm] in swarm.toml overrides them)."""

    agent_steps: int = 16           # model calls one symbol agent may make per task
    coordinator_steps: int = 30     # model calls of one coordinator pass
    max_revisions: int = 3          # rejected proposals an agent may revise
    max_agents: int = 16            # symbol agents alive at once
    large_symbol_tokens: int = 4000  # a symbol larger than this is rewritten through its children
    test_timeout_s: float = 300.0
    malformed_in_a_row: int = 3     # malformed model replies in a row before an agent gives up

    @classmethod
    def from_config(cls, section: Mapping[str, Any], request: RunRequest) -> Limits:
        base = cls(max_revisions=request.max_revisions, max_agents=request.max_agents)
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            value = section.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                values[name] = type(getattr(base, name))(value)
        return Limits(**{**{n: getattr(base, n) for n in cls.__dataclass_fields__}, **values})


@dataclass(frozen=True, slots=True)
class Reproduction:
    """The failing test written before the first edit, and its run on the base."""

    path: str           # relative to the workspace root
    selection: tuple[str, ...]  # what the run-tests endpoint runs: the file (pytest) or its tests' node ids (cargo)
    source: str
    before: TestRun

    @property
    def label(self) -> str:
        return self.path


@dataclass(slots=True)
class Approved:
    """An approved (and applied) rewrite, for the coordinator's summary and the final checks."""

    proposal_id: str
    symbol_id: str
    author: str
    rationale: str


@dataclass(slots=True)
class RunState:
    run_id: str
    request: RunRequest
    issue: str
    runlog: RunLog
    session: EditorSession
    checkout: Checkout
    models: Mapping[str, Model]
    proxy: ProxyUser
    tracker: SpendTracker
    limits: Limits
    on_event: Callable[[RunEvent], None] | None = None
    nursery: trio.Nursery | None = None
    bus: Bus | None = None
    reproduction: Reproduction | None = None
    approved: list[Approved] = field(default_factory=list)
    new_files: list[str] = field(default_factory=list)
    # The first outcome seen for each test: the base, before any edit of this run.
    base_outcomes: dict[str, Outcome] = field(default_factory=dict)
    # Each test's latest result on the accepted state (base + approved edits):
    # what "passed before" means for the next proposal.
    accepted_outcomes: dict[str, TestResult] = field(default_factory=dict)
    agent_status: dict[str, str] = field(default_factory=dict)
    finished: trio.Event = field(default_factory=trio.Event)
    status: str = ""
    reason: str = ""
    started: float = field(default_factory=time.monotonic)
    proposals_made: int = 0  # proposal ids p1, p2, ... continue after a resumed run's

    def next_proposal_id(self) -> str:
        self.proposals_made += 1
        return f"p{self.proposals_made}"

    @property
    def workspace(self):  # noqa: ANN201 - Workspace; typed through session
        return self.session.workspace

    def end(self, status: str, reason: str) -> None:
        """End the run (first caller wins) with a status and a non-empty reason."""
        if self.finished.is_set():
            return
        self.status = status
        self.reason = reason.strip() or status
        self.finished.set()

    def emit(self, kind: str, text: str, **data: Any) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(RunEvent(kind, self.run_id, text, data))
        except Exception:  # noqa: BLE001 - a broken progress display must not break the run
            pass

    def set_agent(self, address: str, status: str) -> None:
        if self.agent_status.get(address) == status:
            return
        self.agent_status[address] = status
        self.emit("agent", f"{address}: {status}", agent=address, status=status)

    def remember_base(self, run: TestRun) -> None:
        for result in run.results:
            self.base_outcomes.setdefault(result.node_id, result.outcome)
        self.remember_accepted(run)

    def remember_accepted(self, run: TestRun | None) -> None:
        for result in run.results if run is not None else ():
            self.accepted_outcomes[result.node_id] = result

    def accepted_run(self, selection: list[str]) -> TestRun | None:
        """The selection's results on the accepted state, as one TestRun (None when none is known)."""
        results = tuple(
            r for node, r in self.accepted_outcomes.items()
            if any(node == s or node.startswith(s + "::") for s in selection)
        )
        if not results:
            return None
        failed = any(r.outcome in (Outcome.FAILED, Outcome.ERROR) for r in results)
        return TestRun(tuple(selection), results, 1 if failed else 0, False, "", "", 0.0, "none",
                       note="the latest results on the accepted state")

    def spend_event(self) -> None:
        spend = self.tracker.spend
        self.emit(
            "spend",
            f"spend: {spend.steps} calls, {spend.tokens} tokens, ${spend.cost_usd:.4f}",
            model_calls=spend.steps,
            input_tokens=spend.input_tokens,
            output_tokens=spend.output_tokens,
            cost_usd=spend.cost_usd,
            elapsed_s=round(time.monotonic() - self.started, 1),
        )
