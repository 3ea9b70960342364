"""One recorded python_shop run shared by the graph tests (recording it runs real tests: ~10 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from tests.conftest import make_repo
from tests.swarm.recorded_run import RecordedRun, record_run


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> RecordedRun:
    tmp = tmp_path_factory.mktemp("recorded")
    repo = make_repo(tmp, "python_shop")
    return trio.run(record_run, repo, tmp / "runs.sqlite3")


@pytest.fixture
def runlog_file(recorded: RecordedRun) -> Path:
    return recorded.runlog
