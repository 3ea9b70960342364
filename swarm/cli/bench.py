"""`swarm bench`: SWE-bench-format evaluation.

  swarm bench run    run the swarm (or the oracle) on instances, write predictions
  swarm bench eval   grade predictions locally, without docker
  swarm bench envs   list the cached test environments
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

GRADE_EPILOG = """\
Each instance is graded in a virtualenv built from swebench's spec for its
(repo, version), cached and reused, with the instance's checkout installed in
a thin per-instance layer; tests run with the network blocked. PREDICTIONS is
a .jsonl/.json file, or `gold` (the instances' own fixes) or `empty` (no
change) to check the grader itself.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser("bench", help="evaluate on SWE-bench-format instances")
    commands = bench.add_subparsers(dest="bench_command", metavar="COMMAND")
    bench.set_defaults(handler=lambda args: bench.print_help() or 2)

    grade = commands.add_parser(
        "eval",
        help="grade predictions locally (no docker)",
        epilog=GRADE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade.add_argument("--instances", type=Path, action="append", required=True, metavar="FILE",
                       help="instances, .jsonl or .json (repeat to read several; duplicates are merged)")
    grade.add_argument("--predictions", required=True, metavar="PREDICTIONS",
                       help="predictions file, or `gold` / `empty`")
    grade.add_argument("--mirrors", type=Path, required=True, metavar="DIR",
                       help="directory of git mirrors named owner+name")
    grade.add_argument("--ids", nargs="+", metavar="ID", help="grade only these instance ids")
    grade.add_argument("--ids-file", type=Path, metavar="FILE", help="grade only the ids listed in FILE")
    grade.add_argument("--report", type=Path, metavar="FILE",
                       help="report JSON (default: swarm-eval.<predictions>.json); resumed if it exists")
    grade.add_argument("--log-dir", type=Path, metavar="DIR",
                       help="per-instance logs (default: <report>.logs next to the report)")
    grade.add_argument("--cache-dir", type=Path, metavar="DIR",
                       help="environment cache (default: the user cache dir, symbol-swarm/envs)")
    grade.add_argument("--spec-overrides", type=Path, metavar="FILE",
                       help="JSON/TOML {repo: {version or '*': {field: value}}} over swebench's specs")
    grade.add_argument("--executor", choices=("local", "ray"), default="local",
                       help="local process pool (default) or Ray")
    grade.add_argument("--workers", type=int, metavar="N", help="parallel instances (default: min(4, CPUs))")
    grade.add_argument("--ray-address", metavar="ADDRESS",
                       help="Ray cluster to use with --executor ray (default: start a local one)")
    grade.add_argument("--timeout", type=float, default=1800.0, metavar="SECONDS",
                       help="time limit of an instance's test run (default: 1800)")
    grade.add_argument("--install-timeout", type=float, default=1800.0, metavar="SECONDS",
                       help="time limit of an environment build or install step (default: 1800)")
    grade.add_argument("--force", action="store_true", help="grade again instances the report already has")
    grade.add_argument("--rebuild-envs", action="store_true", help="rebuild the environments this run uses")
    grade.add_argument("--find-links", action="append", default=[], metavar="DIR_OR_URL",
                       help="extra place pip looks for packages (repeatable)")
    grade.add_argument("--no-index", action="store_true",
                       help="pip uses only --find-links (offline grading)")
    grade.add_argument("--network-block", choices=("auto", "namespace", "socket-guard"), default="auto",
                       help="how tests are kept off the network (default: namespace where possible)")
    grade.add_argument("--work-dir", type=Path, metavar="DIR", help="where checkouts are made (default: temp)")
    grade.set_defaults(handler=run_eval)

    run = commands.add_parser(
        "run",
        help="run the swarm on instances and write predictions (resumable)",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--instances", type=Path, action="append", required=True, metavar="FILE",
                     help="instances, .jsonl or .json (repeat to read several)")
    run.add_argument("--mirrors", type=Path, required=True, metavar="DIR",
                     help="directory of git mirrors named owner+name")
    run.add_argument("--out", type=Path, required=True, metavar="FILE",
                     help="predictions JSONL (appended; instances already in it are skipped)")
    run.add_argument("--ids", nargs="+", metavar="ID", help="run only these instance ids")
    run.add_argument("--ids-file", type=Path, metavar="FILE", help="run only the ids listed in FILE")
    run.add_argument("--config", type=Path, metavar="FILE", help="swarm.toml (default: the usual search)")
    run.add_argument("--oracle", action="store_true",
                     help="drive each gold patch through the pipeline instead of a model (measures the machinery)")
    run.add_argument("--oracle-direct", action="store_true",
                     help="like --oracle, but through the check pipeline alone (no agents, no proxy user)")
    run.add_argument("--candidates", type=int, default=1, metavar="K",
                     help="K independent swarms per instance, one patch selected (default: 1)")
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help="local process pool (default) or Ray")
    run.add_argument("--workers", type=int, metavar="N", help="parallel instances (default: min(4, CPUs))")
    run.add_argument("--ray-address", metavar="ADDRESS", help="Ray cluster to use with --executor ray")
    run.add_argument("--no-env", action="store_true",
                     help="no per-instance interpreter (tests run with the harness's default python)")
    run.add_argument("--cache-dir", type=Path, metavar="DIR",
                     help="environment cache shared with `bench eval` (default: the user cache dir)")
    run.add_argument("--find-links", action="append", default=[], metavar="DIR_OR_URL",
                     help="extra place pip looks for packages (repeatable)")
    run.add_argument("--no-index", action="store_true", help="pip uses only --find-links")
    run.add_argument("--no-servers", action="store_true", help="skip language servers (no diagnostics stage)")
    run.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                     help="time limit of one test run (default: 600)")
    run.add_argument("--work-dir", type=Path, metavar="DIR", help="where checkouts are made (default: temp)")
    run.add_argument("--force", action="store_true", help="run again instances the predictions file has")
    run.set_defaults(handler=run_run)

    envs = commands.add_parser("envs", help="list cached test environments")
    envs.add_argument("--cache-dir", type=Path, metavar="DIR", help="environment cache to list")
    envs.add_argument("--json", action="store_true", help="one JSON object per environment")
    envs.set_defaults(handler=run_envs)


