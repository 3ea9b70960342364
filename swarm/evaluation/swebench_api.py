"""The one door to the `swebench` package (4.1.x, the `bench` extra).

We reuse swebench's per-repo/per-version specs, test directives, log parsers
and grading rules instead of rewriting them, and call only functions that
work offline (never `make_test_spec`, which downloads requirements files).

Importing swebench is heavy (datasets, pandas, docker: ~2-3 s) and runs
`load_dotenv()`, which would copy a `.env` file found above the install into
`os.environ`; so it is imported lazily, once per process, with .env loading
switched off for the duration of the import.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, cast

from swarm.evaluation.errors import EvaluationError, SpecError

START_TEST_OUTPUT = ">>>>> Start Test Output"
END_TEST_OUTPUT = ">>>>> End Test Output"
APPLY_PATCH_FAIL = ">>>>> Patch Apply Failed"
APPLY_PATCH_PASS = ">>>>> Applied Patch"

# Resolution labels, as swebench's `ResolvedStatus` values.
RESOLVED_FULL = "RESOLVED_FULL"
RESOLVED_PARTIAL = "RESOLVED_PARTIAL"
RESOLVED_NO = "RESOLVED_NO"

LogParser = Callable[[str, Any], dict[str, str]]


@functools.cache
def _modules() -> SimpleNamespace:
    saved = os.environ.get("PYTHON_DOTENV_DISABLED")
    os.environ["PYTHON_DOTENV_DISABLED"] = "1"
    try:
        from swebench.harness import constants, grading, log_parsers, utils
        from swebench.harness.log_parsers import python as python_parsers
        from swebench.harness.test_spec import python as test_spec_python
    except ImportError as exc:
        raise EvaluationError(
            f"swebench is not installed ({exc}); install the bench extra: "
            "pip install -e '.[bench]'"
        ) from None
    finally:
        if saved is None:
            os.environ.pop("PYTHON_DOTENV_DISABLED", None)
        else:
            os.environ["PYTHON_DOTENV_DISABLED"] = saved
    assert constants.START_TEST_OUTPUT == START_TEST_OUTPUT
    return SimpleNamespace(
        constants=constants,
        grading=grading,
        log_parsers=log_parsers,
        python_parsers=python_parsers,
        test_spec_python=test_spec_python,
        utils=utils,
    )


def load() -> None:
    """Import swebench now (it is otherwise imported on first use)."""
    _modules()


def repo_specs(repo: str) -> Mapping[str, Mapping[str, Any]] | None:
    """swebench's specs of `repo`, keyed by version; None for a repo it does not know."""
    return _modules().constants.MAP_REPO_VERSION_TO_SPECS.get(repo)


def requirements_paths(repo: str) -> tuple[str, ...]:
    """Where `repo` keeps the requirements file its specs refer to."""
    return tuple(_modules().constants.MAP_REPO_TO_REQS_PATHS.get(repo, ()))


def environment_yml_paths(repo: str) -> tuple[str, ...]:
    return tuple(_modules().constants.MAP_REPO_TO_ENV_YML_PATHS.get(repo, ()))


def repo_install_command(repo: str) -> str | None:
    """A repo-wide install step swebench runs before the per-version ones."""
    return _modules().constants.MAP_REPO_TO_INSTALL.get(repo)


def clean_requirements(text: str) -> str:
    """swebench's replacements for packages yanked from PyPI."""
    return _modules().test_spec_python.clean_requirements(text)


def directives(instance: Mapping[str, Any]) -> list[str]:
    """The test files (or django modules) to run: those the test patch touches."""
    return list(_modules().test_spec_python.get_test_directives(instance))


def modified_files(patch: str) -> list[str]:
    """Files a patch changes that exist before it (what to reset before re-applying)."""
    return list(_modules().utils.get_modified_files(patch))


def parser_for_repo(repo: str) -> LogParser | None:
    return _modules().log_parsers.MAP_REPO_TO_PARSER.get(repo)


def parser_named(name: str) -> LogParser:
    """A swebench Python log parser by function name, e.g. `parse_log_pytest`."""
    parser = getattr(_modules().python_parsers, name, None)
    if not name.startswith("parse_log_") or not callable(parser):
        known = sorted(n for n in dir(_modules().python_parsers) if n.startswith("parse_log_"))
        raise SpecError(f"unknown log parser {name!r}; swebench has: {', '.join(known)}")
    return cast(LogParser, parser)


def parse_status_map(log: str, parser: LogParser) -> dict[str, str]:
    """Test id -> status from a test log, reading between the start/end markers
    first and the whole log if that holds nothing (as swebench's get_logs_eval)."""
    section = log
    if START_TEST_OUTPUT in log and END_TEST_OUTPUT in log:
        section = log.split(START_TEST_OUTPUT, 1)[1].split(END_TEST_OUTPUT, 1)[0]
    # The Python parsers ignore their test_spec argument.
    status = parser(section, None)
    return status or parser(log, None)


def grade(
    repo: str,
    instance_id: str,
    fail_to_pass: Sequence[str],
    pass_to_pass: Sequence[str],
    status_map: Mapping[str, str],
) -> tuple[dict[str, dict[str, list[str]]], str]:
    """swebench's tests report (FAIL_TO_PASS / PASS_TO_PASS success and failure
    lists) and resolution label for one instance."""
    m = _modules()
    eval_type = (
        m.constants.EvalType.FAIL_ONLY
        if repo in m.constants.FAIL_ONLY_REPOS
        else m.constants.EvalType.PASS_AND_FAIL
    )
    gold = {
        "instance_id": instance_id,
        "FAIL_TO_PASS": list(fail_to_pass),
        "PASS_TO_PASS": list(pass_to_pass),
    }
    report = m.grading.get_eval_tests_report(dict(status_map), gold, eval_type=eval_type)
    return report, m.grading.get_resolution_status(report)
