"""The calls we make into swebench, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from swarm.evaluation import swebench_api
from swarm.evaluation.errors import SpecError

LOG = """\
+ git apply ...
PASSED tests/test_x.py::test_outside_markers
>>>>> Start Test Output
+ pytest -rA tests/test_x.py
=========================== short test summary info ============================
PASSED tests/test_x.py::test_a
PASSED tests/test_x.py::test_b[1-2]
FAILED tests/test_x.py::test_c - AssertionError: boom
ERROR tests/test_x.py::test_d
>>>>> End Test Output
"""


def test_only_the_marked_section_is_parsed() -> None:
    status = swebench_api.parse_status_map(LOG, swebench_api.parser_named("parse_log_pytest"))
    assert status == {
        "tests/test_x.py::test_a": "PASSED",
        "tests/test_x.py::test_b[1-2]": "PASSED",
        "tests/test_x.py::test_c": "FAILED",
        "tests/test_x.py::test_d": "ERROR",
    }


def test_a_log_without_results_between_markers_is_parsed_whole() -> None:
    log = "PASSED tests/test_x.py::test_a\n>>>>> Start Test Output\n>>>>> End Test Output\n"
    status = swebench_api.parse_status_map(log, swebench_api.parser_named("parse_log_pytest"))
    assert status == {"tests/test_x.py::test_a": "PASSED"}


@pytest.mark.parametrize(
    ("f2p", "p2p", "resolution"),
    [
        (["tests/test_x.py::test_a"], ["tests/test_x.py::test_b[1-2]"], "RESOLVED_FULL"),
        (["tests/test_x.py::test_a", "tests/test_x.py::test_c"], [], "RESOLVED_PARTIAL"),
        (["tests/test_x.py::test_a"], ["tests/test_x.py::test_d"], "RESOLVED_NO"),
        (["tests/test_x.py::test_never_ran"], [], "RESOLVED_NO"),
    ],
)
def test_grading_follows_swebench(f2p: list[str], p2p: list[str], resolution: str) -> None:
    status = swebench_api.parse_status_map(LOG, swebench_api.parser_named("parse_log_pytest"))
    report, resolved = swebench_api.grade("acme/tiny", "acme__tiny-1", f2p, p2p, status)

    assert resolved == resolution
    assert set(report) == {"FAIL_TO_PASS", "PASS_TO_PASS", "FAIL_TO_FAIL", "PASS_TO_FAIL"}
    assert sorted(report["FAIL_TO_PASS"]["success"] + report["FAIL_TO_PASS"]["failure"]) == sorted(f2p)


def test_directives_are_the_test_files_of_the_test_patch() -> None:
    patch = (
        "diff --git a/tests/test_a.py b/tests/test_a.py\n"
        "diff --git a/tests/data/fixture.json b/tests/data/fixture.json\n"
    )
    assert swebench_api.directives({"repo": "acme/tiny", "test_patch": patch}) == ["tests/test_a.py"]
    django = {"repo": "django/django", "test_patch": "diff --git a/tests/admin/test_x.py b/tests/admin/test_x.py\n"}
    assert swebench_api.directives(django) == ["admin.test_x"]


def test_modified_files_skips_new_files() -> None:
    patch = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n"
        "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+z\n"
    )
    assert swebench_api.modified_files(patch) == ["a.py"]


def test_unknown_parsers_are_refused_with_the_known_ones() -> None:
    with pytest.raises(SpecError, match="parse_log_pytest"):
        swebench_api.parser_named("parse_log_nothing")
    with pytest.raises(SpecError):
        swebench_api.parser_named("os")


def test_importing_swebench_does_not_load_a_dotenv_file(tmp_path: Path) -> None:
    """swebench calls load_dotenv() on import; a .env (API keys) must not leak
    into our environment, and so into the graded tests."""
    (tmp_path / ".env").write_text("SWARM_TEST_SECRET=leaked\n")
    code = (
        "import os\n"
        "from swarm.evaluation import swebench_api\n"
        "swebench_api.repo_specs('pallets/flask')\n"
        "print(os.environ.get('SWARM_TEST_SECRET'), os.environ.get('PYTHON_DOTENV_DISABLED'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_DOTENV_DISABLED"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"


def test_repo_tables() -> None:
    swebench_api.load()
    assert swebench_api.repo_specs("acme/tiny") is None
    assert "2.0" in (swebench_api.repo_specs("pallets/flask") or {})
    assert swebench_api.requirements_paths("pallets/flask") == ("requirements/dev.txt",)
    assert swebench_api.environment_yml_paths("pydata/xarray")
    assert swebench_api.repo_install_command("pallets/flask") is None
