"""What the run log stores, as frozen records, and pure helpers over them.

These are the rows of the run log (`swarm.runlog`) as Python values: the
readers of a run (`swarm show`, the conversation graph, replay, export) work
on these and never on SQL rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from swarm.messages import Message
from swarm.protocols import CallRecord, ChatMessage


def _json_dict(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v, Enum) else dict(v) if isinstance(v, Mapping) else v) for k, v in items}


def as_json(record: Any) -> dict[str, Any]:
    """A record as plain JSON data: enums as their values, nested records as objects."""
    return dataclasses.asdict(record, dict_factory=_json_dict)


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    GAVE_UP = "gave_up"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    CHECKED = "checked"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"
    SUPERSEDED = "superseded"


class Verdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


# Allowed proposal transitions; anything else is a bug in the caller.
PROPOSAL_TRANSITIONS: Mapping[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.PROPOSED: frozenset(
        {ProposalStatus.CHECKED, ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED}
    ),
    ProposalStatus.CHECKED: frozenset(
        {ProposalStatus.CHECKED, ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED}
    ),
    ProposalStatus.APPROVED: frozenset({ProposalStatus.APPLIED, ProposalStatus.SUPERSEDED}),
    ProposalStatus.REJECTED: frozenset(),
    ProposalStatus.APPLIED: frozenset(),
    ProposalStatus.SUPERSEDED: frozenset(),
}

UNDECIDED = frozenset({ProposalStatus.PROPOSED, ProposalStatus.CHECKED})

# The hash recorded for a file that does not exist.
ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Spend:
    """What a run's model calls cost. `unpriced_calls` had no known price."""

    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str
    repo: str
    base_commit: str | None
    issue_text: str
    config: Mapping[str, Any]
    status: RunStatus
    reason: str | None
    started_at: float
    ended_at: float | None
    patch: str | None
    spend: Spend
    owner_pid: int | None
    owner_host: str | None
    attempts: int
    message_count: int

    @property
    def issue_title(self) -> str:
        """The issue's first non-empty line, without Markdown heading marks."""
        for line in self.issue_text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                return line
        return ""

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class Proposal:
    id: str
    run_id: str
    symbol_id: str
    base_version: int | str
    new_source: str
    rationale: str
    status: ProposalStatus
    author: str | None
    message_id: str | None
    created_at: float
    updated_at: float

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """A check report on a proposal; `report` is the harness's CheckReport as JSON."""

    id: int
    run_id: str
    proposal_id: str
    report: Mapping[str, Any]
    passed: bool
    message_id: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    id: int
    run_id: str
    proposal_id: str
    verdict: Verdict
    reason: str
    policy: str
    message_id: str | None
    decided_at: float

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class AppliedEdit:
    """An approved edit written (or being written) to a file.

    `applied_at` is None while only the intent is recorded: the file may or
    may not hold the new text; compare its hash with `before_hash` and
    `after_hash` (see `apply_outcome`).
    """

    proposal_id: str
    run_id: str
    path: str
    before_hash: str
    after_hash: str
    order: int
    started_at: float
    applied_at: float | None

    @property
    def confirmed(self) -> bool:
        return self.applied_at is not None

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class ModelCall:
    """One model call to record. `cost_usd` is None when the price is unknown (not 0).

    `reply` is the model's message as JSON (`chat_message_json`), kept so a
    run can be re-driven from its recorded replies.
    """

    role: str
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    latency_s: float
    ok: bool
    address: str | None = None
    error: str | None = None
    request_digest: str | None = None
    error_kind: str | None = None
    attempts: int = 1
    repairs: int = 0
    stop_reason: str | None = None
    reply: Mapping[str, Any] | None = None
    started_at: float | None = None


def chat_message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "role": message.role,
        "content": message.content,
        "tool_calls": [{"id": c.id, "name": c.name, "arguments": dict(c.arguments)} for c in message.tool_calls],
        "tool_call_id": message.tool_call_id,
    }


def model_call_from(record: CallRecord) -> ModelCall:
    """What the run log keeps of a model layer `CallRecord` (`swarm.protocols`)."""
    return ModelCall(
        role=record.role,
        provider=record.provider,
        model=record.model,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        cost_usd=record.cost_usd,
        latency_s=record.latency_s,
        ok=record.ok,
        address=record.agent,
        error=record.error,
        request_digest=record.request_digest,
        error_kind=record.error_kind,
        attempts=record.attempts,
        repairs=record.repairs,
        stop_reason=record.stop_reason,
        reply=chat_message_json(record.reply) if record.reply is not None else None,
        started_at=record.started_at,
    )


