"""The `replay:RUN[:FALLBACK]` proxy policy: a recorded run's decisions stand in for the user.

A new run re-driven this way gets, for each proposal, the verdict the
recorded run gave the same rewrite: same symbol, same proposed text (compared
line by line with trailing whitespace ignored). When the recorded run decided
that rewrite more than once, its last decision counts. The final acceptance
replays the recorded `final.verdict` event when the whole patch changes the
same lines as the recorded run's patch. Anything the recorded run never
decided goes to FALLBACK (a named policy, `auto` by default), and its verdict
says so.

Recorded decisions are read once, at the first request, from the run log.
"""

from __future__ import annotations

from dataclasses import dataclass

from swarm.protocols import ApprovalRequest, ProxyUser, Verdict
from swarm.records import RunSnapshot
from swarm.runlog import RunLog


def normalized(source: str) -> tuple[str, ...]:
    """A proposal's text as compared: lines without trailing whitespace, no blank lines at the ends."""
    lines = [line.rstrip() for line in source.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)


def changed_lines(patch: str) -> tuple[str, ...]:
    """The +/- lines of a unified diff, headers and index hashes left out."""
    return tuple(
        line.rstrip()
        for line in patch.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))
    )


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    approved: bool
    reason: str
    policy: str
    proposal_id: str


class ReplayProxy:
    """Decides as run `run_id` did; `fallback` decides the rest."""

    def __init__(self, run_id: str, runlog: RunLog, fallback: ProxyUser) -> None:
        self.run_id = run_id
        self.runlog = runlog
        self.fallback = fallback
        self._decisions: dict[tuple[str, tuple[str, ...]], RecordedDecision] | None = None
        self._final: RecordedDecision | None = None
        self._final_changes: tuple[str, ...] = ()
        self.replayed = 0
        self.fell_back = 0

    @property
    def name(self) -> str:
        return f"replay:{self.run_id}"

    def _load(self) -> dict[tuple[str, tuple[str, ...]], RecordedDecision]:
        if self._decisions is None:
            snapshot = self.runlog.snapshot(self.run_id)
            self._decisions = recorded_decisions(snapshot)
            self._final = recorded_final(snapshot)
            self._final_changes = changed_lines(snapshot.run.patch or "")
        return self._decisions

    async def decide(self, request: ApprovalRequest) -> Verdict:
        decisions = self._load()
        recorded: RecordedDecision | None
        if request.final:
            same_patch = changed_lines(request.diff) == self._final_changes
            recorded = self._final if same_patch else None
        else:
            recorded = decisions.get((request.symbol_id, normalized(request.new_source)))
        if recorded is not None:
            self.replayed += 1
            what = "the whole patch" if request.final else recorded.proposal_id
            return Verdict(
                recorded.approved,
                f"as run {self.run_id} decided {what} ({recorded.policy}): {recorded.reason}",
                self.name,
            )
        self.fell_back += 1
        verdict = await self.fallback.decide(request)
        what = "this patch" if request.final else "this rewrite"
        return Verdict(verdict.approved, f"run {self.run_id} never decided {what}; {verdict.reason}", verdict.policy)


def recorded_decisions(snapshot: RunSnapshot) -> dict[tuple[str, tuple[str, ...]], RecordedDecision]:
    """(symbol id, normalized text) -> the last verdict the run gave such a proposal."""
    proposals = {p.id: p for p in snapshot.proposals}
    out: dict[tuple[str, tuple[str, ...]], RecordedDecision] = {}
    for approval in snapshot.approvals:  # in decision order: later ones replace earlier ones
        proposal = proposals.get(approval.proposal_id)
        if proposal is None:
            continue
        key = (proposal.symbol_id, normalized(proposal.new_source))
        out[key] = RecordedDecision(approval.verdict.value == "approved", approval.reason, approval.policy, proposal.id)
    return out


def recorded_final(snapshot: RunSnapshot) -> RecordedDecision | None:
    finals = [e for e in snapshot.events if e.kind == "final.verdict"]
    if not finals:
        return None
    data = finals[-1].data
    return RecordedDecision(bool(data.get("approved")), str(data.get("reason", "")), str(data.get("policy", "?")), "final")
