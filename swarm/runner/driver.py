"""`run_swarm`: one run from a request to an outcome.

    outcome = await run_swarm(RunRequest(repo=Path("examples/python_shop"), issue=text, config=config))

1. the checkout: a git worktree at the base commit (swarm.runner.checkout),
   or, with `resume`, the recorded one rebuilt (swarm.runner.resume);
2. the editor session on it (workspace, language servers, check pipeline);
3. the bus with the participants: `harness`, `proxy-user`, `coordinator`,
   and symbol agents spawned when first addressed;
4. the coordinator's passes, until the run ends: accepted, gave up, budget,
   error; the wall-time limit is a cancel scope around it all;
5. the outcome: patch (saved as `.swarm/runs/<run-id>.patch`), run log
   closed with status and reason, `--apply` onto the user's tree.

It never raises for a failed run (status "error" with the reason); only bad
requests raise (`SwarmError` subclasses). When cancelled (Ctrl-C, an outer
cancel scope) it records the run as interrupted, resumable, and re-raises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from editor_harness.errors import HarnessError
from editor_harness.session import open_session
from editor_harness.workspace import Workspace
from swarm.agents.coordinator import Coordinator, run_coordinator
from swarm.agents.guided_agent import GuidedSymbolAgent
from swarm.agents.guided_coordinator import GuidedCoordinator
from swarm.agents.harness_participant import HarnessParticipant
from swarm.agents.proxy_participant import ProxyParticipant
from swarm.agents.symbol_agent import SymbolAgent
from swarm.bus import open_bus
from swarm.errors import SwarmError
from swarm.messages import is_role
from swarm.models.budget import SpendTracker
from swarm.models.chat import ChatModel
from swarm.protocols import Model, ProxyUser
from swarm.records import RunStatus
from swarm.runlog import RunLog, new_run_id, runlog_path
from swarm.runner.checkout import Checkout, CheckoutError, apply_to_user_tree, create_checkout, locate_repo, reset_checkout
from swarm.runner.request import RunEvent, RunOutcome, RunRequest, Spend
from swarm.runner.mode import run_mode
from swarm.runner.resume import (
    recorded_checkout,
    recorded_reproduction,
    replay_approved,
    resume_note,
    write_reproduction,
)
from swarm.runner.state import Limits, RunState

ROLES = ("coordinator", "symbol_agent")
# Past the wall-time budget, the run gets this long to stop on its own
# (a test run in flight) before it is cancelled.
WALL_GRACE_S = 5.0
_LOG_STATUS = {
    "accepted": RunStatus.DONE,
    "gave_up": RunStatus.GAVE_UP,
    "budget": RunStatus.FAILED,
    "error": RunStatus.FAILED,
    "cancelled": RunStatus.INTERRUPTED,
}


class ProxyNotAvailable(SwarmError):
    """The proxy policies (swarm.proxy) are not part of this build."""


class _ReviewerWanted(Exception):
    """The proxy spec asks for the reviewer model: it is built with the run's models."""


def _want_reviewer(role: str) -> Model:
    raise _ReviewerWanted(role)


def _make_proxy(request: RunRequest, runlog: RunLog, model_factory: Callable[[str], Model]) -> ProxyUser:
    try:
        from swarm.proxy import make_proxy
    except ImportError:
        raise ProxyNotAvailable(
            f"the proxy user policies (swarm.proxy) are not in this build, so --proxy {request.proxy} cannot be used"
        ) from None
    return make_proxy(request.proxy, config=request.config, runlog=runlog, model_factory=model_factory)


def _early_proxy(request: RunRequest, runlog: RunLog) -> ProxyUser | None:
    """The proxy, or None when it needs the reviewer model; either way a bad
    `--proxy` fails here, before a run or a checkout exists."""
    try:
        return _make_proxy(request, runlog, _want_reviewer)
    except _ReviewerWanted:
        return None


