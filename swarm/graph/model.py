"""The conversation graph of one run, built from its run log snapshot.

    graph = build_graph(runlog.snapshot(run_id), status=observed_status(run))

A pure function of the recorded rows: nodes are the participants (symbols,
grouped by file, and roles), edges are the messages between them counted
per (sender, recipient, kind), proposals carry their check reports and
verdict, and the timeline is everything in time order. The renderers
(`text`, `dot`, `svg`, `html`) only draw this.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swarm.messages import Message, MessageKind, is_role
from swarm.records import ApprovalRecord, CheckRecord, Proposal, RunSnapshot, RunStatus, patch_stats
from swarm.run_views import body_summary
from symbols.model import ID_SEPARATOR

ROLES_GROUP = "roles"


@dataclass(frozen=True, slots=True)
class Node:
    """A participant: a role, or the agent owning a symbol (`group` is its file)."""

    id: str
    kind: str  # "role" | "symbol"
    label: str
    group: str
    sent: int
    received: int
    proposals: tuple[str, ...]
    outcome: str  # "approved" | "rejected" | "proposed" | "" (no proposal)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "label": self.label, "group": self.group, "sent": self.sent,
            "received": self.received, "proposals": list(self.proposals), "outcome": self.outcome,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Edge:
    """All messages of one kind from one participant to another."""

    source: str
    target: str
    kind: MessageKind
    count: int
    seqs: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind.value, "count": self.count,
                "seqs": list(self.seqs)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StageView:
    name: str
    status: str
    summary: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check report on a proposal: its stages and each test's outcome."""

    passed: bool
    at: float
    stages: tuple[StageView, ...]
    tests: tuple[tuple[str, str], ...]  # (node id, outcome)
    regressions: tuple[str, ...]
    fixes: tuple[str, ...]

    @property
    def line(self) -> str:
        """`syntax passed · diagnostics skipped · tests failed (1 failed, 2 passed)`"""
        parts = []
        for stage in self.stages:
            text = f"{stage.name} {stage.status}"
            if stage.name == "tests" and self.tests:
                counts: dict[str, int] = {}
                for _, outcome in self.tests:
                    counts[outcome] = counts.get(outcome, 0) + 1
                text += " (" + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())) + ")"
            parts.append(text)
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "at": self.at, "line": self.line,
            "stages": [{"name": s.name, "status": s.status, "summary": s.summary} for s in self.stages],
            "tests": [{"node_id": n, "outcome": o} for n, o in self.tests],
            "regressions": list(self.regressions), "fixes": list(self.fixes),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class VerdictView:
    approved: bool
    reason: str
    policy: str
    at: float

    def to_json(self) -> dict[str, Any]:
        return {"approved": self.approved, "reason": self.reason, "policy": self.policy, "at": self.at}


@dataclass(frozen=True, slots=True)
class ProposalView:
    """A proposal with its evidence: diff, checks, verdict, whether it was applied."""

    id: str
    symbol_id: str
    author: str | None
    status: str
    rationale: str
    diff: str
    at: float
    message_seq: int | None
    checks: tuple[CheckView, ...]
    verdict: VerdictView | None
    applied: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "symbol_id": self.symbol_id, "author": self.author, "status": self.status,
            "rationale": self.rationale, "diff": self.diff, "at": self.at, "message_seq": self.message_seq,
            "checks": [c.to_json() for c in self.checks],
            "verdict": self.verdict.to_json() if self.verdict else None, "applied": self.applied,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class MessageView:
    seq: int
    at: float
    kind: MessageKind
    sender: str
    recipient: str
    summary: str
    reply_to: int | None
    attached_to: int | None
    proposal_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": self.at, "kind": self.kind.value, "sender": self.sender,
            "recipient": self.recipient, "summary": self.summary, "reply_to": self.reply_to,
            "attached_to": self.attached_to, "proposal_id": self.proposal_id,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class SpendView:
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    unpriced_calls: int
    by_role: tuple[tuple[str, int, int], ...]  # (role, calls, tokens)

    def to_json(self) -> dict[str, Any]:
        return {
            "model_calls": self.model_calls, "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens, "cost_usd": self.cost_usd, "unpriced_calls": self.unpriced_calls,
            "by_role": [{"role": r, "calls": c, "tokens": t} for r, c, t in self.by_role],
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    title: str
    issue: str
    status: str
    reason: str
    repo: str
    base_commit: str | None
    started_at: float
    ended_at: float | None
    patch: str
    patch_files: int
    patch_added: int
    patch_removed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "issue": self.issue, "status": self.status, "reason": self.reason,
            "repo": self.repo, "base_commit": self.base_commit, "started_at": self.started_at,
            "ended_at": self.ended_at, "patch": self.patch, "patch_files": self.patch_files,
            "patch_added": self.patch_added, "patch_removed": self.patch_removed,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunGraph:
    run: RunInfo
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    proposals: tuple[ProposalView, ...]
    messages: tuple[MessageView, ...]
    spend: SpendView

    @property
    def running(self) -> bool:
        return self.run.status == RunStatus.RUNNING.value

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def groups(self) -> dict[str, list[Node]]:
        """Nodes by group: roles first, then files in name order."""
        out: dict[str, list[Node]] = {}
        for node in sorted(self.nodes, key=lambda n: (n.group != ROLES_GROUP, n.group, n.label)):
            out.setdefault(node.group, []).append(node)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run.to_json(),
            "nodes": [n.to_json() for n in self.nodes],
            "edges": [e.to_json() for e in self.edges],
            "proposals": [p.to_json() for p in self.proposals],
            "messages": [m.to_json() for m in self.messages],
            "spend": self.spend.to_json(),
        }


