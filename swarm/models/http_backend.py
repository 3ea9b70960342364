"""What every HTTP provider shares: a `Backend` that encodes a request in its
wire format, posts it (plain or streamed) through an `HttpEndpoint`, and
decodes the reply. Subclasses (`anthropic.py`, `openai.py`) say only where,
how to authenticate, and the format."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping
from typing import Any

from swarm.models.backend import Reply, Request
from swarm.models.errors import MalformedResponse
from swarm.models.http import HttpEndpoint
from swarm.models.retry import RetryPolicy
from swarm.models.secret import Secret
from swarm.models.sse import SseEvent


class HttpBackend(abc.ABC):
    path: str  # relative to the base URL

    def __init__(
        self,
        *,
        provider: str,
        model: str,
        key: Secret | None,
        base_url: str,
        policy: RetryPolicy | None,
        stream: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.provider = provider
        self.model = model
        self.priced = True
        self.stream = stream
        self._key = key
        self.endpoint = HttpEndpoint(
            base_url=base_url,
            describe=f"{provider}:{model}",
            policy=policy or RetryPolicy(),
            auth=lambda: self.auth_headers(key.reveal()) if key is not None else {},
            secrets=(key,),
            headers=headers,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider}:{self.model} at {self.endpoint.base_url})"

    @abc.abstractmethod
    def auth_headers(self, key: str) -> dict[str, str]: ...

    @abc.abstractmethod
    def encode(self, request: Request) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def assemble(self, events: AsyncIterator[SseEvent]) -> Any:
        """Fold a stream into the body the plain call would have returned."""

    @abc.abstractmethod
    def decode(self, body: Any, request: Request, *, attempts: int) -> Reply: ...

    async def reply(self, request: Request) -> Reply:
        body = self.encode(request)
        if self.stream:
            answer, attempts = await self.endpoint.post_stream(self.path, body, self.assemble)
        else:
            answer, attempts = await self.endpoint.post_json(self.path, body)
        try:
            return self.decode(answer, request, attempts=attempts)
        except MalformedResponse as exc:
            raise MalformedResponse(f"{self.endpoint.describe}: {self.endpoint.redact(str(exc))}") from None

    async def aclose(self) -> None:
        await self.endpoint.aclose()
