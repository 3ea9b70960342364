"""`swarm run`: launch a swarm on an issue and get a verified patch.

  swarm run --repo DIR --issue FILE [--config swarm.toml] [--proxy auto|llm|human] [--json]
  swarm run --repo DIR --resume RUN

The issue is read from stdin when --issue is absent or `-`. Progress is a
live table on a terminal (agents and their state, proposals, verdicts,
spend, elapsed) and one line per event otherwise (or with --quiet/--json,
on stderr). At the end: run id, status and reason, verdicts, the patch and
where it is saved; with --apply the patch is applied to your tree (git apply
--3way); otherwise your files are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from swarm.proxy import policy_help

EXIT_ACCEPTED = 0
EXIT_NOT_ACCEPTED = 3
RECENT_EVENTS = 8


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("run", help="launch a swarm on an issue; prints the verified patch")
    parser.add_argument("--repo", type=Path, default=Path("."), metavar="DIR", help="repository (or a folder of one) to fix")
    parser.add_argument("--issue", metavar="FILE", help="file holding the issue text (`-` or absent: stdin)")
    parser.add_argument("--config", type=Path, metavar="FILE", help="swarm.toml to use (default: searched)")
    parser.add_argument("--proxy", default="auto", metavar="POLICY",
                        help=f"who approves each rewrite (default auto) — {policy_help()}")
    parser.add_argument("--model", metavar="PROVIDER:MODEL", help="model for every role, e.g. anthropic:claude-sonnet-4-5")
    parser.add_argument("--budget-steps", metavar="N", help="at most N model calls")
    parser.add_argument("--budget-tokens", metavar="N", help="at most N tokens")
    parser.add_argument("--budget-cost", metavar="USD", help="at most this many dollars")
    parser.add_argument("--budget-wall", metavar="SECONDS", help="at most this many seconds")
    parser.add_argument("--max-agents", type=int, default=16, metavar="N", help="symbol agents alive at once (default 16)")
    parser.add_argument("--apply", action="store_true", help="apply the accepted patch to your tree (git apply --3way)")
    parser.add_argument("--resume", metavar="RUN", help="resume an interrupted run (id, unique prefix, or `last`)")
    parser.add_argument("--base", metavar="COMMIT", help="start from this commit (default: your working tree)")
    parser.add_argument("--focus", metavar="SYMBOL", help="fix the issue in this symbol (skips localization)")
    parser.add_argument("--no-reproduce", action="store_true", help="do not require a failing reproduction test first")
    parser.add_argument("--python", type=Path, metavar="PATH", help="interpreter that runs the repository's pytest")
    parser.add_argument("--runlog", type=Path, metavar="FILE", help="run log database (default <repo>/.swarm/runs.sqlite3)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON on stdout (progress on stderr)")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress, only the outcome")
    parser.set_defaults(handler=_run)


def _read_issue(args: argparse.Namespace) -> str:
    from swarm.errors import SwarmError

    if args.resume:
        return ""
    if args.issue in (None, "-"):
        if sys.stdin.isatty():
            raise SwarmError("no issue: pass --issue FILE, or pipe the issue text on stdin")
        return sys.stdin.read()
    path = Path(args.issue)
    if not path.is_file():
        raise SwarmError(f"--issue {path}: no such file")
    return path.read_text(encoding="utf-8")


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """Command-line overrides, in the environment variables swarm.config already understands."""
    env: dict[str, str] = {}
    if args.model:
        env["SWARM_MODEL"] = args.model
    for flag, variable in (("budget_steps", "SWARM_BUDGET_STEPS"), ("budget_tokens", "SWARM_BUDGET_TOKENS"),
                           ("budget_cost", "SWARM_BUDGET_COST"), ("budget_wall", "SWARM_BUDGET_WALL")):
        value = getattr(args, flag)
        if value is not None:
            env[variable] = str(value)
    return env


def _run(args: argparse.Namespace) -> int:
    import trio

    from swarm.config import load_config
    from swarm.run import RunRequest, run_swarm
    from swarm.runner.checkout import locate_repo

    issue = _read_issue(args)
    toplevel, _ = trio.run(locate_repo, args.repo)
    config = load_config(args.config, repo=toplevel, env={**os.environ, **_overrides(args)})
    request = RunRequest(
        repo=args.repo,
        issue=issue,
        config=config,
        proxy=args.proxy,
        resume=args.resume,
        apply=args.apply,
        runlog=args.runlog,
        base=args.base,
        focus=args.focus,
        reproduce=not args.no_reproduce,
        interpreter=args.python,
        max_agents=args.max_agents,
    )
    live = sys.stderr.isatty() and not (args.json or args.quiet) and args.proxy != "human"
    display = LiveDisplay() if live else LineDisplay(quiet=args.quiet, json_lines=args.json)
    with display:
        outcome = trio.run(lambda: run_swarm(request, on_event=display.on_event))
    if args.json:
        print(json.dumps(outcome.to_json(), indent=2))
    else:
        print_summary(outcome)
    return EXIT_ACCEPTED if outcome.status == "accepted" else EXIT_NOT_ACCEPTED


# -- progress -------------------------------------------------------------------


class LineDisplay:
    """One line per event on stderr (not a terminal, --quiet, --json, or a human proxy)."""

    def __init__(self, *, quiet: bool = False, json_lines: bool = False) -> None:
        self.quiet = quiet
        self.json_lines = json_lines

    def __enter__(self) -> LineDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def on_event(self, event: Any) -> None:
        if self.quiet or event.kind in ("spend", "finished"):
            return
        if self.json_lines:
            print(json.dumps(event.to_json(), default=str), file=sys.stderr, flush=True)
        else:
            print(f"[{event.kind}] {event.text}", file=sys.stderr, flush=True)


class LiveDisplay:
    """A live table on the terminal: agents, recent proposals and verdicts, spend, elapsed."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=True)
        self.started = time.monotonic()
        self.header = "starting"
        self.agents: dict[str, str] = {}
        self.recent: list[tuple[str, str]] = []
        self.spend = "no model calls yet"
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)

    def __enter__(self) -> LiveDisplay:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._render())
        self.live.__exit__(None, None, None)

    def on_event(self, event: Any) -> None:
        data: Mapping[str, Any] = event.data
        if event.kind == "started":
            self.header = event.text
        elif event.kind == "agent":
            self.agents[str(data.get("agent"))] = str(data.get("status"))
        elif event.kind == "spend":
            cost = data.get("cost_usd") or 0.0
            self.spend = f"{data.get('model_calls')} calls, {data.get('input_tokens', 0) + data.get('output_tokens', 0)} tokens, ${cost:.4f}"
        elif event.kind in ("proposal", "check", "verdict", "note"):
            self.recent.append((event.kind, event.text))
            self.recent = self.recent[-RECENT_EVENTS:]
        elif event.kind == "finished":
            return
        self.live.update(self._render())

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        agents = Table(title="agents", show_header=True, header_style="bold", expand=True)
        agents.add_column("address", overflow="fold")
        agents.add_column("state")
        for address, status in self.agents.items():
            style = "green" if status == "done" else "red" if status.startswith(("give_up", "stopped")) else ""
            agents.add_row(address, Text(status, style=style))
        events = Table(title="proposals, checks, verdicts", show_header=False, expand=True)
        events.add_column("kind", style="cyan", no_wrap=True)
        events.add_column("event", overflow="fold")
        for kind, text in self.recent:
            style = "green" if "approved" in text and kind == "verdict" else "red" if "rejected" in text else ""
            events.add_row(kind, Text(text[:300], style=style))
        elapsed = time.monotonic() - self.started
        footer = Text(f"spend: {self.spend}   elapsed: {elapsed:.0f}s", style="bold")
        return Group(Text(self.header, style="bold"), agents, events, footer)


