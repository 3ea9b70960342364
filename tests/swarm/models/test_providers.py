"""model_for and the provider registry: keys from the environment only,
clear errors for missing keys and unavailable providers."""

from __future__ import annotations

import pytest

from swarm.config import ModelSettings, parse_config
from swarm.models import ChatModel, ProviderInfo, known_providers, model_for, register_provider, unregister_provider
from swarm.models.anthropic import AnthropicBackend
from swarm.models.budget import Budget, SpendTracker
from swarm.models.errors import MissingApiKey, ModelConfigError
from swarm.models.openai import OpenAIBackend
from swarm.models.providers import api_key, build_backend, provider_info
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.conftest import CONVERSATION, KEY
from tests.swarm.models.loopback import replies, serve

pytestmark = pytest.mark.anyio


def config(**models):
    return parse_config({"models": models}, env={})


async def test_anthropic_by_default_when_its_key_is_set() -> None:
    env = {"ANTHROPIC_API_KEY": KEY, "OPENAI_API_KEY": "sk-other-0123456789abcdef"}
    async with model_for("coordinator", parse_config({}, env=env), env=env) as m:
        assert isinstance(m.backend, AnthropicBackend)
        assert m.name == "anthropic:claude-opus-4-5" and m.role == "coordinator"
        assert KEY not in repr(m) and KEY not in repr(m.backend) and KEY not in repr(vars(m))


async def test_openai_when_only_its_key_is_set() -> None:
    env = {"OPENAI_API_KEY": "sk-proj-0123456789abcdef"}
    async with model_for("reviewer", parse_config({}, env=env), env=env) as m:
        assert isinstance(m.backend, OpenAIBackend) and m.name == "openai:gpt-4.1"


def test_local_is_the_default_without_keys_and_starts_nothing() -> None:
    from swarm.models.local import LocalBackend

    model = model_for("symbol_agent", parse_config({}, env={}), env={})
    assert isinstance(model.backend, LocalBackend)
    assert model.name == "local:qwen2.5-coder-1.5b-instruct"
    assert model.backend.server is None  # started on the first call, not when built


def test_a_missing_key_names_the_variable_and_never_a_value() -> None:
    with pytest.raises(MissingApiKey, match=r"role reviewer needs an API key: set \$ANTHROPIC_API_KEY"):
        model_for("reviewer", config(provider="anthropic"), env={})
    with pytest.raises(MissingApiKey, match=r"set \$GLM_KEY"):
        model_for("reviewer", config(provider="anthropic-compatible", model="glm-4.6",
                                     base_url="http://127.0.0.1:9/api", api_key_env="GLM_KEY"), env={})


def test_the_key_comes_from_the_variable_the_settings_name() -> None:
    settings = ModelSettings(provider="openai", model="gpt-4.1", api_key_env="WORK_OPENAI_KEY")
    secret = api_key(settings, {"WORK_OPENAI_KEY": "sk-work-0123456789", "OPENAI_API_KEY": "sk-home"}, role="r")
    assert secret is not None and secret.reveal() == "sk-work-0123456789" and secret.source == "WORK_OPENAI_KEY"
    compatible = ModelSettings(provider="openai-compatible", model="m", base_url="http://127.0.0.1:1/v1")
    assert api_key(compatible, {}, role="r") is None


def test_unknown_providers_list_the_known_ones() -> None:
    with pytest.raises(ModelConfigError, match="unknown model provider 'gemini'; known: anthropic, anthropic-compatible"):
        provider_info("gemini")


def test_a_registered_provider_is_built_by_its_module() -> None:
    register_provider(ProviderInfo("llama-test", "swarm.models.openai_compatible", "test alias", needs_base_url=True))
    try:
        assert "llama-test" in known_providers()
        backend = build_backend(ModelSettings(provider="llama-test", model="m", base_url="http://127.0.0.1:1/v1"),
                                {}, role="r")
        assert isinstance(backend, OpenAIBackend) and backend.provider == "openai-compatible"
    finally:
        unregister_provider("llama-test")
    assert "llama-test" not in known_providers()


async def test_model_for_wires_settings_prices_tracker_and_observers() -> None:
    records = []
    data = {
        "models": {"symbol_agent": {"provider": "openai-compatible", "model": "qwen-local",
                                    "base_url": "http://127.0.0.1:1/v1", "temperature": 0.1, "max_tokens": 300}},
        "prices": {"qwen-local": {"input": 1.0, "output": 2.0}},
    }
    tracker = SpendTracker(Budget(steps=5))
    async with serve(replies(ow.ok("hi", model="qwen-local", prompt_tokens=1_000_000, completion_tokens=0))) as server:
        env = {"SWARM_SYMBOL_AGENT_BASE_URL": server.url + "/v1"}
        cfg = parse_config(data, env=env)
        async with model_for("symbol_agent", cfg, env=env, tracker=tracker, observers=[records.append]) as m:
            assert isinstance(m, ChatModel)
            completion = await m.for_agent("a.py::f").complete(CONVERSATION)
    body = server.received[0].json()
    assert body["temperature"] == 0.1 and body["max_tokens"] == 300
    assert completion.usage.cost_usd == 1.0 and tracker.spend.cost_usd == 1.0
    assert records[0].agent == "a.py::f" and records[0].cost_usd == 1.0


async def test_model_for_reads_os_environ_by_default(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    async with model_for("coordinator", config(provider="anthropic")) as m:
        assert isinstance(m.backend, AnthropicBackend)
        assert m.backend.endpoint.redact(f"echo {KEY}") == "echo [redacted]"
