from __future__ import annotations

import pytest

from swarm.config import parse_config
from swarm.runner.mode import MODE_ENV, RunModeError, run_mode


def config(**sections: object):
    return parse_config(dict(sections), env={})


def test_local_model_runs_guided_by_default() -> None:
    assert run_mode(config(models={"provider": "local"}), env={}) == "guided"


@pytest.mark.parametrize("provider", ["scripted", "openai", "anthropic", "openai-compatible"])
def test_other_providers_run_full_by_default(provider: str) -> None:
    models = {"provider": provider, "model": "x"}
    if provider == "openai-compatible":
        models["base_url"] = "http://127.0.0.1:9/v1"
    assert run_mode(config(models=models), env={}) == "full"


def test_config_and_environment_choose_explicitly() -> None:
    assert run_mode(config(models={"provider": "local"}, run={"mode": "full"}), env={}) == "full"
    assert run_mode(config(models={"provider": "scripted", "model": "x"}, run={"mode": "Guided"}), env={}) == "guided"
    assert run_mode(config(models={"provider": "local"}, run={"mode": "guided"}), env={MODE_ENV: "full"}) == "full"


def test_unknown_mode_is_a_clear_error() -> None:
    with pytest.raises(RunModeError, match=r"^\[run\] mode = 'fast' is not a run mode; use one of: full, guided$"):
        run_mode(config(models={"provider": "local"}, run={"mode": "fast"}), env={})
    with pytest.raises(RunModeError, match=f"^{MODE_ENV} = 'x'"):
        run_mode(config(models={"provider": "local"}), env={MODE_ENV: "x"})
