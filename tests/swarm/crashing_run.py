"""A run that goes on until it is killed, for the kill -9 tests.

    python -m tests.swarm.crashing_run DB REPO

Prints the run id, then keeps a persisted bus busy forever: symbol agents
probe each other, an author agent proposes edits of `ledger.txt` in REPO, and
a proxy user records each proposal, approves three in four and applies the
approved ones to the file with the run log's two-step apply (begin_apply,
atomic write, finish_apply), recording a model call now and then. Each
applied edit appends one line naming its proposal, so an edit applied twice
would show as a repeated line.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import trio

from swarm.bus import Bus, open_bus
from swarm.messages import Message, MessageKind
from swarm.records import ModelCall, Verdict, content_hash
from swarm.runlog import RunLog

LEDGER = "ledger.txt"
AUTHOR = "ledger.txt::<module>"
TALKERS = [f"pkg/mod_{i}.py::f{i}" for i in range(6)]


def apply_line(log: RunLog, repo: Path, run_id: str, proposal_id: str, line: str) -> None:
    """Append `line` to the ledger with the two-step apply; the write is atomic."""
    target = repo / LEDGER
    old = target.read_bytes()
    new = old + line.encode() + b"\n"
    log.begin_apply(run_id, proposal_id, LEDGER, content_hash(old), content_hash(new))
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(new)
    os.replace(tmp, target)
    log.finish_apply(run_id, proposal_id)


@dataclass
class Talker:
    address: str
    rng: random.Random
    asked: int = 0

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind is MessageKind.PROBE:
            await bus.reply(message, MessageKind.ANSWER, {"text": f"{self.address} says hi"})
        else:
            self.asked += 1
            peer = self.rng.choice([t for t in TALKERS if t != self.address])
            await bus.send(MessageKind.PROBE, self.address, peer, {"question": f"{self.address} #{self.asked}?"})


@dataclass
class Author:
    address: str = AUTHOR
    proposed: int = 0

    async def propose(self, bus: Bus) -> None:
        self.proposed += 1
        pid = f"p{self.proposed}"
        body = {
            "proposal_id": pid,
            "symbol_id": AUTHOR,
            "base_version": self.proposed,
            "new_source": pid,
            "rationale": "append a line",
        }
        await bus.send(MessageKind.EDIT_PROPOSAL, self.address, "proxy-user", body)

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind in (MessageKind.APPROVAL, MessageKind.REJECTION, MessageKind.TASK):
            await self.propose(bus)


@dataclass
class Proxy:
    log: RunLog
    repo: Path
    address: str = "proxy-user"
    seen: list[str] = field(default_factory=list)

    async def handle(self, message: Message, bus: Bus) -> None:
        proposal = self.log.record_proposal_message(message)
        self.seen.append(proposal.id)
        approve = len(self.seen) % 4 != 0
        verdict = Verdict.APPROVED if approve else Verdict.REJECTED
        self.log.record_verdict(bus.run_id, proposal.id, verdict, "looks right" if approve else "every fourth", policy="auto")
        if approve:
            apply_line(self.log, self.repo, bus.run_id, proposal.id, proposal.new_source)
        if len(self.seen) % 5 == 0:
            self.log.record_model_call(
                bus.run_id, ModelCall("reviewer", "scripted", "script", 120, 30, 0.0, 0.01, True, self.address)
            )
        kind = MessageKind.APPROVAL if approve else MessageKind.REJECTION
        await bus.reply(message, kind, {"proposal_id": proposal.id, "reason": verdict.value})


async def run_forever(db: Path, repo: Path) -> None:
    log = RunLog.open(db)
    run_id = log.create_run(repo=repo, issue_text="crash test: append lines to the ledger")
    print(run_id, flush=True)
    async with open_bus(log, run_id, mailbox_size=8) as bus:
        rng = random.Random(os.getpid())
        for address in TALKERS:
            bus.serve(Talker(address, rng))
        bus.serve(Author())
        bus.serve(Proxy(log, repo))
        await bus.send(MessageKind.TASK, "coordinator", AUTHOR, {"instruction": "append lines"})
        for address in TALKERS:
            await bus.send(MessageKind.PROBE, address, rng.choice([t for t in TALKERS if t != address]), {"question": "start?"})
        await trio.sleep_forever()


if __name__ == "__main__":
    trio.run(run_forever, Path(sys.argv[1]), Path(sys.argv[2]))
