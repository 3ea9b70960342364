"""The `local` provider end to end: the real llama-server (installed by
`scripts/setup test`) spoken to through our OpenAI-compatible backend.
Structure only, never wording: a 1.5B model's phrasing is not a contract."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from swarm.config import ModelSettings, parse_config
from swarm.local_model.first_use import NO_AUTO_INSTALL_ENV
from swarm.local_model.paths import CACHE_ENV, LocalModelStatus, status
from swarm.local_model.server import ServerConfig, local_server
from swarm.models import ChatModel, model_for
from swarm.models.errors import ModelConfigError, ModelError, ProviderNotAvailable
from swarm.models.local import CONTEXT_ENV, LocalBackend, LocalServerFailed, context_size
from swarm.models.openai import OpenAIBackend
from swarm.protocols import ChatMessage, ToolSpec
from tests.swarm.local_model.processes import alive

pytestmark = pytest.mark.anyio

PRICE = ToolSpec(
    name="get_price",
    description="Price in cents of one product, by its SKU.",
    parameters={"type": "object", "properties": {"sku": {"type": "string", "description": "product SKU"}}, "required": ["sku"]},
)
QUESTION = (
    ChatMessage("system", "You are a shop assistant. Use the functions to look prices up."),
    ChatMessage("user", "What does the product with SKU A-17 cost?"),
)
HELLO = (ChatMessage("user", "Say OK."),)


def local_settings(**changes: object) -> ModelSettings:
    fields: dict[str, object] = {"provider": "local", "model": "qwen2.5-coder-1.5b-instruct", "temperature": 0.0, "max_tokens": 128}
    fields.update(changes)
    return ModelSettings(**fields)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_tool_call_round_trip_through_the_openai_compatible_provider(installed_model: LocalModelStatus) -> None:
    config = parse_config({"models": {"provider": "local", "temperature": 0, "max_tokens": 128}}, env={})
    async with model_for("symbol_agent", config, env={}) as model:
        assert model.name == "local:qwen2.5-coder-1.5b-instruct"
        first = await model.complete(QUESTION, tools=[PRICE], tool_choice="required")
        backend = model.backend
        assert isinstance(backend, LocalBackend) and backend.server is not None
        assert isinstance(backend.inner, OpenAIBackend)  # the same code path as any compatible server
        assert first.stop_reason == "tool_use"
        call = first.message.tool_calls[0]
        assert call.name == "get_price" and isinstance(call.arguments.get("sku"), str)
        assert first.usage.input_tokens > 0 and first.usage.cost_usd == 0

        result = ChatMessage("tool", "1299", tool_call_id=call.id)
        second = await model.complete([*QUESTION, first.message, result], tools=[PRICE], tool_choice="auto")
        assert second.message.tool_calls == ()
        assert second.message.content.strip()
        assert second.stop_reason == "end_turn"
        pid = backend.server.pid
    assert pid is not None and not alive(pid)


@pytest.mark.slow
async def test_roles_share_one_server_stopped_by_the_last_close(installed_model: LocalModelStatus) -> None:
    first = ChatModel(LocalBackend(local_settings(max_tokens=4)), role="symbol_agent")
    second = ChatModel(LocalBackend(local_settings(max_tokens=4)), role="reviewer")
    await first.complete(HELLO)
    await second.complete(HELLO)
    a, b = first.backend, second.backend
    assert isinstance(a, LocalBackend) and isinstance(b, LocalBackend)
    assert a.server is not None and a.server is b.server
    pid = a.server.pid
    assert pid is not None
    await first.aclose()
    assert alive(pid)
    await second.aclose()
    assert not alive(pid)


@pytest.mark.slow
async def test_crash_restarts_once_then_fails_clearly(installed_model: LocalModelStatus) -> None:
    import signal

    async with ChatModel(LocalBackend(local_settings(max_tokens=4)), role="symbol_agent") as model:
        await model.complete(HELLO)
        backend = model.backend
        assert isinstance(backend, LocalBackend) and backend.server is not None
        first_pid = backend.server.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        reply = await model.complete(HELLO)  # restarted behind the scenes
        assert reply.message.content is not None
        assert backend.server.restarts == 1 and backend.server.pid != first_pid
        second_pid = backend.server.pid
        assert second_pid is not None
        os.kill(second_pid, signal.SIGKILL)
        with pytest.raises(LocalServerFailed, match="crashed again") as caught:
            await model.complete(HELLO)
        assert isinstance(caught.value, ModelError)
        assert "Work approved so far is kept" in str(caught.value)


@pytest.mark.slow
async def test_own_server_by_base_url_is_used_not_managed(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    config = ServerConfig(binary=installed_model.server.path, model=installed_model.weights.path, log_path=tmp_path / "own.log")
    async with local_server(config) as own:
        async with ChatModel(LocalBackend(local_settings(base_url=own.base_url, max_tokens=4)), role="reviewer") as model:
            reply = await model.complete(HELLO)
            backend = model.backend
            assert isinstance(backend, LocalBackend)
            assert backend.server is None  # nothing started by the provider
            assert reply.usage.input_tokens > 0
        assert await own.healthy()  # closing the model left the user's server alone


async def test_not_installed_without_auto_install_says_what_to_do(tmp_path: Path) -> None:
    env = {CACHE_ENV: str(tmp_path), NO_AUTO_INSTALL_ENV: "1"}
    backend = LocalBackend(local_settings(), env=env, progress=lambda m: None)
    async with ChatModel(backend, role="symbol_agent") as model:
        with pytest.raises(ProviderNotAvailable, match="swarm model install"):
            await model.complete(HELLO)


async def test_own_gguf_that_does_not_exist_is_a_config_error(installed_model: LocalModelStatus, tmp_path: Path) -> None:
    backend = LocalBackend(local_settings(model=str(tmp_path / "mine.gguf")), progress=lambda m: None)
    async with ChatModel(backend, role="symbol_agent") as model:
        with pytest.raises(ModelConfigError, match="mine.gguf does not exist"):
            await model.complete(HELLO)


def test_context_size_from_the_environment() -> None:
    assert context_size({}) == 4096
    assert context_size({CONTEXT_ENV: "8192"}) == 8192
    for bad in ("lots", "100"):
        with pytest.raises(ModelConfigError, match=CONTEXT_ENV):
            context_size({CONTEXT_ENV: bad})


def test_server_threads_follow_the_idle_cores_unless_set() -> None:
    from swarm.models.local import THREADS_ENV, server_threads

    assert server_threads({}, cores=2, load=0.1) == 2
    assert server_threads({}, cores=2, load=1.2) == 1       # one core busy: one thread
    assert server_threads({}, cores=2, load=8.0) == 1       # oversubscribed: never 0
    assert server_threads({}, cores=8, load=3.0) == 5
    assert server_threads({THREADS_ENV: "3"}, cores=2, load=8.0) == 3
    with pytest.raises(ModelConfigError, match=f"{THREADS_ENV} must be a whole number of threads >= 1, not '0'"):
        server_threads({THREADS_ENV: "0"})


def test_server_port_from_the_environment() -> None:
    from swarm.models.local import PORT_ENV, server_port

    assert server_port({}) is None
    assert server_port({PORT_ENV: "8080"}) == 8080
    with pytest.raises(ModelConfigError, match="must be a TCP port number"):
        server_port({PORT_ENV: "99999"})
