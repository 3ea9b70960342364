"""Solving an instance with the swarm: one run, or K candidate runs and a selection.

Written against the swarm-core contract (`swarm.run.run_swarm`,
`RunRequest`, `RunOutcome`); imported only when a batch runs in `swarm`
mode.

Candidates differ by model or temperature, from the config's `[bench]`
table:

    [bench]
    candidate_models = ["openai:gpt-4.1", "anthropic:claude-sonnet-4-5"]   # cycled
    candidate_temperatures = [0.0, 0.6]                                       # cycled

With neither, candidate k runs the configured models at temperature
0.2 * (k - 1), so K runs are not K copies of one greedy run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from swarm.config import ROLES, SwarmConfig, load_config
from swarm.evaluation.candidates import Candidate
from swarm.evaluation.errors import EvaluationError
from swarm.evaluation.instances import Instance
from swarm.evaluation.selection import is_test_path
from swarm.evaluation.diff_files import file_changes

if TYPE_CHECKING:
    from swarm.evaluation.run import InstanceRun, RunSettings

# Roles whose model produces the patch; the reviewer keeps its own settings (it votes).
PATCH_ROLES = tuple(role for role in ROLES if role != "reviewer")


def candidate_configs(config: SwarmConfig, k: int) -> list[SwarmConfig]:
    """K variations of `config` (see the module doc)."""
    bench = config.section("bench")
    models = [str(m) for m in bench.get("candidate_models", [])]
    temperatures = [float(t) for t in bench.get("candidate_temperatures", [])]
    if not models and not temperatures:
        temperatures = [round(0.2 * n, 2) for n in range(k)]
    out: list[SwarmConfig] = []
    for n in range(k):
        roles = dict(config.models)
        for role in PATCH_ROLES:
            settings = roles[role]
            if models:
                provider, _, model = models[n % len(models)].partition(":")
                settings = replace(settings, provider=provider, model=model) if model else replace(settings, model=provider)
            if temperatures:
                settings = replace(settings, temperature=temperatures[n % len(temperatures)])
            roles[role] = settings
        out.append(replace(config, models=roles))
    return out


def model_label(config: SwarmConfig) -> str:
    """`model_name_or_path`: the configured model names, never a key."""
    names = list(dict.fromkeys(config.for_role(role).spec for role in PATCH_ROLES))
    return "+".join(names)


def split_tests(patch: str, read: Any) -> tuple[str, dict[str, str]]:
    """(the patch, the test files it adds: path -> text) -- the reproduction
    tests a run wrote travel with its candidate for cross-checking."""
    tests: dict[str, str] = {}
    for change in file_changes(patch):
        if change.new_path and is_test_path(change.new_path):
            text = read(change.new_path)
            if text is not None:
                tests[change.new_path] = text
    return patch, tests


def _read_from(root: Path):
    def read(path: str) -> str | None:
        full = root / path
        return full.read_text(encoding="utf-8", errors="replace") if full.is_file() else None

    return read


def _driver() -> ModuleType:
    """`swarm.run`, the swarm core (a build without it says so plainly)."""
    try:
        from swarm import run as driver
    except ImportError:
        raise EvaluationError(
            "the swarm run driver (swarm.run.run_swarm) is not in this build; use --oracle, or update symbol-swarm"
        ) from None
    return driver


async def _one_run(
    instance: Instance, checkout: Path, python: str | None, config: SwarmConfig, label: str, servers: bool = True
) -> Candidate:
    driver = _driver()
    request = driver.RunRequest(
        repo=checkout,
        issue=instance.problem_statement,
        config=config,
        interpreter=Path(python) if python else None,
        title=f"{instance.instance_id} {label}",
        language_servers=servers,
    )
    outcome = await driver.run_swarm(request)
    _, tests = split_tests(outcome.patch, _read_from(outcome.worktree))
    return Candidate(
        label,
        outcome.model or model_label(config),
        outcome.patch,
        run_id=outcome.run_id,
        status=outcome.status,
        elapsed_s=outcome.elapsed_s,
        cost_usd=outcome.spend.cost_usd,
        tests=tests,
    )


def _base_reader(checkout: Path, commit: str):
    def read(path: str) -> str | None:
        done = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=checkout, capture_output=True)
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None

    return read


async def solve_async(instance: Instance, checkout: Path, python: str | None, settings: RunSettings) -> InstanceRun:
    from swarm.evaluation.candidate_tests import CheckoutBench
    from swarm.evaluation.run import InstanceRun
    from swarm.evaluation.selection import ModelReviewer, select_candidate

    _driver()
    config = load_config(settings.config_path, repo=checkout)
    configs = candidate_configs(config, settings.candidates) if settings.candidates > 1 else [config]
    candidates: list[Candidate] = []
    for n, variant in enumerate(configs, start=1):
        candidates.append(await _one_run(instance, checkout, python, variant, f"c{n}", settings.servers))
    spend = {"cost_usd": _total_cost(candidates), "runs": len(candidates)}
    if len(candidates) == 1:
        only = candidates[0]
        return InstanceRun(
            instance.instance_id, only.model, only.patch, only.status, f"run {only.run_id}: {only.status}",
            (only.run_id,), spend=spend, details={"candidates": [only.to_json()]},
        )
    from swarm.models.providers import model_for

    bench = CheckoutBench(checkout, instance.base_commit, python=python, timeout=settings.test_timeout)
    try:
        async with model_for("reviewer", config) as reviewer_model:
            selection = await select_candidate(
                candidates,
                issue=instance.problem_statement,
                read_base=_base_reader(checkout, instance.base_commit),
                bench=bench,
                reviewer=ModelReviewer(reviewer_model),
            )
    finally:
        bench.close()
    chosen = selection.chosen
    details = {"candidates": [c.to_json() for c in candidates], "selection": selection.to_json()}
    run_ids = tuple(c.run_id for c in candidates)
    if chosen is None:
        return InstanceRun(instance.instance_id, model_label(config), "", "no_candidate", selection.reason, run_ids, spend=spend, details=details)
    return InstanceRun(
        instance.instance_id, f"{model_label(config)}@{settings.candidates}-candidates", chosen.patch, chosen.status,
        f"chose {chosen.label}: {selection.reason}", run_ids, spend=spend, details=details,
    )


def _total_cost(candidates: Sequence[Candidate]) -> float | None:
    costs = [c.cost_usd for c in candidates]
    return None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 6)


def solve_with_swarm(instance: Instance, checkout: Path, python: str | None, settings: RunSettings) -> InstanceRun:
    import trio

    return trio.run(solve_async, instance, checkout, python, settings)
