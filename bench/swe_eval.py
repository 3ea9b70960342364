"""Validate the local grader on real SWE-bench instances and time it.

    python -m bench.swe_eval [--data DIR] [--mirrors DIR] [--workers N]

Grades the gold patches (must resolve every instance) with an empty
environment cache, then the empty patch (must resolve none) with the cache
the first pass filled. Prints one JSON line: the two scores, wall times, the
cold environment builds against the same environments served from cache
(the baseline of this run), and grading time per instance.

Data: `swe-lite-dev.jsonl` and `runnable-dev.txt` in --data (default
$SWARM_BENCH_DATA or /work/shared/bench); mirrors in --mirrors (default
$SWARM_MIRRORS or /work/mirrors). Needs network access to PyPI for the
environment builds (install steps only; tests run with the network blocked).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from swarm.evaluation.environments import COMPLETE_MARKER
from swarm.evaluation.evaluate import evaluate
from swarm.evaluation.executors import open_executor
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instances import Instance, load_instances, read_ids
from swarm.evaluation.predictions import builtin_predictions


def _stats(values: Sequence[float], digits: int = 2) -> dict[str, float]:
    if not values:
        return {}
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "total": round(sum(values), digits),
    }


def _pass(
    name: str, instances: Sequence[Instance], settings: GradeSettings, workers: int, out: Path
) -> tuple[dict[str, Any], float]:
    predictions = builtin_predictions(name, instances)
    start = time.monotonic()
    with open_executor("local", workers=workers) as executor:
        report = evaluate(
            instances,
            predictions,
            settings,
            executor=executor,
            report_path=out / f"{name}.json",
            force=True,
            on_result=lambda r, done, total: print(
                f"[{name} {done}/{total}] {r.instance_id} {r.status} {r.timings.get('total', 0):.1f} s {r.error}",
                file=sys.stderr,
                flush=True,
            ),
        )
    return report, time.monotonic() - start


STEPS = ("checkout", "setup", "patch", "install", "tests")


def _step(report: Mapping[str, Any], step: str) -> list[float]:
    return [e["timings"][step] for e in report["instances"].values() if step in e["timings"]]


def _grading_seconds(report: Mapping[str, Any]) -> list[float]:
    """Per instance: everything but getting the environment and warming up a worker."""
    return [
        entry["timings"]["total"] - entry["timings"].get("environment", 0.0) - entry["timings"].get("warmup", 0.0)
        for entry in report["instances"].values()
        if "total" in entry["timings"]
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.swe_eval", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SWARM_BENCH_DATA", "/work/shared/bench")))
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("SWARM_MIRRORS", "/work/mirrors")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="keep reports and logs here (default: a temp dir)")
    args = parser.parse_args(argv)
    for needed in (args.data / "swe-lite-dev.jsonl", args.data / "runnable-dev.txt", args.mirrors):
        if not needed.exists():
            parser.error(f"{needed} does not exist (see --data / --mirrors)")

    instances = load_instances([args.data / "swe-lite-dev.jsonl"], read_ids(args.data / "runnable-dev.txt"))
    with tempfile.TemporaryDirectory(prefix="swarm-bench-eval-") as tmp:
        out = args.out or Path(tmp)
        cache = Path(tmp) / "envs"  # always empty at the start: the cold pass is cold
        settings = GradeSettings(mirrors=args.mirrors.resolve(), cache_dir=cache, log_dir=out / "logs")

        gold, gold_wall = _pass("gold", instances, settings, args.workers, out)
        builds = [
            json.loads(marker.read_text())["build_seconds"] for marker in cache.glob(f"*/{COMPLETE_MARKER}")
        ]
        empty, empty_wall = _pass("empty", instances, settings, args.workers, out)

    served = [e["timings"]["environment"] for e in empty["instances"].values() if e["env"].get("cached")]
    cold = _stats(builds)
    warm = _stats(served, digits=6)
    figures = {
        "bench": "swe_eval",
        "instances": len(instances),
        "workers": args.workers,
        "gold_resolved": gold["resolved"],
        "gold_errors": gold["error"],
        "empty_resolved": empty["resolved"],
        "empty_errors": empty["error"],
        "environments": len(builds),
        "env_build_cold_s": cold,
        "env_from_cache_s": warm,
        "env_cold_over_cached": round(cold["median"] / max(warm["median"], 1e-6)) if cold and warm else None,
        "worker_warmup_s": _stats(_step(gold, "warmup") + _step(empty, "warmup")),
        "gold_steps_median_s": {step: _stats(_step(gold, step))["median"] for step in STEPS},
        "empty_steps_median_s": {step: _stats(_step(empty, step))["median"] for step in STEPS},
        "grade_gold_s_per_instance": _stats(_grading_seconds(gold)),
        "grade_empty_s_per_instance": _stats(_grading_seconds(empty)),
        "wall_gold_cold_cache_s": round(gold_wall, 1),
        "wall_empty_warm_cache_s": round(empty_wall, 1),
        "wall_warm_over_cold": round(empty_wall / gold_wall, 2),
    }
    print(json.dumps(figures))
    return 0 if (gold["resolved"], empty["resolved"]) == (len(instances), 0) else 1


if __name__ == "__main__":
    sys.exit(main())
