"""Errors of the proxy user (swarm/proxy/)."""

from __future__ import annotations

from swarm.errors import RunQuit, SwarmError


class ProxyError(SwarmError):
    """A proxy user cannot be made or cannot decide: unknown policy spec, bad
    `[proxy]` setting, no terminal for the human policy."""


class ProxyQuit(RunQuit):
    """The human at the terminal chose to quit: the run driver ends the run
    as cancelled and keeps its state for `--resume`."""
