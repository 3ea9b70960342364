"""A patch's pre- and post-images of the files it touches, without a checkout.

    before, after = images(patch, read_file)

The pre-images come from `read_file` (e.g. `mirrors.show_file` at the base
commit); the post-images from `git apply` on a scratch copy of just those
files, so the patch is read by git itself, never by us.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from swarm.evaluation.diff_files import file_changes
from swarm.evaluation.errors import PatchApplyError


def images(patch: str, read_file: Callable[[str], str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """(path -> text before, path -> text after) for every file of `patch`
    that exists on that side. PatchApplyError when git cannot apply it."""
    before: dict[str, str] = {}
    for change in file_changes(patch):
        if change.old_path is not None:
            text = read_file(change.old_path)
            if text is not None:
                before[change.old_path] = text
    with tempfile.TemporaryDirectory(prefix="swarm-patch-images-") as tmp:
        root = Path(tmp)
        for path, text in before.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(text.encode("utf-8"))
        patch_file = root.parent / f"{root.name}.diff"
        patch_file.write_text(patch if patch.endswith("\n") else patch + "\n", encoding="utf-8")
        try:
            done = subprocess.run(
                ["git", "apply", "--unsafe-paths", str(patch_file)],
                cwd=root,
                capture_output=True,
                text=True,
            )
        finally:
            patch_file.unlink(missing_ok=True)
        if done.returncode != 0:
            raise PatchApplyError(f"the patch does not apply to its pre-images: {done.stderr.strip()[-400:]}")
        after: dict[str, str] = {}
        for change in file_changes(patch):
            if change.new_path is not None and (root / change.new_path).is_file():
                after[change.new_path] = (root / change.new_path).read_bytes().decode("utf-8", "replace")
    return before, after
