"""The files a unified git diff touches, read from its headers alone.

    for change in file_changes(patch): change.path, change.status

Only what the headers say: `diff --git a/X b/Y`, `--- /dev/null` (a new
file), `+++ /dev/null` (a deleted one), `rename from/to`. Applying a patch
is git's job (see `patches.py` and `candidates.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_GIT_HEADER = re.compile(r"^diff --git a/(?P<old>.+?) b/(?P<new>.+)$")


class FileStatus(StrEnum):
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    RENAMED = "renamed"


@dataclass(frozen=True, slots=True)
class FileChange:
    old_path: str | None  # None for an added file
    new_path: str | None  # None for a deleted file
    status: FileStatus

    @property
    def path(self) -> str:
        """The file's path after the change (before it, for a deletion)."""
        return self.new_path or self.old_path or ""


def _strip(path: str) -> str | None:
    path = path.strip().split("\t", 1)[0]
    if path == "/dev/null":
        return None
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    return path[2:] if path.startswith(("a/", "b/")) else path


def file_changes(patch: str) -> list[FileChange]:
    """Every file of `patch`, in order. Plain `---`/`+++` diffs (no git header) work too."""
    changes: list[FileChange] = []
    old: str | None = None
    new: str | None = None
    status: FileStatus | None = None
    open_block = False
    seen_paths = False  # this block already had its ---/+++ pair
    git_block = False

    def close() -> None:
        if open_block and (old is not None or new is not None):
            if status is not None:
                kind = status
            elif old is None:
                kind = FileStatus.ADDED
            elif new is None:
                kind = FileStatus.DELETED
            elif old != new:
                kind = FileStatus.RENAMED
            else:
                kind = FileStatus.MODIFIED
            changes.append(FileChange(old, new, kind))

    lines = patch.splitlines()
    for number, line in enumerate(lines):
        header = _GIT_HEADER.match(line)
        if header:
            close()
            old, new, status, open_block, seen_paths, git_block = header["old"], header["new"], None, True, False, True
        elif line.startswith("new file mode"):
            old, status = None, FileStatus.ADDED
        elif line.startswith("deleted file mode"):
            new, status = None, FileStatus.DELETED
        elif line.startswith("rename from "):
            old = line[len("rename from ") :]
        elif line.startswith("rename to "):
            new, status = line[len("rename to ") :], FileStatus.RENAMED
        elif line.startswith("--- ") and number + 1 < len(lines) and lines[number + 1].startswith("+++ "):
            if seen_paths and git_block:
                continue  # hunk lines that happen to read `--- `/`+++ `
            if seen_paths:  # a plain diff's next file
                close()
                status = None
            open_block, seen_paths = True, True
            old = _strip(line[4:])
            new = _strip(lines[number + 1][4:])
    close()
    return changes
