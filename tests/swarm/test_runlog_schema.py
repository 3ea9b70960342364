"""Opening run log files: fresh, current, newer, foreign, corrupt, and contended."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from swarm.runlog import RunLog
from swarm.runlog_schema import OUR_TABLES, SCHEMA_VERSION, RunLogCorrupt, RunLogTooNew

ROOT = Path(__file__).resolve().parents[2]


def _pragma(path: Path, name: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def test_a_fresh_file_gets_the_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    RunLog.open(path).close()
    assert _pragma(path, "user_version") == SCHEMA_VERSION
    assert _pragma(path, "journal_mode") == "wal"
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert tables == OUR_TABLES


def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    with RunLog.open(path) as log:
        run_id = log.create_run(repo=tmp_path, issue_text="keep me")
    with RunLog.open(path) as log:
        assert log.load_run(run_id).issue_text == "keep me"
    assert _pragma(path, "user_version") == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    RunLog.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(RunLogTooNew, match=f"version {SCHEMA_VERSION + 1}.*upgrade symbol-swarm"):
        RunLog.open(path)


def test_a_file_that_is_not_sqlite_is_corrupt_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 100)
    before = path.read_bytes()
    with pytest.raises(RunLogCorrupt, match="not a readable run log"):
        RunLog.open(path)
    assert path.read_bytes() == before


def test_a_foreign_sqlite_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(RunLogCorrupt, match="not a swarm run log.*users"):
        RunLog.open(path)
    assert _pragma(path, "user_version") == 0


def test_processes_creating_one_file_at_once_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite3"
    script = (
        "import sys\n"
        "from swarm.runlog import RunLog\n"
        "with RunLog.open(sys.argv[1]) as log:\n"
        "    log.create_run(repo='.', issue_text='concurrent')\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with RunLog.open(path) as log:
        assert len(log.list_runs()) == 4


def test_a_locked_database_while_opening_is_retried_and_other_errors_are_not() -> None:
    from swarm.runlog import _retry_locked  # noqa: PLC2701 - the retry is what this test is about

    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "wal"

    assert _retry_locked(flaky) == "wal" and len(attempts) == 3

    def broken() -> str:
        attempts.append(1)
        raise sqlite3.OperationalError("no such table: runs")

    attempts.clear()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        _retry_locked(broken)
    assert len(attempts) == 1
