"""Named points where a run can be made to stop and wait, for crash tests.

With `SWARM_PAUSE_AT=<point>` (and optionally `SWARM_PAUSE_FILE=<path>`) in
the environment, a run that reaches that point writes the file (so a test
knows the point was reached) and then waits forever, for the test to kill
the process with SIGKILL. Without the variable every point is a no-op.

Points, in the order a proposal passes them (swarm.agents.harness_participant):
`proposed` (recorded, not checked), `checked` (check report recorded),
`decided` (verdict recorded, edit still tentative), `applying` (apply intent
recorded, not confirmed), `applied` (confirmed).
"""

from __future__ import annotations

import os
from pathlib import Path

import trio

POINTS = ("proposed", "checked", "decided", "applying", "applied")


async def pause_point(name: str) -> None:
    if os.environ.get("SWARM_PAUSE_AT") != name:
        return
    marker = os.environ.get("SWARM_PAUSE_FILE")
    if marker:
        Path(marker).write_text(name)
    await trio.sleep_forever()
