"""The message bus on trio with a real SQLite run log: persistence before
delivery, backpressure, deadlock freedom, deduplication, errors, shutdown."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trio
import trio.testing

from swarm.bus import Bus, BusClosed, BusError, PersistenceFailed, UnknownRecipient, open_bus
from swarm.messages import BadAddress, MalformedMessage, Message, MessageKind
from swarm.redact import REDACTED, Redactor
from swarm.runlog import RunLog, RunNotFound

pytestmark = pytest.mark.anyio

A = "shop/cart.py::Cart.total"
B = "shop/money.py::Money.round"
C = "shop/discounts.py::BulkDiscount.applies_to"
D = "shop/catalog.py::Catalog.find"
LIMIT_S = 60  # generous: only reached if something hangs


@pytest.fixture
def log(tmp_path: Path) -> Iterator[RunLog]:
    runlog = RunLog.open(tmp_path / "runs.sqlite3", redactor=Redactor())
    yield runlog
    runlog.close()


@pytest.fixture
def run_id(log: RunLog, tmp_path: Path) -> str:
    return log.create_run(repo=tmp_path, issue_text="bus test")


def stored(log: RunLog, run_id: str) -> list[Message]:
    """What another process would read from the log right now."""
    with log.reopen() as reader:
        return list(reader.transcript(run_id))


@dataclass
class Recorder:
    """Keeps what it gets; answers probes when `answers` is set."""

    address: str
    answers: bool = True
    got: list[Message] = field(default_factory=list)

    async def handle(self, message: Message, bus: Bus) -> None:
        self.got.append(message)
        if self.answers and message.kind is MessageKind.PROBE:
            await bus.reply(message, MessageKind.ANSWER, {"text": f"{self.address} answers"})


# -- sending and storing ------------------------------------------------------------


async def test_a_message_is_stored_before_the_recipient_sees_it(log: RunLog, run_id: str) -> None:
    seen_in_log: list[bool] = []

    @dataclass
    class Checker:
        address: str = B

        async def handle(self, message: Message, bus: Bus) -> None:
            seen_in_log.append(message.id in {m.id for m in stored(log, run_id)})

    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            bus.serve(Checker())
            for n in range(20):
                await bus.send(MessageKind.PROBE, A, B, {"question": f"q{n}"})
            await bus.join()
    assert seen_in_log == [True] * 20


async def test_send_returns_the_message_as_stored(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            box = bus.register(B)
            sent = await bus.send("task", "coordinator", B, {"instruction": "round half up", "context": {"n": 1}})
            got = await box.receive()
            await bus.flush()
            assert stored(log, run_id) == [sent]
    assert got == sent
    assert (sent.id, sent.seq, sent.run_id) == (f"{run_id}/1", 1, run_id)
    assert sent.kind is MessageKind.TASK and sent.body["context"] == {"n": 1}


async def test_reply_goes_back_in_reply_to_the_request(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            a_box = bus.register(A)
            bus.serve(Recorder(B))
            probe = await bus.send("probe", A, B, {"question": "How do you round?"})
            answer = await a_box.receive()
    assert (answer.kind, answer.sender, answer.recipient) == (MessageKind.ANSWER, B, A)
    assert answer.in_reply_to == probe.id
    assert [m.seq for m in stored(log, run_id)] == [1, 2]


async def test_one_senders_messages_arrive_in_order(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=4) as bus:
            recorder = Recorder(B, answers=False)
            bus.serve(recorder)
            for n in range(50):
                await bus.send("answer", A, B, {"text": str(n)})
            await bus.join()
    assert [m.body["text"] for m in recorder.got] == [str(n) for n in range(50)]
    assert [m.seq for m in stored(log, run_id)] == list(range(1, 51))


async def test_an_in_memory_bus_stores_nothing(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(None, "mem") as bus:
            box = bus.register(B)
            sent = await bus.send("probe", A, B, {"question": "?"})
            assert (await box.receive()) == sent
            assert not bus.persistent and bus.stats.persisted == 0
    assert sent.id == "mem/1"
    assert stored(log, run_id) == []


async def test_the_thread_writer_stores_and_delivers_the_same(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, writer="thread") as bus:
            recorder = Recorder(B, answers=False)
            bus.serve(recorder)
            for n in range(30):
                await bus.send("answer", A, B, {"text": str(n)})
            await bus.join()
    assert len(recorder.got) == 30
    assert [m.id for m in stored(log, run_id)] == [m.id for m in recorder.got]


async def test_numbering_continues_when_a_run_reopens_its_bus(log: RunLog, run_id: str) -> None:
    for _ in range(2):
        with trio.fail_after(LIMIT_S):
            async with open_bus(log, run_id) as bus:
                box = bus.register(B)
                for _ in range(3):
                    await bus.send("answer", A, B, {"text": "x"})
                    await box.receive()
    assert [m.seq for m in stored(log, run_id)] == [1, 2, 3, 4, 5, 6]


async def test_a_bus_for_an_unknown_run_fails_at_once(log: RunLog) -> None:
    with pytest.raises(RunNotFound, match="swarm runs"):
        async with open_bus(log, "no-such-run"):
            pass


async def test_secrets_in_bodies_are_scrubbed_in_the_log_not_in_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "acme_live_" + "k3y" * 10
    monkeypatch.setenv("ACME_API_KEY", secret)
    with RunLog.open(tmp_path / "s.sqlite3") as log:
        run_id = log.create_run(repo=tmp_path, issue_text="x")
        with trio.fail_after(LIMIT_S):
            async with open_bus(log, run_id) as bus:
                box = bus.register(B)
                await bus.send("answer", A, B, {"text": f"the key is {secret}"})
                delivered = await box.receive()
        assert delivered.body["text"] == f"the key is {secret}"
        assert stored(log, run_id)[0].body["text"] == f"the key is {REDACTED}"
    for file in tmp_path.glob("s.sqlite3*"):
        assert secret.encode() not in file.read_bytes()


# -- refusing bad messages ----------------------------------------------------------


async def test_malformed_messages_are_refused_and_nothing_is_stored(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            box = bus.register(B)
            with pytest.raises(MalformedMessage, match="lacks required key 'question'"):
                await bus.send("probe", A, B, {"text": "wrong key"})
            with pytest.raises(MalformedMessage, match="unknown message kind"):
                await bus.send("shout", A, B, {"text": "x"})
            with pytest.raises(MalformedMessage, match="not JSON-serialisable"):
                await bus.send("answer", A, B, {"text": "x", "when": object()})
            with pytest.raises(BadAddress):
                await bus.send("answer", "proxy_user", B, {"text": "x"})
            with pytest.raises(BadAddress):
                await bus.send("answer", A, "Money.round", {"text": "x"})
            with pytest.raises(BusError, match="in_reply_to must be a message id"):
                await bus.send("answer", A, B, {"text": "x"}, in_reply_to=7)  # type: ignore[arg-type]
            await bus.flush()
            assert len(box) == 0
    assert stored(log, run_id) == []


async def test_unknown_recipients_and_lazy_spawning(log: RunLog, run_id: str) -> None:
    spawned: dict[str, Recorder] = {}

    def spawn(address: str) -> Recorder | None:
        if address.startswith("shop/"):
            spawned[address] = Recorder(address)
            return spawned[address]
        return None

    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, spawn=spawn) as bus:
            a_box = bus.register(A)
            await bus.send("probe", A, B, {"question": "who are you?"})
            assert (await a_box.receive()).body["text"] == f"{B} answers"
            assert B in bus.addresses and list(spawned) == [B]
            with pytest.raises(UnknownRecipient, match="spawn declined"):
                await bus.send("probe", A, "lib/x.py::y", {"question": "?"})
            with pytest.raises(BusError, match="already has a mailbox"):
                bus.register(B)
    with trio.fail_after(LIMIT_S):
        async with open_bus(None, "mem", spawn=lambda address: Recorder(C)) as bus:
            with pytest.raises(BusError, match="returned an agent for"):
                await bus.send("probe", A, B, {"question": "?"})
        async with open_bus(None, "mem") as bus:
            with pytest.raises(UnknownRecipient, match="serve or register"):
                await bus.send("probe", A, B, {"question": "?"})


# -- backpressure and deadlock freedom -----------------------------------------------


async def test_a_sender_waits_while_the_recipient_mailbox_is_full(log: RunLog, run_id: str) -> None:
    sent: list[int] = []
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=2) as bus:
            box = bus.register(B)

            async def sender() -> None:
                for n in range(5):
                    await bus.send("answer", A, B, {"text": str(n)})
                    sent.append(n)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(sender)
                await trio.testing.wait_all_tasks_blocked()
                assert sent == [0, 1] and len(box) == 2 and box.full
                assert (await box.receive()).body["text"] == "0"
                await trio.testing.wait_all_tasks_blocked()
                assert sent == [0, 1, 2] and len(box) == 2
                for _ in range(4):
                    await box.receive()
            assert sent == [0, 1, 2, 3, 4]
    assert bus.stats.overflowed == 0


async def test_a_backed_up_sender_does_not_wait(log: RunLog, run_id: str) -> None:
    """A sender blocked on a full mailbox is let through once its own mailbox fills."""
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            a_box = bus.register(A)
            b_box = bus.register(B)
            await bus.send("answer", "human", B, {"text": "fills B"})
            done = trio.Event()

            async def a_sends() -> None:
                await bus.send("answer", A, B, {"text": "from A"})
                done.set()

            async with trio.open_nursery() as nursery:
                nursery.start_soon(a_sends)
                await trio.testing.wait_all_tasks_blocked()
                assert not done.is_set()  # A waits: B is full, A's own mailbox is not
                await bus.send("answer", "human", A, {"text": "fills A"})
                await done.wait()
            await bus.flush()
            assert len(b_box) == 2 and len(a_box) == 1
            assert bus.stats.overflowed == 1


async def test_sending_to_yourself_never_waits(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            box = bus.register(A)
            for n in range(3):
                await bus.send("answer", A, A, {"text": str(n)})
            await bus.flush()
            assert len(box) == 3


@dataclass
class Flooder:
    """On a task, sends `count` probes to `peer` without returning; answers every probe."""

    address: str
    peer: str
    count: int
    answers: list[Message] = field(default_factory=list)

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind is MessageKind.TASK:
            for n in range(self.count):
                await bus.send("probe", self.address, self.peer, {"question": f"{self.address} asks #{n}"})
        elif message.kind is MessageKind.PROBE:
            await bus.reply(message, "answer", {"text": "ok"})
        else:
            self.answers.append(message)


@pytest.mark.parametrize("persist", [True, False])
async def test_two_agents_flooding_each_other_through_tiny_mailboxes_finish(
    log: RunLog, run_id: str, persist: bool
) -> None:
    a, b = Flooder(A, B, 40), Flooder(B, A, 40)
    with trio.fail_after(LIMIT_S):
        async with open_bus(log if persist else None, run_id, mailbox_size=1) as bus:
            bus.serve(a)
            bus.serve(b)
            await bus.send("task", "coordinator", A, {"instruction": "ask B"})
            await bus.send("task", "coordinator", B, {"instruction": "ask A"})
            await bus.join()
    assert len(a.answers) == 40 and len(b.answers) == 40
    assert bus.stats.overflowed > 0  # the no-deadlock rule was needed, and used
    if persist:
        assert len(stored(log, run_id)) == 2 + 4 * 40


@dataclass
class PingPong:
    """Probes its peer, and again each time it gets an answer, `rounds` times."""

    address: str
    peer: str
    rounds: int
    answered: int = 0

    async def handle(self, message: Message, bus: Bus) -> None:
        if message.kind is MessageKind.PROBE:
            await bus.reply(message, "answer", {"text": "pong"})
            return
        if message.kind is MessageKind.ANSWER:
            self.answered += 1
        if self.answered < self.rounds:
            await bus.send("probe", self.address, self.peer, {"question": f"ping {self.answered}"})


async def test_two_agents_probing_each_other_at_once(log: RunLog, run_id: str) -> None:
    pairs = [PingPong(A, B, 100), PingPong(B, A, 100), PingPong(C, D, 100), PingPong(D, C, 100)]
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            for agent in pairs:
                bus.serve(agent)
            async with trio.open_nursery() as nursery:
                for agent in pairs:
                    nursery.start_soon(bus.send, "task", "coordinator", agent.address, {"instruction": "go"})
            await bus.join()
    assert [p.answered for p in pairs] == [100, 100, 100, 100]
    assert len(stored(log, run_id)) == 4 + 4 * 100 * 2


# -- deduplication ---------------------------------------------------------------


async def test_identical_probes_in_flight_are_delivered_once_and_all_answered(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            target = bus.register(D)
            boxes = {x: bus.register(x) for x in (A, B, C)}
            first = await bus.send("probe", A, D, {"question": "What does find() return?"})
            second = await bus.send("probe", B, D, {"question": "what does  FIND() return"})
            third = await bus.send("probe", C, D, {"question": "What does find() return?!"})
            other = await bus.send("probe", C, D, {"question": "Does find() raise?"})
            await bus.flush()
            assert [m.id for m in (await target.receive(), await target.receive())] == [first.id, other.id]
            assert len(target) == 0
            assert (second.attached_to, third.attached_to, first.attached_to) == (first.id, first.id, None)

            answer = await bus.reply(first, "answer", {"text": "a Product or None"})
            got = {x: await boxes[x].receive() for x in (A, B, C)}
            assert got[A] == answer
            assert (got[B].in_reply_to, got[C].in_reply_to) == (second.id, third.id)
            assert {m.body["text"] for m in got.values()} == {"a Product or None"}
            assert {m.sender for m in got.values()} == {D}

            # Answered: the question is no longer in flight, so asking again is a new probe.
            again = await bus.send("probe", B, D, {"question": "What does find() return?"})
            assert again.attached_to is None and (await target.receive()).id == again.id
    log_view = {m.id: m for m in stored(log, run_id)}
    assert log_view[second.id].attached_to == first.id and log_view[third.id].attached_to == first.id
    assert bus.stats.attached == 2
    assert len(log_view) == 4 + 3 + 1


async def test_only_the_probed_recipients_reply_ends_the_flight(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            target = bus.register(D)
            a_box, b_box = bus.register(A), bus.register(B)
            first = await bus.send("probe", A, D, {"question": "same?"})
            await bus.send("answer", B, A, {"text": "not from D"}, in_reply_to=first.id)
            attached = await bus.send("probe", B, D, {"question": "same?"})
            assert attached.attached_to == first.id
            await bus.reply(await target.receive(), "answer", {"text": "from D"})
            assert (await a_box.receive()).body["text"] == "not from D"
            assert (await a_box.receive()).body["text"] == "from D"
            assert (await b_box.receive()).in_reply_to == attached.id


async def test_a_probe_identical_to_one_still_waiting_for_room_waits_then_attaches(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            target = bus.register(D)
            bus.register(A)
            bus.register(B)
            await bus.send("answer", "human", D, {"text": "fills D"})
            results: dict[str, Message] = {}

            async def ask(who: str) -> None:
                results[who] = await bus.send("probe", who, D, {"question": "same?"})

            async with trio.open_nursery() as nursery:
                nursery.start_soon(ask, A)
                await trio.testing.wait_all_tasks_blocked()
                nursery.start_soon(ask, B)
                await trio.testing.wait_all_tasks_blocked()
                assert results == {}  # A waits for room, B waits to see how A's probe ends
                await target.receive()
            assert results[A].attached_to is None
            assert results[B].attached_to == results[A].id


async def test_if_the_first_probe_is_cancelled_the_next_identical_one_is_delivered(
    log: RunLog, run_id: str
) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            target = bus.register(D)
            await bus.send("answer", "human", D, {"text": "fills D"})
            results: dict[str, Message] = {}

            async def ask(who: str) -> None:
                results[who] = await bus.send("probe", who, D, {"question": "same?"})

            async with trio.open_nursery() as outer:
                with trio.CancelScope() as first_scope:
                    async with trio.open_nursery() as nursery:
                        nursery.start_soon(ask, A)
                        await trio.testing.wait_all_tasks_blocked()
                        outer.start_soon(ask, B)
                        await trio.testing.wait_all_tasks_blocked()
                        first_scope.cancel()
                await target.receive()
            assert A not in results
            assert results[B].attached_to is None
            assert (await target.receive()).id == results[B].id
    assert [m.kind for m in stored(log, run_id)] == [MessageKind.ANSWER, MessageKind.PROBE]


# -- cancellation, errors and shutdown -------------------------------------------------


async def test_a_cancelled_waiting_sender_stores_nothing_and_passes_its_turn(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            box = bus.register(D)
            await bus.send("answer", "human", D, {"text": "first"})
            delivered: list[str] = []

            async def send(text: str) -> None:
                await bus.send("answer", "human", D, {"text": text})
                delivered.append(text)

            async with trio.open_nursery() as nursery:
                with trio.CancelScope() as doomed:
                    async with trio.open_nursery() as inner:
                        inner.start_soon(send, "cancelled")
                        await trio.testing.wait_all_tasks_blocked()
                        nursery.start_soon(send, "second")
                        await trio.testing.wait_all_tasks_blocked()
                        doomed.cancel()
                assert (await box.receive()).body["text"] == "first"
            assert (await box.receive()).body["text"] == "second"
            assert delivered == ["second"]
    assert [m.body["text"] for m in stored(log, run_id)] == ["first", "second"]


async def test_join_waits_for_handlers_to_finish(log: RunLog, run_id: str) -> None:
    finished: list[int] = []

    @dataclass
    class Slow:
        address: str = B

        async def handle(self, message: Message, bus: Bus) -> None:
            await trio.sleep(0.01)
            finished.append(message.seq)

    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id) as bus:
            bus.serve(Slow())
            for _ in range(5):
                await bus.send("answer", A, B, {"text": "x"})
            await bus.join()
            assert finished == [1, 2, 3, 4, 5]
            await bus.join()  # already quiet: returns at once


async def test_after_close_sends_fail_and_mailboxes_end(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1) as bus:
            box = bus.register(B)
            await bus.send("answer", A, B, {"text": "x"})
            blocked_error: list[BaseException] = []

            async def blocked_sender() -> None:
                try:
                    await bus.send("answer", A, B, {"text": "never"})
                except BusClosed as exc:
                    blocked_error.append(exc)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(blocked_sender)
                await trio.testing.wait_all_tasks_blocked()
                await bus._close()  # what leaving the `async with` does first
        assert blocked_error and "closed" in str(blocked_error[0])
        with pytest.raises(BusClosed):
            await bus.send("answer", A, B, {"text": "late"})
        with pytest.raises(trio.EndOfChannel):
            await box.receive()
        assert [m async for m in box] == []
    assert [m.body["text"] for m in stored(log, run_id)] == ["x"]


async def test_an_agent_error_leaves_the_bus_as_itself(log: RunLog, run_id: str) -> None:
    @dataclass
    class Broken:
        address: str = B

        async def handle(self, message: Message, bus: Bus) -> None:
            raise ValueError("agent bug")

    with trio.fail_after(LIMIT_S), pytest.raises(ValueError, match="agent bug"):
        async with open_bus(log, run_id) as bus:
            bus.serve(Broken())
            await bus.send("answer", A, B, {"text": "x"})
            await trio.sleep_forever()


async def test_a_log_that_refuses_the_commit_stops_the_run_undelivered(log: RunLog, run_id: str) -> None:
    recorder = Recorder(B)
    with trio.fail_after(LIMIT_S), pytest.raises(PersistenceFailed, match="could not store 1 message.*FOREIGN KEY"):
        async with open_bus(log, run_id) as bus:
            bus.serve(recorder)
            other = sqlite3.connect(log.path)
            other.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
            other.execute("DELETE FROM runs WHERE id = ?", (run_id,))  # the run vanishes under the bus
            other.commit()
            other.close()
            await bus.send("answer", A, B, {"text": "lost cause"})
            await trio.sleep_forever()
    assert recorder.got == []


async def test_bad_settings_are_refused(log: RunLog, run_id: str) -> None:
    with pytest.raises(BusError, match="writer must be"):
        async with open_bus(log, run_id, writer="process"):  # type: ignore[arg-type]
            pass
    with pytest.raises(BusError, match="max_pending"):
        async with open_bus(log, run_id, max_pending=0):
            pass
    async with open_bus(log, run_id) as bus:
        with pytest.raises(BusError, match="at least 1"):
            bus.register(A, mailbox_size=0)


async def test_closing_while_agents_keep_talking_stores_what_was_sent_and_ends(log: RunLog, run_id: str) -> None:
    pairs = [PingPong(A, B, 10**9), PingPong(B, A, 10**9)]
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=2) as bus:
            for agent in pairs:
                bus.serve(agent)
            await bus.send("task", "coordinator", A, {"instruction": "talk forever"})
            while pairs[0].answered < 20:
                await trio.sleep(0.01)
    sent = bus.stats.persisted
    seqs = [m.seq for m in stored(log, run_id)]
    assert seqs == list(range(1, sent + 1))
    assert sent >= 40


# -- many senders, random schedules ------------------------------------------------


async def test_many_senders_into_one_small_mailbox_lose_nothing(log: RunLog, run_id: str) -> None:
    senders = [f"pkg/s{i}.py::f" for i in range(25)]
    recorder = Recorder(B, answers=False)
    with trio.fail_after(LIMIT_S):
        async with open_bus(log, run_id, mailbox_size=1, max_pending=3) as bus:
            bus.serve(recorder)

            async def burst(sender: str) -> None:
                for n in range(20):
                    await bus.send("answer", sender, B, {"text": f"{sender} {n}"})

            async with trio.open_nursery() as nursery:
                for sender in senders:
                    nursery.start_soon(burst, sender)
            await bus.join()
    assert len(recorder.got) == 500
    for sender in senders:  # each sender's messages arrive in the order it sent them
        assert [m.body["text"] for m in recorder.got if m.sender == sender] == [f"{sender} {n}" for n in range(20)]
    assert sorted(m.seq for m in recorder.got) == list(range(1, 501))
    assert [m.id for m in stored(log, run_id)] == sorted((m.id for m in recorder.got), key=lambda i: int(i.split("/")[1]))
    assert bus.stats.commits > 1 and bus.stats.largest_commit <= 3


def _random_exchange(seed: int, mailbox: int, writer: str, tmp: Path) -> None:
    """Agents forward random messages to random peers for a few hops; check every invariant."""
    import random

    rng = random.Random(seed)
    peers = [f"m{i}.py::f" for i in range(rng.randint(2, 6))]
    got: dict[str, list[Message]] = {p: [] for p in peers}

    @dataclass
    class Hopper:
        address: str

        async def handle(self, message: Message, bus: Bus) -> None:
            got[self.address].append(message)
            hops = int(message.body["text"])
            for _ in range(rng.randint(0, 2) if hops > 0 else 0):
                await bus.send("answer", self.address, rng.choice(peers), {"text": str(hops - 1)})

    with RunLog.open(tmp / f"r{seed}.sqlite3", redactor=Redactor()) as log:
        run_id = log.create_run(repo=tmp, issue_text="random")

        async def main() -> None:
            with trio.fail_after(LIMIT_S):
                async with open_bus(log, run_id, mailbox_size=mailbox, writer=writer) as bus:  # type: ignore[arg-type]
                    for p in peers:
                        bus.serve(Hopper(p))
                    for _ in range(rng.randint(1, 8)):
                        await bus.send("answer", "coordinator", rng.choice(peers), {"text": "4"})
                    await bus.join()
                    assert bus.stats.delivered == sum(len(v) for v in got.values())

        trio.run(main)
        log_view = log.transcript(run_id)
    delivered = sorted((m for v in got.values() for m in v), key=lambda m: m.seq)
    assert delivered == list(log_view)  # exactly what was stored was delivered, once each
    assert [m.seq for m in log_view] == list(range(1, len(log_view) + 1))
    for p in peers:
        assert all(m.recipient == p for m in got[p])


@pytest.mark.parametrize("writer", ["inline", "thread"])
def test_random_exchanges_deliver_exactly_what_is_stored(tmp_path: Path, writer: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seed=st.integers(0, 10**6), mailbox=st.integers(1, 4))
    def check(seed: int, mailbox: int) -> None:
        _random_exchange(seed, mailbox, writer, tmp_path)

    check()


async def test_accessors_and_nonblocking_receive(log: RunLog, run_id: str) -> None:
    async with open_bus(log, run_id) as bus:
        box = bus.register(B)
        assert bus.mailbox(B) is box and bus.addresses == (B,) and bus.run_id == run_id and bus.persistent
        with pytest.raises(UnknownRecipient):
            bus.mailbox(A)
        with pytest.raises(trio.WouldBlock):
            box.receive_nowait()
        await bus.send("answer", A, B, {"text": "x"})
        await bus.flush()
        assert box.receive_nowait().body == {"text": "x"}
    with pytest.raises(trio.EndOfChannel):
        box.receive_nowait()


async def test_the_thread_writer_fails_the_run_like_the_inline_one(log: RunLog, run_id: str) -> None:
    with trio.fail_after(LIMIT_S), pytest.raises(PersistenceFailed, match="FOREIGN KEY"):
        async with open_bus(log, run_id, writer="thread") as bus:
            bus.register(B)
            other = sqlite3.connect(log.path)
            other.execute("DELETE FROM events WHERE run_id = ?", (run_id,))
            other.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            other.commit()
            other.close()
            await bus.send("answer", A, B, {"text": "x"})
            await trio.sleep_forever()