def split_address(address: str) -> tuple[str, str]:
    """(group, label): a role is in `roles`; `shop/cart.py::Cart.total` is `Cart.total` in `shop/cart.py`."""
    if is_role(address):
        return ROLES_GROUP, address
    path, sep, qualname = address.partition(ID_SEPARATOR)
    return (path, qualname) if sep else (ROLES_GROUP, address)


def build_graph(snapshot: RunSnapshot, status: RunStatus | None = None) -> RunGraph:
    """The graph of a run as recorded in `snapshot`; `status` overrides the recorded one (observed)."""
    run = snapshot.run
    seq_of = {m.id: m.seq for m in snapshot.messages}
    proposals = _proposals(snapshot, seq_of)
    stats = patch_stats(run.patch)
    info = RunInfo(
        id=run.id, title=run.issue_title, issue=run.issue_text, status=(status or run.status).value,
        reason=run.reason or "", repo=run.repo, base_commit=run.base_commit, started_at=run.started_at,
        ended_at=run.ended_at, patch=run.patch or "", patch_files=stats.files, patch_added=stats.added,
        patch_removed=stats.removed,
    )  # fmt: skip
    return RunGraph(
        run=info,
        nodes=_nodes(snapshot.messages, proposals),
        edges=_edges(snapshot.messages),
        proposals=proposals,
        messages=tuple(_message_view(m, seq_of) for m in snapshot.messages),
        spend=_spend(snapshot),
    )


def _message_view(message: Message, seq_of: Mapping[str, int]) -> MessageView:
    proposal = message.body.get("proposal_id")
    return MessageView(
        seq=message.seq,
        at=message.created_at,
        kind=message.kind,
        sender=message.sender,
        recipient=message.recipient,
        summary=body_summary(message),
        reply_to=_seq(message.in_reply_to, seq_of),
        attached_to=_seq(message.attached_to, seq_of),
        proposal_id=proposal if isinstance(proposal, str) else None,
    )


def _seq(message_id: str | None, seq_of: Mapping[str, int]) -> int | None:
    if message_id is None:
        return None
    if message_id in seq_of:
        return seq_of[message_id]
    tail = message_id.rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def _nodes(messages: Sequence[Message], proposals: Sequence[ProposalView]) -> tuple[Node, ...]:
    sent: dict[str, int] = {}
    received: dict[str, int] = {}
    order: dict[str, None] = {}
    for m in messages:
        sent[m.sender] = sent.get(m.sender, 0) + 1
        received[m.recipient] = received.get(m.recipient, 0) + 1
        order.setdefault(m.sender)
        order.setdefault(m.recipient)
    by_symbol: dict[str, list[ProposalView]] = {}
    for p in proposals:
        by_symbol.setdefault(p.symbol_id, []).append(p)
        order.setdefault(p.symbol_id)
    nodes = []
    for address in order:
        group, label = split_address(address)
        mine = by_symbol.get(address, [])
        nodes.append(
            Node(
                id=address,
                kind="role" if group == ROLES_GROUP else "symbol",
                label=label,
                group=group,
                sent=sent.get(address, 0),
                received=received.get(address, 0),
                proposals=tuple(p.id for p in mine),
                outcome=_outcome(mine),
            )
        )
    return tuple(nodes)


