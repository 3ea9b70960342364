"""The conversation graph as plain text for a terminal, within a fixed width (80 by default).

Four parts: the run's header, the participants (roles, then symbols by
file, with what they sent and received and what became of their proposals),
who probed whom and why (each probe with its answer), and the timeline:
every message in order, each proposal expanded with its check results and
verdict where it was made.
"""

from __future__ import annotations

import textwrap
import time

from swarm.graph.model import ROLES_GROUP, MessageView, Node, ProposalView, RunGraph, split_address
from swarm.messages import MessageKind
from swarm.run_views import duration, tokens

DEFAULT_WIDTH = 80
MARKS = {"approved": "✓", "rejected": "✗", "proposed": "…", "": " "}


def render_text(graph: RunGraph, width: int = DEFAULT_WIDTH) -> str:
    width = max(width, 40)
    out: list[str] = []
    out += _header(graph, width)
    out += ["", "PARTICIPANTS", *_participants(graph, width)]
    probes = _probes(graph, width)
    if probes:
        out += ["", "WHO PROBED WHOM", *probes]
    out += ["", "TIMELINE", *_timeline(graph, width)]
    return "\n".join(line.rstrip() for line in out) + "\n"


def _wrap(text: str, width: int, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first if first is not None else indent]


def _header(graph: RunGraph, width: int) -> list[str]:
    run = graph.run
    ended = run.ended_at if run.ended_at is not None else time.time()
    took = duration(ended - run.started_at) + ("" if run.ended_at is not None else " so far")
    status = run.status + (f" ({run.reason})" if run.reason else "")
    spend = graph.spend
    cost = "unpriced" if spend.unpriced_calls == spend.model_calls and spend.model_calls else f"${spend.cost_usd:.4f}"
    decided = [p for p in graph.proposals if p.verdict is not None]
    approved = sum(1 for p in decided if p.verdict is not None and p.verdict.approved)
    lines = _wrap(f"Run {run.id}", width, "")
    lines += _wrap(run.title, width, "  ", "  issue:  ")
    lines += _wrap(status, width, "          ", "  status: ")
    lines += _wrap(run.repo + (f" @ {run.base_commit[:12]}" if run.base_commit else ""), width, "          ", "  repo:   ")
    counts = (
        f"took {took} · {len(graph.messages)} messages · {len(graph.proposals)} proposals "
        f"({approved} approved, {len(decided) - approved} rejected)"
    )
    lines += _wrap(counts, width, "    ", "  ")
    used = tokens(spend.input_tokens + spend.output_tokens)
    money = f"spend: {spend.model_calls} model calls · {used} tokens · {cost}"
    lines += _wrap(money + f" · patch +{run.patch_added} -{run.patch_removed} in {run.patch_files} file(s)", width, "    ", "  ")
    return lines


def _participants(graph: RunGraph, width: int) -> list[str]:
    lines: list[str] = []
    for group, nodes in graph.groups().items():
        lines.append(f"  {group}" + ("" if group == ROLES_GROUP else ":"))
        for node in nodes:
            lines += _wrap(_node_text(graph, node), width, "        ", f"    {MARKS[node.outcome]} ")
    return lines


def _node_text(graph: RunGraph, node: Node) -> str:
    text = f"{node.label}  sent {node.sent}, received {node.received}"
    if node.proposals:
        states = []
        for pid in node.proposals:
            proposal = next(p for p in graph.proposals if p.id == pid)
            states.append(f"{pid} {_state(proposal)}")
        text += "; " + ", ".join(states)
    return text


def _state(proposal: ProposalView) -> str:
    if proposal.verdict is None:
        return proposal.status
    return ("approved" if proposal.verdict.approved else "rejected") + (" + applied" if proposal.applied else "")


def short(address: str) -> str:
    """A symbol as `Qualified.name`, a role as itself: the timeline's compact names."""
    return split_address(address)[1]


def _probes(graph: RunGraph, width: int) -> list[str]:
    answers: dict[int, list[MessageView]] = {}
    for m in graph.messages:
        if m.reply_to is not None:
            answers.setdefault(m.reply_to, []).append(m)
    lines: list[str] = []
    for m in graph.messages:
        if m.kind is not MessageKind.PROBE:
            continue
        route = f"#{m.seq} {short(m.sender)} -> {short(m.recipient)}: "
        lines += _wrap(route + m.summary, width, "      ", "  ")
        if m.attached_to is not None:
            lines += _wrap(f"(same question as #{m.attached_to}: shares its answer)", width, "      ")
        for reply in answers.get(m.seq, []):
            lines += _wrap(f"<- #{reply.seq} {reply.kind.value}: {reply.summary}", width, "        ", "      ")
    return lines


def _timeline(graph: RunGraph, width: int) -> list[str]:
    by_message = {p.message_seq: p for p in graph.proposals if p.message_seq is not None}
    loose = sorted((p for p in graph.proposals if p.message_seq is None), key=lambda p: p.at)
    lines: list[str] = []
    # Trajectories exported before runs kept their start time import with a later one: count from the earliest.
    start = min([graph.run.started_at, *(m.at for m in graph.messages[:1])])
    for m in graph.messages:
        while loose and loose[0].at <= m.at:
            lines += _proposal(loose.pop(0), width)
        head = f"{_offset(m.at - start)}  #{m.seq}  {m.kind.value}"
        route = f"{short(m.sender)} -> {short(m.recipient)}" + (f"  (re #{m.reply_to})" if m.reply_to is not None else "")
        if len(head) + 2 + len(route) <= width:
            lines.append(f"{head}  {route}")
        else:
            lines.append(head)
            lines += _wrap(route, width, BODY)
        if m.seq not in by_message:  # a proposal's own block says more than its one-line summary
            lines += _wrap(m.summary, width, BODY)
        else:
            lines += _proposal(by_message[m.seq], width)
    for proposal in loose:
        lines += _proposal(proposal, width)
    if not graph.messages and not graph.proposals:
        lines.append("  (nothing recorded yet)")
    return lines


BODY = "    "


def _offset(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    minutes, secs = divmod(seconds, 60)
    return f"+{int(minutes):02d}:{secs:06.3f}"


def _proposal(proposal: ProposalView, width: int) -> list[str]:
    bar = BODY + "│ "
    lines = _wrap(f"proposal {proposal.id} for {proposal.symbol_id}", width, bar, BODY + "┌ ")
    lines += _wrap(proposal.rationale, width, bar)
    for number, check in enumerate(proposal.checks, 1):
        label = "checks" if len(proposal.checks) == 1 else f"checks #{number}"
        lines += _wrap(f"{label} {'PASSED' if check.passed else 'FAILED'}: {check.line}", width, bar)
        for node_id, outcome in check.tests:
            if outcome != "passed":
                lines += _wrap(f"{outcome.upper()} {node_id}", width, bar + "    ", bar + "  ")
    if proposal.verdict is not None:
        verdict = proposal.verdict
        word = "APPROVED" if verdict.approved else "REJECTED"
        applied = " (applied)" if proposal.applied else ""
        lines += _wrap(f"{word} by {verdict.policy}{applied}: {verdict.reason}", width, BODY + "  ", BODY + "└ ")
    else:
        lines += _wrap(f"no verdict yet ({proposal.status})", width, BODY + "  ", BODY + "└ ")
    return lines
