"""Shared fixtures: the bundled examples copied into fresh git repos."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_NAME": "test",
            "GIT_AUTHOR_EMAIL": "test@example.invalid",
            "GIT_COMMITTER_NAME": "test",
            "GIT_COMMITTER_EMAIL": "test@example.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin:/usr/local/bin",
        },
    )
    return result.stdout


def make_repo(tmp_path: Path, example: str) -> Path:
    """A real git repo holding a copy of one bundled example, committed once."""
    repo = tmp_path / example
    shutil.copytree(
        EXAMPLES / example,
        repo,
        ignore=shutil.ignore_patterns("target", "__pycache__", ".pytest_cache", ".swarm"),
    )
    return _commit(repo)


def files_repo(repo: Path, files: Mapping[str, str]) -> Path:
    """A real git repo at `repo` holding `files` (path -> text), committed once."""
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return _commit(repo)


def _commit(repo: Path) -> Path:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


@pytest.fixture
def python_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, "python_shop")


@pytest.fixture
def rust_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, "rust_ledger")


@pytest.fixture
def anyio_backend() -> str:
    return "trio"
