"""Diagnostics from the command line, for when a language server cannot run:
`pyright --outputjson` and `cargo check --message-format=json`.

Slower than a warm server (every run starts cold) but independent of it.
The "before" picture of a file comes from the previous run; when there was
none, it is computed once in a scratch copy holding the old text, because
by the time a change is reported the real file already holds the new one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from editor_harness.diagnostics_dependents import DependentFinder
from editor_harness.diagnostics_scratch import scratch_copy
from editor_harness.diagnostics_types import (
    ChangeOutcome,
    Diagnostic,
    DiagnosticsUnavailable,
    outcome_of,
    severity_rank,
)
from lsp.positions import LineIndex, range_to_codepoints

CLI_TIMEOUT = 900.0
_PYRIGHT_SEVERITY = {"error": "error", "warning": "warning", "information": "information"}
_RUSTC_LEVEL = {"error": "error", "warning": "warning", "note": "information", "help": "hint"}


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _read(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def parse_pyright_json(output: str, root: Path) -> dict[str, list[Diagnostic]]:
    """`pyright --outputjson` output -> diagnostics per repo-relative file."""
    try:
        report = json.loads(output)
    except json.JSONDecodeError as exc:
        raise DiagnosticsUnavailable(f"pyright printed no JSON report ({exc}): {output[:300]!r}") from None
    found: dict[str, list[Diagnostic]] = {}
    indexes: dict[str, LineIndex] = {}
    for item in report.get("generalDiagnostics", []):
        rel = _relative(Path(item.get("file", "")), root)
        if rel is None or "range" not in item:
            continue
        index = indexes.get(rel) or indexes.setdefault(rel, LineIndex(_read(root, rel)))
        start, end = item["range"]["start"], item["range"]["end"]
        line, column, end_line, end_column = range_to_codepoints(
            index, (start["line"], start["character"]), (end["line"], end["character"]), "utf-16"
        )
        found.setdefault(rel, []).append(
            Diagnostic(
                path=rel,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                severity=_PYRIGHT_SEVERITY.get(item.get("severity", "error"), "error"),
                message=item.get("message", ""),
                code=item.get("rule"),
                source="pyright",
            )
        )
    return found


def parse_cargo_messages(output: str, root: Path, workspace: Path) -> dict[str, list[Diagnostic]]:
    """`cargo check --message-format=json` output -> diagnostics at their primary spans."""
    found: dict[str, set[Diagnostic]] = {}
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("reason") != "compiler-message":
            continue
        message = record.get("message") or {}
        level = _RUSTC_LEVEL.get(message.get("level", ""))
        primary = next((s for s in message.get("spans", []) if s.get("is_primary")), None)
        if level is None or primary is None:
            continue
        file_name = Path(primary["file_name"])
        rel = _relative(file_name if file_name.is_absolute() else workspace / file_name, root)
        if rel is None:
            continue
        code = (message.get("code") or {}).get("code")
        found.setdefault(rel, set()).add(
            Diagnostic(
                path=rel,
                line=int(primary["line_start"]),
                column=int(primary["column_start"]) - 1,
                end_line=int(primary["line_end"]),
                end_column=int(primary["column_end"]) - 1,
                severity=level,
                message=message.get("message", ""),
                code=code,
                source="rustc",
            )
        )
    return {rel: sorted(items, key=lambda d: (d.line, d.column, d.message)) for rel, items in found.items()}


def pyright_command() -> list[str]:
    for directory in (Path(sys.prefix) / "bin", Path(sys.executable).parent):
        candidate = directory / "pyright"
        if candidate.is_file():
            return [str(candidate)]
    found = shutil.which("pyright")
    if found is None:
        raise DiagnosticsUnavailable("pyright CLI not found; install it with `./scripts/setup`")
    return [found]


def cargo_workspace(root: Path) -> Path:
    """The directory holding the Cargo.toml that governs `root`."""
    for candidate in (root, *root.parents):
        if (candidate / "Cargo.toml").is_file():
            return candidate
    raise DiagnosticsUnavailable(f"{root}: no Cargo.toml here or above; cargo check cannot run")


async def run_tool(command: Sequence[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    async def kill_group(process: trio.Process) -> None:
        # cargo and pyright both spawn helpers; take the whole group down.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    try:
        with trio.fail_after(timeout):
            return await trio.run_process(
                list(command),
                cwd=str(cwd),
                env=env,
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                start_new_session=True,
                deliver_cancel=kill_group,
            )
    except trio.TooSlowError:
        raise DiagnosticsUnavailable(f"{command[0]} did not finish within {timeout:g} s in {cwd}") from None
    except OSError as exc:
        raise DiagnosticsUnavailable(f"cannot run {command[0]}: {exc}") from None


async def pyright_cli(root: Path, files: Sequence[str] | None = None, *, timeout: float = CLI_TIMEOUT) -> dict[str, list[Diagnostic]]:
    """Run `pyright --outputjson` on `files` (repo-relative), or the whole project."""
    env = dict(os.environ, PYRIGHT_PYTHON_IGNORE_WARNINGS="1")
    result = await run_tool([*pyright_command(), "--outputjson", *(files or ())], root, env, timeout)
    # 0: clean, 1: errors found; anything else is pyright failing to run.
    if result.returncode not in (0, 1):
        detail = (result.stderr or result.stdout).decode("utf-8", errors="replace")[-500:]
        raise DiagnosticsUnavailable(f"pyright exited with {result.returncode}: {detail}")
    return parse_pyright_json(result.stdout.decode("utf-8", errors="replace"), root)


async def cargo_check(root: Path, *, timeout: float = CLI_TIMEOUT, target_dir: Path | None = None) -> dict[str, list[Diagnostic]]:
    """Run `cargo check --message-format=json --all-targets` offline."""
    workspace = cargo_workspace(root)
    env = dict(os.environ, CARGO_NET_OFFLINE="true", CARGO_TERM_COLOR="never")
    if target_dir is not None:
        env["CARGO_TARGET_DIR"] = str(target_dir)
    result = await run_tool(
        ["cargo", "check", "--message-format=json", "--all-targets", "--quiet"], workspace, env, timeout
    )
    output = result.stdout.decode("utf-8", errors="replace")
    if result.returncode != 0 and '"reason":"compiler-message"' not in output:
        detail = result.stderr.decode("utf-8", errors="replace")[-800:]
        raise DiagnosticsUnavailable(f"cargo check failed without compiler messages: {detail}")
    return parse_cargo_messages(output, root, workspace)


class CliDiagnostics:
    """The DiagnosticsBackend of a language whose server is unavailable; for
    Rust also the `cargo check` half of the server backend (`reason=None`)."""

    source = "cli-fallback"

    def __init__(
        self,
        language: str,
        root: Path,
        reason: str | None,
        *,
        min_severity: str = "information",
        dependents: DependentFinder | None = None,
    ) -> None:
        if language not in ("python", "rust"):
            raise DiagnosticsUnavailable(f"no command-line checker known for {language!r}")
        self.language = language
        self.root = Path(root).resolve()
        self.note = ""
        if reason is not None:
            self.fall_back(reason)
        self.max_rank = severity_rank(min_severity)
        self.dependents = dependents
        self._known: dict[str, tuple[Diagnostic, ...]] = {}
        self._whole_known = False
        self.scratch_checks = 0  # how often the "before" needed a copy of the tree

    def fall_back(self, reason: str) -> None:
        """From now on this checker stands in for the server, which is gone for `reason`."""
        self.note = f"language server unavailable ({reason}); used the command-line checker"

    def open_text(self, path: str) -> str | None:
        return None

    async def start(self) -> None:
        """Rust: check the crate once now, while the tree is as it was committed
        or left; every later change starts from this picture. (Python files are
        checked when first needed, in a copy if they changed already.)"""
        if self.language == "rust" and not self._whole_known:
            self._known.update(await self._run(self.root, None))
            self._whole_known = True

    def _keep(self, found: dict[str, list[Diagnostic]], files: Sequence[str] | None) -> dict[str, tuple[Diagnostic, ...]]:
        picture: dict[str, tuple[Diagnostic, ...]] = {rel: () for rel in files or ()}
        for rel, items in found.items():
            picture[rel] = tuple(d for d in items if severity_rank(d.severity) <= self.max_rank)
        return picture

    async def _run(self, root: Path, files: Sequence[str] | None) -> dict[str, tuple[Diagnostic, ...]]:
        if self.language == "python":
            return self._keep(await pyright_cli(root, files), files)
        # cargo checks the whole crate whatever we ask; a scratch copy gets its
        # own target dir so it never disturbs the real build's fingerprints.
        target = None if root == self.root else root.parent / "target"
        return self._keep(await cargo_check(root, target_dir=target), None)

    async def current(self, path: str) -> tuple[Diagnostic, ...]:
        picture = await self._run(self.root, [path] if self.language == "python" else None)
        self._known.update(picture)
        self._whole_known = self._whole_known or self.language == "rust"
        return picture.get(path, ())

    async def change(self, path: str, new_text: str, baseline_text: str | None) -> ChangeOutcome:
        notes = [self.note] if self.note else []
        dependents: list[str] = []
        if self.language == "python" and self.dependents is not None:
            dependents, qualified = self.dependents.dependents(path, baseline_text, new_text)
            if qualified > len(dependents):
                notes.append(f"re-checked {len(dependents)} of {qualified} dependent files")
        files = [path, *dependents]
        whole = self.language == "rust"
        before = dict(self._known)
        # A whole-crate run knows every file (a file it does not list is clean);
        # per-file runs know only the files they were given.
        missing = [] if whole else [f for f in files if f not in self._known]
        if (whole and not self._whole_known) or missing:
            # No earlier run covers these files: check the old text in a copy.
            overrides = {path: baseline_text} if baseline_text is not None else {}
            with scratch_copy(self.root, overrides) as copy:
                before.update(await self._run(copy, None if whole else missing))
            self.scratch_checks += 1
            notes.append("the earlier state was checked in a scratch copy")
        after = await self._run(self.root, None if whole else files)
        outcome = outcome_of(
            before,
            after,
            changed=path,
            old_text=baseline_text,
            text_of=lambda rel: _read(self.root, rel),
            checked=files,
            notes=notes,
            whole_workspace=whole,
        )
        self._known.update(outcome.after)
        self._whole_known = self._whole_known or whole
        return outcome