# -- the end ----------------------------------------------------------------------


def print_summary(outcome: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.syntax import Syntax

    console = Console(highlight=False)
    color = "green" if outcome.status == "accepted" else "yellow" if outcome.status in ("gave_up", "budget") else "red"
    console.print(f"[bold]run {outcome.run_id}[/bold]: [{color}]{outcome.status}[/{color}] — {escape(outcome.reason)}")
    console.print(f"model: {escape(outcome.model)}")
    spend = outcome.spend
    cost = "unknown" if spend.cost_usd is None else f"${spend.cost_usd:.4f}"
    console.print(f"spend: {spend.model_calls} model calls, {spend.input_tokens} in / {spend.output_tokens} out tokens, "
                  f"{cost}; {outcome.elapsed_s:.1f}s")
    for verdict in outcome.verdicts:
        mark = "[green]approved[/green]" if verdict["approved"] else "[red]rejected[/red]"
        console.print(f"  {verdict['proposal_id']}: {mark} by {escape(verdict['policy'])}: {escape(verdict['reason'][:300])}")
    if outcome.patch:
        console.print(Syntax(outcome.patch, "diff", background_color="default"))
        console.print(f"patch saved to {outcome.patch_path}", soft_wrap=True)
        if outcome.apply_note:
            console.print(escape(outcome.apply_note), soft_wrap=True)
        elif not outcome.applied:
            console.print(f"apply it with: git -C {outcome.repo} apply {outcome.patch_path}", soft_wrap=True)
    else:
        console.print("no patch")
    if outcome.status in ("budget", "error", "cancelled"):
        console.print(f"resume with: swarm run --repo {outcome.repo} --resume {outcome.run_id}", soft_wrap=True)
    console.print(f"inspect with: swarm show {outcome.run_id}", soft_wrap=True)
