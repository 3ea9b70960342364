"""How runs and transcripts look: one-line summaries, plain text and Rich.

Pure functions of run log records (`swarm.records`), used by `swarm runs`
and `swarm show`; nothing here opens the database or prints.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from swarm.messages import Message, MessageKind
from swarm.records import ModelCallRecord, RunRecord, RunSnapshot, RunStatus, Spend, patch_stats

SUMMARY_WIDTH = 100

STATUS_STYLES: Mapping[str, str] = {
    RunStatus.RUNNING.value: "bold cyan",
    RunStatus.DONE.value: "bold green",
    RunStatus.GAVE_UP.value: "yellow",
    RunStatus.FAILED.value: "bold red",
    RunStatus.INTERRUPTED.value: "magenta",
}
KIND_STYLES: Mapping[MessageKind, str] = {
    MessageKind.TASK: "bold blue",
    MessageKind.PROBE: "cyan",
    MessageKind.ANSWER: "green",
    MessageKind.EDIT_PROPOSAL: "bold magenta",
    MessageKind.CHECK_REPORT: "yellow",
    MessageKind.APPROVAL_REQUEST: "magenta",
    MessageKind.APPROVAL: "bold green",
    MessageKind.REJECTION: "bold red",
    MessageKind.FOLLOW_UP: "blue",
    MessageKind.DONE: "bold green",
    MessageKind.GIVE_UP: "red",
}


# -- one-line pieces ---------------------------------------------------------------


def clock(at: float | None, with_date: bool = False) -> str:
    if at is None:
        return "-"
    stamp = time.localtime(at)
    if with_date:
        return time.strftime("%Y-%m-%d %H:%M", stamp)
    return time.strftime("%H:%M:%S", stamp) + f".{int(at % 1 * 1000):03d}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def tokens(count: int) -> str:
    return f"{count / 1000:.1f}k" if count >= 1000 else str(count)


def spend_text(spend: Spend) -> str:
    """`$0.0123 · 12.3k tok`, `-` when no model was called; unpriced calls are said, not counted as free."""
    if spend.model_calls == 0:
        return "-"
    total = tokens(spend.input_tokens + spend.output_tokens)
    if spend.unpriced_calls == spend.model_calls:
        return f"? · {total} tok"
    text = f"${spend.cost_usd:.4f} · {total} tok"
    if spend.unpriced_calls:
        text += f" (+{spend.unpriced_calls} unpriced)"
    return text


def patch_text(patch: str | None) -> str:
    stats = patch_stats(patch)
    if not stats.lines:
        return "-"
    return f"+{stats.added} -{stats.removed}"


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def body_summary(message: Message) -> str:
    """The gist of a message body in one line."""
    b = message.body
    match message.kind:
        case MessageKind.TASK:
            text = str(b.get("instruction", ""))
        case MessageKind.PROBE:
            text = str(b.get("question", ""))
        case MessageKind.ANSWER:
            text = str(b.get("text", ""))
        case MessageKind.EDIT_PROPOSAL:
            lines = len(str(b.get("new_source", "")).splitlines())
            text = f"{b.get('proposal_id')} rewrites {b.get('symbol_id')} ({lines} lines): {b.get('rationale', '')}"
        case MessageKind.CHECK_REPORT:
            passed = b.get("passed")
            verdict = "passed" if passed else ("failed" if passed is False else "reported")
            text = f"{b.get('proposal_id')} {verdict}"
        case MessageKind.APPROVAL_REQUEST:
            text = str(b.get("proposal_id", ""))
        case MessageKind.APPROVAL | MessageKind.REJECTION:
            text = f"{b.get('proposal_id')}: {b.get('reason', '')}"
        case MessageKind.FOLLOW_UP:
            text = f"{b.get('changed_symbol')}: {b.get('old_signature')} -> {b.get('new_signature')} ({b.get('reason', '')})"
        case MessageKind.DONE | MessageKind.GIVE_UP:
            text = str(b.get("reason", ""))
    return shorten(text)


# -- runs list -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunRow:
    """A run as `swarm runs` lists it; `status` is the observed one."""

    run: RunRecord
    status: RunStatus

    def to_json(self) -> dict[str, Any]:
        stats = patch_stats(self.run.patch)
        return {
            "id": self.run.id,
            "status": self.status.value,
            "recorded_status": self.run.status.value,
            "issue": self.run.issue_title,
            "repo": self.run.repo,
            "started_at": self.run.started_at,
            "ended_at": self.run.ended_at,
            "patch": {"files": stats.files, "added": stats.added, "removed": stats.removed, "lines": stats.lines},
            "spend": self.run.spend.to_json(),
            "messages": self.run.message_count,
            "attempts": self.run.attempts,
            "reason": self.run.reason,
        }


_RUN_COLUMNS = ("RUN", "STATUS", "STARTED", "PATCH", "SPEND", "MSGS", "ISSUE")


def _run_cells(row: RunRow) -> tuple[str, ...]:
    run = row.run
    return (
        run.id,
        row.status.value,
        clock(run.started_at, with_date=True),
        patch_text(run.patch),
        spend_text(run.spend),
        str(run.message_count),
        shorten(run.issue_title, 60),
    )


def runs_plain(rows: Sequence[RunRow]) -> str:
    """Aligned columns, for pipes and logs."""
    table = [_RUN_COLUMNS, *(_run_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_RUN_COLUMNS) - 1)]
    out = []
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append("  ".join([*cells, line[-1]]).rstrip())
    return "\n".join(out)


def runs_rich(rows: Sequence[RunRow], source: str) -> Table:
    table = Table(title=f"Runs in {source}", title_justify="left", header_style="bold")
    for column in _RUN_COLUMNS:
        table.add_column(column, no_wrap=column != "ISSUE", overflow="fold")
    for row in rows:
        cells = list(_run_cells(row))
        status = Text(cells[1], style=STATUS_STYLES.get(cells[1], ""))
        table.add_row(cells[0], status, *cells[2:])
    return table


# -- one run ---------------------------------------------------------------------


def header_lines(run: RunRecord, status: RunStatus) -> list[tuple[str, str]]:
    if run.ended_at is not None:
        took = duration(run.ended_at - run.started_at)
    elif status is RunStatus.RUNNING:
        took = duration(time.time() - run.started_at) + " so far"
    else:
        took = "- (its process ended without recording it)"
    lines = [
        ("run", run.id),
        ("status", status.value + (f" ({run.reason})" if run.reason else "")),
        ("issue", run.issue_title),
        ("repo", run.repo + (f" @ {run.base_commit}" if run.base_commit else "")),
        ("started", clock(run.started_at, with_date=True)),
        ("duration", took),
        ("spend", spend_text(run.spend)),
        ("messages", str(run.message_count)),
    ]
    if run.attempts > 1:
        lines.append(("attempts", f"{run.attempts} (resumed)"))
    return lines


def message_line(message: Message, seq_of: Mapping[str, int]) -> str:
    """`14:30:01.123  #12  coordinator -> a.py::f  task  Fix it  (re #11)`"""
    return "  ".join(_message_cells(message, seq_of)).rstrip()


def _message_cells(message: Message, seq_of: Mapping[str, int]) -> tuple[str, str, str, str, str]:
    notes = []
    if message.in_reply_to:
        ref = _seq(message.in_reply_to, seq_of, message.run_id)
        notes.append(f"re #{ref}" if ref else "re ?")
    if message.attached_to:
        ref = _seq(message.attached_to, seq_of, message.run_id)
        notes.append(f"same as #{ref}, not delivered" if ref else "deduplicated")
    summary = body_summary(message) + (f"  ({'; '.join(notes)})" if notes else "")
    route = f"{message.sender} -> {message.recipient}"
    return (clock(message.created_at), f"#{message.seq}", route, message.kind.value, summary)


def _seq(message_id: str, seq_of: Mapping[str, int], run_id: str) -> int | None:
    """The seq of a message of this run, also when it is not among those shown (`<run_id>/<seq>`)."""
    if message_id in seq_of:
        return seq_of[message_id]
    run, _, seq = message_id.rpartition("/")
    return int(seq) if run == run_id and seq.isdigit() else None


def seq_index(messages: Iterable[Message]) -> dict[str, int]:
    return {m.id: m.seq for m in messages}


def transcript_plain(messages: Sequence[Message], seq_of: Mapping[str, int]) -> list[str]:
    return [message_line(m, seq_of) for m in messages]


def transcript_rich(messages: Sequence[Message], seq_of: Mapping[str, int]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("TIME", "#", "FROM -> TO", "KIND", "SAYS"):
        table.add_column(column, overflow="fold", no_wrap=column in ("TIME", "#", "KIND"))
    for message in messages:
        at, seq, route, kind, summary = _message_cells(message, seq_of)
        table.add_row(at, seq, route, Text(kind, style=KIND_STYLES.get(message.kind, "")), summary)
    return table


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: str
    symbol_id: str
    status: str
    checks: str
    verdict: str
    applied: str


def proposal_rows(snapshot: RunSnapshot) -> list[ProposalRow]:
    checks: dict[str, list[bool]] = {}
    for c in snapshot.checks:
        checks.setdefault(c.proposal_id, []).append(c.passed)
    verdicts = {a.proposal_id: f"{a.verdict.value} by {a.policy}: {a.reason}" for a in snapshot.approvals}
    applied = {
        e.proposal_id: e.path + ("" if e.confirmed else " (unconfirmed)") for e in snapshot.applied
    }
    rows = []
    for p in snapshot.proposals:
        outcomes = checks.get(p.id, [])
        check_text = " ".join("pass" if ok else "fail" for ok in outcomes) or "-"
        rows.append(
            ProposalRow(p.id, p.symbol_id, p.status.value, check_text, shorten(verdicts.get(p.id, "-"), 70),
                        applied.get(p.id, "-"))
        )  # fmt: skip
    return rows


def proposals_plain(rows: Sequence[ProposalRow]) -> list[str]:
    return [f"{r.id}  {r.symbol_id}  {r.status}  checks: {r.checks}  {r.verdict}  applied: {r.applied}" for r in rows]


def proposals_rich(rows: Sequence[ProposalRow]) -> Table:
    table = Table(title="Proposals", title_justify="left", header_style="bold")
    for column in ("ID", "SYMBOL", "STATUS", "CHECKS", "VERDICT", "APPLIED"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(r.id, r.symbol_id, r.status, r.checks, r.verdict, r.applied)
    return table


def model_call_lines(calls: Sequence[ModelCallRecord]) -> list[str]:
    """One line per (role, provider:model): calls, tokens, cost, mean latency, failures."""
    groups: dict[tuple[str, str], list[ModelCallRecord]] = {}
    for record in calls:
        groups.setdefault((record.call.role, f"{record.call.provider}:{record.call.model}"), []).append(record)
    lines = []
    for (role, model), records in groups.items():
        priced = [r.call.cost_usd for r in records if r.call.cost_usd is not None]
        cost = f"${sum(priced):.4f}" if priced else "unpriced"
        used = sum(r.call.input_tokens + r.call.output_tokens for r in records)
        latency = sum(r.call.latency_s for r in records) / len(records)
        failed = sum(not r.call.ok for r in records)
        count = f"{len(records)} call" + ("" if len(records) == 1 else "s")
        line = f"{role}  {model}  {count}  {tokens(used)} tok  {cost}  {latency:.2f}s avg"
        lines.append(line + (f"  {failed} failed" if failed else ""))
    return lines


def show_plain(snapshot: RunSnapshot, status: RunStatus, *, patch: bool = True, transcript: bool = True) -> str:
    seq_of = seq_index(snapshot.messages)
    out = [f"{key:<9} {value}" for key, value in header_lines(snapshot.run, status)]
    if transcript:
        out += ["", "Transcript"]
        out += transcript_plain(snapshot.messages, seq_of) or ["(no messages)"]
    rows = proposal_rows(snapshot)
    if rows:
        out += ["", "Proposals", *proposals_plain(rows)]
    if snapshot.model_calls:
        out += ["", "Model calls", *model_call_lines(snapshot.model_calls)]
    if patch and snapshot.run.patch:
        out += ["", "Patch", snapshot.run.patch.rstrip("\n")]
    return "\n".join(out)


def show_rich(
    snapshot: RunSnapshot, status: RunStatus, *, patch: bool = True, transcript: bool = True
) -> RenderableType:
    seq_of = seq_index(snapshot.messages)
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    for key, value in header_lines(snapshot.run, status):
        header.add_row(key, Text(value, style=STATUS_STYLES.get(status.value, "")) if key == "status" else value)
    parts: list[RenderableType] = [header]
    if transcript:
        parts += [Text(""), Text("Transcript", style="bold underline")]
        parts.append(transcript_rich(snapshot.messages, seq_of) if snapshot.messages else Text("(no messages)"))
    rows = proposal_rows(snapshot)
    if rows:
        parts += [Text(""), proposals_rich(rows)]
    if snapshot.model_calls:
        parts += [Text(""), Text("Model calls", style="bold underline")]
        parts += [Text(line) for line in model_call_lines(snapshot.model_calls)]
    if patch and snapshot.run.patch:
        parts += [Text(""), Text("Patch", style="bold underline")]
        parts.append(Syntax(snapshot.run.patch.rstrip("\n"), "diff", theme="ansi_dark", word_wrap=True))
    return Group(*parts)
