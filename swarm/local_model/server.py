"""A llama-server process owned by one run: started on 127.0.0.1 at a free
port, health-checked, shared by every agent of the run, restarted once if it
crashes, and shut down when the run ends — normally, on Ctrl-C, or on error.

    async with local_server(ServerConfig(binary=..., model=...)) as server:
        ...  # OpenAI-compatible API at server.base_url

A crash is noticed by whoever next fails to reach the server: it calls
`server.recover()`, which restarts the process on the same port once per run
(concurrent callers share that restart); a second crash raises
ServerCrashedError, a clear failure the run reports while its log keeps what
was approved. No background task is needed, so exceptions from the body are
never wrapped in exception groups. On Linux the child also gets
PDEATHSIG, so even a SIGKILLed parent never leaves a server behind.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import httpx
import trio

from swarm.local_model.errors import PortInUseError, ServerCrashedError, ServerStartError

DEFAULT_CONTEXT = 4096
DEFAULT_THREADS = 2
LOOPBACK = "127.0.0.1"
TERMINATE_GRACE = 5.0
POLL_INTERVAL = 0.1
AUTO_PORT_ATTEMPTS = 3
BIND_FAILURE_MARKERS = ("couldn't bind", "address already in use", "failed to bind")


def template_path() -> Path:
    """The chat template shipped with the package (see qwen_tools.jinja)."""
    return Path(str(resources.files("swarm.local_model").joinpath("qwen_tools.jinja")))


@dataclass(frozen=True, slots=True)
class ServerConfig:
    binary: Path
    model: Path
    template: Path = field(default_factory=template_path)
    port: int | None = None  # None: pick a free one
    context: int = DEFAULT_CONTEXT
    threads: int = DEFAULT_THREADS
    ready_timeout: float = 180.0
    log_path: Path | None = None  # None: a fresh file in the temp dir
    extra_args: tuple[str, ...] = ()
    max_restarts: int = 1


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def server_argv(config: ServerConfig, port: int) -> list[str]:
    return [
        str(config.binary),
        "--model", str(config.model),
        "--host", LOOPBACK,
        "--port", str(port),
        "-c", str(config.context),
        "-t", str(config.threads),
        "--jinja",
        "--chat-template-file", str(config.template),
        "--no-webui",
        "--offline",
        *config.extra_args,
    ]


def die_with_parent() -> Callable[[], None] | None:
    """A preexec hook asking Linux to SIGKILL the child when we die; None elsewhere.

    SIGKILL, not SIGTERM: llama-server answers SIGTERM by finishing the
    request in flight, which on a busy machine kept an orphan computing for
    minutes for a reader that is gone."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)

    return hook


