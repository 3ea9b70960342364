"""The pipeline against the base: tests that cannot be collected there are left
out, not blamed on the edit; a test that fails once and passes on its re-run is
flaky, not a regression. Real pytest runs in a real git repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from editor_harness.pipeline import CheckPipeline, CheckReport, StageStatus
from editor_harness.session import open_session
from tests.conftest import files_repo

pytestmark = pytest.mark.anyio

DOUBLE = "pkg/core.py::double"
GOOD = "tests/test_core.py::test_double"
FLAKY = "tests/test_flaky.py::test_sometimes"
EXAMPLE = "examples/app/tests/test_app.py::test_app"
BROKEN_FILE = "tests/test_broken.py::test_never_collected"
FILES = {
    "conftest.py": "",
    "pkg/__init__.py": "",
    "pkg/core.py": "def double(x):\n    return 2 * x\n",
    "tests/test_core.py": "from pkg.core import double\n\n\ndef test_double():\n    assert double(2) == 4\n",
    # Passes on its 1st and 3rd runs, fails on its 2nd: a test that shares state with other runs.
    "tests/test_flaky.py": (
        "from pathlib import Path\n\nCOUNT = Path(__file__).with_name('count.txt')\n\n\n"
        "def test_sometimes():\n"
        "    runs = int(COUNT.read_text()) if COUNT.exists() else 0\n"
        "    COUNT.write_text(str(runs + 1))\n"
        "    assert runs != 1, 'the shared state was left dirty by another run'\n"
    ),
    # An example whose package is not installed: its conftest cannot even be imported.
    "examples/app/tests/conftest.py": "import app_not_installed  # noqa: F401\n",
    "examples/app/tests/test_app.py": "def test_app():\n    assert True\n",
    "tests/test_broken.py": "import also_not_installed  # noqa: F401\n\n\ndef test_never_collected():\n    pass\n",
}
FIX = "def double(x):\n    return x + x\n"
BREAK = "def double(x):\n    return 3 * x\n"
# The default is evaluated at import: every module importing pkg.core stops collecting.
IMPORT_ERROR = "def double(x, _unused=1 // 0):\n    return 2 * x\n"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return files_repo(tmp_path / "repo", FILES)


async def _check(pipeline: CheckPipeline, source: str, tests: list[str]) -> CheckReport:
    report = await pipeline.rewrite_and_check(DOUBLE, source, None, tests=tests)
    assert CheckReport.from_json(json.loads(json.dumps(report.to_json()))) == report
    return report


async def test_a_conftest_that_fails_on_the_base_is_left_out_not_blamed(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        pipeline = session.pipeline
        base = await pipeline.baseline([GOOD, EXAMPLE])
        # The broken conftest stopped the whole run; each file ran alone to tell which.
        assert base.results == () and base.exit_code == 4
        assert list(pipeline.uncollectable) == [EXAMPLE]
        assert "app_not_installed" in pipeline.uncollectable[EXAMPLE]
        report = await _check(pipeline, FIX, [GOOD, EXAMPLE])
    assert report.tests.status is StageStatus.PASSED, report.render()
    assert report.selected_tests == (GOOD,)
    assert report.test_run is not None and report.test_run.counts["passed"] == 1
    assert len(report.notes) == 1 and EXAMPLE in report.notes[0] and "app_not_installed" in report.notes[0]
    assert "note: left out 1 selected test(s)" in report.render()


async def test_a_file_that_fails_to_import_on_the_base_is_left_out_and_the_rest_keep_their_outcomes(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        pipeline = session.pipeline
        await pipeline.baseline([GOOD, BROKEN_FILE])
        assert list(pipeline.uncollectable) == [BROKEN_FILE]
        # The interrupted session left test_double unrun; its own base outcome comes from the re-run.
        assert pipeline.last_outcomes[GOOD].value == "passed"
        broken = await _check(pipeline, BREAK, [GOOD, BROKEN_FILE])
    assert broken.regressions == (GOOD,), broken.render()
    assert broken.selected_tests == (GOOD,)
    assert any(BROKEN_FILE in note for note in broken.notes)


async def test_only_uncollectable_tests_selected_is_a_skip_not_an_error(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        await session.pipeline.baseline([EXAMPLE])
        report = await _check(session.pipeline, FIX, [EXAMPLE])
    assert report.tests.status is StageStatus.SKIPPED
    assert "cannot be collected on the base" in report.tests.summary
    assert report.ok


async def test_a_collection_error_the_edit_introduced_is_a_regression(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        await session.pipeline.baseline([GOOD])
        assert session.pipeline.uncollectable == {}
        report = await _check(session.pipeline, IMPORT_ERROR, [GOOD])
    # tests/test_core.py no longer imports: its passing test is a regression.
    assert report.tests.status is StageStatus.FAILED
    assert report.regressions == ("tests/test_core.py",), report.render()
    assert report.test_run is not None and "ZeroDivisionError" in report.test_run.results[0].message


async def test_a_test_that_fails_once_then_passes_on_its_re_run_is_flaky_not_a_regression(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        base = await session.pipeline.baseline([GOOD, FLAKY])
        assert base.ok
        report = await _check(session.pipeline, FIX, [GOOD, FLAKY])
    assert report.regressions == (), report.render()
    assert report.tests.status is StageStatus.PASSED
    assert report.test_run is not None and report.test_run.outcome_of(FLAKY) is not None
    assert report.test_run.counts == {"passed": 2, "failed": 0, "error": 0, "skipped": 0}
    assert report.notes == (f"flaky, not a regression: {FLAKY} failed, then passed on a re-run",)
    assert (repo / "tests/count.txt").read_text() == "3"  # one run on the base, one after the edit, one re-run


async def test_a_real_regression_is_re_run_once_and_still_named(repo: Path) -> None:
    async with open_session(repo, servers=False, test_timeout=120) as session:
        await session.pipeline.baseline([GOOD])
        report = await _check(session.pipeline, BREAK, [GOOD])
    assert report.regressions == (GOOD,)
    assert report.notes == ()
    assert report.tests.status is StageStatus.FAILED
