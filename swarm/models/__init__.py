"""Model providers behind one protocol (`swarm.protocols.Model`).

    config = load_config(repo=repo)                 # swarm.config
    async with model_for("symbol_agent", config, tracker=tracker, observers=[run_log]) as model:
        agent_model = model.for_agent("shop/cart.py::Cart.total")
        completion = await agent_model.complete(messages, tools=tools)

Providers (one module each, imported only when used): anthropic, openai,
openai-compatible, anthropic-compatible, scripted; `local` is registered for
the managed llama-server.
"""

from swarm.models.budget import Budget, Spend, SpendTracker
from swarm.models.chat import ChatModel
from swarm.models.errors import (
    BudgetExceeded,
    MalformedResponse,
    MalformedToolCall,
    MissingApiKey,
    ModelConfigError,
    ModelError,
    ModelRequestError,
    ProviderError,
    ProviderNotAvailable,
    ProviderUnavailable,
    ScriptError,
    ScriptExhausted,
    ScriptMismatch,
    TruncatedToolCall,
)
from swarm.models.pricing import DEFAULT_PRICES, Price, PriceTable
from swarm.models.providers import ProviderInfo, known_providers, model_for, register_provider, unregister_provider
from swarm.models.retry import RetryPolicy
from swarm.protocols import (
    CallObserver,
    CallRecord,
    ChatMessage,
    Completion,
    Model,
    ToolCall,
    ToolSpec,
    Usage,
)

__all__ = [
    "Budget", "BudgetExceeded", "CallObserver", "CallRecord", "ChatMessage", "ChatModel",
    "Completion", "DEFAULT_PRICES", "MalformedResponse", "MalformedToolCall", "MissingApiKey",
    "Model", "ModelConfigError", "ModelError", "ModelRequestError", "Price", "PriceTable",
    "ProviderError", "ProviderInfo", "ProviderNotAvailable", "ProviderUnavailable", "RetryPolicy",
    "ScriptError", "ScriptExhausted", "ScriptMismatch", "Spend", "SpendTracker", "ToolCall",
    "ToolSpec", "TruncatedToolCall", "Usage", "known_providers", "model_for", "register_provider", "unregister_provider",
]
