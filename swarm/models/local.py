"""The `local` provider: a small model on a llama-server that swarm runs
itself, spoken to through the OpenAI-compatible provider's code path (the
same one vLLM, Ollama and llama.cpp users take).

The default when no API key is configured. The server is started on the
first call (installing model and server first if needed, with progress),
shared by every role and agent of the run that uses the same model, restarted
once if it crashes, and stopped when the last model using it is closed — or
by the kernel if the whole process dies (see swarm.local_model.server).

Settings ([models.ROLE] in swarm.toml, or SWARM_MODEL=local:MODEL):
- `model = "qwen2.5-coder-1.5b-instruct"` (default): the installed model;
- `model = "/path/to/own.gguf"`: serve your own GGUF with the built server;
- `base_url = "http://127.0.0.1:8080/v1"`: use a server you run; nothing is
  started or installed.
Environment: SWARM_LOCAL_GGUF / SWARM_LLAMA_SERVER (own files),
SWARM_LOCAL_CONTEXT (context window, default 4096), SWARM_LOCAL_PORT (a fixed
port for the server, default a free one), SWARM_LOCAL_THREADS (its -t; default
the cores the machine's load leaves idle), SWARM_NO_AUTO_INSTALL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from swarm.local_model.commands import Progress, stderr_progress
from swarm.local_model.errors import LocalModelError, NotInstalledError
from swarm.local_model.first_use import ensure_installed
from swarm.local_model.server import DEFAULT_CONTEXT, LocalServer, ServerConfig, check_files, new_log_path
from swarm.models.backend import Reply, Request
from swarm.models.errors import ModelConfigError, ProviderNotAvailable, ProviderUnavailable
from swarm.models.openai import OpenAIBackend
from swarm.models.openai_compatible import COMPATIBLE
from swarm.models.retry import RetryPolicy
from swarm.models.secret import Secret

if TYPE_CHECKING:
    from swarm.config import ModelSettings

PROVIDER = "local"
CONTEXT_ENV = "SWARM_LOCAL_CONTEXT"
PORT_ENV = "SWARM_LOCAL_PORT"
THREADS_ENV = "SWARM_LOCAL_THREADS"
# A local server that fails twice in a row has crashed or is wedged: hand it
# to recover() quickly instead of backing off for the remote-API schedule.
LOCAL_MAX_ATTEMPTS = 2


class LocalServerFailed(ProviderUnavailable):
    """The managed llama-server could not be started, or crashed again after
    its one restart. Work approved so far is kept in the run log."""


@dataclass(slots=True)
class _Shared:
    lock: trio.Lock = field(default_factory=trio.Lock)
    server: LocalServer | None = None
    users: int = 0


# One server per configuration per trio run: every role and agent of a run
# shares it; a new run (a new trio.run) starts its own.
_SERVERS: trio.lowlevel.RunVar[dict[ServerConfig, _Shared]] = trio.lowlevel.RunVar("swarm_local_servers")


def _shared(config: ServerConfig) -> _Shared:
    try:
        table = _SERVERS.get()
    except LookupError:
        table = {}
        _SERVERS.set(table)
    return table.setdefault(config, _Shared())


async def acquire_server(config: ServerConfig, progress: Progress = stderr_progress) -> LocalServer:
    """The running server for `config`, started by the first caller."""
    shared = _shared(config)
    async with shared.lock:
        if shared.server is None:
            check_files(config)
            server = LocalServer(config, config.log_path or new_log_path())
            progress(f"starting llama-server for {config.model.name} (log: {server.log_path})")
            await server.start()
            shared.server = server
        shared.users += 1
        return shared.server


async def release_server(config: ServerConfig) -> None:
    """Drop one use; the last one stops the server (even when cancelled)."""
    shared = _shared(config)
    with trio.CancelScope(shield=True):
        async with shared.lock:
            shared.users -= 1
            if shared.users <= 0 and shared.server is not None:
                server, shared.server, shared.users = shared.server, None, 0
                await server.stop()


def context_size(env: Mapping[str, str]) -> int:
    raw = env.get(CONTEXT_ENV, "")
    if not raw:
        return DEFAULT_CONTEXT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 512:
        raise ModelConfigError(f"${CONTEXT_ENV} must be a whole number of tokens >= 512 (e.g. 4096 or 8192), not {raw!r}")
    return value


def server_threads(env: Mapping[str, str], cores: int | None = None, load: float | None = None) -> int:
    """llama-server's -t: $SWARM_LOCAL_THREADS, else the cores left idle by
    the machine's 1-minute load (at least 1). Its threads synchronise every
    token, so one descheduled thread stalls the rest: on the shared 2-core
    machine under a load of ~8, -t 2 generated 0.7 tok/s and -t 1 13 tok/s
    (prompt 16 against 26 tok/s); idle, -t 2 is the faster."""
    raw = env.get(THREADS_ENV, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ModelConfigError(f"${THREADS_ENV} must be a whole number of threads >= 1, not {raw!r}")
        return int(raw)
    cores = cores if cores is not None else (os.cpu_count() or 1)
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
    return max(1, min(cores, round(cores - load)))


def server_port(env: Mapping[str, str]) -> int | None:
    """The port asked for by $SWARM_LOCAL_PORT, None to pick a free one."""
    raw = env.get(PORT_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ModelConfigError(f"${PORT_ENV} must be a TCP port number (1-65535), not {raw!r}; unset it to pick a free port")
    return int(raw)


class LocalBackend:
    """A `Backend` over a managed llama-server (or the user's own server)."""

    def __init__(
        self,
        settings: ModelSettings,
        *,
        key: Secret | None = None,
        env: Mapping[str, str] | None = None,
        progress: Progress = stderr_progress,
    ) -> None:
        self.provider = PROVIDER
        self.model = settings.model
        self.priced = False  # runs on this machine: no price per token
        self.settings = settings
        self.key = key  # only for a user's own server behind a proxy (api_key_env)
        self.env = os.environ if env is None else env
        self.progress = progress
        self.server: LocalServer | None = None
        self._config: ServerConfig | None = None
        self.inner: OpenAIBackend | None = None
        self._lock = trio.Lock()

    def __repr__(self) -> str:
        where = self.settings.base_url or (self.server.base_url if self.server else "not started")
        return f"LocalBackend({self.model} at {where})"

    async def reply(self, request: Request) -> Reply:
        inner = await self._connect()
        if self.server is not None and not self.server.running:
            await self._recover()
        try:
            return await inner.reply(request)
        except ProviderUnavailable:
            if self.server is None:  # the user's own server: nothing to restart
                raise
            await self._recover()
            return await inner.reply(request)

    async def aclose(self) -> None:
        inner, config = self.inner, self._config
        self.inner = self._config = None
        self.server = None
        if inner is not None:
            await inner.aclose()
        if config is not None:
            await release_server(config)

    async def _recover(self) -> None:
        assert self.server is not None
        try:
            await self.server.recover()
        except LocalModelError as exc:
            raise LocalServerFailed(str(exc)) from None

    async def _connect(self) -> OpenAIBackend:
        async with self._lock:
            if self.inner is not None:
                return self.inner
            policy = self.settings.retry_policy()
            if self.settings.base_url:
                self.inner = self._backend(self.settings.base_url, policy)
                return self.inner
            config = await self._server_config()
            try:
                self.server = await acquire_server(config, self.progress)
            except LocalModelError as exc:
                raise LocalServerFailed(str(exc)) from None
            self._config = config
            self.progress(f"local model {self.model} served by llama-server at {self.server.base_url}")
            self.inner = self._backend(self.server.base_url, replace(policy, max_attempts=min(policy.max_attempts, LOCAL_MAX_ATTEMPTS)))
            return self.inner

    def _backend(self, base_url: str, policy: RetryPolicy) -> OpenAIBackend:
        return OpenAIBackend(
            model=self.settings.model,
            key=self.key,
            base_url=base_url,
            policy=policy,
            stream=self.settings.stream,
            dialect=COMPATIBLE,
            provider=PROVIDER,
        )

    async def _server_config(self) -> ServerConfig:
        try:
            installed = await ensure_installed(env=self.env, progress=self.progress)
        except NotInstalledError as exc:
            raise ProviderNotAvailable(str(exc)) from None
        weights = installed.weights.path
        if self.settings.model.endswith(".gguf"):
            weights = Path(self.settings.model).expanduser()
            if not weights.is_file():
                raise ModelConfigError(f"local model file {weights} does not exist; set model to an existing .gguf")
        return ServerConfig(binary=installed.server.path, model=weights, context=context_size(self.env),
                            port=server_port(self.env), threads=server_threads(self.env))


def build(settings: ModelSettings, key: Secret | None) -> LocalBackend:
    """Nothing is started or installed here: that happens on the first call."""
    return LocalBackend(settings, key=key)
