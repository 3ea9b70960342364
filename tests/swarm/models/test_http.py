"""HttpEndpoint: error bodies of every dialect, and keys kept out of logs."""

from __future__ import annotations

import logging

import pytest

from swarm.models.errors import ProviderError, ProviderUnavailable
from swarm.models.http import HttpEndpoint, error_message
from swarm.models.retry import RetryPolicy
from swarm.models.secret import Secret
from tests.swarm.models.conftest import KEY, SleepLog
from tests.swarm.models.loopback import Drop, Received, Respond, replies, serve

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', "overloaded_error: Overloaded"),
        (b'{"error":{"message":"Bad key","type":"invalid_request_error","code":"invalid_api_key"}}',
         "invalid_request_error: Bad key"),
        (b'{"error":{"message":"no type"}}', "no type"),
        (b'{"error":"Model not loaded"}', "Model not loaded"),
        (b'{"message":"plain"}', "plain"),
        (b'{"detail":"fastapi style"}', '{"detail": "fastapi style"}'),
        (b"<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>"),
        (b"", "(empty body)"),
    ],
)
def test_error_message_reads_every_dialect(body: bytes, message: str) -> None:
    assert error_message(body) == message


def endpoint(url: str, *, key: Secret, sleeps: SleepLog, attempts: int = 3) -> HttpEndpoint:
    return HttpEndpoint(
        base_url=url, describe="test:model", policy=RetryPolicy(max_attempts=attempts, base_delay_s=0.01),
        auth=lambda: {"authorization": f"Bearer {key.reveal()}"}, secrets=(key,), sleep=sleeps,
    )


async def test_a_key_never_reaches_logs_or_errors_through_retries(caplog) -> None:
    caplog.set_level(logging.DEBUG)  # httpx, httpcore and ours, all of it
    key = Secret(KEY, "ANTHROPIC_API_KEY")

    def echo(received: Received):
        # Every failure echoes the credential it was sent.
        return Respond(503, {"error": {"message": f"down; you sent {received.headers['authorization']}"}})

    async with serve(echo) as server:
        point = endpoint(server.url, key=key, sleeps=SleepLog())
        with pytest.raises(ProviderUnavailable) as caught:
            await point.post_json("v1/x", {"q": 1})
        await point.aclose()
    assert len(server.received) == 3
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent...
    for text in (str(caught.value), caplog.text):  # ...and never shown
        assert KEY not in text and KEY[: len(KEY) // 2] not in text and KEY[len(KEY) // 2:] not in text
    assert "[redacted]" in str(caught.value) and "[redacted]" in caplog.text


async def test_the_client_is_reused_across_calls_and_reopened_after_close() -> None:
    async with serve(replies(Respond(200, {"n": 1}), Respond(200, {"n": 2}), Respond(200, {"n": 3}))) as server:
        point = endpoint(server.url, key=Secret("k" * 30, "K"), sleeps=SleepLog())
        assert (await point.post_json("a", {}))[0] == {"n": 1}
        assert (await point.post_json("/a", {}))[0] == {"n": 2}
        assert server.connections == 1  # keep-alive: one connection for both
        await point.aclose()
        assert (await point.post_json("a", {}))[0] == {"n": 3}
        await point.aclose()
    assert [r.path for r in server.received] == ["/a", "/a", "/a"]


async def test_a_4xx_is_final_and_a_drop_is_transient() -> None:
    sleeps = SleepLog()
    async with serve(replies(Drop(), Respond(422, {"error": "bad field"}))) as server:
        point = endpoint(server.url, key=Secret("k" * 30, "K"), sleeps=sleeps)
        with pytest.raises(ProviderError, match=r"test:model: HTTP 422: bad field \(the provider refused") as caught:
            await point.post_json("a", {})
        await point.aclose()
    assert caught.value.status == 422 and len(sleeps.delays) == 1


async def test_timeouts_and_conflicts_are_retried_like_server_errors() -> None:
    sleeps = SleepLog()
    answers = replies(Respond(408, {"error": "request timeout"}), Respond(409, {"error": "conflict"}),
                      Respond(200, {"ok": True}))
    async with serve(answers) as server:
        point = endpoint(server.url, key=Secret("k" * 30, "K"), sleeps=sleeps)
        assert await point.post_json("a", {}) == ({"ok": True}, 3)
        await point.aclose()
    assert len(sleeps.delays) == 2