async def wait_exit(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to `timeout` s for the process to exit (and reap it)."""
    with trio.move_on_after(timeout):
        while process.poll() is None:
            await trio.sleep(POLL_INTERVAL / 2)
        return True
    return False


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("r", errors="replace") as handle:
            return "\n".join(line.rstrip("\n") for line in collections.deque(handle, maxlen=lines))
    except OSError:
        return "(no server log)"


class LocalServer:
    """Handle on the running server. Agents share it; use `base_url` for the
    OpenAI-compatible API and `recover()` after a connection error."""

    def __init__(self, config: ServerConfig, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self.port = 0
        self.restarts = 0
        self.pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = trio.Lock()

    @property
    def root_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI-compatible API root (what an OpenAI client takes as base_url)."""
        return f"{self.root_url}/v1"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    async def healthy(self) -> bool:
        """One /health probe: True when the server answers 200."""
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                return (await client.get(f"{self.root_url}/health")).status_code == 200
        except httpx.TransportError:
            return False

    # -- lifecycle (driven by local_server) ---------------------------------

    async def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        self.port = port
        with self.log_path.open("ab") as log:
            log.write(f"--- starting on port {port} (restart {self.restarts}) ---\n".encode())
            log.flush()
            # Spawned from the event loop's own thread, not a worker thread
            # (as trio.lowlevel.open_process does): PDEATHSIG fires when the
            # spawning *thread* exits, and trio's idle workers exit after
            # seconds. A fork+exec blocks the loop for a few milliseconds.
            process = subprocess.Popen(
                server_argv(self.config, port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C reaches us, and we stop it in order
                preexec_fn=die_with_parent(),
            )
        self._process = process
        self.pid = process.pid
        return process

    async def _await_health(self, process: subprocess.Popen[bytes]) -> None:
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
            with trio.move_on_after(self.config.ready_timeout) as scope:
                while True:
                    if process.poll() is not None:
                        tail = log_tail(self.log_path)
                        if any(marker in tail.lower() for marker in BIND_FAILURE_MARKERS):
                            raise PortInUseError(
                                f"llama-server could not listen on {LOOPBACK}:{self.port}: the port is in use. "
                                "Leave the port unset to pick a free one, or choose another"
                            )
                        raise ServerStartError(
                            f"llama-server exited with code {process.returncode} while starting; "
                            f"last lines of {self.log_path}:\n{tail}"
                        )
                    try:
                        response = await client.get(f"{self.root_url}/health")
                        if response.status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await trio.sleep(POLL_INTERVAL)
            if scope.cancelled_caught:
                raise ServerStartError(
                    f"llama-server did not become healthy within {self.config.ready_timeout:.0f} s; "
                    f"last lines of {self.log_path}:\n{log_tail(self.log_path)}"
                )

    async def _start(self, port: int | None) -> None:
        """Start and wait for health. A picked port that turns out taken is
        retried with another one; a port the user chose is reported."""
        if port is not None:
            if not port_is_free(port):
                raise PortInUseError(
                    f"port {port} on {LOOPBACK} is already in use by another process; "
                    "choose another port or leave it unset to pick a free one"
                )
            process = await self._spawn(port)
            await self._wait_or_stop(process)
            return
        for attempt in range(AUTO_PORT_ATTEMPTS):
            process = await self._spawn(free_port())
            try:
                await self._wait_or_stop(process)
                return
            except PortInUseError:
                if attempt == AUTO_PORT_ATTEMPTS - 1:
                    raise

    async def _wait_or_stop(self, process: subprocess.Popen[bytes]) -> None:
        try:
            await self._await_health(process)
        except BaseException:
            await self._stop(process)
            raise

    async def _stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is not None:
            return
        with trio.CancelScope(shield=True):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            if await wait_exit(process, TERMINATE_GRACE):
                return
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await wait_exit(process, TERMINATE_GRACE)

    async def recover(self) -> None:
        """Call after a request to the server failed at the transport level.

        If the process died (or stays unhealthy past the ready timeout),
        restart it on the same port, once per run; a second death raises
        ServerCrashedError. Concurrent callers share one restart. If the
        process is alive and answers, this only waits for it to be healthy.
        """
        async with self._lock:
            process = self._process
            if process is not None and process.poll() is None:
                try:
                    await self._await_health(process)
                    return
                except ServerStartError:
                    # Died (a kill lands a moment after it is sent) or hung
                    # while we waited: a crash either way.
                    await self._stop(process)
            code = None if process is None else process.returncode
            tail = log_tail(self.log_path)
            if self.restarts >= self.config.max_restarts:
                raise ServerCrashedError(
                    f"llama-server crashed again (exit code {code}) after {self.restarts} restart(s); "
                    f"giving up. Work approved so far is kept. Last lines of {self.log_path}:\n{tail}"
                )
            self.restarts += 1
            with self.log_path.open("a") as log:
                log.write(f"--- server exited with code {code}; restarting on port {self.port} ---\n")
            try:
                await self._start(self.port)
            except (ServerStartError, PortInUseError) as exc:
                raise ServerCrashedError(
                    f"llama-server crashed (exit code {code}) and could not be restarted: {exc}"
                ) from None

    async def start(self) -> None:
        """Start the process and wait until it is healthy (see `local_server`)."""
        await self._start(self.config.port)

    async def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after a grace period);
        safe to call twice and from a cancelled task."""
        if self._process is not None:
            await self._stop(self._process)


def check_files(config: ServerConfig) -> None:
    for path, what in ((config.binary, "llama-server binary"), (config.model, "model file"), (config.template, "chat template")):
        if not path.is_file():
            raise ServerStartError(f"{what} not found at {path}; run `swarm model install` or fix the path")


def new_log_path() -> Path:
    fd, name = tempfile.mkstemp(prefix="swarm-llama-server-", suffix=".log")
    os.close(fd)
    return Path(name)


@contextlib.asynccontextmanager
async def local_server(config: ServerConfig) -> AsyncIterator[LocalServer]:
    """Run llama-server for the duration of the block; see the module doc."""
    check_files(config)
    log_path = config.log_path or new_log_path()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    server = LocalServer(config, log_path)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
