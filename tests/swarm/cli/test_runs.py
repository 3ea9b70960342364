"""`swarm runs` and `swarm show` on run logs written by the real bus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trio
from rich.console import Console

from swarm.bus import open_bus
from swarm.cli.main import main
from swarm.records import ModelCall, RunStatus
from swarm.redact import Redactor
from swarm.run_views import RunRow, runs_rich, show_rich
from swarm.runlog import RunLog, observed_status, runlog_path

ROOT = Path(__file__).resolve().parents[3]
AGENT = "shop/discounts.py::BulkDiscount.applies_to"
PATCH = (
    "diff --git a/shop/discounts.py b/shop/discounts.py\n--- a/shop/discounts.py\n+++ b/shop/discounts.py\n"
    "@@ -10,2 +10,2 @@\n     def applies_to(self, cart):\n-        return cart.count() > self.threshold\n"
    "+        return cart.count() >= self.threshold\n"
)


def record_run(repo: Path, *, finish: bool = True, issue: str = "# Bulk discount misses the threshold\nbody") -> str:
    """A small but complete run, written through the bus and the run log."""
    log = RunLog.open(runlog_path(repo, environ={}), redactor=Redactor())
    run_id = log.create_run(repo=repo, issue_text=issue, base_commit="abc1234")

    async def converse() -> None:
        async with open_bus(log, run_id) as bus:
            for address in ("coordinator", AGENT, "shop/cart.py::Cart.count", "proxy-user"):
                bus.register(address)
            task = await bus.send("task", "coordinator", AGENT, {"instruction": "Apply the discount at the threshold"})
            probe = await bus.send("probe", AGENT, "shop/cart.py::Cart.count", {"question": "Free items counted?"})
            await bus.reply(probe, "answer", {"text": "Yes, all quantities"})
            body = {
                "proposal_id": "p1",
                "symbol_id": AGENT,
                "base_version": 1,
                "new_source": "def applies_to(self, cart):\n    return cart.count() >= self.threshold\n",
                "rationale": "the threshold is inclusive",
            }
            proposal = await bus.send("edit_proposal", AGENT, "proxy-user", body)
            await bus.reply(proposal, "approval", {"proposal_id": "p1", "reason": "the failing test passes"})
            await bus.send("done", AGENT, "coordinator", {"reason": "fixed"}, in_reply_to=task.id)
            await bus.flush()
            log.record_proposal_message(proposal)

    trio.run(converse)
    log.record_check_report(run_id, "p1", {"tests": {"passed": 1}}, passed=True)
    log.record_verdict(run_id, "p1", "approved", "the failing test passes", policy="auto")
    log.begin_apply(run_id, "p1", "shop/discounts.py", "sha256:before", "sha256:after")
    log.finish_apply(run_id, "p1")
    log.record_model_call(run_id, ModelCall("symbol_agent", "anthropic", "claude", 2000, 300, 0.012, 2.0, True, AGENT))
    log.record_model_call(run_id, ModelCall("reviewer", "local", "qwen", 800, 40, None, 4.0, False, error="timeout"))
    if finish:
        log.finish_run(run_id, RunStatus.DONE, "issue addressed", patch=PATCH)
    log.close()
    return run_id


def swarm(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarm.cli.main", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


# -- swarm runs ---------------------------------------------------------------------


def test_runs_without_a_log_says_so_and_creates_nothing(
    python_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    assert main(["runs", "--repo", str(python_repo)]) == 0
    assert "No runs yet" in capsys.readouterr().out
    assert main(["runs", "--repo", str(python_repo), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (python_repo / ".swarm").exists()


def test_runs_lists_newest_first_with_status_patch_and_spend(
    python_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    first = record_run(python_repo)
    time.sleep(0.01)
    second = record_run(python_repo, finish=False, issue="Second issue")
    assert main(["runs", "--repo", str(python_repo)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "STARTED", "PATCH", "SPEND", "MSGS", "ISSUE"]
    assert lines[1].startswith(second) and lines[2].startswith(first)
    # This process owns the unfinished run and is alive: it is running, not interrupted.
    assert " running " in lines[1]
    assert " done " in lines[2] and "+1 -1" in lines[2] and "$0.0120" in lines[2] and "(+1 unpriced)" in lines[2]
    assert lines[2].rstrip().endswith("Bulk discount misses the threshold")

    assert main(["runs", "--repo", str(python_repo), "--json", "--limit", "1"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["id"] == second and row["status"] == "running" and row["messages"] == 6
    assert row["spend"]["model_calls"] == 2 and row["patch"]["lines"] == 0


def test_runs_finds_the_log_from_inside_the_repository(python_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    run_id = record_run(python_repo)
    result = swarm("runs", cwd=python_repo / "shop", env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert run_id in result.stdout


def test_runs_of_a_subdirectory_are_found_at_the_top_of_its_repository(
    python_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `swarm run --repo examples/python_shop` logs at the top of the repository holding it.
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    run_id = record_run(python_repo)
    assert main(["runs", "--repo", str(python_repo / "shop"), "--json"]) == 0
    assert [row["id"] for row in json.loads(capsys.readouterr().out)] == [run_id]
    assert main(["show", run_id, "--repo", str(python_repo / "shop")]) == 0
    assert "BulkDiscount.applies_to" in capsys.readouterr().out


def test_the_log_location_can_be_given_or_set_in_the_environment(tmp_path: Path, python_repo: Path) -> None:
    run_id = record_run(python_repo)
    moved = tmp_path / "elsewhere.sqlite3"
    (python_repo / ".swarm" / "runs.sqlite3").rename(moved)
    for suffix in ("-wal", "-shm"):
        source = python_repo / ".swarm" / f"runs.sqlite3{suffix}"
        if source.exists():
            source.rename(moved.with_name(moved.name + suffix))
    by_flag = swarm("runs", "--repo", str(python_repo), "--runlog", str(moved), "--json")
    by_env = swarm("runs", "--repo", str(python_repo), "--json", env={"SWARM_RUNLOG": str(moved)})
    assert [r["id"] for r in json.loads(by_flag.stdout)] == [run_id]
    assert [r["id"] for r in json.loads(by_env.stdout)] == [run_id]


def test_a_run_whose_process_died_is_listed_as_interrupted(python_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    script = (
        "import sys\nfrom swarm.runlog import RunLog\n"
        "print(RunLog.open(sys.argv[1]).create_run(repo='.', issue_text='dies young'))\n"
    )
    path = runlog_path(python_repo, environ={})
    done = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, capture_output=True, text=True)
    run_id = done.stdout.strip()
    result = swarm("runs", "--repo", str(python_repo), "--json")
    (row,) = json.loads(result.stdout)
    assert (row["id"], row["status"], row["recorded_status"]) == (run_id, "interrupted", "running")


# -- swarm show ---------------------------------------------------------------------


def test_show_prints_header_transcript_proposals_calls_and_patch(
    python_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    run_id = record_run(python_repo)
    assert main(["show", run_id[:-2], "--repo", str(python_repo)]) == 0
    out = capsys.readouterr().out
    assert f"run       {run_id}" in out
    assert "status    done (issue addressed)" in out
    assert "repo      " + str(python_repo) + " @ abc1234" in out
    transcript = out.split("Transcript\n")[1].split("\n\n")[0].splitlines()
    assert len(transcript) == 6
    assert f"#1  coordinator -> {AGENT}  task  Apply the discount at the threshold" in transcript[0]
    assert "answer  Yes, all quantities  (re #2)" in transcript[2]
    assert "edit_proposal  p1 rewrites" in transcript[3] and "(2 lines)" in transcript[3]
    assert "done  fixed  (re #1)" in transcript[5]
    assert f"p1  {AGENT}  applied  checks: pass  approved by auto: the failing test passes" in out
    assert "symbol_agent  anthropic:claude  1 call  2.3k tok  $0.0120  2.00s avg" in out
    assert "reviewer  local:qwen  1 call  840 tok  unpriced  4.00s avg  1 failed" in out
    assert out.rstrip().endswith("+        return cart.count() >= self.threshold")

    assert main(["show", "last", "--repo", str(python_repo), "--no-patch", "--tail", "2"]) == 0
    out = capsys.readouterr().out
    assert "Patch" not in out
    transcript = out.split("Transcript\n")[1].split("\n\n")[0].splitlines()
    assert len(transcript) == 2 and "#5" in transcript[0] and "(re #4)" in transcript[0]


def test_show_json_holds_everything(
    python_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    run_id = record_run(python_repo)
    assert main(["show", run_id, "--repo", str(python_repo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"]["observed_status"] == "done" and data["run"]["patch"] == PATCH
    assert [m["kind"] for m in data["messages"]] == [
        "task", "probe", "answer", "edit_proposal", "approval", "done",
    ]  # fmt: skip
    assert data["proposals"][0]["status"] == "applied"
    assert data["check_reports"][0]["report"] == {"tests": {"passed": 1}}
    assert data["approvals"][0]["policy"] == "auto"
    assert data["applied_edits"][0]["path"] == "shop/discounts.py"
    assert len(data["model_calls"]) == 2
    assert data["events"][-1]["kind"] == "run.ended"


def test_show_refuses_unknown_and_ambiguous_runs_in_one_line(python_repo: Path) -> None:
    record_run(python_repo)
    record_run(python_repo)
    unknown = swarm("show", "nope", "--repo", str(python_repo))
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("swarm: error: no run matching 'nope'") and "swarm runs" in unknown.stderr
    ambiguous = swarm("show", "2", "--repo", str(python_repo))
    assert ambiguous.returncode == 1 and "matches several runs" in ambiguous.stderr
    elsewhere = python_repo.parent / "not-a-repo"
    elsewhere.mkdir()
    missing = swarm("show", "last", "--repo", str(elsewhere))
    assert missing.returncode == 1 and "no run log at" in missing.stderr


def test_on_a_terminal_output_is_rich(python_repo: Path) -> None:
    run_id = record_run(python_repo)
    result = swarm("show", run_id, "--repo", str(python_repo), env={"FORCE_COLOR": "1", "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    assert "\x1b[" in result.stdout  # styled
    assert "┏" in result.stdout  # the proposals table
    listing = swarm("runs", "--repo", str(python_repo), env={"FORCE_COLOR": "1", "COLUMNS": "160"})
    assert "\x1b[" in listing.stdout and run_id in listing.stdout


def test_rich_views_render_the_same_facts(python_repo: Path) -> None:
    run_id = record_run(python_repo)
    with RunLog.open(runlog_path(python_repo, environ={}), create=False) as log:
        snapshot = log.snapshot(run_id)
        runs = [RunRow(r, observed_status(r)) for r in log.list_runs()]
    console = Console(record=True, width=200, force_terminal=True)
    console.print(show_rich(snapshot, RunStatus.DONE))
    console.print(runs_rich(runs, "here"))
    text = console.export_text()
    for fact in ("Transcript", "edit_proposal", "the failing test passes", "Proposals", "+1 -1", run_id, "reviewer"):
        assert fact in text


def test_show_works_on_a_run_in_progress(tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.swarm.crashing_run", str(db), str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    (tmp_path / "ledger.txt").write_text("")
    try:
        assert writer.stdout is not None
        run_id = writer.stdout.readline().strip()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            result = swarm("show", run_id, "--runlog", str(db), "--json")
            assert result.returncode == 0, result.stderr
            data = json.loads(result.stdout)
            if len(data["messages"]) >= 20:
                break
            time.sleep(0.1)
        assert data["run"]["observed_status"] == "running"
        seqs = [m["seq"] for m in data["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))
        plain = swarm("show", run_id, "--runlog", str(db))
        assert "status    running" in plain.stdout and "so far" in plain.stdout
    finally:
        writer.kill()
        writer.wait(timeout=60)


@pytest.mark.parametrize("as_json", [False, True])
def test_follow_prints_messages_as_they_come_until_the_run_ends(tmp_path: Path, as_json: bool) -> None:
    db = tmp_path / "runs.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.swarm.cli.slow_run", str(db), "6", "0.25"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        run_id = writer.stdout.readline().strip()
        follow = swarm("show", run_id, "--runlog", str(db), "--follow", *(["--json"] if as_json else []))
        assert writer.wait(timeout=120) == 0
    finally:
        writer.kill()
        writer.wait(timeout=60)
    assert follow.returncode == 0, follow.stderr
    if as_json:
        lines = [json.loads(line) for line in follow.stdout.splitlines()]
        assert [m["body"]["question"] for m in lines[:-1]] == [f"step {n}?" for n in range(6)]
        assert lines[-1]["run"]["status"] == "done"
    else:
        out = follow.stdout
        assert [n for n in range(6) if f"probe  step {n}?" in out] == list(range(6))
        assert "status    done (all steps taken)" in out
        assert out.count("step 0?") == 1  # the transcript is not printed twice
        assert out.rstrip().endswith("+b")


def test_follow_on_an_ended_run_prints_it_once_and_returns(
    python_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWARM_RUNLOG", raising=False)
    run_id = record_run(python_repo)
    assert main(["show", run_id, "--repo", str(python_repo), "--follow", "--no-patch"]) == 0
    out = capsys.readouterr().out
    assert out.count("Free items counted?") == 1
    assert "status    done (issue addressed)" in out and "Proposals" in out and "Patch" not in out
