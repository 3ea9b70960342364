"""Export a run as JSONL and import it elsewhere: the same run comes back, and replays."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import trio

from swarm.cli.main import main
from swarm.graph.model import build_graph
from swarm.graph.text import render_text
from swarm.replay import replay_run
from swarm.runlog import RunLog
from swarm.trajectory import FORMAT, TrajectoryError, export_run, import_trajectory
from tests.conftest import make_repo
from tests.swarm.recorded_run import RecordedRun, record_run


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> RecordedRun:
    tmp = tmp_path_factory.mktemp("trajectory")
    return trio.run(record_run, make_repo(tmp, "python_shop"), tmp / "runs.sqlite3")


def _export(recorded: RecordedRun) -> str:
    out = io.StringIO()
    with RunLog.open(recorded.runlog, create=False) as log:
        export_run(log, recorded.run_id, out)
    return out.getvalue()


def test_export_is_jsonl_header_first_patch_last(recorded: RecordedRun) -> None:
    lines = [json.loads(line) for line in _export(recorded).splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["format"] == FORMAT and lines[0]["run"]["id"] == recorded.run_id
    assert lines[-1]["type"] == "patch" and "applies_to" in lines[-1]["patch"]
    kinds = [line["type"] for line in lines]
    assert kinds.count("message") == 10 and kinds.count("proposal") == 2 and kinds.count("verdict") == 2


def test_import_rebuilds_the_same_run(recorded: RecordedRun, tmp_path: Path) -> None:
    text = _export(recorded)
    with RunLog.open(tmp_path / "elsewhere.sqlite3") as other:
        done = import_trajectory(other, text.splitlines(), run_id="shared-1")
        assert done.status == "done" and done.messages == 10 and done.proposals == 2
        imported = other.snapshot("shared-1")
    with RunLog.open(recorded.runlog, create=False) as log:
        original = log.snapshot(recorded.run_id)
    assert [(m.seq, m.kind, m.sender, m.recipient, dict(m.body)) for m in imported.messages] == [
        (m.seq, m.kind, m.sender, m.recipient, dict(m.body)) for m in original.messages
    ]
    assert [m.in_reply_to for m in imported.messages][2] == "shared-1/2"
    assert [(p.id, p.status) for p in imported.proposals] == [(p.id, p.status) for p in original.proposals]
    assert [(a.proposal_id, a.verdict, a.policy) for a in imported.approvals] == [
        (a.proposal_id, a.verdict, a.policy) for a in original.approvals
    ]
    assert [(e.proposal_id, e.after_hash, e.confirmed) for e in imported.applied] == [
        (e.proposal_id, e.after_hash, e.confirmed) for e in original.applied
    ]
    assert imported.run.patch == original.run.patch and imported.run.spend == original.run.spend
    assert imported.run.started_at == original.run.started_at
    # The imported run draws the same graph (the header holds its id) and replays.
    def body(snapshot) -> str:
        return render_text(build_graph(snapshot)).split("PARTICIPANTS", 1)[1]

    assert body(imported) == body(original)
    with RunLog.open(tmp_path / "elsewhere.sqlite3", create=False) as other:
        report = trio.run(lambda: replay_run(other, "shared-1", servers=False))
    assert report.ok


def test_import_refuses_a_duplicate_and_bad_files(recorded: RecordedRun, tmp_path: Path) -> None:
    text = _export(recorded)
    with RunLog.open(tmp_path / "x.sqlite3") as log:
        import_trajectory(log, text.splitlines())
        with pytest.raises(TrajectoryError, match="already in"):
            import_trajectory(log, text.splitlines())
        with pytest.raises(TrajectoryError, match="first line must be the header"):
            import_trajectory(log, ['{"type": "message"}'])
        with pytest.raises(TrajectoryError, match="not JSON"):
            import_trajectory(log, ["{oops"])
        header = json.loads(text.splitlines()[0])
        with pytest.raises(TrajectoryError, match="newer than this swarm"):
            import_trajectory(log, [json.dumps({**header, "version": 99})])
        broken = [text.splitlines()[0], '{"type": "message", "seq": 1}']
        with pytest.raises(TrajectoryError, match="incomplete or malformed"):
            import_trajectory(log, broken, run_id="broken")
        assert log.load_run("broken").status.value == "failed"


def test_cli_export_then_import(recorded: RecordedRun, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run.jsonl"
    assert main(["replay", recorded.run_id, "--runlog", str(recorded.runlog), "--export", str(target)]) == 0
    assert target.read_text() == _export(recorded)
    other = tmp_path / "other.sqlite3"
    assert main(["import", str(target), "--runlog", str(other)]) == 0
    assert f"imported run {recorded.run_id} (done, 10 messages, 2 proposals)" in capsys.readouterr().out
    assert main(["import", str(target), "--runlog", str(other)]) == 1
    assert "already in" in capsys.readouterr().err
