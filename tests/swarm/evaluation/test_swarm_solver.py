"""K scripted swarms on one instance: run_swarm per candidate, then the selection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from swarm.evaluation.instances import Instance
from swarm.evaluation.run import RunSettings
from swarm.evaluation.swarm_solver import solve_async
from tests.conftest import git
from tests.swarm.scenario_runs import SCENARIOS

pytestmark = pytest.mark.anyio


def _instance(repo: Path) -> Instance:
    base = git(repo, "rev-parse", "HEAD").strip()
    return Instance("acme__shop-1", "acme/shop", base, "1.0", base, "", "", (), (),
                    problem_statement=(repo / "ISSUE.md").read_text())


def _settings(tmp_path: Path, candidates: int) -> RunSettings:
    config = tmp_path / "swarm.toml"
    config.write_text(f'[models]\nprovider = "scripted"\nmodel = "{SCENARIOS / "python_shop.toml"}"\n')
    return RunSettings(mirrors=tmp_path, out=tmp_path / "preds.jsonl", mode="swarm", config_path=config,
                       candidates=candidates, servers=False, test_timeout=300)


async def test_one_swarm_run_is_the_prediction(python_repo: Path, tmp_path: Path) -> None:
    result = await solve_async(_instance(python_repo), python_repo, sys.executable, _settings(tmp_path, 1))
    assert result.status == "accepted", result.reason
    assert result.model_name_or_path.startswith("scripted:")
    assert "return quantity >= self.min_quantity" in (result.patch or "")
    assert len(result.run_ids) == 1 and result.details["candidates"][0]["run_id"] == result.run_ids[0]


async def test_k_candidates_agreeing_are_one_choice(python_repo: Path, tmp_path: Path) -> None:
    result = await solve_async(_instance(python_repo), python_repo, sys.executable, _settings(tmp_path, 2))
    assert result.status == "accepted", result.reason
    assert len(set(result.run_ids)) == 2
    selection = result.details["selection"]
    # Both runs play the same script: the same patch, so no tests are needed to choose.
    assert selection["groups"] == [["c1", "c2"]] and selection["chosen"] == "c1"
    assert result.model_name_or_path.endswith("@2-candidates")
    # Each run's reproduction test travels with its candidate.
    assert any(path.startswith("tests/") for path in result.details["candidates"][0]["tests"])
