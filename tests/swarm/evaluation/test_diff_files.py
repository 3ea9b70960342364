from __future__ import annotations

from pathlib import Path

from swarm.evaluation.diff_files import FileStatus, file_changes
from tests.conftest import git


def _git_diff(tmp_path: Path, before: dict[str, str], after: dict[str, str | None], *extra: str) -> str:
    repo = tmp_path / "repo"
    repo.mkdir()
    for rel, text in before.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    for rel, text in after.items():
        if text is None:
            (repo / rel).unlink()
        else:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text)
    git(repo, "add", "-A")
    return git(repo, "diff", "--cached", "--no-color", *extra)


def test_modified_added_deleted_files_from_a_real_git_diff(tmp_path: Path) -> None:
    patch = _git_diff(
        tmp_path,
        {"a.py": "x = 1\n", "pkg/gone.py": "y = 2\n"},
        {"a.py": "x = 2\n", "pkg/new.py": "z = 3\n", "pkg/gone.py": None},
    )
    changes = {c.path: c for c in file_changes(patch)}
    assert changes["a.py"].status is FileStatus.MODIFIED
    assert changes["pkg/new.py"].status is FileStatus.ADDED and changes["pkg/new.py"].old_path is None
    assert changes["pkg/gone.py"].status is FileStatus.DELETED and changes["pkg/gone.py"].new_path is None


def test_a_rename_keeps_both_paths(tmp_path: Path) -> None:
    body = "".join(f"line {n}\n" for n in range(30))
    patch = _git_diff(tmp_path, {"old.py": body}, {"old.py": None, "new.py": body + "more\n"}, "-M")
    [change] = file_changes(patch)
    assert (change.old_path, change.new_path, change.status) == ("old.py", "new.py", FileStatus.RENAMED)


def test_hunk_lines_that_look_like_headers_are_not_files(tmp_path: Path) -> None:
    patch = _git_diff(tmp_path, {"q.sql": "-- old comment\nselect 1;\n"}, {"q.sql": "++ new\nselect 1;\n"})
    assert [c.path for c in file_changes(patch)] == ["q.sql"]


def test_plain_diffs_without_git_headers() -> None:
    patch = (
        "--- a/one.py\n+++ b/one.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"
        "--- a/two.py\t2020-01-01\n+++ b/two.py\t2020-01-02\n@@ -1 +1 @@\n-b = 1\n+b = 2\n"
    )
    assert [(c.path, c.status) for c in file_changes(patch)] == [
        ("one.py", FileStatus.MODIFIED),
        ("two.py", FileStatus.MODIFIED),
    ]


def test_an_empty_patch_touches_nothing() -> None:
    assert file_changes("") == []
