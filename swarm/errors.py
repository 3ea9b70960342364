"""Errors of the swarm layer."""


class SwarmError(Exception):
    """Base for every user-facing error of swarm/."""
