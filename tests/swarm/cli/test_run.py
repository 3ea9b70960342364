"""`swarm run` from the command line, with the scripted model."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from swarm.cli.main import main
from swarm.cli.run import LineDisplay
from swarm.run import RunEvent
from tests.swarm.scenario_runs import SCENARIOS


@pytest.mark.slow
def test_swarm_run_json_apply_with_the_issue_on_stdin(python_repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWARM_MODEL", f"scripted:{SCENARIOS / 'python_shop.toml'}")
    monkeypatch.delenv("SWARM_CONFIG", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO((python_repo / "ISSUE.md").read_text()))
    code = main(["run", "--repo", str(python_repo), "--json", "--apply"])
    out, err = capsys.readouterr()
    outcome = json.loads(out)
    assert code == 0, err
    assert outcome["status"] == "accepted" and outcome["applied"] is True
    assert outcome["model"].startswith("scripted:")
    # Progress went to stderr as JSON lines, one per event.
    kinds = {json.loads(line)["kind"] for line in err.splitlines() if line.startswith("{")}
    assert {"started", "proposal", "check", "verdict"} <= kinds
    # --apply changed the user's tree: the example's failing test passes there now.
    assert "quantity >= self.min_quantity" in (python_repo / "shop/discounts.py").read_text()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=python_repo,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_swarm_run_outside_git_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issue = tmp_path / "ISSUE.md"
    issue.write_text("something is broken\n")
    code = main(["run", "--repo", str(tmp_path), "--issue", str(issue)])
    assert code == 1
    assert "not inside a git repository" in capsys.readouterr().err


def test_swarm_run_needs_an_issue_file_that_exists(python_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--repo", str(python_repo), "--issue", str(python_repo / "NOPE.md")])
    assert code == 1
    assert "no such file" in capsys.readouterr().err


def test_line_display_prints_one_line_per_event(capsys: pytest.CaptureFixture[str]) -> None:
    display = LineDisplay()
    display.on_event(RunEvent("verdict", "r1", "p1: approved by auto", {"approved": True}))
    display.on_event(RunEvent("spend", "r1", "spend: 1 call", {}))
    assert capsys.readouterr().err == "[verdict] p1: approved by auto\n"