@dataclass(slots=True)
class _Prepared:
    run_id: str
    issue: str
    checkout: Checkout
    resume_note: str = ""


async def run_swarm(
    request: RunRequest,
    *,
    proxy: ProxyUser | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    model_factory: Callable[[str], Model] | None = None,
) -> RunOutcome:
    started = time.monotonic()
    toplevel, subdir = await locate_repo(request.repo)
    runlog = RunLog.open(request.runlog or runlog_path(toplevel))
    try:
        # A reviewer model (`llm`) is opened with the run's models in _run, so its
        # calls count against the budget, are logged, and it is closed at the end.
        chosen_proxy = proxy if proxy is not None else _early_proxy(request, runlog)
        if request.resume:
            prepared = await _prepare_resume(request, runlog)
        else:
            prepared = await _prepare_new(request, runlog, toplevel, subdir)
        return await _run(request, runlog, prepared, chosen_proxy, on_event, model_factory, started)
    finally:
        runlog.close()


async def _prepare_new(request: RunRequest, runlog: RunLog, toplevel: Path, subdir: str) -> _Prepared:
    if not request.issue.strip():
        raise SwarmError("the issue text is empty: pass --issue FILE or pipe the issue on stdin")
    run_id = new_run_id()
    checkout = await create_checkout(toplevel / subdir if subdir else toplevel, run_id, request.base)
    title = request.title or next((line.strip().lstrip("#").strip() for line in request.issue.splitlines() if line.strip()), "")
    runlog.create_run(
        run_id=run_id,
        repo=checkout.user_root,
        issue_text=request.issue,
        base_commit=checkout.base_commit,
        config=_config_record(request, title),
    )
    runlog.record_event(run_id, "swarm.checkout", {**checkout.to_json(), "repo": str(checkout.user_root), "title": title})
    return _Prepared(run_id, request.issue, checkout)


async def _prepare_resume(request: RunRequest, runlog: RunLog) -> _Prepared:
    assert request.resume is not None
    run_id = runlog.resolve_run(request.resume)
    record = runlog.load_run(run_id)
    checkout = recorded_checkout(runlog, run_id)
    await reset_checkout(checkout)
    return _Prepared(run_id, record.issue_text, checkout)


def _config_record(request: RunRequest, title: str) -> dict[str, Any]:
    config = request.config
    return {
        "models": {role: config.for_role(role).spec for role in ("coordinator", "symbol_agent", "reviewer")},
        "budget": {k: getattr(config.budget, k) for k in ("steps", "tokens", "cost_usd", "wall_s")},
        "proxy": request.proxy,
        "reproduce": request.reproduce,
        "focus": request.focus,
        "title": title,
        "source": str(config.source) if config.source else None,
    }


async def _open_models(
    stack: AsyncExitStack,
    request: RunRequest,
    runlog: RunLog,
    run_id: str,
    tracker: SpendTracker,
    model_factory: Callable[[str], Model] | None,
    roles: tuple[str, ...] = ROLES,
) -> dict[str, Model]:
    from swarm.models.providers import model_for

    recorder = runlog.call_recorder(run_id)
    models: dict[str, Model] = {}
    for role in roles:
        if model_factory is not None:
            model = model_factory(role)
            if isinstance(model, ChatModel):
                # The run's budget and log apply to models made elsewhere too.
                if model.tracker is None:
                    model.tracker = tracker
                if recorder not in model.observers:
                    model.observers = (*model.observers, recorder)
        else:
            model = await stack.enter_async_context(model_for(role, request.config, tracker=tracker, observers=[recorder]))
        models[role] = model
    return models


def model_label(models: dict[str, Model]) -> str:
    return ", ".join(dict.fromkeys(m.name for m in models.values()))


