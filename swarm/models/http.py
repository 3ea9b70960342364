"""One HTTP client per provider endpoint: JSON POSTs and SSE streams with the
retry policy applied, status codes sorted into transient and final errors,
and every error message scrubbed of the API key.

Providers speak HTTP through this rather than through the vendors' SDKs: one
retry loop (ours) instead of two, the key read only from the variable the
config names (the SDKs also look in profile files), and the same code path
for every OpenAI- or Anthropic-compatible server.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio
import httpx

from swarm.models.errors import MalformedResponse, ProviderError
from swarm.models.retry import RetryPolicy, Transient, parse_retry_after, retrying
from swarm.models.secret import Secret, redact
from swarm.models.sse import SseEvent, SseStream

T = TypeVar("T")

# Worth another try: timeouts, conflicts, rate limits, overload (529 is
# Anthropic's "overloaded"), and every server-side error.
RETRYABLE_STATUS = frozenset({408, 409, 429})

_HINTS = {
    400: "the provider refused the request as invalid",
    401: "the API key was refused: check the variable named by api_key_env",
    403: "the API key may not use this model or endpoint",
    404: "check the model name and base_url",
    413: "the conversation is too long for this provider",
    422: "the provider refused the request as invalid",
}


def error_message(body: bytes) -> str:
    """The human part of an error body, whatever the dialect: Anthropic's
    {"error": {"type", "message"}}, OpenAI's {"error": {"message", "code"}},
    llama.cpp's and others' {"error": "..."} or {"message": "..."}."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:300] or "(empty body)"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            return error[:300]
        if isinstance(error, dict):
            message = str(error.get("message", "")).strip()
            kind = error.get("type") or error.get("code")
            if message:
                return f"{kind}: {message}"[:300] if kind else message[:300]
    return json.dumps(data)[:300]


class HttpEndpoint:
    """A base URL, its auth headers and its retry policy. Opens its client on
    first use (inside the caller's event loop); `aclose` releases it."""

    def __init__(
        self,
        *,
        base_url: str,
        describe: str,
        policy: RetryPolicy,
        auth: Callable[[], Mapping[str, str]],
        secrets: tuple[Secret | None, ...],
        headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.describe = describe
        self.policy = policy
        self._auth = auth
        self._secrets = secrets
        self._headers = dict(headers or {})
        self.sleep = sleep  # replaceable: tests record the waits instead of waiting
        self._client: httpx.AsyncClient | None = None

    def _open(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url + "/", headers=self._headers)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)

    async def post_json(self, path: str, body: Mapping[str, Any]) -> tuple[Any, int]:
        """POST `body`, return (decoded JSON reply, attempts)."""

        async def attempt() -> Any:
            client = self._open()
            try:
                response = await client.post(
                    path.lstrip("/"), json=body, headers=dict(self._auth()),
                    timeout=self._timeout(read=self.policy.timeout_s),
                )
            except httpx.TransportError as exc:
                raise Transient(self._transport_failure(exc)) from None
            self._raise_for_status(response.status_code, response.headers, response.content)
            try:
                return response.json()
            except ValueError:
                excerpt = self.redact(response.text[:200])
                raise MalformedResponse(
                    f"{self.describe}: HTTP {response.status_code} but the body is not JSON: "
                    f"{excerpt!r}. Is base_url pointing at the right API?"
                ) from None

        return await retrying(attempt, self.policy, describe=self.describe, sleep=self.sleep)

    async def post_stream(
        self,
        path: str,
        body: Mapping[str, Any],
        consume: Callable[[AsyncIterator[SseEvent]], Awaitable[T]],
    ) -> tuple[T, int]:
        """POST `body` expecting an SSE stream; `consume` reads the events and
        returns the assembled reply. A stream that breaks is retried whole."""

        async def attempt() -> T:
            client = self._open()
            timeout = self._timeout(read=self.policy.idle_timeout_s)
            request = client.build_request(
                "POST", path.lstrip("/"), json=body, headers=dict(self._auth()), timeout=timeout
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.TransportError as exc:
                raise Transient(self._transport_failure(exc)) from None
            try:
                if response.status_code >= 300:
                    content = await response.aread()
                    self._raise_for_status(response.status_code, response.headers, content)
                lines = response.aiter_lines()
                try:
                    return await consume(SseStream(lines))
                finally:
                    # Read to the end even after the final event: the connection
                    # returns to the pool, and httpx's generators finish rather
                    # than being left to the GC (a ResourceWarning under trio).
                    with contextlib.suppress(httpx.HTTPError):
                        async for _ in lines:
                            pass
            except httpx.TransportError as exc:
                raise Transient(f"stream broke: {self._transport_failure(exc)}") from None
            finally:
                await response.aclose()

        return await retrying(attempt, self.policy, describe=self.describe, sleep=self.sleep)

    def _timeout(self, *, read: float) -> httpx.Timeout:
        # A host that does not answer a connect in 30 s is down, whatever
        # the patience for a long generation.
        whole = self.policy.timeout_s
        return httpx.Timeout(whole, connect=min(30.0, whole), read=read)

    def _transport_failure(self, exc: httpx.TransportError) -> str:
        if isinstance(exc, httpx.TimeoutException):
            return f"timed out ({type(exc).__name__})"
        detail = self.redact(str(exc)) or type(exc).__name__
        return f"{type(exc).__name__}: {detail}"

    def _raise_for_status(self, status: int, headers: Mapping[str, str], content: bytes) -> None:
        if status < 300:
            return
        message = self.redact(error_message(content))
        if status in RETRYABLE_STATUS or status >= 500:
            raise Transient(f"HTTP {status}: {message}", retry_after=parse_retry_after(headers))
        hint = _HINTS.get(status, "the provider refused the request")
        raise ProviderError(f"{self.describe}: HTTP {status}: {message} ({hint})", status=status)
