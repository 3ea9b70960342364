"""Applying patches to a checkout the way SWE-bench's harness does: `git
apply`, then `git apply --reject`, then `patch --fuzz=5`; the test patch goes
on after the test files it touches are reset to the base commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from swarm.evaluation import swebench_api
from swarm.evaluation.errors import PatchApplyError

APPLY_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("git", "apply", "--verbose"),
    ("git", "apply", "--verbose", "--reject"),
    ("patch", "--batch", "--fuzz=5", "-p1", "-i"),
)


def _append(log: Path, text: str) -> None:
    with open(log, "a", encoding="utf-8") as out:
        out.write(text if text.endswith("\n") else text + "\n")


def apply_patch(checkout: Path, patch: str, log: Path, *, name: str = "patch") -> str:
    """Apply `patch` (a unified diff) in `checkout`; returns the command that
    worked. Raises PatchApplyError, with every attempt's output in `log`."""
    if not patch.strip():
        _append(log, f"{swebench_api.APPLY_PATCH_PASS} ({name} is empty: nothing to apply)")
        return "empty"
    patch_file = checkout.parent / f".{checkout.name}.{name}.diff"
    # git apply needs the final newline a JSON round trip sometimes drops.
    patch_file.write_text(patch if patch.endswith("\n") else patch + "\n", encoding="utf-8")
    try:
        for command in APPLY_COMMANDS:
            done = subprocess.run(
                [*command, str(patch_file)],
                cwd=checkout,
                capture_output=True,
                text=True,
                errors="replace",
            )
            if done.returncode == 0:
                _append(log, f"{swebench_api.APPLY_PATCH_PASS} ({name}, {' '.join(command)}):\n{done.stdout}{done.stderr}")
                return " ".join(command)
            _append(log, f"failed to apply {name} with {' '.join(command)}:\n{done.stdout}{done.stderr}")
            # A failed `--reject` or `patch` run can leave partial hunks behind.
            _restore(checkout)
    finally:
        patch_file.unlink(missing_ok=True)
    _append(log, f"{swebench_api.APPLY_PATCH_FAIL} ({name})")
    raise PatchApplyError(f"the {name} does not apply to the checkout (see {log})")


def _restore(checkout: Path) -> None:
    subprocess.run(["git", "checkout", "--quiet", "--", "."], cwd=checkout, capture_output=True)
    subprocess.run(["git", "clean", "-fdq", "--exclude", "*.egg-info"], cwd=checkout, capture_output=True)


def reset_files(checkout: Path, commit: str, paths: list[str], log: Path) -> None:
    """Put `paths` back as they are at `commit` (files the commit lacks are left alone)."""
    for path in paths:
        done = subprocess.run(
            ["git", "checkout", commit, "--", path], cwd=checkout, capture_output=True, text=True
        )
        if done.returncode != 0:
            _append(log, f"reset of {path} skipped: {done.stderr.strip()}")


def apply_test_patch(checkout: Path, commit: str, test_patch: str, log: Path) -> None:
    reset_files(checkout, commit, swebench_api.modified_files(test_patch), log)
    apply_patch(checkout, test_patch, log, name="test patch")


def diff(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "core.fileMode=false", "diff"], cwd=checkout, capture_output=True, text=True, errors="replace"
    )
    return done.stdout