async def _run(
    request: RunRequest,
    runlog: RunLog,
    prepared: _Prepared,
    proxy: ProxyUser | None,
    on_event: Callable[[RunEvent], None] | None,
    model_factory: Callable[[str], Model] | None,
    started: float,
) -> RunOutcome:
    run_id, checkout = prepared.run_id, prepared.checkout
    tracker = SpendTracker(request.config.budget)
    limits = Limits.from_config(request.config.section("swarm"), request)
    status, reason, label = "error", "", ""
    state: RunState | None = None

    def emit(kind: str, text: str, **data: Any) -> None:
        if on_event is not None:
            try:
                on_event(RunEvent(kind, run_id, text, data))
            except Exception:  # noqa: BLE001 - a broken display must not break the run
                pass

    try:
        async with AsyncExitStack() as stack:
            models = await _open_models(stack, request, runlog, run_id, tracker, model_factory)
            if proxy is None:
                reviewer = await _open_models(stack, request, runlog, run_id, tracker, model_factory, roles=("reviewer",))
                proxy = _make_proxy(request, runlog, lambda role: reviewer[role])
            label = model_label(models)
            scripted = " (scripted replies: no model is called)" if any(m.name.startswith("scripted:") for m in models.values()) else ""
            mode = run_mode(request.config)
            emit("started", f"run {run_id} on {checkout.user_root} — model {label}{scripted}, proxy {proxy.name}, mode {mode}",
                 repo=str(checkout.user_root), worktree=str(checkout.root), base_commit=checkout.base_commit,
                 model=label, proxy=proxy.name, resumed=bool(request.resume), mode=mode)
            replayed = None
            workspace = Workspace.open(checkout.root)
            reproduction = None
            if request.resume:
                resume_state = runlog.reopen_run(run_id)
                reproduction = recorded_reproduction(runlog, run_id)
                if reproduction is not None:
                    write_reproduction(checkout.root, reproduction)
                replayed = replay_approved(runlog, run_id, resume_state, workspace)
                emit("note", f"resumed: {len(replayed.approved)} approved edit(s) re-applied and verified, "
                     f"{len(replayed.superseded)} undecided proposal(s) superseded",
                     approved=[a.proposal_id for a in replayed.approved], superseded=list(replayed.superseded))
            session = await stack.enter_async_context(open_session(
                checkout.root,
                servers=request.language_servers,
                test_timeout=limits.test_timeout_s,
                python=str(request.interpreter) if request.interpreter else None,
                workspace=workspace,
            ))
            state = RunState(
                run_id=run_id, request=request, issue=prepared.issue, runlog=runlog, session=session,
                checkout=checkout, models=models, proxy=proxy, tracker=tracker, limits=limits, on_event=on_event,
            )
            note = ""
            if reproduction is not None:
                state.reproduction = reproduction
                state.new_files.append(reproduction.path)
                state.remember_base(reproduction.before)
            if replayed is not None:
                state.approved.extend(replayed.approved)
                state.proposals_made = replayed.proposals_made
                note = resume_note(replayed, reproduction)
            await _drive(state, note)
            status, reason = state.status, state.reason
    except (trio.Cancelled, KeyboardInterrupt):
        status, reason = "cancelled", "the run was cancelled; resume it with `swarm run --resume " + run_id + "`"
        with trio.CancelScope(shield=True):
            await _close(runlog, run_id, checkout, status, reason, state, request)
        raise
    except Exception as exc:  # noqa: BLE001 - a failed run is an outcome, not an exception
        status, reason = "error", f"{type(exc).__name__}: {exc}"
    return await _finish(request, runlog, run_id, checkout, status, reason, state, label, started, emit)


