"""The committed text of a file: the "before" of a file the checker has not
seen yet (the working tree may already hold a change not reported so far)."""

from __future__ import annotations

from pathlib import Path

import trio


async def committed_text(root: Path, rel: str) -> str | None:
    """`rel` as of git HEAD, or None (not a git repo, untracked, unreadable)."""
    try:
        result = await trio.run_process(
            ["git", "show", f"HEAD:./{rel}"],
            cwd=str(root),
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")