RUN_EPILOG = """\
Each instance runs in a clean checkout of its base commit made from the
mirrors, with its own interpreter (the grader's cached environment for its
repo/version plus the checkout installed in a thin layer). Predictions are
appended one line at a time, so an interrupted batch resumes where it
stopped; <out>.runs.jsonl keeps each instance's run ids, status, time and
spend. --oracle predictions are labelled `oracle`: they measure the
machinery (gold patch -> symbol rewrites -> checks -> patch), never a model.
Grade the result with `swarm bench eval --predictions OUT`.
"""


def run_run(args: argparse.Namespace) -> int:
    from swarm.evaluation.environments import PipOptions, default_cache_dir
    from swarm.evaluation.errors import EvaluationError
    from swarm.evaluation.executors import open_executor
    from swarm.evaluation.grading import GradeSettings
    from swarm.evaluation.instances import load_instances, read_ids
    from swarm.evaluation.run import RunSettings, done_ids, run_batch

    if args.workers is not None and args.workers < 1:
        raise EvaluationError("--workers must be at least 1")
    if args.candidates < 1:
        raise EvaluationError("--candidates must be at least 1")
    if args.oracle and args.oracle_direct:
        raise EvaluationError("choose one of --oracle and --oracle-direct")
    if (args.oracle or args.oracle_direct) and args.candidates > 1:
        raise EvaluationError("--oracle runs the gold patch once; drop --candidates")
    if not args.mirrors.is_dir():
        raise EvaluationError(f"mirrors directory {args.mirrors} does not exist")
    if args.config is not None and not args.config.is_file():
        raise EvaluationError(f"config file {args.config} does not exist")
    ids = list(args.ids or [])
    if args.ids_file:
        ids.extend(read_ids(args.ids_file))
    instances = load_instances(args.instances, ids or None)
    out = args.out.resolve()
    grade = None
    if not args.no_env:
        grade = GradeSettings(
            mirrors=args.mirrors.resolve(),
            cache_dir=(args.cache_dir or default_cache_dir()).resolve(),
            log_dir=out.with_name(out.stem + ".logs"),
            test_timeout=args.timeout,
            pip=PipOptions(tuple(args.find_links), args.no_index),
        )
    settings = RunSettings(
        mirrors=args.mirrors.resolve(),
        out=out,
        mode="oracle" if args.oracle else ("oracle-direct" if args.oracle_direct else "swarm"),
        config_path=args.config.resolve() if args.config else None,
        candidates=args.candidates,
        grade=grade,
        test_timeout=args.timeout,
        servers=not args.no_servers,
        work_dir=args.work_dir.resolve() if args.work_dir else None,
    )
    already = 0 if args.force else len(done_ids(out) & {i.instance_id for i in instances})
    todo = len(instances) - already
    print(f"swarm: running {todo} instance(s) in {settings.mode} mode ({already} already in {out}) "
          f"on the {args.executor} executor", file=sys.stderr)
    progress = _RunProgress(todo, label="running")
    try:
        with open_executor(args.executor, workers=args.workers, ray_address=args.ray_address) as executor:
            summary = run_batch(instances, settings, executor=executor, on_result=progress, force=args.force)
    finally:
        progress.close()
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary["statuses"].items())) or "nothing to run"
    print(f"ran {summary['ran']} ({statuses}); skipped {summary['skipped']}; "
          f"predictions: {summary['predictions']}; runs: {summary['runs']}")
    return 0


def _report_path(args: argparse.Namespace) -> Path:
    if args.report is not None:
        return args.report
    name = Path(args.predictions).stem if Path(args.predictions).suffix else args.predictions
    return Path(f"swarm-eval.{name}.json")