async def _drive(state: RunState, note: str) -> None:
    """The participants on the bus until the run ends."""
    harness = HarnessParticipant(state)
    guided = run_mode(state.request.config) == "guided"
    coordinator = (GuidedCoordinator if guided else Coordinator)(state, harness)
    agent_class = GuidedSymbolAgent if guided else SymbolAgent
    agents: dict[str, SymbolAgent] = {}

    def spawn(address: str) -> SymbolAgent | None:
        if is_role(address) or len(agents) >= state.limits.max_agents:
            return None
        try:
            state.workspace.symbol(address)
        except HarnessError:
            return None
        agent = agents[address] = agent_class(state, address)
        state.set_agent(address, "idle")
        return agent

    wall = state.request.config.budget.wall_s
    async with open_bus(state.runlog, state.run_id, spawn=spawn) as bus:
        async with trio.open_nursery() as nursery:
            state.nursery, state.bus = nursery, bus
            bus.serve(harness)
            bus.serve(ProxyParticipant(state))
            bus.serve(coordinator)
            nursery.start_soon(harness.work, name="harness worker")
            nursery.start_soon(run_coordinator, coordinator, note, name="coordinator")
            with trio.move_on_after(wall + WALL_GRACE_S if wall else float("inf")):
                await state.finished.wait()
            if not state.finished.is_set():
                state.end("budget", f"budget exhausted: wall_s used {wall:g}s of {wall:g}s; raise [budget] wall_s or SWARM_BUDGET_WALL")
            nursery.cancel_scope.cancel()


async def _close(
    runlog: RunLog, run_id: str, checkout: Checkout, status: str, reason: str, state: RunState | None, request: RunRequest
) -> tuple[str, Path | None]:
    """Save the patch and end the run in the log; (patch, patch path)."""
    new_files = tuple(state.new_files) if state is not None else ()
    patch = ""
    # A reproduction alone is no patch: only runs with an applied edit have one.
    if any(edit.confirmed for edit in runlog.applied_edits(run_id)):
        try:
            patch = await checkout.diff(new_files)
        except CheckoutError:
            patch = ""
    patch_path: Path | None = None
    if patch:
        patch_path = checkout.patch_path
        patch_path.parent.mkdir(parents=True, exist_ok=True)
        patch_path.write_text(patch, encoding="utf-8")
    runlog.record_event(run_id, "swarm.outcome", {"status": status, "reason": reason, "patch_path": str(patch_path) if patch_path else None})
    runlog.finish_run(run_id, _LOG_STATUS[status], reason, patch or None)
    return patch, patch_path


async def _finish(
    request: RunRequest,
    runlog: RunLog,
    run_id: str,
    checkout: Checkout,
    status: str,
    reason: str,
    state: RunState | None,
    label: str,
    started: float,
    emit: Callable[..., None],
) -> RunOutcome:
    reason = reason or status
    patch, patch_path = await _close(runlog, run_id, checkout, status, reason, state, request)
    applied, apply_note = False, ""
    if request.apply:
        if status == "accepted" and patch_path is not None:
            applied, apply_note = await apply_to_user_tree(checkout, patch_path)
        else:
            apply_note = "not applied: the run ended without an accepted patch"
    record = runlog.load_run(run_id)
    spend = record.spend
    verdicts = [
        {"proposal_id": a.proposal_id, "approved": a.verdict.value == "approved", "reason": a.reason, "policy": a.policy}
        for a in runlog.approvals(run_id)
    ]
    verdicts += [
        {"proposal_id": "final", "approved": bool(e.data.get("approved")), "reason": e.data.get("reason", ""),
         "policy": e.data.get("policy", ""), "final": True}
        for e in runlog.events(run_id) if e.kind == "final.verdict"
    ]
    outcome = RunOutcome(
        run_id=run_id,
        status=status,
        reason=reason,
        patch=patch,
        model=label,
        spend=Spend(spend.input_tokens, spend.output_tokens, None if spend.unpriced_calls else spend.cost_usd, spend.model_calls),
        elapsed_s=time.monotonic() - started,
        base_commit=checkout.base_commit,
        worktree=checkout.root,
        patch_path=patch_path,
        applied=applied,
        verdicts=tuple(verdicts),
        apply_note=apply_note,
        repo=checkout.user_root,
    )
    emit("finished", f"run {run_id} {status}: {reason}", **outcome.to_json())
    return outcome
