"""`swarm graph` end to end through the CLI entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.cli.main import main
from tests.swarm.graph.conftest import recorded  # noqa: F401 - the shared recorded run
from tests.swarm.recorded_run import RecordedRun


def _run(recorded: RecordedRun, *extra: str) -> list[str]:
    return ["graph", recorded.run_id[:15], "--runlog", str(recorded.runlog), *extra]


def test_text_by_default(recorded: RecordedRun, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(_run(recorded)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Run {recorded.run_id}") and "TIMELINE" in out


def test_dot_and_svg(recorded: RecordedRun, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # noqa: F811
    assert main(_run(recorded, "--format", "dot")) == 0
    assert capsys.readouterr().out.startswith("digraph swarm_run {")
    target = tmp_path / "run.svg"
    assert main(_run(recorded, "-f", "svg", "-o", str(target))) == 0
    assert "<svg" in target.read_text() and str(target) in capsys.readouterr().err


def test_html_needs_a_file(recorded: RecordedRun, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # noqa: F811
    assert main(_run(recorded, "-f", "html")) == 1
    assert "give -o FILE" in capsys.readouterr().err
    page = tmp_path / "run.html"
    assert main(_run(recorded, "-f", "html", "-o", str(page))) == 0
    assert recorded.run_id in page.read_text()
    assert main(_run(recorded, "--serve")) == 1
    assert "add --format html" in capsys.readouterr().err


def test_unknown_run(recorded: RecordedRun, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["graph", "nope", "--runlog", str(recorded.runlog)]) == 1
    assert "no run matching 'nope'" in capsys.readouterr().err
