"""Any server that speaks Anthropic's Messages API at its own base URL
(Zhipu's GLM endpoint, proxies, gateways). Same wire as `anthropic.py`; the
key is optional, its variable is whatever `api_key_env` names, and it is
sent both as `x-api-key` and as a bearer token (gateways differ)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarm.models.anthropic import AnthropicBackend
from swarm.models.errors import ModelConfigError
from swarm.models.secret import Secret

if TYPE_CHECKING:
    from swarm.config import ModelSettings

PROVIDER = "anthropic-compatible"


def build(settings: ModelSettings, key: Secret | None) -> AnthropicBackend:
    if not settings.base_url:
        raise ModelConfigError(
            f"provider {PROVIDER} needs base_url: the host root that serves /v1/messages "
            '(e.g. base_url = "https://api.z.ai/api/anthropic")'
        )
    return AnthropicBackend(
        model=settings.model,
        key=key,
        base_url=settings.base_url,
        policy=settings.retry_policy(),
        stream=settings.stream,
        provider=PROVIDER,
        bearer=True,
    )
