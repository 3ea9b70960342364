"""What a caller gives `run_swarm` and what it gets back (the swarm-core contract)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swarm.config import SwarmConfig

STATUSES = ("accepted", "gave_up", "budget", "error", "cancelled")
EVENT_KINDS = ("started", "agent", "message", "proposal", "check", "verdict", "spend", "finished", "note")


@dataclass(frozen=True, slots=True)
class RunRequest:
    repo: Path                      # a git repo or a subdirectory of one
    issue: str                      # issue text
    config: SwarmConfig
    proxy: str = "auto"             # spec for make_proxy
    resume: str | None = None       # run id (or unique prefix) to resume
    apply: bool = False             # apply the final patch to the user's tree (git apply --3way)
    runlog: Path | None = None      # database path; default <repo toplevel>/.swarm/runs.sqlite3 (runlog_path)
    base: str | None = None         # commit to start from; None = `git stash create` of the tree, else HEAD
    focus: str | None = None        # a symbol id: skip localization, assign the issue text to this symbol
    reproduce: bool = True          # write and require a failing reproduction test before the first edit
    interpreter: Path | None = None  # python used for pytest (a target venv); None = the harness default
    title: str | None = None        # short label for `swarm runs` (default: first line of the issue)
    # Extra knobs (optional, not in the contract's minimum):
    max_agents: int = 16            # symbol agents alive at once; more are refused with a clear message
    max_revisions: int = 3          # rejected proposals an agent may revise before it must give up
    language_servers: bool = True   # start pyright / rust-analyzer for the diagnostics stage


@dataclass(frozen=True, slots=True)
class Spend:
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    model_calls: int

    def to_json(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "model_calls": self.model_calls,
        }


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: str
    status: str                     # "accepted" | "gave_up" | "budget" | "error" | "cancelled"
    reason: str                     # always non-empty
    patch: str                      # unified diff relative to request.repo ("" when none)
    model: str                      # model names used, e.g. "local:qwen2.5-coder-1.5b" or "scripted:..."
    spend: Spend
    elapsed_s: float
    base_commit: str
    worktree: Path
    patch_path: Path | None         # .swarm/runs/<run-id>.patch when a patch exists
    applied: bool = False
    verdicts: tuple[Mapping[str, Any], ...] = ()   # every verdict of the run, in order (JSON-able)
    apply_note: str = ""            # what `--apply` did (conflicts named), "" when not asked
    repo: Path | None = None        # the user's --repo folder (absolute): where the patch applies

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "reason": self.reason,
            "patch": self.patch,
            "model": self.model,
            "spend": self.spend.to_json(),
            "elapsed_s": round(self.elapsed_s, 3),
            "base_commit": self.base_commit,
            "worktree": str(self.worktree),
            "patch_path": str(self.patch_path) if self.patch_path else None,
            "applied": self.applied,
            "apply_note": self.apply_note,
            "repo": str(self.repo) if self.repo else None,
            "verdicts": [dict(v) for v in self.verdicts],
        }


@dataclass(frozen=True, slots=True)
class RunEvent:
    """Live progress, for the CLI, the LSP server and bench."""

    kind: str                       # one of EVENT_KINDS
    run_id: str
    text: str                       # one human-readable line
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON-able details

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "run_id": self.run_id, "text": self.text, "data": dict(self.data)}
