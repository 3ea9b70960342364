"""`swarm runs` and `swarm show`: what the run log holds.

  swarm runs [--repo DIR] [--runlog FILE] [--limit N] [--json]
  swarm show RUN [--repo DIR] [--runlog FILE] [--json] [--follow] [--no-patch] [--tail N]
  swarm prune [--repo DIR] [--runlog FILE] [--keep N] [--dry-run] [--json]

RUN is a run id, a unique prefix of one, or `last`. Both read the log
without writing to it and work while a run is in progress; `show --follow`
prints new messages as they are stored until the run ends. Output uses Rich
on a terminal and plain aligned text otherwise; `--json` is for scripts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

FOLLOW_INTERVAL_S = 0.5


def register(subparsers: Any) -> None:
    runs = subparsers.add_parser("runs", help="list the recorded runs of a repository")
    add_runlog_location(runs)
    runs.add_argument("--limit", type=int, metavar="N", help="only the N newest runs")
    runs.add_argument("--json", action="store_true", help="print a JSON list")
    runs.set_defaults(handler=_runs)

    show = subparsers.add_parser("show", help="print one run: transcript, proposals and verdicts, patch")
    show.add_argument("run", metavar="RUN", help="run id, unique prefix of one, or `last`")
    add_runlog_location(show)
    show.add_argument("--json", action="store_true", help="print everything recorded as one JSON object")
    show.add_argument("--follow", "-f", action="store_true", help="keep printing new messages until the run ends")
    show.add_argument("--no-patch", action="store_true", help="leave the final patch out")
    show.add_argument("--tail", type=int, metavar="N", help="only the last N messages of the transcript")
    show.set_defaults(handler=_show)

    prune = subparsers.add_parser(
        "prune", help="remove the worktrees of runs that are not running (patches and the log stay; resume still works)"
    )
    add_runlog_location(prune)
    prune.add_argument("--keep", type=int, default=0, metavar="N", help="keep the worktrees of the N newest runs")
    prune.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    prune.add_argument("--json", action="store_true", help="print a JSON list of the removed worktrees")
    prune.set_defaults(handler=_prune)


def add_runlog_location(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repo",
        type=Path,
        metavar="DIR",
        help="repository whose .swarm/runs.sqlite3 to read (default: the one around the current directory)",
    )
    parser.add_argument("--runlog", type=Path, metavar="FILE", help="read this run log instead (also: $SWARM_RUNLOG)")


def open_runlog(args: argparse.Namespace) -> Any:
    from swarm.runlog import RunLog, find_repo_root, runlog_path

    # Runs of a subdirectory (`swarm run --repo examples/x`) are logged at the repository's top.
    repo = find_repo_root(args.repo if args.repo is not None else Path.cwd())
    return RunLog.open(runlog_path(repo, args.runlog), create=False)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def _runs(args: argparse.Namespace) -> int:
    from swarm.run_views import RunRow, runs_plain, runs_rich
    from swarm.runlog import RunLogMissing, observed_status

    try:
        log = open_runlog(args)
    except RunLogMissing as exc:
        if args.json:
            print("[]")
        else:
            print(f"No runs yet ({exc}).")
        return 0
    with log:
        rows = [RunRow(run, observed_status(run)) for run in log.list_runs(limit=args.limit)]
        source = str(log.path)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
        return 0
    if not rows:
        print(f"No runs recorded in {source}.")
        return 0
    console = _console()
    if console.is_terminal:
        console.print(runs_rich(rows, source))
    else:
        print(runs_plain(rows))
    return 0


def _show(args: argparse.Namespace) -> int:
    from swarm.runlog import observed_status

    with open_runlog(args) as log:
        run_id = log.resolve_run(args.run)
        if args.follow:
            return _follow(log, run_id, args)
        snapshot = log.snapshot(run_id)
        status = observed_status(snapshot.run)
    if args.tail is not None:
        snapshot = dataclasses.replace(snapshot, messages=snapshot.messages[-args.tail :] if args.tail > 0 else ())
    _print_snapshot(snapshot, status, args)
    return 0


def _prune(args: argparse.Namespace) -> int:
    import trio

    from swarm.runlog import RunLogMissing
    from swarm.runner.prune import prune_worktrees

    if args.keep < 0:
        print("swarm prune: --keep must be 0 or more", file=sys.stderr)
        return 2
    try:
        log = open_runlog(args)
    except RunLogMissing as exc:
        print("[]" if args.json else f"Nothing to prune ({exc}).")
        return 0
    with log:
        pruned = trio.run(lambda: prune_worktrees(log, keep=args.keep, dry_run=args.dry_run))
    if args.json:
        print(json.dumps([{**dataclasses.asdict(p), "worktree": str(p.worktree)} for p in pruned], indent=2))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for p in pruned:
        print(f"{verb} {p.worktree} (run {p.run_id}, {p.status}, {p.bytes_freed / 1e6:.1f} MB)")
    total = sum(p.bytes_freed for p in pruned)
    print(f"{len(pruned)} worktree(s) {verb}, {total / 1e6:.1f} MB" if pruned else "No worktree to prune.")
    return 0


def _print_snapshot(snapshot: Any, status: Any, args: argparse.Namespace, *, transcript: bool = True) -> None:
    from swarm.run_views import show_plain, show_rich

    if args.json:
        data = snapshot.to_json()
        data["run"]["observed_status"] = status.value
        print(json.dumps(data, indent=2))
        return
    console = _console()
    if console.is_terminal:
        console.print(show_rich(snapshot, status, patch=not args.no_patch, transcript=transcript))
    else:
        print(show_plain(snapshot, status, patch=not args.no_patch, transcript=transcript))


def _follow(log: Any, run_id: str, args: argparse.Namespace) -> int:
    """Print the transcript as it grows; the full picture once the run has ended."""
    from swarm.records import RunStatus
    from swarm.run_views import message_line, seq_index
    from swarm.runlog import observed_status

    console = None if args.json else _console()
    seq_of: dict[str, int] = {}
    last = 0
    while True:
        status = observed_status(log.load_run(run_id))
        fresh = log.messages(run_id, after_seq=last)
        seq_of.update(seq_index(fresh))
        for message in fresh:
            if args.json:
                print(json.dumps(message.to_json()))
            elif console is not None and console.is_terminal:
                console.print(message_line(message, seq_of), markup=False)
            else:
                print(message_line(message, seq_of))
        sys.stdout.flush()
        if fresh:
            last = fresh[-1].seq
        if status is not RunStatus.RUNNING:
            break
        time.sleep(FOLLOW_INTERVAL_S)
    snapshot = log.snapshot(run_id)
    if args.json:
        print(json.dumps({"run": {**snapshot.run.to_json(), "observed_status": status.value}}))
        return 0
    # The transcript is on screen already: end with the header, proposals and patch.
    print()
    _print_snapshot(snapshot, status, args, transcript=False)
    return 0
