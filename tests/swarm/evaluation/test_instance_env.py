from __future__ import annotations

from pathlib import Path

from swarm.evaluation.instance_env import CWD_FIRST_PTH, add_cwd_first, commit_generated_sources, generated_sources
from tests.conftest import git


def test_generated_sources_are_committed_and_build_output_is_not(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / "src" / "pkg" / "__init__.py").write_text("")
    (repo / ".gitignore").write_text("src/pkg/_version.py\nbuild/\n*.egg-info/\n__pycache__/\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    # What an install leaves behind.
    (repo / "src" / "pkg" / "_version.py").write_text("version = '1.0'\n")
    (repo / "build" / "lib").mkdir(parents=True)
    (repo / "build" / "lib" / "copy.py").write_text("")
    (repo / "src" / "pkg.egg-info").mkdir()
    (repo / "src" / "pkg.egg-info" / "x.py").write_text("")
    assert generated_sources(repo) == ["src/pkg/_version.py"]
    assert commit_generated_sources(repo) == ["src/pkg/_version.py"]
    assert "src/pkg/_version.py" in git(repo, "show", "--name-only", "HEAD")
    assert git(repo, "status", "--porcelain") == ""
    assert commit_generated_sources(repo) == []


def test_the_cwd_src_line(tmp_path: Path) -> None:
    line = add_cwd_first(tmp_path).read_text()
    assert (tmp_path / CWD_FIRST_PTH).is_file() and line.startswith("import os, sys;")