class _Progress:
    """One line per finished instance; a progress bar too on a terminal."""

    def __init__(self, total: int, label: str = "grading") -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bar: Any = None
        if self.console.is_terminal and total:
            self.bar = Progress(
                TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=self.console, transient=True,
            )
            self.task = self.bar.add_task(label, total=total)
            self.bar.start()

    def __call__(self, result: Any, done: int, total: int) -> None:
        env = result.env or {}
        where = "cached env" if env.get("cached") else ("new env" if "cached" in env else "no env")
        seconds = result.timings.get("total", 0.0)
        detail = f" - {result.error}" if result.error else ""
        self.line(f"[{done}/{total}] {result.instance_id} {result.status} ({where}, {seconds:.1f} s){detail}")

    def line(self, line: str) -> None:
        if self.bar is not None:
            self.bar.console.print(line, markup=False, highlight=False)
            self.bar.advance(self.task)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_eval(args: argparse.Namespace) -> int:
    from swarm.evaluation.environments import PipOptions, default_cache_dir
    from swarm.evaluation.errors import EvaluationError
    from swarm.evaluation.evaluate import evaluate, plan
    from swarm.evaluation.executors import open_executor
    from swarm.evaluation.grading import GradeSettings
    from swarm.evaluation.instances import load_instances, read_ids
    from swarm.evaluation.predictions import load_predictions
    from swarm.evaluation.report import load_results
    from swarm.evaluation.specs import load_overrides

    if args.workers is not None and args.workers < 1:
        raise EvaluationError("--workers must be at least 1")
    if not args.mirrors.is_dir():
        raise EvaluationError(f"mirrors directory {args.mirrors} does not exist")
    ids = list(args.ids or [])
    if args.ids_file:
        ids.extend(read_ids(args.ids_file))
    instances = load_instances(args.instances, ids or None)
    predictions = load_predictions(args.predictions, instances)
    known = {i.instance_id for i in instances}
    strays = sorted(set(predictions) - known)
    if strays and not ids:
        print(f"swarm: note: {len(strays)} prediction(s) for instances not in --instances are ignored "
              f"(e.g. {strays[0]})", file=sys.stderr)
    report_path = _report_path(args)
    settings = GradeSettings(
        mirrors=args.mirrors.resolve(),
        cache_dir=(args.cache_dir or default_cache_dir()).resolve(),
        log_dir=(args.log_dir or report_path.with_name(report_path.stem + ".logs")).resolve(),
        test_timeout=args.timeout,
        install_timeout=args.install_timeout,
        pip=PipOptions(tuple(args.find_links), args.no_index),
        network_block=args.network_block,
        rebuild_before=time.time() if args.rebuild_envs else None,
        work_dir=args.work_dir.resolve() if args.work_dir else None,
    )
    overrides = load_overrides(args.spec_overrides) if args.spec_overrides else None
    previous = {} if args.force else load_results(report_path)
    todo = plan(instances, predictions, settings, previous=previous, overrides=overrides)
    print(f"swarm: grading {len(todo.jobs) + len(todo.refused)} instance(s) "
          f"({len(todo.kept)} already in {report_path}) on the {args.executor} executor", file=sys.stderr)
    progress = _Progress(len(todo.jobs) + len(todo.refused))
    try:
        with open_executor(args.executor, workers=args.workers, ray_address=args.ray_address) as executor:
            report = evaluate(
                instances, predictions, settings, executor=executor, report_path=report_path,
                overrides=overrides, force=args.force, on_result=progress,
            )
    finally:
        progress.close()
    print(f"resolved {report['resolved']}/{report['total']} (unresolved {report['unresolved']}, "
          f"error {report['error']}, not graded {len(report['incomplete_ids'])}); "
          f"report: {report_path}; logs: {settings.log_dir}")
    return 0


def run_envs(args: argparse.Namespace) -> int:
    from swarm.evaluation.environments import COMPLETE_MARKER, default_cache_dir

    root = args.cache_dir or default_cache_dir()
    rows = []
    for marker in sorted(Path(root).glob(f"*/{COMPLETE_MARKER}")) if Path(root).is_dir() else []:
        info = json.loads(marker.read_text())
        rows.append({
            "key": marker.parent.name,
            "repo": info["spec"]["repo"],
            "version": info["spec"]["version"],
            "python": info["python"],
            "build_seconds": info.get("build_seconds"),
            "note": info.get("note", ""),
            "path": str(marker.parent),
        })
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{row['key']}  python {row['python']}  built in {row['build_seconds']} s  {row['note']}".rstrip())
    if not rows and not args.json:
        print(f"no environments in {root}")
    return 0


class _RunProgress(_Progress):
    """One line per finished instance run: status, run ids, time, spend."""

    def __call__(self, result: Any, done: int, total: int) -> None:
        spend = result.spend.get("cost_usd")
        cost = f", ${spend:.4f}" if isinstance(spend, float) else ""
        runs = f" {','.join(result.run_ids)}" if result.run_ids else ""
        self.line(f"[{done}/{total}] {result.instance_id} {result.status}{runs} "
                  f"({result.elapsed_s:.1f} s{cost}) - {result.reason}")
