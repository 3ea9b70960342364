"""A run as a portable JSONL trajectory: `swarm replay RUN --export FILE`, `swarm import FILE`.

One JSON object per line, each with a `type`:

    {"type": "header", "format": "symbol-swarm-trajectory", "version": 1, "run": {...RunRecord}}
    {"type": "message", ...Message}          in seq order
    {"type": "proposal", ...Proposal}        with its final status
    {"type": "check", ...CheckRecord}        the harness's CheckReport as `report`
    {"type": "verdict", ...ApprovalRecord}
    {"type": "applied", ...AppliedEdit}      in apply order, with content hashes
    {"type": "model_call", ...ModelCallRecord}
    {"type": "event", ...Event}
    {"type": "patch", "patch": "..."}        the run's final patch (last line)

Everything was already redacted when it entered the run log; the writer
scrubs again with the current environment's secrets. Import rebuilds the run
through the RunLog API, replaying proposals, checks, verdicts and applies in
their recorded time order so every status transition is a legal one; the
run keeps its id (or gets `run_id`), its messages keep their times, and
rows the API timestamps itself (proposals, checks, verdicts) get the import
time. A run that was still running when exported is imported as interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from swarm.errors import SwarmError
from swarm.messages import Message, MessageError
from swarm.records import ModelCall, ProposalStatus, RunSnapshot, RunStatus, Verdict
from swarm.runlog import RunLog

FORMAT = "symbol-swarm-trajectory"
VERSION = 1


class TrajectoryError(SwarmError):
    """A trajectory file that cannot be read back: not JSONL, wrong format, missing or bad lines."""


def trajectory_lines(snapshot: RunSnapshot) -> Iterator[dict[str, Any]]:
    """The records of `snapshot` as trajectory lines, header first, patch last."""
    yield {"type": "header", "format": FORMAT, "version": VERSION, "run": snapshot.run.to_json()}
    for message in snapshot.messages:
        yield {"type": "message", **message.to_json()}
    for proposal in snapshot.proposals:
        yield {"type": "proposal", **proposal.to_json()}
    for check in snapshot.checks:
        yield {"type": "check", **check.to_json()}
    for approval in snapshot.approvals:
        yield {"type": "verdict", **approval.to_json()}
    for applied in snapshot.applied:
        yield {"type": "applied", **applied.to_json()}
    for call in snapshot.model_calls:
        yield {"type": "model_call", **call.to_json()}
    for event in snapshot.events:
        yield {"type": "event", **event.to_json()}
    yield {"type": "patch", "patch": snapshot.run.patch or ""}


def export_run(runlog: RunLog, run_id: str, out: TextIO) -> int:
    """Write run `run_id` as JSONL to `out`; returns the number of lines."""
    count = 0
    for line in trajectory_lines(runlog.snapshot(run_id)):
        out.write(runlog.redactor.scrub(json.dumps(line, ensure_ascii=False, separators=(",", ":"))) + "\n")
        count += 1
    return count


def read_trajectory(lines: Iterable[str], source: str = "trajectory") -> dict[str, list[dict[str, Any]]]:
    """Parse and check a trajectory; records grouped by type (header and patch: one each)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TrajectoryError(f"{source}:{number}: not JSON ({exc.msg}); a trajectory has one JSON object per line") from None
        if not isinstance(record, dict) or not isinstance(record.get("type"), str):
            raise TrajectoryError(f"{source}:{number}: each line must be a JSON object with a string `type`")
        if number == 1 and record["type"] != "header":
            raise TrajectoryError(f"{source}: the first line must be the header; is this a `swarm replay --export` file?")
        grouped.setdefault(record["type"], []).append(record)
    headers = grouped.get("header", [])
    if len(headers) != 1:
        raise TrajectoryError(f"{source}: expected exactly one header line, found {len(headers)}")
    header = headers[0]
    if header.get("format") != FORMAT:
        raise TrajectoryError(f"{source}: format {header.get('format')!r} is not {FORMAT!r}")
    if not isinstance(header.get("version"), int) or header["version"] > VERSION:
        raise TrajectoryError(
            f"{source}: trajectory version {header.get('version')!r} is newer than this swarm reads ({VERSION}); upgrade"
        )
    return grouped


@dataclass(frozen=True, slots=True)
class Imported:
    run_id: str
    messages: int
    proposals: int
    status: str


def import_trajectory(runlog: RunLog, lines: Iterable[str], *, run_id: str | None = None, source: str = "trajectory") -> Imported:
    """Rebuild the run a trajectory describes in `runlog` (see the module doc)."""
    grouped = read_trajectory(lines, source)
    try:
        wanted = run_id or str(grouped["header"][0]["run"]["id"])
    except (KeyError, TypeError) as exc:
        raise TrajectoryError(f"{source}: the header lacks the run ({exc})") from None
    if any(r.id == wanted for r in runlog.list_runs()):
        raise TrajectoryError(f"run {wanted} is already in {runlog.path}: import it under another id (--run-id NEW)")
    try:
        return _import(runlog, grouped, wanted)
    except (KeyError, TypeError, ValueError, MessageError) as exc:
        if any(r.id == wanted for r in runlog.list_runs()):
            runlog.finish_run(wanted, RunStatus.FAILED, f"import from {source} stopped: {exc}")
        raise TrajectoryError(f"{source}: a record is incomplete or malformed ({type(exc).__name__}: {exc})") from None


