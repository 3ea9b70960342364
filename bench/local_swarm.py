"""`swarm run` with the local model on the bundled examples: the swarm part
of `python -m bench.local_model`.

For each example (Python and Rust), run mode and temperature, `repeats`
runs, each on a fresh git copy of the example, with a wall budget; then the
patch is graded on another fresh copy: applied, the files it adds (the
swarm's own reproduction) removed, the example's whole test suite run.
`resolved` = the suite passes (the example's one failing test now passes and
no other breaks). A run that ends without a patch is a result (`status`,
`reason`), not an error of the bench.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("python_shop", "rust_ledger")
GRADE_TIMEOUT_S = 600


def fresh_repo(parent: Path, example: str) -> Path:
    """A git repo holding a copy of the bundled example, committed once."""
    repo = parent / example
    shutil.copytree(ROOT / "examples" / example, repo,
                    ignore=shutil.ignore_patterns("target", "__pycache__", ".pytest_cache", ".swarm"))
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "example"], check=True)
    return repo


def suite_command(repo: Path) -> list[str]:
    if (repo / "Cargo.toml").exists():
        return ["cargo", "test", "--offline", "-q"]
    return [os.environ.get("BENCH_PYTHON", "python3"), "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def grade(example: str, patch: str, parent: Path) -> dict[str, Any]:
    """Apply `patch` to a fresh copy, drop the files it adds, run the whole suite."""
    if not patch.strip():
        return {"resolved": False, "why": "no patch"}
    repo = fresh_repo(parent, example)
    applied = subprocess.run(["git", "-C", str(repo), "apply", "-"], input=patch, text=True, capture_output=True)
    if applied.returncode != 0:
        return {"resolved": False, "why": f"patch does not apply: {applied.stderr.strip()[:200]}"}
    subprocess.run(["git", "-C", str(repo), "clean", "-fdq"], check=True)
    env = {**os.environ, "CARGO_NET_OFFLINE": "true"}
    try:
        run = subprocess.run(suite_command(repo), cwd=repo, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired:
        return {"resolved": False, "why": f"the suite hung past {GRADE_TIMEOUT_S}s"}
    tail = (run.stdout + run.stderr).strip().splitlines()[-1:] or [""]
    return {"resolved": run.returncode == 0, "why": tail[0][:200]}


def show_progress(event: Any) -> None:
    """The run's progress on stderr, one line per event (spend lines left out)."""
    if event.kind != "spend":
        print(f"[{event.kind}] {event.text}"[:300], file=sys.stderr, flush=True)


def run_config(temperature: float, mode: str, wall_s: float) -> Any:
    from swarm.config import parse_config

    return parse_config(
        {"models": {"provider": "local", "temperature": temperature}, "budget": {"wall_s": wall_s}, "run": {"mode": mode}},
        env={},
    )


async def one_run(example: str, temperature: float, mode: str, wall_s: float, parent: Path) -> dict[str, Any]:
    from swarm.proxy import make_proxy
    from swarm.run import RunRequest, run_swarm

    repo = fresh_repo(parent / "run", example)
    config = run_config(temperature, mode, wall_s)
    started = time.perf_counter()
    outcome = await run_swarm(RunRequest(repo=repo, issue=(repo / "ISSUE.md").read_text(), config=config),
                              proxy=make_proxy("auto", config=config), on_event=show_progress)
    wall = time.perf_counter() - started
    graded = grade(example, outcome.patch, parent / "grade")
    proposals = [v for v in outcome.verdicts if not v.get("final")]
    return {
        "example": example,
        "mode": mode,
        "temperature": temperature,
        "status": outcome.status,
        "reason": outcome.reason[:300],
        "resolved": graded["resolved"],
        "grade": graded["why"],
        "model_calls": outcome.spend.model_calls,
        "input_tokens": outcome.spend.input_tokens,
        "output_tokens": outcome.spend.output_tokens,
        "wall_s": round(wall, 1),
        "approved": sum(1 for v in proposals if v["approved"]),
        "rejected": sum(1 for v in proposals if not v["approved"]),
        "model": outcome.model,
    }


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per (mode, example, temperature): resolved rate and medians."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(f"{run['mode']}/{run['example']}/t{run['temperature']:g}", []).append(run)
    out: dict[str, Any] = {}
    for key, group in groups.items():
        out[key] = {
            "runs": len(group),
            "resolved": sum(1 for r in group if r["resolved"]),
            "statuses": [r["status"] for r in group],
            "median_calls": statistics.median(r["model_calls"] for r in group),
            "median_tokens": statistics.median(r["input_tokens"] + r["output_tokens"] for r in group),
            "median_wall_s": statistics.median(r["wall_s"] for r in group),
        }
    modes = sorted({r["mode"] for r in runs})
    rates = {m: round(sum(r["resolved"] for r in runs if r["mode"] == m) / max(1, sum(r["mode"] == m for r in runs)), 3)
             for m in modes}
    result: dict[str, Any] = {"groups": out, "resolved_rate": rates}
    if "guided" in rates and "full" in rates:
        result["resolved_guided_minus_full"] = round(rates["guided"] - rates["full"], 3)
    return result


async def swarm_runs(examples: Sequence[str], temperatures: Sequence[float], modes: Sequence[str], repeats: int,
                     wall_s: float, progress: Any = None) -> dict[str, Any]:
    """Every combination, one run at a time (runs share the CPU with nothing
    of ours). Repeats are the outer loop, so a bench stopped early still has
    every combination at least once."""
    runs: list[dict[str, Any]] = []
    parent = Path(tempfile.mkdtemp(prefix="bench-local-swarm-"))
    try:
        for n in range(repeats):
            for mode in modes:
                for example in examples:
                    for temperature in temperatures:
                        work = parent / f"{mode}-{example}-{temperature:g}-{n}"
                        work.mkdir()
                        run = await one_run(example, temperature, mode, wall_s, work)
                        runs.append(run)
                        if progress is not None:
                            progress(run)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    return {"wall_budget_s": wall_s, "runs": runs, **summarize(runs)}
