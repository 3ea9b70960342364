"""Installing the local model on first use, from inside a running program.

Install and build are long blocking jobs, so a run does not do them in its
own event loop: it runs `swarm model install` as a child process (cancellable
like any trio subprocess; Ctrl-C stops it) whose progress goes straight to
the user's terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

import trio

from swarm.local_model.commands import Progress, stderr_progress
from swarm.local_model.errors import NotInstalledError
from swarm.local_model.paths import LocalModelStatus, status

NO_AUTO_INSTALL_ENV = "SWARM_NO_AUTO_INSTALL"


def install_command() -> list[str]:
    return [sys.executable, "-m", "swarm.cli.main", "model", "install"]


async def ensure_installed(
    *, env: Mapping[str, str] | None = None, progress: Progress = stderr_progress
) -> LocalModelStatus:
    """The status of a ready local model, installing it first if needed."""
    env = os.environ if env is None else env
    current = status(env=env)
    if current.ready:
        return current
    missing = [
        what
        for what, artefact in (("weights", current.weights), ("llama-server", current.server))
        if not artefact.ready
    ]
    if any(artefact.source != "cache" and not artefact.ready for artefact in (current.weights, current.server)):
        raise NotInstalledError(
            f"the local model's {' and '.join(missing)} configured by environment variable "
            f"do not exist: weights {current.weights.describe}; server {current.server.describe}"
        )
    if env.get(NO_AUTO_INSTALL_ENV):
        raise NotInstalledError(
            f"the local model is not installed ({', '.join(missing)} missing) and ${NO_AUTO_INSTALL_ENV} "
            "forbids installing it now; run `swarm model install`"
        )
    progress(
        f"first use of the local model: installing {', '.join(missing)} "
        "(about 1 GiB download and a one-time build of a few minutes; later runs start in seconds)"
    )
    result = await trio.run_process(install_command(), check=False, env=dict(env))
    if result.returncode != 0:
        raise NotInstalledError(
            f"installing the local model failed (exit {result.returncode}; see the messages above). "
            "Run `swarm model install` to retry, configure an API key for another provider, or point "
            "SWARM_LOCAL_GGUF / SWARM_LLAMA_SERVER at files you already have"
        )
    installed = status(env=env)
    if not installed.ready:
        raise NotInstalledError(
            f"`swarm model install` finished but the local model is still not ready: "
            f"weights {installed.weights.describe}; server {installed.server.describe}"
        )
    return installed
