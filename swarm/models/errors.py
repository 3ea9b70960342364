"""What can go wrong when talking to a model, each with a message that says
what to do. No message ever contains an API key (see `secret.redact`)."""

from __future__ import annotations

from swarm.errors import SwarmError


class ModelError(SwarmError):
    """Base of every error a model call raises."""


class ModelConfigError(ModelError):
    """A model cannot be built from its settings (unknown provider, missing key...)."""


class ProviderNotAvailable(ModelConfigError):
    """The provider is known but cannot be used on this machine yet."""


class MissingApiKey(ModelConfigError):
    """The environment variable that should hold the provider's key is unset."""


class ModelRequestError(ModelError):
    """The caller's request is invalid before anything is sent (e.g. a forced
    tool that is not offered)."""


class ProviderError(ModelError):
    """The provider refused the request (4xx other than 408/409/429); retrying
    would not help. `status` is the HTTP status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProviderUnavailable(ModelError):
    """Every attempt failed with a transient error (429, 5xx, timeout,
    connection refused) or the provider asked to wait longer than allowed."""


class MalformedResponse(ModelError):
    """The provider answered 2xx with a body that is not its wire format."""


class MalformedToolCall(ModelError):
    """The model's tool call was still invalid after the repair round."""

    def __init__(self, message: str, *, tool: str | None) -> None:
        super().__init__(message)
        self.tool = tool


class TruncatedToolCall(MalformedToolCall):
    """A tool call was cut off by `max_tokens`; repairing it would be cut too."""


class BudgetExceeded(ModelError):
    """A limit of the run's budget is spent. `limit` names it: `steps`,
    `tokens`, `cost_usd` or `wall_s`."""

    def __init__(self, message: str, *, limit: str, used: float, allowed: float) -> None:
        super().__init__(message)
        self.limit = limit
        self.used = used
        self.allowed = allowed


class ScriptError(ModelError):
    """A scripted model's script is invalid, ran out, or matched nothing."""


class ScriptExhausted(ScriptError):
    """Every reply the script had for this caller was already played."""


class ScriptMismatch(ScriptError):
    """No remaining reply of the script matches this call."""