def _outcome(proposals: Sequence[ProposalView]) -> str:
    """What became of a symbol's proposals: approved wins, then pending, then rejected."""
    if not proposals:
        return ""
    if any(p.verdict is not None and p.verdict.approved for p in proposals):
        return "approved"
    if any(p.verdict is None and p.status != "superseded" for p in proposals):
        return "proposed"
    return "rejected"


def _edges(messages: Sequence[Message]) -> tuple[Edge, ...]:
    groups: dict[tuple[str, str, MessageKind], list[int]] = {}
    for m in messages:
        groups.setdefault((m.sender, m.recipient, m.kind), []).append(m.seq)
    return tuple(Edge(s, t, k, len(seqs), tuple(seqs)) for (s, t, k), seqs in groups.items())


def _proposals(snapshot: RunSnapshot, seq_of: Mapping[str, int]) -> tuple[ProposalView, ...]:
    checks: dict[str, list[CheckRecord]] = {}
    for c in snapshot.checks:
        checks.setdefault(c.proposal_id, []).append(c)
    verdicts: dict[str, ApprovalRecord] = {}
    for a in snapshot.approvals:
        verdicts[a.proposal_id] = a  # the latest decision counts
    applied = {e.proposal_id for e in snapshot.applied if e.confirmed}
    views = []
    for p in snapshot.proposals:
        mine = checks.get(p.id, [])
        verdict = verdicts.get(p.id)
        views.append(
            ProposalView(
                id=p.id,
                symbol_id=p.symbol_id,
                author=p.author,
                status=p.status.value,
                rationale=p.rationale,
                diff=proposal_diff(p, mine),
                at=p.created_at,
                message_seq=_seq(p.message_id, seq_of),
                checks=tuple(check_view(c.report, c.passed, c.created_at) for c in mine),
                verdict=None
                if verdict is None
                else VerdictView(verdict.verdict.value == "approved", verdict.reason, verdict.policy, verdict.decided_at),
                applied=p.id in applied,
            )
        )
    return tuple(views)


def proposal_diff(proposal: Proposal, checks: Sequence[CheckRecord]) -> str:
    """The symbol's text before and after, as the first check report's edit recorded them
    (both at the file's indentation); without one, the proposed text against nothing."""
    before, after = "", proposal.new_source
    for check in checks:
        edit = check.report.get("edit")
        if isinstance(edit, Mapping) and isinstance(edit.get("before"), str):
            before, after = edit["before"], str(edit.get("after", after))
            break
    path = proposal.symbol_id.partition(ID_SEPARATOR)[0]
    lines = difflib.unified_diff(
        _lines(before), _lines(after), f"a/{path} ({proposal.symbol_id})", f"b/{path} ({proposal.id})"
    )
    return "".join(lines)


def _lines(text: str) -> list[str]:
    return [line if line.endswith("\n") else line + "\n" for line in text.splitlines(keepends=True)]


def check_view(report: Mapping[str, Any], passed: bool, at: float) -> CheckView:
    """The parts of a recorded CheckReport JSON that the graph shows; tolerant of missing keys."""
    stages = tuple(
        StageView(str(s.get("name", "?")), str(s.get("status", "?")), str(s.get("summary", "")))
        for s in report.get("stages", ())
        if isinstance(s, Mapping)
    )
    run = report.get("test_run")
    tests: tuple[tuple[str, str], ...] = ()
    if isinstance(run, Mapping):
        tests = tuple(
            (str(r.get("node_id", "?")), str(r.get("outcome", "?"))) for r in run.get("results", ()) if isinstance(r, Mapping)
        )
    return CheckView(
        passed=passed,
        at=at,
        stages=stages,
        tests=tests,
        regressions=tuple(str(t) for t in report.get("regressions", ())),
        fixes=tuple(str(t) for t in report.get("fixes", ())),
    )


def _spend(snapshot: RunSnapshot) -> SpendView:
    spend = snapshot.run.spend
    roles: dict[str, list[int]] = {}
    for record in snapshot.model_calls:
        entry = roles.setdefault(record.call.role, [0, 0])
        entry[0] += 1
        entry[1] += record.call.input_tokens + record.call.output_tokens
    return SpendView(
        model_calls=spend.model_calls,
        input_tokens=spend.input_tokens,
        output_tokens=spend.output_tokens,
        cost_usd=spend.cost_usd,
        unpriced_calls=spend.unpriced_calls,
        by_role=tuple((role, calls, used) for role, (calls, used) in roles.items()),
    )
