"""`swarm replay`: a recorded run re-applied on its base commit in a temporary worktree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import trio

from swarm.cli.main import main
from swarm.replay import ReplayError, render_report, replay_run, side_by_side
from swarm.runlog import RunLog
from tests.conftest import make_repo
from tests.swarm.recorded_run import RecordedRun, record_run


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> RecordedRun:
    tmp = tmp_path_factory.mktemp("replay")
    return trio.run(record_run, make_repo(tmp, "python_shop"), tmp / "runs.sqlite3")


def _worktrees(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "worktree", "list"], capture_output=True, text=True).stdout


def test_a_faithful_run_reproduces(recorded: RecordedRun) -> None:
    with RunLog.open(recorded.runlog, create=False) as log:
        report = trio.run(lambda: replay_run(log, recorded.run_id, servers=False))
        recorded_patch = log.load_run(recorded.run_id).patch
    assert report.ok, render_report(report)
    assert [(e.proposal_id, e.op) for e in report.edits] == [("p2", "rewrite")]
    edit = report.edits[0].report
    assert edit is not None and edit.ok and edit.test_run is not None and len(edit.test_run.results) == 3
    assert report.patch == recorded_patch and "+        return quantity >= self.min_quantity" in report.patch
    assert report.base_commit == recorded.base_commit
    assert _worktrees(recorded.repo).count("\n") == 1, "the temporary worktree is removed"
    assert "REPRODUCED" in render_report(report)


def test_a_tampered_patch_diverges_and_is_shown_side_by_side(recorded: RecordedRun, tmp_path: Path) -> None:
    copy = tmp_path / "runs.sqlite3"
    with RunLog.open(recorded.runlog, create=False) as log:
        copy.write_bytes(b"")
        copy.unlink()
        log._conn.execute(f"VACUUM INTO '{copy}'")  # an independent copy to tamper with
    with RunLog.open(copy, create=False) as log:
        log.set_patch(recorded.run_id, "diff --git a/x b/x\n")
        report = trio.run(lambda: replay_run(log, recorded.run_id, servers=False))
    assert not report.ok
    (patch,) = report.divergences
    assert patch.what == "final patch" and patch.recorded == "diff --git a/x b/x\n"
    text = render_report(report)
    assert "DIVERGED in 1 place(s)" in text
    assert any(line.startswith("diff --git a/x b/x") and " * diff --git a/shop/discounts.py" in line for line in text.splitlines())


def test_a_run_recorded_on_an_uncommitted_tree_diverges(tmp_path: Path) -> None:
    """The run's tests saw a test file the base commit does not have: replay says which test."""
    repo = make_repo(tmp_path, "python_shop")
    tests = repo / "tests/test_discounts.py"
    tests.write_text(tests.read_text() + "\n\ndef test_bulk_discount_large_orders() -> None:\n"
                     "    assert BulkDiscount(min_quantity=10, pct=5).applies_to(50)\n")  # fmt: skip
    recorded = trio.run(record_run, repo, tmp_path / "runs.sqlite3")
    with RunLog.open(recorded.runlog, create=False) as log:
        report = trio.run(lambda: replay_run(log, recorded.run_id, servers=False))
    diverged = {(d.proposal_id, d.what): (d.recorded, d.replayed) for d in report.divergences}
    assert diverged[("p2", "test tests/test_discounts.py::test_bulk_discount_large_orders")] == ("passed", "not run")
    assert report.patch == log_patch(recorded)


def log_patch(recorded: RecordedRun) -> str:
    with RunLog.open(recorded.runlog, create=False) as log:
        return log.load_run(recorded.run_id).patch or ""


def test_a_missing_base_commit_is_a_clear_error(recorded: RecordedRun, tmp_path: Path) -> None:
    other = make_repo(tmp_path, "rust_ledger")
    with RunLog.open(recorded.runlog, create=False) as log, pytest.raises(ReplayError, match="is not in"):
        trio.run(lambda: replay_run(log, recorded.run_id, repo=other, servers=False))


def test_cli_exit_codes(recorded: RecordedRun, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", recorded.run_id, "--runlog", str(recorded.runlog), "--no-servers", "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out
    assert main(["replay", recorded.run_id, "--runlog", str(recorded.runlog), "--git", "/nonexistent"]) == 1
    assert "is not a git repository" in capsys.readouterr().err


def test_side_by_side_marks_differences() -> None:
    lines = side_by_side("a\nsame", "b\nsame\nmore", width=21)
    assert lines == ["a         * b", "same      | same", "          * more"]


@pytest.mark.slow
def test_a_real_swarm_run_reproduces(python_repo: Path) -> None:
    """`swarm run` (scripted model, real harness and pyright) then `swarm replay` of it."""
    from swarm.proxy import make_proxy
    from swarm.run import RunRequest, run_swarm
    from tests.swarm.scenario_runs import open_log, scripted_config

    config = scripted_config("python_shop.toml")
    request = RunRequest(repo=python_repo, issue=(python_repo / "ISSUE.md").read_text(), config=config)
    outcome = trio.run(lambda: run_swarm(request, proxy=make_proxy("auto", config=config)))
    assert outcome.status == "accepted", outcome.reason
    with open_log(python_repo) as log:
        report = trio.run(lambda: replay_run(log, outcome.run_id))
    assert report.ok, render_report(report)
    assert report.patch == outcome.patch and "tests/test_swarm_repro.py" in report.patch
    assert [e.proposal_id for e in report.edits] == ["p2"]
    first = report.edits[0].report
    assert first is not None and first.diagnostics.status.value == "passed"
