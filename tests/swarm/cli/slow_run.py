"""A short run that stores a message every `--every` seconds, then ends `done`.

    python -m tests.swarm.cli.slow_run DB COUNT EVERY

Prints the run id first, so a test can follow the run while it is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import trio

from swarm.bus import open_bus
from swarm.records import RunStatus
from swarm.runlog import RunLog

AGENT = "shop/cart.py::Cart.total"


async def main(db: Path, count: int, every: float) -> None:
    with RunLog.open(db) as log:
        run_id = log.create_run(repo=db.parent, issue_text="A slow run\nstill going")
        print(run_id, flush=True)
        async with open_bus(log, run_id) as bus:
            box = bus.register(AGENT)
            for n in range(count):
                await trio.sleep(every)
                await bus.send("probe", "coordinator", AGENT, {"question": f"step {n}?"})
                await box.receive()
        log.finish_run(run_id, RunStatus.DONE, "all steps taken", patch="--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")


if __name__ == "__main__":
    trio.run(main, Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
