"""Errors of the swarm layer."""


class SwarmError(Exception):
    """Base for every user-facing error of swarm/."""


class RunQuit(SwarmError):
    """Someone with the say over the run (the human at the approval prompt)
    chose to stop it: the run ends `cancelled`, its state kept for `--resume`."""
