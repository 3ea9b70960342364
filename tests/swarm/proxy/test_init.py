"""make_proxy: policy specs, lazy imports, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from swarm.config import parse_config
from swarm.errors import SwarmError
from swarm.protocols import Model
from swarm.proxy import POLICIES, ProxyError, close_proxy, make_proxy, policy_help
from swarm.proxy.auto import AutoProxy
from swarm.proxy.llm import LlmProxy

CONFIG = parse_config({"proxy": {"allow_warnings": False}}, env={})


def test_auto_carries_the_proxy_settings() -> None:
    proxy = make_proxy(" auto ", config=CONFIG)
    assert isinstance(proxy, AutoProxy) and proxy.name == "auto"
    assert proxy.settings.allow_warnings is False


@pytest.mark.parametrize("spec", ["", "robot", "auto:x", "AUTO"])
def test_unknown_specs_list_the_valid_ones(spec: str) -> None:
    with pytest.raises(ProxyError, match="unknown proxy policy .*choose one of: auto, llm, human, replay:RUN"):
        make_proxy(spec, config=CONFIG)


def test_editor_is_built_by_the_lsp_backend_only() -> None:
    with pytest.raises(ProxyError, match="built by `swarm lsp`"):
        make_proxy("editor", config=CONFIG)


def test_replay_needs_a_run_id_and_a_sane_fallback() -> None:
    with pytest.raises(ProxyError, match="replay needs a run id"):
        make_proxy("replay:", config=CONFIG)
    with pytest.raises(ProxyError, match="fallback of replay:r1 must be auto, llm or human"):
        make_proxy("replay:r1:replay:r0", config=CONFIG)


def test_replay_without_its_module_is_not_available_in_this_build() -> None:
    # Run in a fresh interpreter that cannot see swarm/proxy/replay.py (task I's), whether or not it landed.
    code = (
        "import importlib.abc, sys\n"
        "class Hide(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'swarm.proxy.replay':\n"
        "            raise ModuleNotFoundError(name=name)\n"
        "sys.meta_path.insert(0, Hide())\n"
        "from swarm.config import parse_config\n"
        "from swarm.proxy import make_proxy, ProxyError\n"
        "try:\n"
        "    make_proxy('replay:r1', config=parse_config({}, env={}))\n"
        "except ProxyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "the replay proxy policy is not available in this build" in out


def test_errors_are_swarm_errors_and_help_lists_every_policy() -> None:
    assert issubclass(ProxyError, SwarmError)
    assert [p.partition(":")[0] for p in POLICIES] == ["auto", "llm", "human", "replay", "editor"]
    assert all(p.partition("[")[0] in policy_help() for p in POLICIES)


def test_importing_the_package_imports_no_policy() -> None:
    code = "import sys, swarm.proxy; print(sorted(m for m in sys.modules if m.startswith('swarm.proxy.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['swarm.proxy.errors', 'swarm.proxy.settings']"


@pytest.mark.anyio
async def test_llm_uses_the_callers_model_or_builds_the_reviewer(tmp_path: Path) -> None:
    script = tmp_path / "r.toml"
    script.write_text('[[reply]]\nrole = "reviewer"\ntext = "unused"\n')
    config = parse_config({"models": {"reviewer": {"provider": "scripted", "model": str(script)}}}, env={})
    built = make_proxy("llm", config=config)
    assert isinstance(built, LlmProxy) and built.owns_model and built.name == f"llm:scripted:{script}"
    await built.aclose()
    given = make_proxy("llm", config=CONFIG, model=built.model)
    assert isinstance(given, LlmProxy) and not given.owns_model and given.model is built.model
    assert given.settings.allow_warnings is False
    roles: list[str] = []

    def factory(role: str) -> Model:
        roles.append(role)
        return built.model

    made = make_proxy("llm", config=CONFIG, model_factory=factory)
    assert isinstance(made, LlmProxy) and not made.owns_model and roles == ["reviewer"]
    assert make_proxy("auto", config=CONFIG, model_factory=factory) and roles == ["reviewer"]  # only llm asks


@pytest.mark.anyio
async def test_close_proxy_closes_only_what_the_proxy_owns(tmp_path: Path) -> None:
    script = tmp_path / "r.toml"
    script.write_text('[[reply]]\nrole = "reviewer"\ntext = "unused"\n')
    config = parse_config({"models": {"reviewer": {"provider": "scripted", "model": str(script)}}}, env={})
    closed: list[str] = []
    built = make_proxy("llm", config=config)
    assert isinstance(built, LlmProxy)

    async def aclose() -> None:
        closed.append("model")

    built.model.aclose = aclose  # type: ignore[attr-defined]
    await close_proxy(built)
    await close_proxy(make_proxy("llm", config=config, model=built.model))
    await close_proxy(make_proxy("auto", config=config))
    assert closed == ["model"]
