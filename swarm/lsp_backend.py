"""The swarm behind `swarm lsp`: lsp.backend.Backend over `run_swarm`.

    backend = SwarmBackend(repo, config)
    outcome = await backend.fix_issue(issue_text, editor)       # editor: lsp.backend.EditorSide

A command is one `run_swarm` with the editor as the proxy user
(swarm.proxy.editor.EditorProxy): every proposal is a prompt in the editor,
every event a line of progress. The swarm works in its own worktree and
never writes the user's files: once the run is accepted, its patch comes
back as whole-symbol edits on the user's *current* text (the editor's
buffer for open files, else the disk; swarm.patch_edits), and the shell
applies them with `workspace/applyEdit`, so buffers and undo stay right. A
change where the user edited the same symbol meanwhile is refused, and the
patch file is named instead. One command runs at a time; `cancel` ends it
(the run stays resumable with `swarm run --resume`).
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import trio

from lsp.backend import BackendError, EditorSide, FileChange, Lens, LineEdit, Outcome, Problem, SourcePosition
from swarm.config import SwarmConfig
from swarm.errors import SwarmError
from swarm.patch_edits import StaleText, file_edits
from swarm.protocols import ApprovalRequest, Model, Verdict
from swarm.proxy.editor import EditorProxy
from swarm.proxy.settings import ProxySettings
from swarm.run import RunEvent, RunOutcome, RunRequest, run_swarm
from swarm.runner.checkout import git
from swarm.runlog import RunLog, runlog_path
from symbols.errors import SymbolsError
from symbols.scope import scope_source

GRAPH_COMMAND = "swarm.showGraph"
_SEVERITIES = ("error", "warning", "information", "hint")


@dataclass(slots=True)
class _Activity:
    """What the runs did to one symbol, for its code lens."""

    run_id: str
    proposals: int = 0
    approved: int = 0
    rejected: int = 0


@dataclass(slots=True)
class _RunTrack:
    """Live bookkeeping of the current run, fed by its events and verdicts."""

    run_id: str = ""
    symbol_of: dict[str, str] = field(default_factory=dict)   # proposal id -> symbol id
    problems: dict[str, list[Problem]] = field(default_factory=dict)


class _RecordingProxy:
    """The editor proxy, remembering what each approved proposal introduced (for diagnostics)."""

    def __init__(self, inner: EditorProxy, on_verdict: Callable[[ApprovalRequest, Verdict], None]) -> None:
        self.inner = inner
        self.on_verdict = on_verdict

    @property
    def name(self) -> str:
        return self.inner.name

    async def decide(self, request: ApprovalRequest) -> Verdict:
        verdict = await self.inner.decide(request)
        self.on_verdict(request, verdict)
        return verdict


class SwarmBackend:
    """One repository served to one editor. See the module doc.

    `model_factory` (role -> Model) replaces the models `config` names (the
    scripted model in tests). `language_servers` False skips pyright /
    rust-analyzer in the check pipeline.
    """

    def __init__(
        self,
        repo: Path,
        config: SwarmConfig,
        *,
        runlog: Path | None = None,
        interpreter: Path | None = None,
        model_factory: Callable[[str], Model] | None = None,
        language_servers: bool = True,
    ) -> None:
        self.repo = Path(repo).resolve()
        self.config = config
        self.runlog = runlog
        self.interpreter = interpreter
        self.model_factory = model_factory
        self.language_servers = language_servers
        self._scratch: Path | None = None
        self._scope: trio.CancelScope | None = None
        self._track = _RunTrack()
        self._activity: dict[str, _Activity] = {}
        self._problems: dict[Path, list[Problem]] = {}
        self.last_run: str | None = None

    # -- the Backend protocol ------------------------------------------------

    async def fix_issue(self, issue: str, editor: EditorSide) -> Outcome:
        if not issue.strip():
            raise BackendError("swarm.fixIssue needs the issue text as its first argument")
        return await self._run(issue, None, editor)

    async def rewrite_symbol(self, position: SourcePosition, instruction: str, editor: EditorSide) -> Outcome:
        if not instruction.strip():
            raise BackendError("swarm.rewriteSymbol needs an instruction: what should change in that symbol")
        symbol_id = self.symbol_at(position, editor)
        issue = f"{instruction.strip()}\n\n(Asked in the editor for {symbol_id}.)"
        return await self._run(issue, symbol_id, editor)

    async def graph_path(self, run_id: str | None) -> Path:
        from swarm.cli.graph import render

        with self._open_log() as log:
            try:
                resolved = log.resolve_run(run_id or self.last_run or "last")
            except SwarmError as exc:
                raise BackendError(str(exc)) from None
            html = render(log, resolved, "html")
        path = self.scratch / "graphs" / f"{resolved}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        return path

    def cancel(self) -> bool:
        if self._scope is None:
            return False
        self._scope.cancel()
        return True

    def lenses(self, path: Path, text: str) -> Sequence[Lens]:
        rel = self._relative(path)
        if rel is None or not self._activity:
            return ()
        try:
            scoped = scope_source(rel, text.encode("utf-8"))
        except SymbolsError:
            return ()
        lenses: list[Lens] = []
        for symbol in scoped.symbols:
            seen = self._activity.get(symbol.id)
            if seen is None:
                continue
            title = (f"swarm: {seen.proposals} proposal(s), {seen.approved} approved, {seen.rejected} rejected"
                     f" · run {seen.run_id}")
            lenses.append(Lens(path, symbol.start_line, title, GRAPH_COMMAND, (seen.run_id,)))
        return lenses

    def diagnostics(self, path: Path) -> Sequence[Problem]:
        return tuple(self._problems.get(Path(path).resolve(), ()))

    async def aclose(self) -> None:
        self.cancel()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    # -- helpers -------------------------------------------------------------

    @property
    def scratch(self) -> Path:
        """A private temporary folder (diffs shown to the user, graph pages), removed by aclose."""
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="swarm-lsp-"))
        return self._scratch

    def _open_log(self) -> RunLog:
        return RunLog.open(self.runlog or runlog_path(self._toplevel()))

    def _toplevel(self) -> Path:
        for folder in (self.repo, *self.repo.parents):
            if (folder / ".git").exists():
                return folder
        return self.repo

    def _relative(self, path: Path) -> str | None:
        try:
            return Path(path).resolve().relative_to(self.repo).as_posix()
        except ValueError:
            return None

    def _text(self, path: Path, editor: EditorSide) -> str | None:
        held = editor.current_text(path)
        if held is not None:
            return held
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def symbol_at(self, position: SourcePosition, editor: EditorSide) -> str:
        """The id of the innermost symbol at `position` (BackendError when there is none)."""
        path = Path(position.path).resolve()
        rel = self._relative(path)
        if rel is None:
            raise BackendError(f"{path} is outside the repository {self.repo} that `swarm lsp` serves")
        text = self._text(path, editor)
        if text is None:
            raise BackendError(f"{path} does not exist")
        on_disk = path.read_text(encoding="utf-8") if path.exists() else None
        if on_disk != text:
            raise BackendError(f"{rel} has unsaved changes: save it first (the swarm starts from the files on disk)")
        try:
            scoped = scope_source(rel, text.encode("utf-8"))
        except SymbolsError as exc:
            raise BackendError(f"{rel}: {exc}") from None
        line_count = max(len(text.splitlines()), 1)
        if not 1 <= position.line <= line_count:
            raise BackendError(f"{rel} has {line_count} line(s): line {position.line} is not in it")
        holders = [s for s in scoped.symbols if not s.is_module and s.start_line <= position.line <= s.end_line]
        if not holders:
            raise BackendError(f"{rel}:{position.line} is not inside a function, method or class: "
                               "put the cursor in the symbol to rewrite, or use swarm.fixIssue")
        return min(holders, key=lambda s: s.end_line - s.start_line).id

    async def _run(self, issue: str, focus: str | None, editor: EditorSide) -> Outcome:
        if self._scope is not None:
            raise BackendError("a swarm run is already in progress in this editor: wait for it or send swarm.cancel")
        track = self._track = _RunTrack()
        self._problems = {}
        send, receive = trio.open_memory_channel[RunEvent](math.inf)

        def on_event(event: RunEvent) -> None:
            self._note(event)
            send.send_nowait(event)

        proxy = _RecordingProxy(
            EditorProxy(editor.ask, lambda path: editor.show(path), diff_dir=self.scratch / "diffs",
                        settings=ProxySettings.from_config(self.config)),
            self._on_verdict,
        )
        request = RunRequest(
            repo=self.repo, issue=issue, config=self.config, proxy="editor", runlog=self.runlog, focus=focus,
            interpreter=self.interpreter, language_servers=self.language_servers,
        )
        outcome: RunOutcome | None = None
        with trio.CancelScope() as scope:
            self._scope = scope
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(self._forward, receive, editor)
                    try:
                        outcome = await run_swarm(request, proxy=proxy, on_event=on_event, model_factory=self.model_factory)
                    except SwarmError as exc:
                        raise BackendError(str(exc)) from None
                    finally:
                        send.close()
            finally:
                self._scope = None
        if track.run_id:
            self.last_run = track.run_id
        if outcome is None:
            return Outcome(False, f"swarm run {track.run_id} was cancelled; resume it from a terminal with "
                           f"`swarm run --resume {track.run_id}`", run_id=track.run_id)
        return await self._finish(outcome, editor)

    async def _forward(self, events: trio.MemoryReceiveChannel[RunEvent], editor: EditorSide) -> None:
        async with events:
            async for event in events:
                await editor.report(event.text)

    def _note(self, event: RunEvent) -> None:
        """Activity per symbol, from the run's events."""
        track, data = self._track, event.data
        track.run_id = event.run_id
        if event.kind == "proposal" and data.get("symbol_id"):
            symbol_id = str(data["symbol_id"])
            track.symbol_of[str(data.get("proposal_id", ""))] = symbol_id
            seen = self._activity.get(symbol_id)
            if seen is None or seen.run_id != event.run_id:
                seen = self._activity[symbol_id] = _Activity(event.run_id)
            seen.proposals += 1
        elif event.kind == "verdict" and not data.get("final"):
            symbol_id = track.symbol_of.get(str(data.get("proposal_id", "")))
            seen = self._activity.get(symbol_id or "")
            if seen is not None and seen.run_id == event.run_id:
                if data.get("approved"):
                    seen.approved += 1
                else:
                    seen.rejected += 1

    def _on_verdict(self, request: ApprovalRequest, verdict: Verdict) -> None:
        """Keep the diagnostics an approved proposal introduced, for the user's files."""
        if not verdict.approved or request.final or request.report.delta is None:
            return
        for found in request.report.delta.introduced:
            severity = found.severity if found.severity in _SEVERITIES else "warning"
            problem = Problem(
                path=(self.repo / found.path).resolve(), line=found.line, column=found.column + 1,
                end_line=found.end_line, end_column=found.end_column + 1, severity=severity,
                message=found.message, source=f"swarm ({found.source})", code=found.code,
            )
            self._track.problems.setdefault(found.path, []).append(problem)

    async def _finish(self, outcome: RunOutcome, editor: EditorSide) -> Outcome:
        details: dict[str, object] = {"run_id": outcome.run_id, "status": outcome.status, "reason": outcome.reason,
                                      "patch_path": str(outcome.patch_path) if outcome.patch_path else None}
        if outcome.status != "accepted":
            return Outcome(False, f"swarm run {outcome.run_id} {outcome.status}: {outcome.reason}",
                           run_id=outcome.run_id, details=details)
        try:
            changes = await self.changes_for(outcome, editor)
        except (StaleText, BackendError) as exc:
            where = f" The run's patch is {outcome.patch_path}." if outcome.patch_path else ""
            return Outcome(False, f"swarm run {outcome.run_id} was accepted but not applied: {exc}.{where}",
                           run_id=outcome.run_id, details=details)
        for rel, problems in self._track.problems.items():
            self._problems[(self.repo / rel).resolve()] = problems
        files = ", ".join(self._relative(c.path) or str(c.path) for c in changes)
        return Outcome(True, f"swarm run {outcome.run_id} accepted: {files or 'no changes'}", changes=changes,
                       run_id=outcome.run_id, details={**details, "files": [str(c.path) for c in changes]})

    async def changes_for(self, outcome: RunOutcome, editor: EditorSide) -> tuple[FileChange, ...]:
        """The run's patch as edits on the user's current texts (StaleText where they moved on)."""
        changes: list[FileChange] = []
        for rel, kind in patch_files(outcome.patch):
            user_path = self.repo / rel
            if kind == "deleted":
                raise BackendError(f"the run deletes {rel}: apply its patch by hand")
            new_text = (outcome.worktree / rel).read_text(encoding="utf-8")
            current = self._text(user_path, editor)
            if kind == "new":
                if current is None:
                    changes.append(FileChange(user_path, (LineEdit(1, 0, new_text),), create=True))
                elif current != new_text:
                    raise StaleText(f"the run creates {rel}, but you have a different file there")
                continue
            if current is None:
                raise StaleText(f"{rel} is gone from your tree")
            base = await git(self.repo, "show", f"{outcome.base_commit}:./{rel}")
            edits = file_edits(rel, base, new_text, current)
            if edits:
                changes.append(FileChange(user_path, edits))
        return tuple(changes)


_DIFF_HEADER = re.compile(r"^diff --git a/(.+) b/(.+)$")


def patch_files(patch: str) -> list[tuple[str, str]]:
    """(path, "new" | "deleted" | "changed") for each file of a git patch, in order. Pure."""
    files: list[tuple[str, str]] = []
    for line in patch.splitlines():
        header = _DIFF_HEADER.match(line)
        if header:
            files.append((header.group(2), "changed"))
        elif files and line.startswith("new file mode"):
            files[-1] = (files[-1][0], "new")
        elif files and line.startswith("deleted file mode"):
            files[-1] = (files[-1][0], "deleted")
    return files
