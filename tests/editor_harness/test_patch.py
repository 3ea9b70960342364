"""unified_diff: git's own diff of before/after contents, applied back with git apply."""

from __future__ import annotations

import subprocess
from pathlib import Path

from editor_harness.patch import unified_diff
from tests.conftest import git


def test_no_changes_no_patch() -> None:
    assert unified_diff([]) == ""


def test_patch_applies_with_git_apply(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "a.py").write_text("def f():\n    return 1\n")
    (repo / "run.sh").write_text("echo hi")  # no trailing newline
    (repo / "run.sh").chmod(0o755)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    patch = unified_diff(
        [
            ("pkg/a.py", b"def f():\n    return 1\n", b"def f():\n    return 2\n", False),
            ("run.sh", b"echo hi", b"echo bye", True),
        ]
    )
    assert patch.startswith("diff --git a/pkg/a.py b/pkg/a.py\nindex ")
    assert "-    return 1\n+    return 2\n" in patch
    assert "\\ No newline at end of file" in patch
    assert " 100755\n" in patch
    (tmp_path / "p.diff").write_text(patch)
    git(repo, "apply", str(tmp_path / "p.diff"))
    assert (repo / "pkg" / "a.py").read_text() == "def f():\n    return 2\n"
    assert (repo / "run.sh").read_text() == "echo bye"


def test_patch_ignores_user_git_config(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    config = tmp_path / "gitconfig"
    config.write_text("[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n[color]\n\tui = always\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "not-a-repo"))
    patch = unified_diff([("a.txt", b"a\n", b"b\n", False)])
    assert "--- a/a.txt\n+++ b/a.txt\n" in patch and "\x1b[" not in patch


def test_identical_contents_give_empty_patch() -> None:
    assert unified_diff([("a.py", b"x\n", b"x\n", False)]) == ""
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
