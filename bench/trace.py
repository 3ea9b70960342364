"""How much tracing slows a real project's tests down.

    python -m bench.trace [--mirrors /work/mirrors] [--repeat 3]

Checks marshmallow out of a local mirror at a fixed commit and runs one of
its test files (246 tests that spend their time in marshmallow's own code:
the worst case for a tracer that counts every call of repository code)
under each target interpreter (.venv/targets, built by `scripts/setup test`):
untraced, then traced with the injected plugin, then end to end through
`trace_test`. CPU time of the test process is the tracer's cost (wall
time on a shared machine mostly measures waiting for a core; pytest's own
session time is reported too); trace_test's wall time is what a user waits. Python 3.12 is also traced
with the settrace back end to compare it with sys.monitoring on one
interpreter. Prints ONE JSON line; ratios are traced / untraced, measured
in the same run (medians of --repeat runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import trio

from editor_harness.trace import trace_test
from editor_harness.tracing.journal import parse_journal
from editor_harness.tracing.model import TraceOptions
from editor_harness.tracing.process import run_in_group
from editor_harness.tracing.python import pytest_command
from swarm.evaluation.mirrors import checkout
from symbols.index import RepoIndex

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / ".venv" / "targets"
PROJECT = "marshmallow-code/marshmallow"
COMMIT = "341b927f219205704728c05cd61f04d7e9727523"
SELECTION = "tests/test_schema.py"
# (label, interpreter minor, SWARM_TRACE_MODE)
CONFIGS = (("3.11 settrace", "3.11", "auto"), ("3.12 monitoring", "3.12", "auto"),
           ("3.12 settrace", "3.12", "settrace"), ("3.13 monitoring", "3.13", "auto"))
_SESSION = re.compile(r" in (\d+(?:\.\d+)?)s")
TIMEOUT = 600.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _pytest(repo: Path, python: str, trace: bool, mode: str) -> tuple[float, float, float, int]:
    """(CPU seconds, wall seconds, pytest session seconds, code objects traced)
    of one run. CPU time is the fair measure on a shared machine: wall time
    also counts waiting for a core."""
    options = TraceOptions(timeout=TIMEOUT)
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        command = pytest_command(Path(tmp), repo, python, SELECTION, options, trace=trace)
        env = {**command.env, "SWARM_TRACE_MODE": mode}
        cpu = _children_cpu()
        started = time.perf_counter()
        finished = await run_in_group(command.argv, cwd=repo, env=env, timeout=TIMEOUT)
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu
        sessions = _SESSION.findall(finished.output.strip().splitlines()[-1] if finished.output.strip() else "")
        if finished.returncode not in (0, 1) or not sessions:
            raise SystemExit(f"pytest failed under {python}: {finished.output[-2000:]}")
        codes = len(parse_journal(command.journal.read_text()).codes) if trace else 0
        return cpu, wall, float(sessions[-1]), codes


async def _measure(repo: Path, index: RepoIndex, label: str, python: str, mode: str, repeat: int) -> dict:
    plain: list[tuple[float, float, float]] = []
    traced: list[tuple[float, float, float]] = []
    codes = 0
    for _ in range(repeat):
        cpu, wall, session, _ = await _pytest(repo, python, False, mode)
        plain.append((cpu, wall, session))
        cpu, wall, session, codes = await _pytest(repo, python, True, mode)
        traced.append((cpu, wall, session))
    os.environ["SWARM_TRACE_MODE"] = mode
    try:
        started = time.perf_counter()
        result = await trace_test(index, SELECTION, timeout=TIMEOUT, python=python, max_symbols=10_000)
        end_to_end = time.perf_counter() - started
    finally:
        os.environ.pop("SWARM_TRACE_MODE", None)
    def median(runs: list[tuple[float, float, float]], column: int) -> float:
        return statistics.median(r[column] for r in runs)

    return {
        "config": label,
        "tracer": result.tracer,
        "plain_cpu_s": round(median(plain, 0), 3),
        "traced_cpu_s": round(median(traced, 0), 3),
        "cpu_overhead": round(median(traced, 0) / median(plain, 0), 3),
        "plain_session_s": round(median(plain, 2), 3),
        "traced_session_s": round(median(traced, 2), 3),
        "session_overhead": round(median(traced, 2) / median(plain, 2), 3),
        "plain_wall_s": round(median(plain, 1), 3),
        "trace_test_wall_s": round(end_to_end, 3),
        "trace_test_vs_plain_wall": round(end_to_end / median(plain, 1), 3),
        "code_objects": codes,
        "symbols": len(result.symbols),
        "calls": sum(s.calls for s in result.symbols),
    }


async def main(mirrors: Path, repeat: int) -> dict:
    with checkout(mirrors, PROJECT, COMMIT) as repo:
        # marshmallow uses a src/ layout and is not installed in the target venvs.
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(repo / "src"), os.environ.get("PYTHONPATH")) if p)
        index = RepoIndex.build(repo)
        runs = []
        for label, minor, mode in CONFIGS:
            python = TARGETS / f"py{minor}" / "bin" / "python"
            if python.is_file():
                runs.append(await _measure(repo, index, label, str(python), mode, repeat))
    by_label = {r["config"]: r for r in runs}
    figures: dict = {
        "bench": "trace",
        "project": f"{PROJECT}@{COMMIT[:8]}",
        "selection": SELECTION,
        "repeat": repeat,
        "runs": runs,
    }
    if "3.12 monitoring" in by_label and "3.12 settrace" in by_label:
        figures["monitoring_vs_settrace_3.12_cpu"] = round(
            by_label["3.12 monitoring"]["traced_cpu_s"] / by_label["3.12 settrace"]["traced_cpu_s"], 3)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="How much tracing slows a real project's tests down.")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/mirrors"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not TARGETS.is_dir():
        sys.exit(f"no target interpreters in {TARGETS}: run scripts/setup test")
    print(json.dumps(trio.run(main, args.mirrors, args.repeat)))