def _import(runlog: RunLog, grouped: Mapping[str, list[dict[str, Any]]], new_id: str) -> Imported:
    run = grouped["header"][0]["run"]
    runlog.create_run(
        repo=run["repo"], issue_text=run["issue_text"], base_commit=run.get("base_commit"), config=run.get("config") or {},
        run_id=new_id, started_at=run.get("started_at"),
    )  # fmt: skip
    messages = []
    for record in grouped.get("message", []):
        data = {**record, "run_id": new_id, "id": f"{new_id}/{record['seq']}"}
        for key in ("in_reply_to", "attached_to"):
            if data.get(key):
                data[key] = f"{new_id}/{str(data[key]).rpartition('/')[2]}"
        messages.append(Message.from_json(data))
    if messages:
        runlog.append_messages(messages)
    _import_decisions(runlog, new_id, grouped)
    for record in grouped.get("model_call", []):
        fields = {k: record[k] for k in ModelCall.__dataclass_fields__ if k in record}
        runlog.record_model_call(new_id, ModelCall(**fields))
    for record in grouped.get("event", []):
        if record["kind"] not in ("run.started", "run.ended"):  # the API writes its own
            runlog.record_event(new_id, record["kind"], record.get("data") or {})
    patch = (grouped.get("patch") or [{"patch": run.get("patch") or ""}])[-1]["patch"]
    status = RunStatus(run["status"])
    if status is RunStatus.RUNNING:
        status = RunStatus.INTERRUPTED
    runlog.finish_run(new_id, status, run.get("reason") or "imported", patch or None)
    return Imported(new_id, len(messages), len(grouped.get("proposal", [])), status.value)


def _message_ref(run_id: str, value: object) -> str | None:
    return f"{run_id}/{str(value).rpartition('/')[2]}" if value else None


def _import_decisions(runlog: RunLog, run_id: str, grouped: Mapping[str, list[dict[str, Any]]]) -> None:
    """Proposals, checks, verdicts and applies in recorded time order, so each transition is legal."""
    steps: list[tuple[float, int, str, dict[str, Any]]] = []
    for order, (kind, key) in enumerate(
        (("proposal", "created_at"), ("check", "created_at"), ("verdict", "decided_at"), ("applied", "started_at"))
    ):
        for record in grouped.get(kind, []):
            steps.append((float(record[key]), order, kind, record))
    steps.sort(key=lambda step: (step[0], step[1]))
    final_status = {r["id"]: ProposalStatus(r["status"]) for r in grouped.get("proposal", [])}
    for _, _, kind, r in steps:
        if kind == "proposal":
            runlog.record_proposal(
                run_id, proposal_id=r["id"], symbol_id=r["symbol_id"], base_version=r["base_version"],
                new_source=r["new_source"], rationale=r["rationale"], author=r.get("author"),
                message_id=_message_ref(run_id, r.get("message_id")),
            )  # fmt: skip
        elif kind == "check":
            runlog.record_check_report(
                run_id, r["proposal_id"], r["report"], bool(r["passed"]), _message_ref(run_id, r.get("message_id"))
            )
        elif kind == "verdict":
            runlog.record_verdict(
                run_id, r["proposal_id"], Verdict(r["verdict"]), r["reason"], r["policy"],
                _message_ref(run_id, r.get("message_id")),
            )  # fmt: skip
        else:
            runlog.begin_apply(run_id, r["proposal_id"], r["path"], r["before_hash"], r["after_hash"])
            if r.get("applied_at") is not None:
                runlog.finish_apply(run_id, r["proposal_id"])
    current = {p.id: p.status for p in runlog.proposals(run_id)}
    for proposal_id, status in final_status.items():
        if status is ProposalStatus.SUPERSEDED and current.get(proposal_id) is not ProposalStatus.SUPERSEDED:
            runlog.supersede(run_id, proposal_id)


def export_to_file(runlog: RunLog, run_id: str, path: Path) -> int:
    with path.open("w", encoding="utf-8") as out:
        return export_run(runlog, run_id, out)


def import_file(runlog: RunLog, path: Path, *, run_id: str | None = None) -> Imported:
    try:
        with path.open(encoding="utf-8") as handle:
            return import_trajectory(runlog, handle, run_id=run_id, source=str(path))
    except UnicodeDecodeError:
        raise TrajectoryError(f"{path} is not UTF-8 text: a trajectory is a JSONL file") from None
