"""The `editor` policy: the person at an LSP editor decides.

    proxy = EditorProxy(ask, show, diff_dir=folder)
    verdict = await proxy.decide(request)

Each proposal becomes one prompt (`window/showMessageRequest` in the LSP
shell) with the actions Approve / Reject / Show diff: the prompt says what
changes and why, the check stages, and what the automatic rules think.
"Show diff" writes the diff to a `.diff` file in `diff_dir`, opens it in the
editor (`window/showDocument`), and asks again. A dismissed prompt is a
rejection. `ask` and `show` are the shell's coroutines (see
lsp.backend.EditorSide); this policy is built by the LSP backend only.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from swarm.protocols import ApprovalRequest, Verdict
from swarm.proxy.auto import assess
from swarm.proxy.settings import ProxySettings

POLICY = "editor"
APPROVE, REJECT, SHOW_DIFF = "Approve", "Reject", "Show diff"
ACTIONS = (APPROVE, REJECT, SHOW_DIFF)
# A prompt is one notification bubble: keep the rationale and rules short.
_RATIONALE_CHARS = 240
_RULES_CHARS = 300

Ask = Callable[[str, Sequence[str]], Awaitable["str | None"]]
Show = Callable[[Path], Awaitable[bool]]


def prompt_text(request: ApprovalRequest, settings: ProxySettings | None = None) -> str:
    """The prompt for one request: what, why, the checks, the rules' view. Pure."""
    report = request.report
    stages = ", ".join(f"{stage.name} {stage.status.value}" for stage in (report.syntax, report.diagnostics, report.tests))
    rules = _short(assess(request, settings).reason(), _RULES_CHARS)
    if request.final:
        files = sorted(set(re.findall(r"^\+\+\+ b/(.+)$", request.diff, flags=re.MULTILINE)))
        head = f"swarm run {request.run_id}: accept the whole patch ({len(files)} file(s): {', '.join(files)})?"
    else:
        attempt = f", attempt {request.attempt}" if request.attempt > 1 else ""
        head = f"swarm: rewrite {request.symbol_id} ({request.proposal_id}{attempt})? {_short(request.rationale, _RATIONALE_CHARS)}"
    return f"{head}\nChecks: {stages}.\nRules: {rules}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class EditorProxy:
    """Approvals asked through the editor's prompt; see the module doc."""

    def __init__(self, ask: Ask, show: Show, *, diff_dir: Path, settings: ProxySettings | None = None) -> None:
        self.ask = ask
        self.show = show
        self.diff_dir = diff_dir
        self.settings = settings or ProxySettings()

    @property
    def name(self) -> str:
        return POLICY

    async def decide(self, request: ApprovalRequest) -> Verdict:
        message = prompt_text(request, self.settings)
        while True:
            choice = await self.ask(message, ACTIONS)
            if choice == APPROVE:
                return Verdict(True, "approved in the editor", POLICY)
            if choice == SHOW_DIFF:
                await self.show(self.write_diff(request))
                continue
            if choice == REJECT:
                return Verdict(False, "rejected in the editor: the user does not want this change", POLICY)
            return Verdict(False, "the editor's approval prompt was dismissed without an answer", POLICY)

    def write_diff(self, request: ApprovalRequest) -> Path:
        """The request's diff as `<run>-<proposal>.diff` in `diff_dir` (made if missing)."""
        self.diff_dir.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{request.run_id}-{request.proposal_id}") + ".diff"
        path = self.diff_dir / name
        path.write_text(request.diff or "(empty diff)\n", encoding="utf-8")
        return path
