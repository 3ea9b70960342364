"""Run the swarm on an issue: the public entry point (see swarm.runner.driver).

    from swarm.run import RunRequest, run_swarm
    outcome = await run_swarm(RunRequest(repo=Path("."), issue=text, config=load_config()))
    outcome.status, outcome.reason, outcome.patch
"""

from swarm.runner.checkout import CheckoutError, NotAGitRepository
from swarm.runner.driver import ProxyNotAvailable, run_swarm
from swarm.runner.request import EVENT_KINDS, STATUSES, RunEvent, RunOutcome, RunRequest, Spend
from swarm.runner.resume import ResumeError

__all__ = [
    "EVENT_KINDS", "STATUSES", "CheckoutError", "NotAGitRepository", "ProxyNotAvailable", "ResumeError",
    "RunEvent", "RunOutcome", "RunRequest", "Spend", "run_swarm",
]
