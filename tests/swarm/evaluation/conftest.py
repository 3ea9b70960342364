"""Tiny SWE-bench instances made in temp dirs: a real git repo (the
"mirror") holding a small package with a bug, a gold patch fixing it, a
test patch adding the test that shows it, graded offline in real
virtualenvs built from a wheelhouse repacked from this test venv."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from swarm.evaluation.environments import PipOptions
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instances import Instance, parse_instance
from tests.conftest import git
from tests.swarm.evaluation.wheelhouse import build_wheelhouse

REPO = "acme/tiny"

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "tiny"
version = "0.1.0"

[tool.setuptools]
packages = ["tiny"]
"""

BUGGY = """\
def add(a, b):
    return a - b


def zero():
    return 0
"""

FIXED = BUGGY.replace("return a - b", "return a + b")

EXISTING_TESTS = """\
from tiny import zero


def test_zero():
    assert zero() == 0
"""

NEW_TEST = """

def test_add():
    from tiny import add

    assert add(2, 3) == 5
"""


@dataclass(frozen=True)
class TinyRepo:
    mirrors: Path
    repo: str
    base_commit: str
    path: Path

    def diff(self, changes: dict[str, str]) -> str:
        """The unified diff that turns the base commit into `changes` (path -> text)."""
        for rel, text in changes.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git(self.path, "add", "-A")
        patch = git(self.path, "diff", "--cached", "--no-color")
        git(self.path, "reset", "-q", "--hard", self.base_commit)
        git(self.path, "clean", "-fdq")
        return patch

    def instance(
        self,
        instance_id: str,
        *,
        test_changes: dict[str, str] | None = None,
        fail_to_pass: list[str] | None = None,
        pass_to_pass: list[str] | None = None,
        version: str = "1.0",
        gold: dict[str, str] | None = None,
    ) -> Instance:
        test_changes = test_changes or {"tests/test_tiny.py": EXISTING_TESTS + NEW_TEST}
        record = {
            "instance_id": instance_id,
            "repo": self.repo,
            "base_commit": self.base_commit,
            "environment_setup_commit": self.base_commit,
            "version": version,
            "patch": self.diff(gold or {"tiny/__init__.py": FIXED}),
            "test_patch": self.diff(test_changes),
            "FAIL_TO_PASS": json.dumps(fail_to_pass or ["tests/test_tiny.py::test_add"]),
            "PASS_TO_PASS": pass_to_pass if pass_to_pass is not None else ["tests/test_tiny.py::test_zero"],
            "problem_statement": "add() subtracts",
        }
        return parse_instance(record, instance_id)


def make_tiny_repo(root: Path, repo: str = REPO, files: dict[str, str] | None = None) -> TinyRepo:
    """A git repo at `root/mirrors/owner+name` with the buggy package committed."""
    mirrors = root / "mirrors"
    path = mirrors / repo.replace("/", "+")
    contents = {
        "pyproject.toml": PYPROJECT,
        "tiny/__init__.py": BUGGY,
        "tests/test_tiny.py": EXISTING_TESTS,
        **(files or {}),
    }
    for rel, text in contents.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "tiny package with a bug")
    return TinyRepo(mirrors, repo, git(path, "rev-parse", "HEAD").strip(), path)


@pytest.fixture
def tiny(tmp_path: Path) -> TinyRepo:
    return make_tiny_repo(tmp_path)


# Fixed names under the session's base temp dir, so test modules elsewhere
# (tests/swarm/cli) that import these fixtures share the same directories.


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "swarm-eval-wheelhouse"
    if not path.is_dir():
        build_wheelhouse(path)
    return path


@pytest.fixture(scope="session")
def env_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment cache for the session: the tiny environment is built
    once and then served from the cache, as in real use."""
    path = tmp_path_factory.getbasetemp() / "swarm-eval-envs"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def offline_pip(wheelhouse: Path) -> PipOptions:
    return PipOptions(find_links=(str(wheelhouse),), no_index=True)


@pytest.fixture
def settings(tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions, tmp_path: Path) -> GradeSettings:
    return GradeSettings(
        mirrors=tiny.mirrors,
        cache_dir=env_cache,
        log_dir=tmp_path / "logs",
        test_timeout=300,
        install_timeout=600,
        pip=offline_pip,
    )


def freeze(python: Path) -> str:
    return subprocess.run(
        [str(python), "-m", "pip", "freeze", "--all"], capture_output=True, text=True, check=True
    ).stdout
