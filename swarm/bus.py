"""The message bus: typed messages between agents, persisted before delivery.

    async with open_bus(runlog, run_id, spawn=make_agent) as bus:
        bus.serve(coordinator)
        await bus.send("task", "coordinator", "shop/cart.py::Cart.total", {"instruction": "..."})
        await bus.join()            # until no message is queued or being handled

Every participant has an address (`swarm.messages`): a role or a symbol id.
`serve(agent)` gives an `Agent` (`swarm.protocols`) a mailbox and a task that hands it one
message at a time; `register(address)` gives a bare mailbox to code that
receives by itself. A message to an address nobody serves goes to the
`spawn` function, which may create the agent (symbol agents are created
lazily, when first addressed).

Persistence before delivery. `send` validates the message and reserves a
place in the recipient's mailbox (waiting while it is full), then queues the
message for the writer and returns. The writer commits everything queued
while it was busy in one transaction (group commit) and only then puts those
messages into the places reserved for them, so no agent ever sees a message
the log does not have, and one commit's cost is shared by a whole group.
Because the places were reserved, delivery never waits and the writer never
blocks on an agent. `flush()` waits until everything sent so far is stored.
If the run log refuses a commit, the bus stops with PersistenceFailed: a run
that cannot be recorded must not go on.

The writer runs in the trio thread (`writer="inline"`): a commit is a short
blocking call (a group of 4,000 messages takes ~40 ms). `writer="thread"`
runs commits in a worker thread with its own connection so senders keep
running meanwhile. `python -m bench.bus` measures both (bench/RESULTS.md:
10.8k vs 9.1k persisted msgs/s with 1,000 agents); the thread buys nothing:
while a commit runs the agents mostly wait for it, and binding rows holds
the GIL. So inline is the default and the house rule (no threads for I/O)
holds.

Backpressure. Mailboxes are bounded (`mailbox_size`); a sender waits while
its recipient's mailbox is full, and the writer's queue is bounded
(`max_pending`), so nothing grows without bound while agents keep up.

Deadlock freedom. Request/reply ping-pong could deadlock if two agents each
waited to send into the other's full mailbox while neither drains its own.
So a sender whose *own* mailbox is full never waits (it is the bottleneck;
making it wait is what closes a cycle), and a waiting sender is woken when
its own mailbox fills up. In a cycle of waiting senders every mailbox is
full (each is waited on), and with this rule no sender with a full mailbox
waits: so there is no cycle. The overflow is bounded by the messages a
backed-up agent sends while handling the message it already took; the bus
counts it (`stats.overflowed`). A sender sending to itself never waits
either. Agents should not wait inside `handle` for a reply to their own
request (the reply comes as a later message): a handler that blocks on
another agent's handler is a cycle no bus can break.

Deduplication. A probe to the same recipient with the same normalized
question as a probe still in flight (not yet answered) is stored with
`attached_to` naming the first one and not delivered; when the first
reply to the first probe is sent, every attached asker gets a copy
addressed to it, `in_reply_to` its own probe, so the graph shows who asked
and who got which answer.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import trio

from swarm.errors import SwarmError
from swarm.messages import (
    Address,
    Message,
    MessageKind,
    check_address,
    check_body,
    encode_body,
    message_id,
    normalize_question,
    parse_kind,
)
from swarm.protocols import Agent
from swarm.runlog import RunLog
from swarm.runlog_schema import RunLogError

DEFAULT_MAILBOX_SIZE = 64
DEFAULT_MAX_PENDING = 8192
# How many times the writer yields to let more senders join a group commit
# before it commits; each yield lets every runnable task run once.
GATHER_ROUNDS = 2

WriterMode = Literal["inline", "thread"]


class BusError(SwarmError):
    """Base of message bus errors."""


class UnknownRecipient(BusError):
    """A message to an address that nobody serves and `spawn` could not create."""


class BusClosed(BusError):
    """A send after the bus was closed (the run is over)."""


class PersistenceFailed(BusError):
    """The run log refused to store a message; it was not delivered."""


Spawn = Callable[[Address], Agent | None]


@dataclass(slots=True)
class BusStats:
    """Counters, for progress displays and benchmarks."""

    delivered: int = 0
    attached: int = 0
    overflowed: int = 0
    persisted: int = 0
    commits: int = 0
    largest_commit: int = 0


class Mailbox:
    """The bounded queue of one address. Receive with `receive()` or `async for`."""

    def __init__(self, bus: Bus, address: Address, capacity: int, served: bool):
        if capacity < 1:
            raise BusError(f"mailbox size must be at least 1, not {capacity}")
        self.address = address
        self.capacity = capacity
        self._bus = bus
        self._served = served
        self._queue: deque[Message] = deque()
        self._reserved = 0
        self._receivers = trio.lowlevel.ParkingLot()
        self._space_waiters: deque[trio.Event] = deque()
        self._full_watchers: set[trio.Event] = set()
        self._closed = False

    @property
    def load(self) -> int:
        """Messages queued plus sends that reserved a place and wait for their commit."""
        return len(self._queue) + self._reserved

    @property
    def full(self) -> bool:
        return self.load >= self.capacity

    def __len__(self) -> int:
        return len(self._queue)

    async def receive(self) -> Message:
        """The next message; waits for one. Raises trio.EndOfChannel once the bus is closed
        (messages still queued then are in the run log, for a resumed run)."""
        while not self._queue:
            if self._closed:
                raise trio.EndOfChannel
            await self._receivers.park()
        if self._closed:
            raise trio.EndOfChannel
        return self._take()

    def receive_nowait(self) -> Message:
        if self._closed:
            raise trio.EndOfChannel
        if not self._queue:
            raise trio.WouldBlock
        return self._take()

    def __aiter__(self) -> AsyncIterator[Message]:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.receive()
        except trio.EndOfChannel:
            raise StopAsyncIteration from None

    def _take(self) -> Message:
        message = self._queue.popleft()
        self._wake_one_sender()
        if not self._served:
            self._bus._handled()
        return message

    def _put(self, message: Message) -> None:
        self._reserved -= 1
        self._queue.append(message)
        self._receivers.unpark()

    def _release(self) -> None:
        self._reserved -= 1
        self._wake_one_sender()

    def _wake_one_sender(self) -> None:
        while self._space_waiters:
            event = self._space_waiters.popleft()
            if not event.is_set():
                event.set()
                return

    def _became_full(self) -> None:
        for event in self._full_watchers:
            event.set()
        self._full_watchers.clear()

    def _close(self) -> None:
        self._closed = True
        self._receivers.unpark_all()
        for event in self._space_waiters:
            event.set()
        self._space_waiters.clear()


@dataclass(slots=True)
class _Batch:
    """Messages queued for one commit, each with the mailbox place reserved for it."""

    messages: list[Message] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    boxes: list[Mailbox | None] = field(default_factory=list)  # None: stored, not delivered
    done: trio.Event = field(default_factory=trio.Event)


@dataclass(slots=True)
class _InFlight:
    """A probe being sent or waiting for its answer, and who else asked the same."""

    probe: Message | None = None
    settled: trio.Event = field(default_factory=trio.Event)
    attached: list[Message] = field(default_factory=list)


class Bus:
    """Routes messages between addresses; made by `open_bus`."""

    def __init__(
        self,
        nursery: trio.Nursery,
        run_id: str,
        runlog: RunLog | None,
        *,
        mailbox_size: int,
        spawn: Spawn | None,
        writer: WriterMode,
        max_pending: int,
        first_seq: int,
    ):
        if writer not in ("inline", "thread"):
            raise BusError(f"writer must be 'inline' or 'thread', not {writer!r}")
        if max_pending < 1:
            raise BusError(f"max_pending must be at least 1, not {max_pending}")
        self._nursery = nursery
        self._run_id = run_id
        self._log = runlog
        self._writer_log = runlog.reopen() if runlog is not None and writer == "thread" else runlog
        self._writer_mode: WriterMode = writer
        self._mailbox_size = mailbox_size
        self._spawn = spawn
        self._max_pending = max_pending
        self._seq = first_seq - 1
        self._boxes: dict[Address, Mailbox] = {}
        self._batch = _Batch()
        self._work = trio.Event()
        self._batch_taken = trio.Event()
        self._outstanding = 0
        self._quiet = trio.Event()
        self._quiet.set()
        self._inflight: dict[tuple[Address, str], _InFlight] = {}
        self._inflight_by_id: dict[str, tuple[Address, str]] = {}
        self._closed = False
        self._broken: BaseException | None = None
        self.stats = BusStats()

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def persistent(self) -> bool:
        return self._log is not None

    @property
    def addresses(self) -> tuple[Address, ...]:
        return tuple(self._boxes)

    def mailbox(self, address: Address) -> Mailbox:
        try:
            return self._boxes[address]
        except KeyError:
            raise UnknownRecipient(f"no mailbox for {address!r}") from None

    # -- participants ----------------------------------------------------

    def register(self, address: Address, *, mailbox_size: int | None = None) -> Mailbox:
        """A mailbox for `address` that the caller receives from itself."""
        return self._add(address, mailbox_size, served=False)

    def serve(self, agent: Agent, *, mailbox_size: int | None = None) -> Mailbox:
        """Give `agent` a mailbox and a task in the bus that hands it each message.

        An exception from `agent.handle` ends the bus (and `open_bus` raises it):
        catch what your agent can handle inside `handle`.
        """
        box = self._add(agent.address, mailbox_size, served=True)
        self._nursery.start_soon(self._serve, agent, box, name=f"agent {agent.address}")
        return box

    def _add(self, address: Address, mailbox_size: int | None, *, served: bool) -> Mailbox:
        check_address(address)
        if self._closed:
            raise BusClosed("the bus is closed: the run is over")
        if address in self._boxes:
            raise BusError(f"{address!r} already has a mailbox on this bus")
        box = Mailbox(self, address, self._mailbox_size if mailbox_size is None else mailbox_size, served)
        self._boxes[address] = box
        return box

    async def _serve(self, agent: Agent, box: Mailbox) -> None:
        async for message in box:
            try:
                await agent.handle(message, self)
            except BusClosed:
                if self._closed:
                    return  # the run ended while this agent was still talking
                raise
            finally:
                self._handled()

    def _recipient_box(self, recipient: Address) -> Mailbox:
        box = self._boxes.get(recipient)
        if box is not None:
            return box
        check_address(recipient)
        agent = self._spawn(recipient) if self._spawn is not None else None
        if agent is None:
            raise UnknownRecipient(
                f"nobody serves {recipient!r}: serve or register an agent there first"
                + ("" if self._spawn is None else " (spawn declined it)")
            )
        if agent.address != recipient:
            raise BusError(f"spawn({recipient!r}) returned an agent for {agent.address!r}")
        return self.serve(agent)

    # -- sending -----------------------------------------------------------

    async def send(
        self,
        kind: MessageKind | str,
        sender: Address,
        recipient: Address,
        body: Mapping[str, Any],
        *,
        in_reply_to: str | None = None,
    ) -> Message:
        """Validate a message and queue it for storage, then delivery; returns it as it will be stored.

        Waits while the recipient's mailbox is full (see the module docstring
        for when it does not). Raises MalformedMessage / BadAddress for a bad
        message, UnknownRecipient, or BusClosed; in every case nothing was
        stored or delivered.
        """
        kind = parse_kind(kind)
        if sender not in self._boxes:
            check_address(sender)
        check_body(kind, body)
        encoded = encode_body(kind, body)
        if in_reply_to is not None and not isinstance(in_reply_to, str):
            raise BusError(f"in_reply_to must be a message id (str), not {type(in_reply_to).__name__}")
        if self._closed:
            raise BusClosed("the bus is closed: the run is over")
        box = self._recipient_box(recipient)

        if kind is MessageKind.PROBE:
            return await self._send_probe(box, sender, body, encoded, in_reply_to)
        message = await self._deliver(box, kind, sender, body, encoded, in_reply_to)
        if in_reply_to is not None and in_reply_to in self._inflight_by_id:
            await self._fan_out(message)
        return message

    async def reply(self, to: Message, kind: MessageKind | str, body: Mapping[str, Any]) -> Message:
        """Send `body` back to the sender of `to`, from its recipient, `in_reply_to` it."""
        return await self.send(kind, to.recipient, to.sender, body, in_reply_to=to.id)

    async def flush(self) -> None:
        """Wait until every message sent so far is stored (and so delivered)."""
        if self._broken is not None:
            raise PersistenceFailed(f"the run log writer failed earlier: {self._broken}")
        if self._batch.messages:
            batch = self._batch
            self._work.set()
            await batch.done.wait()

    async def _deliver(
        self,
        box: Mailbox,
        kind: MessageKind,
        sender: Address,
        body: Mapping[str, Any],
        encoded: str,
        in_reply_to: str | None,
    ) -> Message:
        await self._reserve(box, sender)
        if self._log is None:
            message = self._stamp(kind, sender, box.address, body, in_reply_to, None)
            box._put(message)
            self.stats.delivered += 1
            return message
        try:
            await self._batch_room()
        except BaseException:
            box._release()
            self._handled()
            raise
        message = self._stamp(kind, sender, box.address, body, in_reply_to, None)
        self._enqueue(message, encoded, box)
        return message

    async def _send_probe(
        self, box: Mailbox, sender: Address, body: Mapping[str, Any], encoded: str, in_reply_to: str | None
    ) -> Message:
        key = (box.address, normalize_question(body["question"]))
        while (entry := self._inflight.get(key)) is not None:
            if entry.probe is not None:
                if self._log is not None:
                    await self._batch_room()
                message = self._stamp(MessageKind.PROBE, sender, box.address, body, in_reply_to, entry.probe.id)
                if self._log is not None:
                    self._enqueue(message, encoded, None)
                entry.attached.append(message)
                self.stats.attached += 1
                return message
            # The first identical probe still waits for room: see how that ends.
            await entry.settled.wait()
        entry = _InFlight()
        self._inflight[key] = entry
        try:
            message = await self._deliver(box, MessageKind.PROBE, sender, body, encoded, in_reply_to)
        except BaseException:
            del self._inflight[key]
            raise
        finally:
            entry.settled.set()
        entry.probe = message
        self._inflight_by_id[message.id] = key
        return message

    async def _fan_out(self, reply: Message) -> None:
        """The first reply to a probe: end its flight and give each attached asker a copy."""
        key = self._inflight_by_id.get(reply.in_reply_to or "")
        entry = self._inflight.get(key) if key is not None else None
        if key is None or entry is None or entry.probe is None or reply.sender != entry.probe.recipient:
            return
        del self._inflight_by_id[entry.probe.id]
        del self._inflight[key]
        if not entry.attached:
            return
        encoded = encode_body(reply.kind, reply.body)
        for probe in entry.attached:
            try:
                box = self._recipient_box(probe.sender)
            except UnknownRecipient:
                continue  # an asker that cannot receive: its probe stays unanswered in the log
            await self._deliver(box, reply.kind, reply.sender, reply.body, encoded, probe.id)

    def _stamp(
        self,
        kind: MessageKind,
        sender: Address,
        recipient: Address,
        body: Mapping[str, Any],
        in_reply_to: str | None,
        attached_to: str | None,
    ) -> Message:
        self._seq += 1
        return Message(
            id=message_id(self._run_id, self._seq),
            run_id=self._run_id,
            seq=self._seq,
            kind=kind,
            sender=sender,
            recipient=recipient,
            body=body,
            in_reply_to=in_reply_to,
            created_at=time.time(),
            attached_to=attached_to,
        )

    async def _reserve(self, box: Mailbox, sender: Address) -> None:
        """Take a place in `box`, waiting while it is full unless waiting could deadlock."""
        own = self._boxes.get(sender)
        woken = False
        while True:
            if self._closed:
                raise BusClosed("the bus closed while a send waited for room")
            if not box.full:
                break
            if own is not None and (own is box or own.full):
                self.stats.overflowed += 1
                break
            event = trio.Event()
            if woken:
                box._space_waiters.appendleft(event)  # keep our turn after a lost race
            else:
                box._space_waiters.append(event)
            if own is not None:
                own._full_watchers.add(event)
            try:
                await event.wait()
            except BaseException:
                if event.is_set():
                    box._wake_one_sender()  # pass on the wake-up we will not use
                else:
                    with contextlib.suppress(ValueError):
                        box._space_waiters.remove(event)
                raise
            finally:
                if own is not None:
                    own._full_watchers.discard(event)
            woken = True
        box._reserved += 1
        if self._outstanding == 0:
            self._quiet = trio.Event()
        self._outstanding += 1
        if box.full:
            box._became_full()

    def _handled(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0:
            self._quiet.set()

    async def join(self) -> None:
        """Wait until no message is queued, being stored, or being handled."""
        while self._outstanding:
            await self._quiet.wait()

    # -- persistence -------------------------------------------------------

    async def _batch_room(self) -> None:
        while len(self._batch.messages) >= self._max_pending and self._broken is None:
            await self._batch_taken.wait()
        if self._broken is not None:
            raise PersistenceFailed(f"the run log writer failed: {self._broken}")
        if self._closed:
            raise BusClosed("the bus closed while a send waited for the run log")

    def _enqueue(self, message: Message, encoded: str, box: Mailbox | None) -> None:
        batch = self._batch
        batch.messages.append(message)
        batch.bodies.append(encoded)
        batch.boxes.append(box)
        self._work.set()

    async def _writer(self) -> None:
        while True:
            await self._work.wait()
            try:
                for _ in range(GATHER_ROUNDS):
                    before = len(self._batch.messages)
                    await trio.lowlevel.checkpoint()
                    if len(self._batch.messages) == before:
                        break
            finally:
                # Commit what was taken even when cancelled: those sends returned already.
                batch, self._batch = self._batch, _Batch()
                self._work = trio.Event()
                self._batch_taken.set()
                self._batch_taken = trio.Event()
                with trio.CancelScope(shield=True):
                    await self._commit(batch)

    async def _commit(self, batch: _Batch) -> None:
        log = self._writer_log
        assert log is not None
        try:
            if self._writer_mode == "thread":
                await trio.to_thread.run_sync(log.append_messages, batch.messages, batch.bodies)
            else:
                log.append_messages(batch.messages, batch.bodies)
        except (RunLogError, sqlite3.Error) as exc:
            self._broken = exc
            first = batch.messages[0]
            raise PersistenceFailed(
                f"the run log could not store {len(batch.messages)} message(s) from seq {first.seq} "
                f"({exc}); they were not delivered and the run stops here"
            ) from exc
        finally:
            batch.done.set()
        for message, box in zip(batch.messages, batch.boxes, strict=True):
            if box is not None:
                box._put(message)
                self.stats.delivered += 1
        self.stats.persisted += len(batch.messages)
        self.stats.commits += 1
        self.stats.largest_commit = max(self.stats.largest_commit, len(batch.messages))

    async def _close(self) -> None:
        # Refuse new sends first, so agents that keep talking cannot hold the flush open.
        self._closed = True
        for box in self._boxes.values():
            box._close()
        if self._log is not None and self._broken is None:
            with trio.CancelScope(shield=True):
                while self._batch.messages and self._broken is None:
                    with contextlib.suppress(PersistenceFailed):
                        await self.flush()


@asynccontextmanager
async def open_bus(
    runlog: RunLog | None,
    run_id: str,
    *,
    mailbox_size: int = DEFAULT_MAILBOX_SIZE,
    spawn: Spawn | None = None,
    writer: WriterMode = "inline",
    max_pending: int = DEFAULT_MAX_PENDING,
) -> AsyncIterator[Bus]:
    """A bus for run `run_id`, persisting to `runlog` (None: in memory only, for tests and baselines).

    Message numbering continues after the run's last stored message, so a
    resumed run reopens its bus the same way. On exit the bus stores what is
    pending, stops taking messages and cancels the agents it serves. An error
    from an agent or the writer leaves the bus as that one exception (not an
    exception group) when it is the only one.
    """
    first_seq = 1
    if runlog is not None:
        runlog.load_run(run_id)  # an unknown run is a clear error now, not a refused commit later
        first_seq = runlog.last_seq(run_id) + 1
    bus: Bus | None = None
    try:
        async with trio.open_nursery() as nursery:
            bus = Bus(
                nursery,
                run_id,
                runlog,
                mailbox_size=mailbox_size,
                spawn=spawn,
                writer=writer,
                max_pending=max_pending,
                first_seq=first_seq,
            )
            if runlog is not None:
                nursery.start_soon(bus._writer, name="run log writer")
            try:
                yield bus
            finally:
                await bus._close()
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        errors = _leaves(group)
        if len(errors) == 1 and not isinstance(errors[0], trio.Cancelled):
            raise errors[0] from group
        raise
    finally:
        if bus is not None and bus._writer_log is not None and bus._writer_log is not runlog:
            bus._writer_log.close()


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    out: list[BaseException] = []
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            out.extend(_leaves(exc))
        elif not isinstance(exc, trio.Cancelled):
            out.append(exc)
    return out
