"""The provider registry and `model_for`, the one way to get a model.

Providers are listed by name with the module that implements them; a module
is imported only when its provider is used, and exposes
`build(settings, key) -> Backend`. A later provider is one more entry here
(or `register_provider` at run time, e.g. from a plugin).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from swarm.models.backend import Backend
from swarm.models.budget import SpendTracker
from swarm.models.chat import ChatModel
from swarm.models.errors import MissingApiKey, ModelConfigError, ProviderNotAvailable
from swarm.models.secret import Secret
from swarm.protocols import CallObserver

if TYPE_CHECKING:
    from swarm.config import ModelSettings, SwarmConfig


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """`key_env` is the variable read for the key unless the settings name
    another (`api_key_env`); `needs_key` makes a missing key an error before
    any request is sent."""

    name: str
    module: str
    summary: str
    default_model: str | None = None
    key_env: str | None = None
    needs_key: bool = False
    needs_base_url: bool = False


_PROVIDERS: dict[str, ProviderInfo] = {
    info.name: info
    for info in (
        ProviderInfo(
            "anthropic", "swarm.models.anthropic", "Anthropic Messages API",
            default_model="claude-opus-4-5", key_env="ANTHROPIC_API_KEY", needs_key=True,
        ),
        ProviderInfo(
            "openai", "swarm.models.openai", "OpenAI Chat Completions API",
            default_model="gpt-4.1", key_env="OPENAI_API_KEY", needs_key=True,
        ),
        ProviderInfo(
            "openai-compatible", "swarm.models.openai_compatible",
            "any Chat Completions server by base_url (vLLM, Ollama, llama.cpp, OpenRouter, DeepSeek)",
            needs_base_url=True,
        ),
        ProviderInfo(
            "anthropic-compatible", "swarm.models.anthropic_compatible",
            "any Messages API server by base_url (e.g. GLM)",
            needs_base_url=True,
        ),
        ProviderInfo(
            "scripted", "swarm.models.scripted",
            "plays replies from a script file (tests, offline demo); model = the script's path",
        ),
        ProviderInfo(
            "local", "swarm.models.local", "a llama-server on this machine, managed by swarm",
            default_model="qwen2.5-coder-1.5b-instruct",
        ),
    )
}


def known_providers() -> Mapping[str, ProviderInfo]:
    return dict(_PROVIDERS)


def register_provider(info: ProviderInfo) -> None:
    """Add (or replace) a provider; its module needs `build(settings, key)`."""
    _PROVIDERS[info.name] = info


def unregister_provider(name: str) -> None:
    _PROVIDERS.pop(name, None)


def provider_info(name: str) -> ProviderInfo:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise ModelConfigError(
            f"unknown model provider {name!r}; known: {', '.join(sorted(_PROVIDERS))}"
        ) from None


def api_key(settings: ModelSettings, env: Mapping[str, str], *, role: str) -> Secret | None:
    """The key for `settings` from the environment, or None where it is optional."""
    info = provider_info(settings.provider)
    variable = settings.api_key_env or info.key_env
    value = env.get(variable, "") if variable else ""
    if value:
        return Secret(value, variable or "")
    if info.needs_key or settings.api_key_env:
        variable = variable or f"{settings.provider.upper().replace('-', '_')}_API_KEY"
        raise MissingApiKey(
            f"the {settings.provider} model for role {role} needs an API key: set ${variable} "
            f"in the environment (or name another variable with api_key_env in [models.{role}])"
        )
    return None


def build_backend(settings: ModelSettings, env: Mapping[str, str], *, role: str) -> Backend:
    info = provider_info(settings.provider)
    try:
        module = importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        if exc.name != info.module:
            raise
        raise ProviderNotAvailable(
            f"the {info.name} provider is not available yet ({info.summary}). Set ANTHROPIC_API_KEY "
            "or OPENAI_API_KEY, configure another provider in swarm.toml, or run the demo with "
            "SWARM_MODEL=scripted:<script.toml>"
        ) from None
    key = api_key(settings, env, role=role)
    backend: Backend = module.build(settings, key)
    return backend


def model_for(
    role: str,
    config: SwarmConfig,
    *,
    env: Mapping[str, str] | None = None,
    tracker: SpendTracker | None = None,
    observers: Sequence[CallObserver] = (),
    agent: str | None = None,
) -> ChatModel:
    """The model configured for `role`. Close it when the run ends (`async
    with`); give each agent its view with `for_agent(address)`.

    `env` defaults to `os.environ`; keys are read from it here and kept only
    inside the provider's client.
    """
    settings = config.for_role(role)
    backend = build_backend(settings, os.environ if env is None else env, role=role)
    return ChatModel(
        backend,
        role=role,
        agent=agent,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        prices=config.prices,
        tracker=tracker,
        observers=observers,
    )