@dataclass(frozen=True, slots=True)
class ModelCallRecord:
    id: int
    run_id: str
    call: ModelCall
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "run_id": self.run_id, **as_json(self.call), "created_at": self.created_at}


@dataclass(frozen=True, slots=True)
class Event:
    """Free-form progress for user interfaces (`kind` is a short dotted name)."""

    id: int
    run_id: str
    at: float
    kind: str
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return as_json(self)


@dataclass(frozen=True, slots=True)
class RunSnapshot:
    """Everything recorded about one run, as read in one transaction."""

    run: RunRecord
    messages: tuple[Message, ...]
    proposals: tuple[Proposal, ...]
    checks: tuple[CheckRecord, ...]
    approvals: tuple[ApprovalRecord, ...]
    applied: tuple[AppliedEdit, ...]
    model_calls: tuple[ModelCallRecord, ...]
    events: tuple[Event, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run.to_json(),
            "messages": [m.to_json() for m in self.messages],
            "proposals": [p.to_json() for p in self.proposals],
            "check_reports": [c.to_json() for c in self.checks],
            "approvals": [a.to_json() for a in self.approvals],
            "applied_edits": [a.to_json() for a in self.applied],
            "model_calls": [m.to_json() for m in self.model_calls],
            "events": [e.to_json() for e in self.events],
        }


@dataclass(frozen=True, slots=True)
class ResumeState:
    """Where an interrupted run stands, for the driver that resumes it.

    - `applied`: proposals whose edit is confirmed on disk, in apply order;
    - `approved_not_applied`: approved, not confirmed applied, in approval
      order (those in `pending_apply` among them);
    - `pending_apply`: apply intents without confirmation: the write may or
      may not have reached the disk; settle them by file hash first
      (`RunLog.settle_applies`);
    - `undecided`: proposed or checked, no verdict yet;
    - `open_requests`: delivered requests (task, probe, ...) nobody replied to;
    - `last_seq`: the bus continues numbering messages after it.
    """

    run: RunRecord
    applied: tuple[Proposal, ...]
    approved_not_applied: tuple[Proposal, ...]
    pending_apply: tuple[AppliedEdit, ...]
    undecided: tuple[Proposal, ...]
    open_requests: tuple[Message, ...]
    last_seq: int


class ApplyOutcome(StrEnum):
    APPLIED = "applied"  # the file holds the new text
    NOT_APPLIED = "not_applied"  # the file still holds the old text
    CONFLICT = "conflict"  # the file holds neither: changed by someone else


def content_hash(data: bytes | None) -> str:
    """How the run log names a file's content: `sha256:<hex>`, or `absent`."""
    if data is None:
        return ABSENT
    return "sha256:" + hashlib.sha256(data).hexdigest()


def apply_outcome(edit: AppliedEdit, current_hash: str) -> ApplyOutcome:
    """Did an apply whose confirmation may be missing reach the disk?"""
    if current_hash == edit.after_hash:
        return ApplyOutcome.APPLIED
    if current_hash == edit.before_hash:
        return ApplyOutcome.NOT_APPLIED
    return ApplyOutcome.CONFLICT


@dataclass(frozen=True, slots=True)
class PatchStats:
    files: int
    added: int
    removed: int

    @property
    def lines(self) -> int:
        return self.added + self.removed


_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def patch_stats(patch: str | None) -> PatchStats:
    """Files touched and lines added/removed by a unified diff (git's or plain).

    Hunk headers give each hunk's line counts, so a removed line that itself
    starts with `--` is not mistaken for a file header.
    """
    files = added = removed = 0
    old_left = new_left = 0
    for line in (patch or "").splitlines():
        if old_left > 0 or new_left > 0:
            if line.startswith("+"):
                added += 1
                new_left -= 1
            elif line.startswith("-"):
                removed += 1
                old_left -= 1
            elif not line.startswith("\\"):  # "\ No newline at end of file"
                old_left -= 1
                new_left -= 1
            continue
        if line.startswith("+++ "):
            files += 1
        elif match := _HUNK.match(line):
            old_left = int(match.group(1) or 1)
            new_left = int(match.group(2) or 1)
    return PatchStats(files, added, removed)
