"""`swarm replay` and `swarm import`: reproduce a recorded run; share runs as files.

  swarm replay RUN [--git DIR] [--no-servers] [--python PY] [--timeout S] [--json]
  swarm replay RUN --export FILE
  swarm import FILE [--run-id ID]
  (RUN: a run id, a unique prefix, or `last`; --repo DIR / --runlog FILE choose the log)

replay re-creates the run's base commit in a temporary git worktree,
re-applies every approved edit in order through the check pipeline and
compares check outcomes, verdict evidence and the final patch with the
record: exit 0 when reproduced, 3 when it diverged (the differences are
printed side by side). --export writes the run as a JSONL trajectory
instead; import reads one into this run log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from swarm.cli.runs import add_runlog_location, open_runlog

DIVERGED = 3


def register(subparsers: Any) -> None:
    replay = subparsers.add_parser(
        "replay",
        help="re-apply a run's approved edits on its base commit and check it reproduces; or export it",
        description="Re-create the run's starting tree, re-apply every approved edit through the check pipeline "
        "and compare check outcomes, verdict evidence and the final patch with the record.",
    )
    replay.add_argument("run", metavar="RUN", help="run id, unique prefix of one, or `last`")
    add_runlog_location(replay)
    replay.add_argument("--git", type=Path, metavar="DIR", help="git repository holding the base commit (default: the recorded one)")
    replay.add_argument("--no-servers", action="store_true", help="no language servers: diagnostics are not compared")
    replay.add_argument("--python", help="interpreter for the tests (default: the repository's .venv, else this one)")
    replay.add_argument("--timeout", type=float, default=300.0, metavar="S", help="test timeout per check (default 300)")
    replay.add_argument("--json", action="store_true", help="print the replay report as JSON")
    replay.add_argument("--export", type=Path, metavar="FILE", help="write the run as a JSONL trajectory instead ('-': stdout)")
    replay.set_defaults(handler=_replay)

    imported = subparsers.add_parser("import", help="read a run exported with `swarm replay --export` into the run log")
    imported.add_argument("file", type=Path, metavar="FILE", help="the JSONL trajectory ('-': stdin)")
    add_runlog_location(imported)
    imported.add_argument("--run-id", metavar="ID", help="store it under this id (default: its own)")
    imported.set_defaults(handler=_import)


def _replay(args: argparse.Namespace) -> int:
    import trio

    from swarm.replay import render_report, replay_run
    from swarm.trajectory import export_run, export_to_file

    with open_runlog(args) as log:
        run_id = log.resolve_run(args.run)
        if args.export is not None:
            if str(args.export) == "-":
                export_run(log, run_id, sys.stdout)
            else:
                count = export_to_file(log, run_id, args.export)
                print(f"wrote {args.export}: run {run_id}, {count} records", file=sys.stderr)
            return 0
        report = trio.run(
            lambda: replay_run(
                log, run_id, repo=args.git, servers=not args.no_servers, python=args.python, test_timeout=args.timeout
            )
        )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        sys.stdout.write(render_report(report))
    return 0 if report.ok else DIVERGED


def _import(args: argparse.Namespace) -> int:
    from swarm.runlog import RunLog, find_repo_root, runlog_path
    from swarm.trajectory import import_file, import_trajectory

    repo = args.repo if args.repo is not None else find_repo_root(Path.cwd())
    with RunLog.open(runlog_path(repo, args.runlog)) as log:
        if str(args.file) == "-":
            done = import_trajectory(log, sys.stdin, run_id=args.run_id, source="stdin")
        else:
            done = import_file(log, args.file, run_id=args.run_id)
        print(f"imported run {done.run_id} ({done.status}, {done.messages} messages, {done.proposals} proposals) into {log.path}")
    return 0
