"""Anthropic-compatible gateways (GLM and the like): a base URL with a path,
the key as x-api-key and as a bearer token."""

from __future__ import annotations

import pytest

from swarm.config import ModelSettings
from swarm.models.anthropic_compatible import build
from swarm.models.chat import ChatModel
from swarm.models.errors import ModelConfigError
from swarm.models.secret import Secret
from swarm.protocols import ToolCall
from tests.swarm.models import anthropic_wire as aw
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, TOOLS
from tests.swarm.models.loopback import Action, Received, serve

pytestmark = pytest.mark.anyio


def gateway(*actions: Action):
    queue = list(actions)

    def handler(received: Received) -> Action:
        if not received.path.startswith("/api/anthropic/"):
            return aw.error(404, "not_found_error", f"no route {received.path}")
        moved = Received(received.method, received.path.removeprefix("/api/anthropic"), received.headers,
                         received.body)
        return aw.invalid_request(moved) or queue.pop(0)

    return handler


async def test_a_gateway_under_a_path_prefix_gets_messages_api_calls() -> None:
    key = Secret("glm-key-0123456789abcdef01234567", "ZAI_API_KEY")
    reply = aw.ok(aw.tool_use("call_glm_1", "rewrite_symbol", GOOD_ARGS), model="glm-4.6")
    async with serve(gateway(reply)) as server:
        settings = ModelSettings(provider="anthropic-compatible", model="glm-4.6",
                                 base_url=server.url + "/api/anthropic", max_attempts=1)
        async with ChatModel(build(settings, key), role="symbol_agent") as m:
            completion = await m.complete(CONVERSATION, tools=TOOLS)
    assert completion.message.tool_calls == (ToolCall("call_glm_1", "rewrite_symbol", GOOD_ARGS),)
    assert completion.provider == "anthropic-compatible" and completion.model == "glm-4.6"
    assert completion.usage.cost_usd is None  # no price known for glm-4.6: unknown, not free
    sent = server.received[0]
    assert sent.path == "/api/anthropic/v1/messages"
    assert sent.headers["x-api-key"] == key.reveal()
    assert sent.headers["authorization"] == f"Bearer {key.reveal()}"


def test_base_url_is_required() -> None:
    with pytest.raises(ModelConfigError, match="anthropic-compatible needs base_url"):
        build(ModelSettings(provider="anthropic-compatible", model="glm-4.6"), None)
