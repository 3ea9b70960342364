"""The `proxy-user` on the bus: turns each `approval_request` into an
`ApprovalRequest`, asks the configured `ProxyUser` policy (swarm/proxy/),
records the verdict and replies `approval` or `rejection`.

Per-proposal verdicts go to the run log's approvals (`record_verdict`,
which moves the proposal to approved/rejected). The final acceptance of the
whole patch has no proposal row: its verdict is the reply message plus an
event `final.verdict` {approved, reason, policy, request}. A policy that
fails (a reviewer model down, a closed terminal) rejects with the failure
as the reason: the run goes on and the author may revise. A policy that
quits (`q` at the human prompt: RunQuit) ends the run `cancelled`, with no
verdict: the proposal stays undecided and `swarm run --resume` asks again.

Decisions are made one at a time, so a human is never asked two things at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import trio

from swarm.bus import Bus
from swarm.errors import RunQuit
from swarm.messages import Message, MessageKind, Role
from swarm.models.errors import BudgetExceeded
from swarm.protocols import ApprovalRequest, Verdict
from swarm.records import Verdict as RecordedVerdict
from swarm.runner.state import RunState


def approval_request(run_id: str, issue: str, body: Mapping[str, Any]) -> ApprovalRequest:
    """The ApprovalRequest an `approval_request` message body carries (the issue is not repeated in it)."""
    return ApprovalRequest.from_json({"symbol_id": "", "diff": "", "rationale": "", **body, "run_id": run_id, "issue": issue})


class ProxyParticipant:
    def __init__(self, state: RunState) -> None:
        self.state = state
        self._lock = trio.Lock()

    @property
    def address(self) -> str:
        return Role.PROXY_USER.value

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind is MessageKind.APPROVAL_REQUEST:
            assert self.state.nursery is not None
            self.state.nursery.start_soon(self._decide, message, bus, name="proxy-user decide")

    async def _decide(self, message: Message, bus: Bus) -> None:
        state = self.state
        async with self._lock:
            request = approval_request(state.run_id, state.issue, message.body)
            label = "the whole patch" if request.final else f"{request.proposal_id} ({request.symbol_id})"
            state.set_agent(self.address, f"reviewing {label}")
            try:
                verdict = await state.proxy.decide(request)
            except RunQuit as exc:
                state.runlog.record_event(state.run_id, "proxy.quit", {"request": message.id, "reason": str(exc)})
                state.set_agent(self.address, "quit")
                state.end("cancelled", str(exc) or f"the run was cancelled; resume it with `swarm run --resume {state.run_id}`")
                return
            except BudgetExceeded as exc:
                state.end("budget", str(exc))
                verdict = Verdict(False, f"not reviewed: {exc}", state.proxy.name)
            except Exception as exc:  # noqa: BLE001 - a failing policy rejects; the run goes on
                verdict = Verdict(False, f"the {state.proxy.name} reviewer failed: {type(exc).__name__}: {exc}", state.proxy.name)
            reason = verdict.reason.strip() or ("approved" if verdict.approved else "rejected (no reason given)")
            kind = MessageKind.APPROVAL if verdict.approved else MessageKind.REJECTION
            sent = await bus.reply(message, kind, {"proposal_id": request.proposal_id, "reason": reason, "policy": verdict.policy})
            if request.final:
                state.runlog.record_event(state.run_id, "final.verdict", {
                    "approved": verdict.approved, "reason": reason, "policy": verdict.policy, "request": message.id,
                })
            else:
                state.runlog.record_verdict(
                    state.run_id,
                    request.proposal_id,
                    RecordedVerdict.APPROVED if verdict.approved else RecordedVerdict.REJECTED,
                    reason,
                    verdict.policy,
                    message_id=sent.id,
                )
            state.set_agent(self.address, "idle")
            state.emit("verdict", f"{label}: {'approved' if verdict.approved else 'rejected'} by {verdict.policy}: {reason}",
                       proposal_id=request.proposal_id, symbol_id=request.symbol_id, approved=verdict.approved,
                       reason=reason, policy=verdict.policy, final=request.final)
