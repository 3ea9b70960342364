"""The proxy user: approves or rejects every proposal on its evidence.

    proxy = make_proxy("auto", config=config)
    verdict = await proxy.decide(request)       # swarm.protocols.ApprovalRequest -> Verdict

Policies, one module each, imported only when chosen:
- `auto`: rules on the evidence (swarm/proxy/auto.py);
- `llm`: the `reviewer` model decides, after the rules (swarm/proxy/llm.py);
- `human`: a terminal prompt (swarm/proxy/human.py);
- `replay:RUN[:FALLBACK]`: the decisions of a recorded run, FALLBACK (default
  `auto`) for proposals it has no decision for (swarm/proxy/replay.py);
- `editor`: an editor's prompt over LSP, built by the LSP backend itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from swarm.proxy.errors import ProxyError, ProxyQuit
from swarm.proxy.settings import ProxySettings

if TYPE_CHECKING:
    from rich.console import Console

    from swarm.config import SwarmConfig
    from swarm.protocols import Model, ProxyUser
    from swarm.runlog import RunLog

# For `--proxy` help and error messages.
POLICIES: tuple[str, ...] = ("auto", "llm", "human", "replay:RUN[:FALLBACK]", "editor")
POLICY_HELP: dict[str, str] = {
    "auto": "approve iff the rules on the evidence pass (syntax, new errors, test regressions, reproduction)",
    "llm": "the reviewer model decides, after the automatic rules",
    "human": "you decide at a terminal prompt",
    "replay:RUN[:FALLBACK]": "the decisions recorded in run RUN; FALLBACK (default auto) for the others",
    "editor": "your editor decides (only through `swarm lsp`)",
}

__all__ = [
    "POLICIES", "POLICY_HELP", "ProxyError", "ProxyQuit", "ProxySettings", "close_proxy", "make_proxy", "policy_help",
]


def policy_help() -> str:
    """One line per policy, for `--proxy` help."""
    return "; ".join(f"{name}: {text}" for name, text in POLICY_HELP.items())


def make_proxy(
    spec: str,
    *,
    config: SwarmConfig,
    runlog: RunLog | None = None,
    console: Console | None = None,
    model: Model | None = None,
    model_factory: Callable[[str], Model] | None = None,
) -> ProxyUser:
    """The proxy user for `spec` (see POLICIES), set up from `config`'s `[proxy]`.

    The reviewer for `llm` is `model`, else `model_factory("reviewer")` (the
    run driver's role -> Model factory), both owned by the caller; else the
    `reviewer` role's model is built from `config` and belongs to the proxy:
    `await close_proxy(proxy)` when the run ends. `console` is where `human`
    draws (default: the terminal's stderr). `runlog` is where `replay:` reads
    the recorded decisions.
    """
    policy, _, rest = spec.strip().partition(":")
    settings = ProxySettings.from_config(config)
    if policy == "auto" and not rest:
        return _policy_module("auto").AutoProxy(settings)
    if policy == "llm" and not rest:
        llm = _policy_module("llm")
        if model is None and model_factory is not None:
            model = model_factory("reviewer")
        if model is not None:
            return llm.LlmProxy(model, settings=settings)
        from swarm.models import model_for

        return llm.LlmProxy(model_for("reviewer", config), settings=settings, owns_model=True)
    if policy == "human" and not rest:
        return _policy_module("human").HumanProxy(console, settings=settings)
    if policy == "editor":
        raise ProxyError(
            "the editor policy asks an editor over LSP and is built by `swarm lsp` for its client; "
            "from the command line choose auto, llm or human"
        )
    if policy == "replay":
        return _replay(rest, config=config, runlog=runlog, console=console, model=model, model_factory=model_factory)
    raise ProxyError(f"unknown proxy policy {spec!r}; choose one of: {', '.join(POLICIES)}")


def _replay(
    rest: str,
    *,
    config: SwarmConfig,
    runlog: RunLog | None,
    console: Console | None,
    model: Model | None,
    model_factory: Callable[[str], Model] | None,
) -> ProxyUser:
    run_ref, _, fallback_spec = rest.partition(":")
    if not run_ref:
        raise ProxyError("replay needs a run id: --proxy replay:RUN[:FALLBACK] (see `swarm runs`)")
    fallback_spec = fallback_spec or "auto"
    if fallback_spec.partition(":")[0] in ("replay", "editor"):
        raise ProxyError(f"the fallback of replay:{run_ref} must be auto, llm or human, not {fallback_spec!r}")
    module = _policy_module("replay")
    if runlog is None:
        raise ProxyError(f"replay:{run_ref} needs the run log that recorded that run")
    run_id = runlog.resolve_run(run_ref)
    fallback = make_proxy(
        fallback_spec, config=config, runlog=runlog, console=console, model=model, model_factory=model_factory
    )
    proxy: ProxyUser = module.ReplayProxy(run_id, runlog, fallback)
    return proxy


async def close_proxy(proxy: ProxyUser) -> None:
    """Release what a proxy holds (the reviewer model make_proxy built for
    `llm`); a no-op for the policies that hold nothing."""
    closer = getattr(proxy, "aclose", None)
    if closer is not None:
        await closer()


def _policy_module(policy: str) -> Any:
    """swarm.proxy.<policy>, imported now: a policy costs nothing until chosen."""
    name = f"swarm.proxy.{policy}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ProxyError(f"the {policy} proxy policy is not available in this build; choose another of: "
                         f"{', '.join(p for p in POLICIES if p.partition(':')[0] != policy)}") from None
