"""The oracle over the offline-runnable SWE-bench Lite ids: does the machinery
carry real fixes? Gold patch -> symbol operations -> swarm run (checks, proxy
approval) -> patch -> graded like any prediction.

    python -m bench.oracle [--workers 2] [--mode oracle|oracle-direct] [--out DIR]
    python -m bench.oracle --summarize DIR      # figures of an earlier run

Runs `bench run` in the chosen mode, grades its predictions with the local
grader, and grades the gold patches themselves in the same run (the
baseline: what resolves when the patch is applied directly). Prints one JSON
line: resolved (oracle vs gold, and the ratio), proposals approved, the
check pipeline's mean time per rewrite, wall time per instance.

Data: --data (default $SWARM_BENCH_DATA or /work/shared/bench), --mirrors
(default $SWARM_MIRRORS or /work/mirrors), environments in --cache-dir (the
grader's cache; built on first use, which needs PyPI).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from swarm.evaluation.environments import default_cache_dir
from swarm.evaluation.evaluate import evaluate
from swarm.evaluation.executors import open_executor
from swarm.evaluation.grading import GradeSettings
from swarm.evaluation.instances import load_instances, read_ids
from swarm.evaluation.predictions import builtin_predictions, read_predictions
from swarm.evaluation.run import RunSettings, run_batch


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"mean": round(statistics.fmean(values), 3), "median": round(statistics.median(values), 3),
            "min": round(min(values), 3), "max": round(max(values), 3)}


def summarize(out: Path) -> dict[str, Any]:
    runs = [json.loads(line) for line in (out / "oracle.runs.jsonl").read_text().splitlines() if line.strip()]
    oracle = json.loads((out / "oracle.eval.json").read_text())
    gold = json.loads((out / "gold.eval.json").read_text())
    steps = [s for r in runs for s in r.get("details", {}).get("steps", [])]
    approved = [s for s in steps if s.get("stages", {}).get("approval", {}).get("status") == "approved"]
    return {
        "instances": len(runs),
        "oracle_resolved": oracle["resolved"],
        "gold_resolved": gold["resolved"],
        "oracle_over_gold": round(oracle["resolved"] / gold["resolved"], 3) if gold["resolved"] else None,
        "not_resolved": sorted(set(oracle.get("unresolved_ids", [])) | set(oracle.get("error_ids", []))),
        "statuses": {s: sum(1 for r in runs if r["status"] == s) for s in sorted({r["status"] for r in runs})},
        "matches_gold": {m: sum(1 for r in runs if r.get("details", {}).get("matches_gold") == m)
                         for m in sorted({r.get("details", {}).get("matches_gold", "") for r in runs})},
        "ops": len(steps),
        "ops_approved": len(approved),
        "ops_all_stages_passed": sum(1 for s in steps if s.get("ok")),
        "check_pipeline_s_per_rewrite": _stats([float(s["elapsed_s"]) for s in steps]),
        "wall_s_per_instance": _stats([float(r["elapsed_s"]) for r in runs]),
        "solve_s_per_instance": _stats([float(r["timings"].get("solve", 0.0)) for r in runs]),
        "environment_s_per_instance": _stats([float(r["timings"].get("environment", 0.0)) for r in runs]),
        "not_expressible": {r["instance_id"]: r["reason"] for r in runs if r["status"] == "not_expressible"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.oracle")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SWARM_BENCH_DATA", "/work/shared/bench")))
    parser.add_argument("--mirrors", type=Path, default=Path(os.environ.get("SWARM_MIRRORS", "/work/mirrors")))
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("bench-oracle"))
    parser.add_argument("--mode", choices=("oracle", "oracle-direct"), default="oracle")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--summarize", type=Path, metavar="DIR", help="only print the figures of an earlier run in DIR")
    args = parser.parse_args()
    if args.summarize:
        print(json.dumps(summarize(args.summarize)))
        return
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    instances = load_instances([args.data / "swe-lite-dev.jsonl"], read_ids(args.data / "runnable-dev.txt"))
    grade = GradeSettings(mirrors=args.mirrors.resolve(), cache_dir=(args.cache_dir or default_cache_dir()).resolve(),
                          log_dir=out / "logs", test_timeout=900)
    settings = RunSettings(mirrors=args.mirrors.resolve(), out=out / "oracle.jsonl", mode=args.mode, grade=grade,
                           test_timeout=300)
    with open_executor("local", workers=args.workers) as executor:
        run_batch(instances, settings, executor=executor)
        evaluate(instances, read_predictions(settings.out), grade, executor=executor, report_path=out / "oracle.eval.json")
        evaluate(instances, builtin_predictions("gold", instances), grade, executor=executor,
                 report_path=out / "gold.eval.json")
    print(json.dumps(summarize(out)))


if __name__ == "__main__":
    main()
