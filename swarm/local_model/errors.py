"""Errors of the embedded local model: each says what failed and what to do."""

from __future__ import annotations

from swarm.errors import SwarmError


class LocalModelError(SwarmError):
    """Base for every error of swarm.local_model."""


class NotInstalledError(LocalModelError):
    """The weights or the server binary are not in the cache and may not be installed now."""


class DownloadError(LocalModelError):
    """pip could not fetch a package from the configured index (no network, wrong index)."""


class IntegrityError(LocalModelError):
    """Assembled weights do not have the expected size or sha256."""


class BuildError(LocalModelError):
    """Building llama-server failed; the message carries the tail of the build log."""


class PortInUseError(LocalModelError):
    """The port asked for is already taken by another process."""


class ServerStartError(LocalModelError):
    """llama-server exited or never became healthy while starting."""


class ServerCrashedError(LocalModelError):
    """llama-server died during the run and the one allowed restart did not help."""


class TokenizeError(LocalModelError):
    """The server's /tokenize endpoint did not answer with tokens."""
