"""The protocols module: one definition of the Model protocol and its data,
which ChatModel (every provider's Model) matches member for member."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import trio

import swarm.models
from editor_harness.session import open_session
from swarm import protocols
from swarm.models.chat import ChatModel
from swarm.protocols import ChatMessage, Completion, ToolCall, Usage
from swarm.proxy.auto import AutoProxy
from swarm.proxy.human import HumanProxy
from swarm.proxy.llm import LlmProxy
from tests.swarm.proxy.evidence import APPLIES_TO, FAILING, FIX, ISSUE, diff_of, passing_report


def test_the_data_is_frozen_and_slotted() -> None:
    for cls in (protocols.ToolSpec, ToolCall, ChatMessage, Usage, Completion, protocols.CallRecord):
        params = getattr(cls, "__dataclass_params__")
        assert params.frozen and "__slots__" in vars(cls), cls
    with pytest.raises(dataclasses.FrozenInstanceError):
        ChatMessage("user", "x").content = "y"  # type: ignore[misc]


def test_usage_totals_tokens() -> None:
    assert Usage(120, 30, None).total_tokens == 150


def test_chat_model_implements_the_model_protocol_exactly() -> None:
    for name in ("complete", "for_agent"):
        ours = inspect.signature(getattr(ChatModel, name))
        declared = inspect.signature(getattr(protocols.Model, name))
        assert list(ours.parameters) == list(declared.parameters), name
        for param in declared.parameters.values():
            assert ours.parameters[param.name].default == param.default, (name, param.name)
    assert isinstance(inspect.getattr_static(ChatModel, "name"), property)


def test_swarm_models_re_exports_the_same_objects() -> None:
    for name in ("Model", "ChatMessage", "ToolSpec", "ToolCall", "Usage", "Completion", "CallRecord", "CallObserver"):
        assert getattr(swarm.models, name) is getattr(protocols, name)


# ---------------------------------------------------------------- proxy user


def test_approval_request_round_trips_through_json_with_a_real_report(
    python_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the example's pytest runs on this venv

    async def check() -> protocols.ApprovalRequest:
        async with open_session(python_repo, servers=False, test_timeout=120) as session:
            before = await session.pipeline.baseline([FAILING])
            report = await session.pipeline.rewrite_and_check(APPLIES_TO, FIX, 1)
            after = await session.workspace.run_tests([FAILING], timeout=120)
        return protocols.ApprovalRequest(
            run_id="r1", proposal_id="p1", issue=ISSUE, symbol_id=APPLIES_TO, diff=diff_of(report),
            rationale="off by one", report=report, reproduction_before=before, reproduction_after=after,
            attempt=2, new_source=FIX,
        )

    request = trio.run(check)
    assert request.report.edit is not None and request.report.test_run is not None
    stored = json.loads(json.dumps(request.to_json()))
    assert stored["report"]["stages"][0]["status"] == "passed"
    assert stored["reproduction_before"]["counts"]["failed"] == 1
    assert protocols.ApprovalRequest.from_json(stored) == request


def test_approval_request_defaults_and_final_form() -> None:
    final = protocols.ApprovalRequest(
        run_id="r1", proposal_id="final", issue="x", symbol_id="", diff="d", rationale="all done",
        report=passing_report(), final=True,
    )
    assert (final.attempt, final.new_source, final.reproduction_before, final.reproduction_after) == (1, "", None, None)
    data = final.to_json()
    assert data["final"] is True and data["reproduction_after"] is None
    assert protocols.ApprovalRequest.from_json(data) == final
    with pytest.raises(dataclasses.FrozenInstanceError):
        final.final = False  # type: ignore[misc]


def test_verdict_needs_a_reason_and_round_trips() -> None:
    verdict = protocols.Verdict(False, "[tests] regression: t1", "auto")
    assert protocols.Verdict.from_json(verdict.to_json()) == verdict
    with pytest.raises(ValueError, match="needs a reason"):
        protocols.Verdict(True, "  ", "auto")
    params = getattr(protocols.Verdict, "__dataclass_params__")
    assert params.frozen and "__slots__" in vars(protocols.Verdict)


def test_every_proxy_policy_matches_the_protocol() -> None:
    for cls in (AutoProxy, LlmProxy, HumanProxy):
        assert isinstance(inspect.getattr_static(cls, "name"), property), cls
        ours = inspect.signature(cls.decide)
        assert list(ours.parameters) == list(inspect.signature(protocols.ProxyUser.decide).parameters)
        assert inspect.iscoroutinefunction(cls.decide)


def test_importing_the_protocols_does_not_import_the_harness() -> None:
    code = "import sys, swarm.protocols; print('editor_harness.pipeline' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_a_final_request_carries_its_outstanding_work_through_json() -> None:
    outstanding = (
        protocols.Outstanding("a.py::f", "rejected", "rejected: [tests] regression"),
        protocols.Outstanding("a.py::g", "gave_up", "no change needed"),
    )
    final = protocols.ApprovalRequest(
        run_id="r1", proposal_id="final-1", issue="x", symbol_id="", diff="d", rationale="done",
        report=passing_report(), final=True, outstanding=outstanding,
    )
    data = json.loads(json.dumps(final.to_json()))
    assert data["outstanding"][1] == {"symbol_id": "a.py::g", "kind": "gave_up", "reason": "no change needed"}
    assert protocols.ApprovalRequest.from_json(data) == final
    assert outstanding[0].describe() == "a.py::f (latest proposal rejected: rejected: [tests] regression)"
    # Requests stored before the field existed read as having none.
    del data["outstanding"]
    assert protocols.ApprovalRequest.from_json(data).outstanding == ()
