"""A whole scripted run on a repository whose example tests cannot be collected
on the base: the harness's baseline finds them, the proposal's tests leave them
out (said in the report's notes), and the fix is approved, not rejected for a
test stage that "could not run"."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm.messages import MessageKind
from swarm.proxy import make_proxy
from swarm.run import RunRequest, run_swarm
from tests.conftest import files_repo
from tests.swarm.scenario_runs import kinds, open_log, scripted_config

pytestmark = pytest.mark.anyio

EXAMPLE = "examples/app/tests/test_app.py::test_app_doubles"
FILES = {
    "ISSUE.md": "double(2) returns 5; it must return 4.\n",
    "conftest.py": "",
    "pkg/__init__.py": "",
    "pkg/core.py": "def double(x):\n    return 2 * x + 1\n",
    "tests/test_core.py": "from pkg.core import double\n\n\ndef test_double_zero():\n    assert double(0) == 0\n",
    "examples/app/tests/conftest.py": "import app_not_installed  # noqa: F401\n",
    "examples/app/tests/test_app.py": "from pkg.core import double\n\n\ndef test_app_doubles():\n    assert double(3) == 6\n",
}


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return files_repo(tmp_path / "repo", FILES)


async def test_tests_uncollectable_on_the_base_are_left_out_and_the_fix_is_approved(repo: Path) -> None:
    config = scripted_config("python_uncollectable.toml")
    outcome = await run_swarm(
        RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
        proxy=make_proxy("auto", config=config),
    )
    with open_log(repo) as log:
        messages = log.transcript(outcome.run_id)
    report = kinds(messages, MessageKind.CHECK_REPORT)[0].body["report"]
    assert EXAMPLE not in report["selected_tests"]
    assert "tests/test_core.py::test_double_zero" in report["selected_tests"]
    assert any(EXAMPLE in note and "app_not_installed" in note for note in report["notes"]), report["notes"]
    verdict = kinds(messages, MessageKind.APPROVAL)[0].body["reason"]
    assert verdict.startswith("approved") and "left out 1 selected test(s)" in verdict
    assert outcome.status == "accepted", outcome.reason
