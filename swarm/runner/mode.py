"""Which way a run drives its agents: `full` or `guided`.

    mode = run_mode(config)            # "full" | "guided"

`full`: the coordinator and the symbol agents choose every step themselves
from their whole toolbox (what a strong model does well). `guided`: for a
small model (the embedded 1.5B one), deterministic steps replace the free
choices it gets wrong — localization, the reproduction's file and run, the
order of work — and the model only writes what needs writing: a test, a
choice from a short ranked list, a rewrite (swarm.agents.guided_coordinator,
swarm.agents.guided_agent).

Chosen by `[run] mode = "full" | "guided"` in swarm.toml or `SWARM_RUN_MODE`
(the environment wins); by default `guided` when the coordinator's model is
the `local` provider, else `full`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from swarm.config import SwarmConfig
from swarm.errors import SwarmError

MODES = ("full", "guided")
MODE_ENV = "SWARM_RUN_MODE"
SMALL_MODEL_PROVIDERS = frozenset({"local"})


class RunModeError(SwarmError):
    """`[run] mode` or SWARM_RUN_MODE names no known mode."""


def run_mode(config: SwarmConfig, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    raw = env.get(MODE_ENV) or config.section("run").get("mode")
    if raw:
        mode = str(raw).strip().lower()
        if mode not in MODES:
            where = MODE_ENV if env.get(MODE_ENV) else "[run] mode"
            raise RunModeError(f"{where} = {raw!r} is not a run mode; use one of: {', '.join(MODES)}")
        return mode
    return "guided" if config.for_role("coordinator").provider in SMALL_MODEL_PROVIDERS else "full"
