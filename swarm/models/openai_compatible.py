"""Any server that speaks OpenAI's Chat Completions at its own base URL:
vLLM, Ollama, llama.cpp's llama-server, OpenRouter, DeepSeek, LM Studio.

Same wire as `openai.py`, with the quirks these servers share: `max_tokens`
(not `max_completion_tokens`), a forced tool sent as "required" with only
that tool (llama.cpp ignores the object form), calls written as fenced JSON
in the text read as calls. Tolerated on every server anyway: `content: ""`
beside tool calls, ids of any shape or none, arguments sent as an object.
The key is optional (`api_key_env`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarm.models.errors import ModelConfigError
from swarm.models.openai import Dialect, OpenAIBackend
from swarm.models.secret import Secret

if TYPE_CHECKING:
    from swarm.config import ModelSettings

PROVIDER = "openai-compatible"
COMPATIBLE = Dialect(max_tokens_field="max_tokens", force_by_filtering=True, text_tool_calls=True)


def build(settings: ModelSettings, key: Secret | None, *, provider: str = PROVIDER) -> OpenAIBackend:
    if not settings.base_url:
        raise ModelConfigError(
            f"provider {provider} needs base_url, including the /v1 "
            '(e.g. base_url = "http://127.0.0.1:8080/v1" for llama-server, '
            '"http://127.0.0.1:11434/v1" for Ollama)'
        )
    return OpenAIBackend(
        model=settings.model,
        key=key,
        base_url=settings.base_url,
        policy=settings.retry_policy(),
        stream=settings.stream,
        dialect=COMPATIBLE,
        provider=provider,
    )
