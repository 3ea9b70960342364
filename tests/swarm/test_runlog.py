"""The run log on real SQLite files: runs, messages, proposals, applies, spend, secrets."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from swarm.messages import Message, MessageKind, message_id
from swarm.records import (
    ApplyOutcome,
    ModelCall,
    ProposalStatus,
    RunStatus,
    Verdict,
    content_hash,
)
from swarm.redact import REDACTED, Redactor
from swarm.runlog import (
    AlreadyApplied,
    InvalidTransition,
    PathOutsideRepo,
    RunLog,
    RunLogMissing,
    RunLogWriteError,
    RunNotFound,
    RunNotResumable,
    find_repo_root,
    new_run_id,
    observed_status,
    runlog_path,
)
from swarm.runlog_schema import RunLogError
from tests.conftest import git

ROOT = Path(__file__).resolve().parents[2]
SYMBOL = "shop/discounts.py::BulkDiscount.applies_to"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[RunLog]:
    runlog = RunLog.open(tmp_path / ".swarm" / "runs.sqlite3", redactor=Redactor())
    yield runlog
    runlog.close()


def _messages(run_id: str, first: int, count: int) -> list[Message]:
    return [
        Message(
            id=message_id(run_id, seq),
            run_id=run_id,
            seq=seq,
            kind=MessageKind.PROBE,
            sender="coordinator",
            recipient=SYMBOL,
            body={"question": f"question {seq}?"},
            in_reply_to=None,
            created_at=1700000000.0 + seq,
        )
        for seq in range(first, first + count)
    ]


# -- location --------------------------------------------------------------------


def test_default_location_is_under_dot_swarm_of_the_repo(tmp_path: Path) -> None:
    assert runlog_path(tmp_path, environ={}) == tmp_path / ".swarm" / "runs.sqlite3"
    assert runlog_path(tmp_path, environ={"SWARM_RUNLOG": "/x/y.db"}) == Path("/x/y.db")
    assert runlog_path(tmp_path, override="/a/b.db", environ={"SWARM_RUNLOG": "/x/y.db"}) == Path("/a/b.db")


def test_dot_swarm_is_ignored_by_git_so_the_patch_stays_clean(python_repo: Path) -> None:
    with RunLog.open(runlog_path(python_repo, environ={})) as log:
        log.create_run(repo=python_repo, issue_text="x")
    assert (python_repo / ".swarm" / ".gitignore").read_text().strip().endswith("*")
    assert git(python_repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_find_repo_root_walks_up_to_the_git_directory(python_repo: Path) -> None:
    assert find_repo_root(python_repo / "shop") == python_repo.resolve()


def test_opening_for_reading_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".swarm" / "runs.sqlite3"
    with pytest.raises(RunLogMissing, match="no run has been recorded"):
        RunLog.open(path, create=False)
    assert not (tmp_path / ".swarm").exists()


# -- runs ------------------------------------------------------------------------


def test_runs_are_created_listed_newest_first_and_loaded(log: RunLog, tmp_path: Path) -> None:
    first = log.create_run(repo=tmp_path, issue_text="# First issue\nbody", base_commit="abc123", run_id="r-1")
    time.sleep(0.01)
    second = log.create_run(repo=tmp_path, issue_text="Second", config={"budget": {"steps": 10}})
    runs = log.list_runs()
    assert [r.id for r in runs] == [second, first]
    assert [r.id for r in log.list_runs(limit=1)] == [second]
    run = log.load_run(first)
    assert (run.status, run.base_commit, run.issue_title) == (RunStatus.RUNNING, "abc123", "First issue")
    assert run.owner_pid == os.getpid() and run.attempts == 1 and run.message_count == 0
    assert log.load_run(second).config == {"budget": {"steps": 10}}
    assert [e.kind for e in log.events(first)] == ["run.started"]


def test_run_ids_are_sortable_and_unique() -> None:
    ids = {new_run_id(1700000000.0) for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("20231114-221320-") for i in ids)


def test_resolve_run_by_id_prefix_or_last(log: RunLog, tmp_path: Path) -> None:
    log.create_run(repo=tmp_path, issue_text="a", run_id="20260101-000000-aaaaaa")
    time.sleep(0.01)
    log.create_run(repo=tmp_path, issue_text="b", run_id="20260101-000000-abbbbb")
    assert log.resolve_run("20260101-000000-aaaaaa") == "20260101-000000-aaaaaa"
    assert log.resolve_run("20260101-000000-ab") == "20260101-000000-abbbbb"
    assert log.resolve_run("last") == "20260101-000000-abbbbb"
    with pytest.raises(RunNotFound, match="several runs"):
        log.resolve_run("20260101-000000-a")
    with pytest.raises(RunNotFound, match="swarm runs"):
        log.resolve_run("nope")
    with pytest.raises(RunNotFound, match="no run matching"):
        log.resolve_run("2026%")  # LIKE wildcards are taken literally


def test_finish_run_records_status_reason_and_patch(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.set_patch(run_id, "--- a/x\n+++ b/x\n")
    log.finish_run(run_id, RunStatus.DONE, "tests pass")
    run = log.load_run(run_id)
    assert (run.status, run.reason, run.patch) == (RunStatus.DONE, "tests pass", "--- a/x\n+++ b/x\n")
    assert run.ended_at is not None and run.ended_at >= run.started_at
    with pytest.raises(InvalidTransition, match="final status"):
        log.finish_run(run_id, "running")
    with pytest.raises(RunNotFound):
        log.finish_run("missing", "failed")
    with pytest.raises(ValueError):
        log.finish_run(run_id, "exploded")


def test_a_finished_run_cannot_be_resumed(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.finish_run(run_id, RunStatus.GAVE_UP, "budget")
    with pytest.raises(RunNotResumable, match="already ended.*new run"):
        log.reopen_run(run_id)


def test_a_run_owned_by_a_live_process_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    script = (
        "import sys, time\n"
        "from swarm.runlog import RunLog\n"
        "log = RunLog.open(sys.argv[1])\n"
        "print(log.create_run(repo='.', issue_text='elsewhere'), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        with RunLog.open(path) as log:
            assert observed_status(log.load_run(run_id)) is RunStatus.RUNNING
            with pytest.raises(RunNotResumable, match=f"still running in process {proc.pid}"):
                log.reopen_run(run_id)
            proc.kill()
            proc.wait(timeout=60)
            assert observed_status(log.load_run(run_id)) is RunStatus.INTERRUPTED
            state = log.reopen_run(run_id)
            assert state.run.status is RunStatus.RUNNING and state.run.attempts == 2
            assert state.run.owner_pid == os.getpid()
            assert [e.kind for e in log.events(run_id)] == ["run.started", "run.resumed"]
            assert log.events(run_id)[-1].data == {"previous_status": "interrupted"}
    finally:
        proc.kill()
        proc.wait(timeout=60)


# -- messages --------------------------------------------------------------------


def test_messages_are_stored_in_order_and_tailed_by_seq(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.append_messages(_messages(run_id, 1, 5))
    log.append_message(_messages(run_id, 6, 1)[0])
    assert [m.seq for m in log.transcript(run_id)] == [1, 2, 3, 4, 5, 6]
    assert [m.seq for m in log.messages(run_id, after_seq=4)] == [5, 6]
    assert [m.seq for m in log.messages(run_id, after_seq=1, limit=2)] == [2, 3]
    assert log.last_seq(run_id) == 6 and log.last_seq("other") == 0
    stored = log.transcript(run_id)[0]
    assert stored == _messages(run_id, 1, 1)[0]
    assert log.load_run(run_id).message_count == 6


def test_a_batch_with_a_duplicate_is_refused_whole(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.append_messages(_messages(run_id, 1, 3))
    with pytest.raises(RunLogWriteError, match="UNIQUE"):
        log.append_messages(_messages(run_id, 4, 3) + _messages(run_id, 3, 1))
    assert log.last_seq(run_id) == 3


def test_messages_of_an_unknown_run_are_refused(log: RunLog) -> None:
    with pytest.raises(RunLogWriteError, match="FOREIGN KEY"):
        log.append_messages(_messages("ghost", 1, 1))


def test_a_message_whose_id_is_not_run_and_seq_is_refused(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    message = _messages(run_id, 1, 1)[0]
    bad = Message("custom-id", run_id, 1, message.kind, message.sender, message.recipient, message.body, None, 0.0)
    with pytest.raises(RunLogWriteError, match="<run_id>/<seq>"):
        log.append_message(bad)


def test_a_reader_never_sees_a_half_written_batch(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.append_messages(_messages(run_id, 1, 2))
    writer = sqlite3.connect(log.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO messages (run_id, seq, kind, sender, recipient, body_json, created_at)"
        " VALUES (?, 3, 'done', 'coordinator', 'human', '{\"reason\":\"x\"}', 0)",
        (run_id,),
    )
    reader = log.reopen()
    try:
        assert reader.last_seq(run_id) == 2  # the open transaction is invisible
        writer.execute("COMMIT")
        assert reader.last_seq(run_id) == 3
    finally:
        reader.close()
        writer.close()


# -- proposals ---------------------------------------------------------------------


def _propose(log: RunLog, run_id: str, pid: str, symbol: str = SYMBOL) -> None:
    log.record_proposal(
        run_id,
        proposal_id=pid,
        symbol_id=symbol,
        base_version=1,
        new_source=f"def applies_to(self, cart):  # {pid}\n    return True\n",
        rationale="inclusive threshold",
        author=symbol,
    )


def test_a_proposal_goes_from_proposed_to_applied(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    check = log.record_check_report(run_id, "p1", {"stages": [{"name": "tests", "ok": True}]}, passed=True)
    assert check.passed and check.report["stages"][0]["ok"] is True
    approval = log.record_verdict(run_id, "p1", Verdict.APPROVED, "tests pass", policy="auto")
    assert approval.verdict is Verdict.APPROVED and approval.policy == "auto"
    assert log.proposal(run_id, "p1").status is ProposalStatus.APPROVED
    edit = log.begin_apply(run_id, "p1", "shop/discounts.py", content_hash(b"old"), content_hash(b"new"))
    assert not edit.confirmed and edit.order == 1
    assert log.proposal(run_id, "p1").status is ProposalStatus.APPROVED
    assert log.finish_apply(run_id, "p1") is True
    assert log.proposal(run_id, "p1").status is ProposalStatus.APPLIED
    assert log.applied_edits(run_id)[0].confirmed
    assert log.finish_apply(run_id, "p1") is False
    with pytest.raises(AlreadyApplied, match="must not be applied twice"):
        log.begin_apply(run_id, "p1", "shop/discounts.py", content_hash(b"new"), content_hash(b"newer"))


def test_illegal_moves_are_refused_and_change_nothing(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    with pytest.raises(InvalidTransition, match="only approved proposals are applied"):
        log.begin_apply(run_id, "p1", "a.py", "sha256:0", "sha256:1")
    with pytest.raises(InvalidTransition, match="call begin_apply first"):
        log.finish_apply(run_id, "p1")
    log.record_verdict(run_id, "p1", "rejected", "breaks test_cart", policy="auto")
    with pytest.raises(InvalidTransition, match="rejected: it cannot become approved"):
        log.record_verdict(run_id, "p1", "approved", "changed my mind", policy="auto")
    with pytest.raises(InvalidTransition, match="rejected: it cannot become checked"):
        log.record_check_report(run_id, "p1", {}, passed=True)
    assert log.proposal(run_id, "p1").status is ProposalStatus.REJECTED
    assert len(log.approvals(run_id)) == 1 and log.check_reports(run_id) == ()
    with pytest.raises(RunNotFound):
        log.record_verdict(run_id, "nope", "approved", "x", policy="auto")
    with pytest.raises(RunLogWriteError, match="already recorded"):
        _propose(log, run_id, "p1")


def test_a_newer_proposal_supersedes_undecided_ones_for_the_same_symbol(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    _propose(log, run_id, "other", symbol="shop/cart.py::Cart.total")
    log.record_check_report(run_id, "p1", {}, passed=False)
    _propose(log, run_id, "p2")
    statuses = {p.id: p.status for p in log.proposals(run_id)}
    assert statuses == {
        "p1": ProposalStatus.SUPERSEDED,
        "other": ProposalStatus.PROPOSED,
        "p2": ProposalStatus.PROPOSED,
    }
    log.supersede(run_id, "other")
    assert log.proposal(run_id, "other").status is ProposalStatus.SUPERSEDED


def test_record_proposal_message_takes_the_body_of_an_edit_proposal(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    body = {
        "proposal_id": "p9",
        "symbol_id": SYMBOL,
        "base_version": "v3",
        "new_source": "def f(): pass\n",
        "rationale": "why",
    }
    message = Message(message_id(run_id, 1), run_id, 1, MessageKind.EDIT_PROPOSAL, SYMBOL, "proxy-user", body, None, 0.0)
    log.append_message(message)
    proposal = log.record_proposal_message(message)
    assert (proposal.base_version, proposal.author, proposal.message_id) == ("v3", SYMBOL, message.id)
    probe = _messages(run_id, 2, 1)[0]
    with pytest.raises(InvalidTransition, match="not an edit_proposal"):
        log.record_proposal_message(probe)


def test_edit_paths_must_stay_in_the_repository(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    log.record_verdict(run_id, "p1", "approved", "ok", policy="auto")
    for path in ("/etc/passwd", "../outside.py", "shop/../../x.py", ""):
        with pytest.raises(PathOutsideRepo):
            log.begin_apply(run_id, "p1", path, "a", "b")


def _apply_for_real(
    log: RunLog, repo: Path, run_id: str, pid: str, rel: str, new: bytes, *, write: bool, confirm: bool
) -> None:
    target = repo / rel
    log.begin_apply(run_id, pid, rel, content_hash(target.read_bytes()), content_hash(new))
    if write:
        target.write_bytes(new)
    if confirm:
        log.finish_apply(run_id, pid)


def test_settle_applies_sorts_unconfirmed_writes_by_the_files_on_disk(log: RunLog, python_repo: Path) -> None:
    run_id = log.create_run(repo=python_repo, issue_text="x")
    files = ["shop/cart.py", "shop/money.py", "shop/catalog.py", "shop/discounts.py"]
    for n, rel in enumerate(files):
        _propose(log, run_id, f"p{n}", symbol=f"{rel}::<module>")
        log.record_verdict(run_id, f"p{n}", "approved", "ok", policy="auto")
    _apply_for_real(log, python_repo, run_id, "p0", files[0], b"# p0\n", write=True, confirm=True)
    _apply_for_real(log, python_repo, run_id, "p1", files[1], b"# p1\n", write=True, confirm=False)  # crash after write
    _apply_for_real(log, python_repo, run_id, "p2", files[2], b"# p2\n", write=False, confirm=False)  # crash before write
    _apply_for_real(log, python_repo, run_id, "p3", files[3], b"# p3\n", write=False, confirm=False)
    (python_repo / files[3]).write_text("# someone else edited this\n")

    state = log.resume_state(run_id)
    assert [p.id for p in state.applied] == ["p0"]
    assert [p.id for p in state.approved_not_applied] == ["p1", "p2", "p3"]
    assert [e.proposal_id for e in state.pending_apply] == ["p1", "p2", "p3"]

    report = log.settle_applies(run_id, python_repo)
    assert [e.proposal_id for e in report.confirmed] == ["p1"]
    assert [e.proposal_id for e in report.not_applied] == ["p2"]
    assert [e.proposal_id for e in report.conflicts] == ["p3"]
    assert log.proposal(run_id, "p1").status is ProposalStatus.APPLIED
    state = log.resume_state(run_id)
    assert [p.id for p in state.applied] == ["p0", "p1"]
    assert [p.id for p in state.approved_not_applied] == ["p2", "p3"]
    # A retry replaces the intent and keeps the apply order.
    _apply_for_real(log, python_repo, run_id, "p2", files[2], b"# p2\n", write=True, confirm=True)
    assert [(e.proposal_id, e.order) for e in log.applied_edits(run_id)][:3] == [("p0", 1), ("p1", 2), ("p2", 3)]
    assert ApplyOutcome.CONFLICT.value == "conflict"


def test_resume_state_lists_undecided_proposals_and_unanswered_requests(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    probes = _messages(run_id, 1, 3)
    answer = Message(
        message_id(run_id, 4), run_id, 4, MessageKind.ANSWER, SYMBOL, "coordinator", {"text": "yes"}, probes[1].id, 0.0
    )
    log.append_messages([*probes, answer])
    _propose(log, run_id, "p1")
    _propose(log, run_id, "p2", symbol="shop/cart.py::Cart.total")
    log.record_check_report(run_id, "p2", {}, passed=True)
    state = log.resume_state(run_id)
    assert [m.seq for m in state.open_requests] == [1, 3]
    assert [p.id for p in state.undecided] == ["p1", "p2"]
    assert state.last_seq == 4 and state.applied == () and state.pending_apply == ()


# -- spend, events, snapshots --------------------------------------------------------


def test_model_calls_add_up_to_the_run_spend(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.record_model_call(run_id, ModelCall("symbol_agent", "anthropic", "claude", 1000, 200, 0.0125, 1.5, True, SYMBOL))
    log.record_model_call(run_id, ModelCall("reviewer", "openai_compatible", "local", 500, 50, None, 4.5, True))
    log.record_model_call(
        run_id, ModelCall("coordinator", "openai", "gpt", 10, 0, 0.001, 0.2, False, error="HTTP 429: slow down")
    )
    spend = log.load_run(run_id).spend
    assert (spend.model_calls, spend.input_tokens, spend.output_tokens) == (3, 1510, 250)
    assert spend.cost_usd == pytest.approx(0.0135)
    assert spend.unpriced_calls == 1
    calls = log.model_calls(run_id)
    assert [c.call.ok for c in calls] == [True, True, False]
    assert calls[0].call.address == SYMBOL and calls[1].call.cost_usd is None
    assert calls[2].call.error == "HTTP 429: slow down"


def test_events_are_tailed_by_id(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    first = log.record_event(run_id, "localize.done", {"symbols": 3})
    log.record_event(run_id, "agent.spawned", {"address": SYMBOL})
    assert [e.kind for e in log.events(run_id, after_id=first)] == ["agent.spawned"]
    assert log.events(run_id)[1].data == {"symbols": 3}


def test_a_snapshot_holds_everything_and_is_json(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.append_messages(_messages(run_id, 1, 2))
    _propose(log, run_id, "p1")
    log.record_check_report(run_id, "p1", {"ok": True}, passed=True)
    log.record_verdict(run_id, "p1", "approved", "ok", policy="auto")
    log.begin_apply(run_id, "p1", "a.py", "sha256:0", "sha256:1")
    log.record_model_call(run_id, ModelCall("coordinator", "scripted", "script", 1, 1, 0.0, 0.0, True))
    snap = log.snapshot(run_id)
    data = json.loads(json.dumps(snap.to_json()))
    assert data["run"]["id"] == run_id
    assert [len(data[k]) for k in ("messages", "proposals", "check_reports", "approvals", "applied_edits")] == [
        2,
        1,
        1,
        1,
        1,
    ]
    assert data["model_calls"][0]["provider"] == "scripted"
    assert data["events"][0]["kind"] == "run.started"
    with pytest.raises(RunNotFound):
        log.snapshot("missing")


# -- secrets -----------------------------------------------------------------------

API_KEY = "acme_live_" + "Q7w" * 10  # no known credential shape: only the environment net catches it
SHAPED = "ghp_" + "Z" * 36  # in no environment variable: only the shape net catches it


def test_an_api_key_never_reaches_the_database_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", API_KEY)
    path = tmp_path / "runs.sqlite3"
    leak = f"use {API_KEY} and {SHAPED}"
    with RunLog.open(path) as log:
        run_id = log.create_run(
            repo=tmp_path,
            issue_text=f"It fails. My key is {API_KEY}",
            config={"models": {"coordinator": {"api_key": "typed-into-config", "note": leak}}},
        )
        messages = _messages(run_id, 1, 1)
        body = {"question": leak}
        log.append_message(
            Message(messages[0].id, run_id, 1, MessageKind.PROBE, "coordinator", SYMBOL, body, None, 0.0)
        )
        log.record_proposal(
            run_id, proposal_id="p1", symbol_id=SYMBOL, base_version=1, new_source=f"KEY = '{API_KEY}'\n",
            rationale=leak,
        )  # fmt: skip
        log.record_check_report(run_id, "p1", {"stdout": leak}, passed=False)
        log.record_verdict(run_id, "p1", "rejected", leak, policy="auto")
        log.record_model_call(run_id, ModelCall("coordinator", "acme", "m", 1, 1, None, 0.1, False, error=leak))
        log.record_event(run_id, "note", {"text": leak})
        log.finish_run(run_id, "failed", reason=leak, patch=f"+KEY = '{API_KEY}'\n")
        snapshot = json.dumps(log.snapshot(run_id).to_json())
    assert API_KEY not in snapshot and SHAPED not in snapshot and "typed-into-config" not in snapshot
    assert snapshot.count(REDACTED) >= 10
    for file in tmp_path.glob("runs.sqlite3*"):
        raw = file.read_bytes()
        assert API_KEY.encode() not in raw, file.name
        assert SHAPED.encode() not in raw, file.name


# -- kill -9 and resume --------------------------------------------------------------


def _wait_for_progress(path: Path, run_id: str, proc: subprocess.Popen[str], messages: int, applied: int) -> None:
    deadline = time.monotonic() + 180  # generous: the machine is shared
    with RunLog.open(path, create=False) as reader:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the crashing run ended by itself"
            done = [e for e in reader.applied_edits(run_id) if e.confirmed]
            if reader.last_seq(run_id) >= messages and len(done) >= applied:
                return
            time.sleep(0.05)
    raise AssertionError("the crashing run made no progress in time")


@pytest.mark.anyio
@pytest.mark.parametrize("extra_delay", [0.0, 0.03, 0.2])
async def test_a_run_killed_with_sigkill_loses_nothing_and_resumes(tmp_path: Path, extra_delay: float) -> None:
    from swarm.bus import open_bus
    from tests.swarm.crashing_run import LEDGER, apply_line

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / LEDGER).write_text("")
    path = tmp_path / "runs.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.swarm.crashing_run", str(path), str(repo)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        _wait_for_progress(path, run_id, proc, messages=150, applied=5)
        time.sleep(extra_delay)
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait(timeout=60)

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with RunLog.open(path) as log:
        run = log.load_run(run_id)
        assert observed_status(run) is RunStatus.INTERRUPTED
        messages = log.transcript(run_id)
        seqs = [m.seq for m in messages]
        # Group commits are all-or-nothing and in order: no gap, nothing half-written.
        assert seqs == list(range(1, len(seqs) + 1))
        ids = {m.id for m in messages}
        assert all(m.in_reply_to in ids for m in messages if m.in_reply_to), "a reply survived without its request"
        proposals = log.proposals(run_id)
        assert all(p.message_id in ids for p in proposals), "a proposal was recorded before its message"
        edits = {e.proposal_id: e for e in log.applied_edits(run_id)}
        for p in proposals:
            # Marked applied and confirmed in the same transaction: never one without the other.
            assert (p.status is ProposalStatus.APPLIED) == (p.id in edits and edits[p.id].confirmed)

        # Resume: take the run over, settle unconfirmed writes, apply what is approved but not applied.
        state = log.reopen_run(run_id)
        settled = log.settle_applies(run_id, repo)
        assert settled.conflicts == ()
        state = log.resume_state(run_id)
        assert len(state.approved_not_applied) <= 1  # at most the one the kill interrupted
        for proposal in state.approved_not_applied:
            apply_line(log, repo, run_id, proposal.id, proposal.new_source)
        approved = [a.proposal_id for a in log.approvals(run_id) if a.verdict is Verdict.APPROVED]
        lines = (repo / LEDGER).read_text().splitlines()
        assert lines == approved, "an approved edit was lost or applied twice"
        assert {p.id for p in log.resume_state(run_id).applied} == set(approved)

        # The bus picks the numbering up where the killed process left it.
        async with open_bus(log, run_id) as bus:
            box = bus.register("coordinator")
            sent = await bus.send("done", "human", "coordinator", {"reason": "resumed"})
            assert (await box.receive()).id == sent.id
        assert sent.seq == seqs[-1] + 1
        log.finish_run(run_id, RunStatus.DONE, "resumed after kill -9")
        assert log.load_run(run_id).attempts == 2


def test_proposal_ids_are_scoped_to_their_run(log: RunLog, tmp_path: Path) -> None:
    first = log.create_run(repo=tmp_path, issue_text="one")
    second = log.create_run(repo=tmp_path, issue_text="two")
    _propose(log, first, "p1")
    _propose(log, second, "p1")
    log.record_verdict(first, "p1", "approved", "ok", policy="auto")
    assert log.proposal(first, "p1").status is ProposalStatus.APPROVED
    assert log.proposal(second, "p1").status is ProposalStatus.PROPOSED
    assert [a.run_id for a in log.approvals(first)] == [first] and log.approvals(second) == ()
    with pytest.raises(RunNotFound, match="no proposal 'p1' in run other"):
        log.proposal("other", "p1")


# -- odds and ends -------------------------------------------------------------------


def test_full_synchronous_mode_is_available_and_checked(tmp_path: Path) -> None:
    with RunLog.open(tmp_path / "full.sqlite3", synchronous="full") as log:
        run_id = log.create_run(repo=tmp_path, issue_text="durable")
        assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        with log.reopen() as second:
            assert second.load_run(run_id).issue_text == "durable"
            assert second._conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(RunLogError, match="'normal' or 'full'"):
        RunLog.open(tmp_path / "x.sqlite3", synchronous="off")  # type: ignore[arg-type]


def test_unknown_runs_are_clear_errors_everywhere(log: RunLog) -> None:
    with pytest.raises(RunNotFound):
        log.transcript("ghost")
    with pytest.raises(RunNotFound):
        log.set_patch("ghost", "x")
    with pytest.raises(RunNotFound):
        log.resume_state("ghost")
    with pytest.raises(RunLogWriteError, match="FOREIGN KEY"):
        log.record_model_call("ghost", ModelCall("r", "p", "m", 1, 1, None, 0.1, True))
    with pytest.raises(RunLogWriteError, match="FOREIGN KEY"):
        log.record_event("ghost", "x")


def test_finishing_without_a_patch_keeps_the_last_one(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    log.set_patch(run_id, "+a\n")
    log.finish_run(run_id, "interrupted", "Ctrl-C")
    run = log.load_run(run_id)
    assert (run.patch, run.status, run.reason) == ("+a\n", RunStatus.INTERRUPTED, "Ctrl-C")
    assert log.reopen_run(run_id).run.status is RunStatus.RUNNING


def test_a_recorded_path_that_leaves_the_repo_is_refused_when_settling(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    log.record_verdict(run_id, "p1", "approved", "ok", policy="auto")
    log.begin_apply(run_id, "p1", "a.py", "sha256:0", "sha256:1")
    # Only a hand-edited (or hostile) database can hold such a path: begin_apply refuses it.
    log._conn.execute("UPDATE applied_edits SET path = '../../etc/passwd'")
    with pytest.raises(PathOutsideRepo, match="leaves"):
        log.settle_applies(run_id, tmp_path)


def test_a_missing_file_settles_as_a_conflict_not_a_crash(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    _propose(log, run_id, "p1")
    log.record_verdict(run_id, "p1", "approved", "ok", policy="auto")
    log.begin_apply(run_id, "p1", "gone.py", content_hash(b"old"), content_hash(b"new"))
    report = log.settle_applies(run_id, tmp_path)
    assert [e.proposal_id for e in report.conflicts] == ["p1"]


def test_messages_keep_replies_and_attachments(log: RunLog, tmp_path: Path) -> None:
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    first, second = _messages(run_id, 1, 2)
    attached = Message(
        second.id, run_id, 2, MessageKind.PROBE, "human", SYMBOL, {"question": "question 1?"}, None, 1.0, first.id
    )
    reply = Message(
        message_id(run_id, 3), run_id, 3, MessageKind.ANSWER, SYMBOL, "coordinator", {"text": "y"}, first.id, 2.0
    )
    log.append_messages([first, attached, reply])
    assert log.transcript(run_id) == (first, attached, reply)
    assert log.resume_state(run_id).open_requests == (attached,)


# -- the model layer's calls ---------------------------------------------------------

SCRIPT = """
[[reply]]
role = "symbol_agent"
text = "Let me read the cart."
[[reply.tool_calls]]
id = "call_1"
name = "read_symbol"
arguments = { symbol = "shop/cart.py::Cart.total" }
"""


@pytest.mark.anyio
async def test_the_model_layer_records_its_calls_through_the_run_log(log: RunLog, tmp_path: Path) -> None:
    from swarm.config import parse_config
    from swarm.models.errors import ScriptExhausted
    from swarm.models.providers import model_for
    from swarm.protocols import ChatMessage, ToolSpec

    (tmp_path / "script.toml").write_text(SCRIPT)
    config = parse_config(
        {"models": {"provider": "scripted", "model": "script.toml"}}, env={}, source=tmp_path / "swarm.toml"
    )
    run_id = log.create_run(repo=tmp_path, issue_text="x")
    tools = [ToolSpec("read_symbol", "Read a symbol", {"type": "object", "properties": {"symbol": {"type": "string"}},
                                                          "required": ["symbol"]})]  # fmt: skip
    async with model_for("symbol_agent", config, env={}, observers=[log.call_recorder(run_id)]) as model:
        agent = model.for_agent(SYMBOL)
        await agent.complete([ChatMessage("user", "fix it")], tools=tools)
        with pytest.raises(ScriptExhausted):
            await agent.complete([ChatMessage("user", "again")], tools=tools)
    first, second = log.model_calls(run_id)
    assert (first.call.role, first.call.address, first.call.provider, first.call.ok) == (
        "symbol_agent", SYMBOL, "scripted", True,
    )  # fmt: skip
    assert first.call.reply is not None and first.call.reply["tool_calls"] == [
        {"id": "call_1", "name": "read_symbol", "arguments": {"symbol": "shop/cart.py::Cart.total"}}
    ]
    assert first.call.request_digest and first.call.started_at is not None and first.call.attempts >= 1
    assert (second.call.ok, second.call.error_kind, second.call.reply) == (False, "ScriptExhausted", None)
    spend = log.load_run(run_id).spend
    assert spend.model_calls == 2 and spend.unpriced_calls == 0  # scripted calls cost 0.0, a known price
    data = log.snapshot(run_id).to_json()["model_calls"][0]
    assert data["reply"]["content"] == "Let me read the cart." and data["address"] == SYMBOL
