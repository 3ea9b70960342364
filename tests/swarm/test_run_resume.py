"""Kill -9 a real `swarm run` process at each point of a proposal's life,
then `swarm run --resume`: no approved edit lost, none applied twice, no
unapproved edit kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from swarm.records import ProposalStatus, RunStatus
from swarm.runlog import observed_status
from tests.swarm.scenario_runs import SCENARIOS, open_log

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
FIX = "return quantity >= self.min_quantity"
BAD = "return quantity >= 0"


def swarm(repo: Path, scenario: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environ = {**os.environ, "SWARM_MODEL": f"scripted:{SCENARIOS / scenario}", **(env or {})}
    environ.pop("SWARM_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "swarm.cli.main", "run", "--repo", str(repo), "--json", *args],
        cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def kill_at(repo: Path, point: str, tmp_path: Path, scenario: str = "python_shop.toml", *args: str) -> str:
    """Start a run, SIGKILL it (and its children) once it reaches `point`; the run id."""
    marker = tmp_path / f"reached-{point}"
    process = swarm(repo, scenario, "--issue", str(repo / "ISSUE.md"), *args,
                    env={"SWARM_PAUSE_AT": point, "SWARM_PAUSE_FILE": str(marker)})
    deadline = time.monotonic() + 600
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {point}: {process.stderr.read() if process.stderr else ''}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"the run never reached {point}")
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    with open_log(repo) as log:
        run = log.list_runs()[0]
        assert observed_status(run) is RunStatus.INTERRUPTED
        return run.id


@pytest.mark.parametrize("point, approved_before_kill", [
    ("checked", False),    # p1 checked and on disk tentatively, no verdict
    ("decided", False),    # p1 rejected, its edit not yet undone
    ("applying", True),    # p2 approved, apply intent recorded, not confirmed
    ("applied", True),     # p2 applied and confirmed, its author not yet told
])
def test_resume_after_sigkill(python_repo: Path, tmp_path: Path, point: str, approved_before_kill: bool) -> None:
    run_id = kill_at(python_repo, point, tmp_path)
    with open_log(python_repo) as log:
        statuses = {p.id: p.status for p in log.proposals(run_id)}
    assert (ProposalStatus.APPROVED in statuses.values() or ProposalStatus.APPLIED in statuses.values()) == approved_before_kill

    resumed = swarm(python_repo, "python_resume.toml", "--resume", run_id[:12])
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    outcome = json.loads(out)
    assert outcome["run_id"] == run_id and outcome["status"] == "accepted"
    patch = outcome["patch"]
    assert patch.count(f"+        {FIX}") == 1 and BAD not in patch
    worktree = Path(outcome["worktree"])
    assert (worktree / "shop/discounts.py").read_text().count(FIX) == 1
    assert "resumed:" in err
    with open_log(python_repo) as log:
        run = log.load_run(run_id)
        assert run.status is RunStatus.DONE and run.attempts == 2  # started once, resumed once
        applied = log.applied_edits(run_id)
        assert len(applied) == 1 and applied[0].confirmed
        approved = [p for p in log.proposals(run_id) if p.status is ProposalStatus.APPLIED]
        assert [p.id for p in approved] == [applied[0].proposal_id]
        assert all(p.status is not ProposalStatus.APPROVED for p in log.proposals(run_id))
        # Approved before the kill: that very edit (p2), confirmed once. Not approved:
        # p1 was retired and the re-assigned agent's proposal continued the numbering (p2).
        assert applied[0].proposal_id == "p2"
        assert len(log.proposals(run_id)) == 2
        assert log.proposal(run_id, "p1").status in (ProposalStatus.SUPERSEDED, ProposalStatus.REJECTED)
