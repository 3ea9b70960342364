"""The scripted model: its file format, how replies are matched, its errors,
and recording a real provider's calls into a script that replays them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from swarm.config import ModelSettings, parse_config
from swarm.models.anthropic import AnthropicBackend
from swarm.models.chat import ChatModel
from swarm.models.errors import ScriptError, ScriptExhausted, ScriptMismatch
from swarm.models.providers import model_for
from swarm.models.scripted import ScriptedBackend, ScriptRecorder, build, load_script
from swarm.protocols import ChatMessage, ToolCall
from tests.swarm.models import anthropic_wire as aw
from tests.swarm.models.conftest import CONVERSATION, GOOD_ARGS, TOOLS
from tests.swarm.models.loopback import replies, serve

pytestmark = pytest.mark.anyio

DEMO = '''
description = "two agents fix a bug"

[[reply]]
role = "coordinator"
text = "Delegating to the owner of applies_to."

[[reply]]
role = "symbol_agent"
agent = "shop/discounts.py::BulkDiscount.*"
turn = 1
text = "Reading my caller first."
[[reply.tool_calls]]
name = "read_symbol"
arguments = { symbol = "shop/cart.py::Cart.total" }

[[reply]]
role = "symbol_agent"
agent = "shop/discounts.py::BulkDiscount.applies_to"
turn = 2
[[reply.tool_calls]]
id = "call_fix"
name = "rewrite_symbol"
arguments.symbol = "shop/discounts.py::BulkDiscount.applies_to"
arguments.new_source = """
def applies_to(self, quantity):
    return quantity >= self.threshold
"""

[[reply]]
role = "reviewer"
when = "(?i)approve"
repeat = true
text = "Approved: the failing test now passes."
'''


def write(tmp_path: Path, text: str, name: str = "demo.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def model(path: Path, role: str) -> ChatModel:
    return ChatModel(build(ModelSettings(provider="scripted", model=str(path)), None), role=role)


async def test_replies_are_matched_by_role_agent_and_turn(tmp_path: Path) -> None:
    path = write(tmp_path, DEMO)
    agent = model(path, "symbol_agent").for_agent("shop/discounts.py::BulkDiscount.applies_to")
    first = await agent.complete(CONVERSATION, tools=TOOLS)
    second = await agent.complete(CONVERSATION, tools=TOOLS)
    assert first.message.content == "Reading my caller first."
    assert first.message.tool_calls[0].name == "read_symbol"
    assert first.message.tool_calls[0].arguments == {"symbol": "shop/cart.py::Cart.total"}
    assert second.message.tool_calls == (ToolCall("call_fix", "rewrite_symbol", {
        "symbol": "shop/discounts.py::BulkDiscount.applies_to",
        "new_source": "def applies_to(self, quantity):\n    return quantity >= self.threshold\n"}),)
    assert agent.name == f"scripted:{path}" and second.provider == "scripted"


async def test_a_when_pattern_matches_the_last_message_and_repeat_replays(tmp_path: Path) -> None:
    reviewer = model(write(tmp_path, DEMO), "reviewer")
    for _ in range(3):
        completion = await reviewer.complete([ChatMessage("user", "Please APPROVE or reject this diff.")])
        assert completion.message.content == "Approved: the failing test now passes."
    with pytest.raises(ScriptMismatch, match=r"no reply matches reviewer, turn 4 .*reply #4 .* wants the last "
                                             r"message to match /\(\?i\)approve/"):
        await reviewer.complete([ChatMessage("user", "What do you think?")])


async def test_running_out_says_so_and_how_to_fix_it(tmp_path: Path) -> None:
    coordinator = model(write(tmp_path, DEMO), "coordinator")
    await coordinator.complete(CONVERSATION)
    with pytest.raises(ScriptExhausted, match=r"ran out for coordinator, turn 2: its 1 reply for this caller was "
                                              r"already played\. Add a \[\[reply\]\]"):
        await coordinator.complete(CONVERSATION)


async def test_a_call_nobody_scripted_names_the_nearest_replies(tmp_path: Path) -> None:
    agent = model(write(tmp_path, DEMO), "symbol_agent").for_agent("shop/cart.py::Cart.total")
    with pytest.raises(ScriptMismatch) as caught:
        await agent.complete(CONVERSATION)
    message = str(caught.value)
    assert "no reply matches symbol_agent agent shop/cart.py::Cart.total, turn 1" in message
    assert "reply #2 (role='symbol_agent', agent='shop/discounts.py::BulkDiscount.*', turn=1) wants agent" in message
    assert "Fix the threshold comparison." in message


async def test_another_role_gets_a_plain_message(tmp_path: Path) -> None:
    path = write(tmp_path, '[[reply]]\nrole = "reviewer"\ntext = "ok"\n')
    with pytest.raises(ScriptMismatch, match="No reply is meant for this role"):
        await model(path, "coordinator").complete(CONVERSATION)


async def test_scripted_usage_is_given_or_estimated(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        [[reply]]
        text = "given"
        usage = { input_tokens = 1234, output_tokens = 56 }
        [[reply]]
        text = "12345678"
    ''')
    m = model(path, "coordinator")
    given = await m.complete(CONVERSATION)
    estimated = await m.complete([ChatMessage("user", "x" * 400)])
    assert (given.usage.input_tokens, given.usage.output_tokens) == (1234, 56)
    assert (estimated.usage.input_tokens, estimated.usage.output_tokens) == (100, 2)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "a script is a list of [[reply]] tables; found none"),
        ("[[reply]]\nrole = 'x'\n", "reply #1: needs text, tool_calls, or both"),
        ("[[reply]]\ntext = 'a'\nturns = 1\n", "reply #1: unknown key 'turns'"),
        ("[[reply]]\ntext = 'a'\nturn = 0\n", "turn must be a whole number >= 1"),
        ("[[reply]]\ntext = 'a'\nwhen = '('\n", "`when` is not a valid regular expression"),
        ("[[reply]]\ntext = 'a'\nstop_reason = 'done'\n", "stop_reason must be one of"),
        ("[[reply]]\ntext = 'a'\nusage = { input_tokens = 1 }\n", "usage must be"),
        ("[[reply]]\n[[reply.tool_calls]]\narguments = {}\n", "call #1: a tool call needs a name"),
        ("[[reply]]\n[[reply.tool_calls]]\nname = 'f'\n", "give exactly one of arguments (a table) or arguments_json"),
        ("[[reply]]\n[[reply.tool_calls]]\nname = 'f'\nargs = {}\n", "unknown key 'args'"),
        ("[[reply]]\ntext = 'a'\n[other]\nx = 1\n", "unknown top-level key 'other'"),
        ("[[reply]\n", "not valid TOML"),
    ],
)
def test_script_errors_name_the_reply_and_the_key(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ScriptError) as caught:
        load_script(write(tmp_path, text))
    assert error in str(caught.value) and "demo.toml" in str(caught.value)


def test_a_missing_script_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="cannot read the script .*nowhere.toml"):
        load_script(tmp_path / "nowhere.toml")


async def test_a_recorded_run_replays_identically(tmp_path: Path) -> None:
    """Record calls to a real provider (loopback Anthropic), write the script,
    replay it with the scripted model: same messages for the same callers."""
    recorder = ScriptRecorder()
    answers = replies(
        aw.ok(aw.text("Let me read it."), aw.tool_use("toolu_1", "read_symbol", {"symbol": "a"})),
        aw.ok(aw.tool_use("toolu_2", "rewrite_symbol", GOOD_ARGS)),
        aw.ok(aw.text("Looks good.")),
    )
    async with serve(answers) as server:
        backend = AnthropicBackend(model="claude-opus-4-5", key=None, base_url=server.url)
        async with ChatModel(backend, role="symbol_agent", observers=[recorder]) as live:
            agent = live.for_agent("shop/x.py::f[1]*")
            recorded = [
                await agent.complete(CONVERSATION, tools=TOOLS),
                await agent.complete(CONVERSATION, tools=TOOLS),
                await live.complete(CONVERSATION),
            ]
    path = recorder.write(tmp_path / "recorded.json", "a recorded run")
    replay = model(path, "symbol_agent")
    replay_agent = replay.for_agent("shop/x.py::f[1]*")
    replayed = [
        await replay_agent.complete(CONVERSATION, tools=TOOLS),
        await replay_agent.complete(CONVERSATION, tools=TOOLS),
        await replay.complete(CONVERSATION),
    ]
    assert [c.message for c in replayed] == [c.message for c in recorded]
    assert [c.usage.total_tokens for c in replayed] == [c.usage.total_tokens for c in recorded]
    assert load_script(path).replies[0].agent == "shop/x.py::f[[]1][*]"  # a glob matching only itself
    with pytest.raises(ScriptExhausted):
        await replay_agent.complete(CONVERSATION)


async def test_model_for_builds_the_scripted_model_from_config(tmp_path: Path) -> None:
    write(tmp_path, DEMO)
    config = parse_config({"models": {"provider": "scripted", "model": "demo.toml"}}, env={},
                          source=tmp_path / "swarm.toml")
    async with model_for("coordinator", config, env={}) as m:
        completion = await m.complete(CONVERSATION)
    assert completion.message.content == "Delegating to the owner of applies_to."
    assert isinstance(m.backend, ScriptedBackend)


async def test_the_documented_example_script_loads_and_plays(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "scripted-model.md").read_text()
    example = doc.split("## File format", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, example)
    script = load_script(path)
    assert len(script.replies) == 4 and script.replies[2].tool_calls[0].id == "call_fix"
    agent = model(path, "symbol_agent").for_agent("shop/discounts.py::BulkDiscount.applies_to")
    await agent.complete(CONVERSATION, tools=TOOLS)
    fix = await agent.complete(CONVERSATION, tools=TOOLS)
    assert fix.message.tool_calls[0].arguments["new_source"].startswith("def applies_to(self, quantity: int)")
    reviewer = model(path, "reviewer")
    verdict = await reviewer.complete([ChatMessage("user", "Approve or reject this proposal.")])
    assert verdict.usage.input_tokens == 900 and verdict.message.content.startswith("Approved")


async def test_valid_arguments_json_is_parsed_like_arguments(tmp_path: Path) -> None:
    path = write(tmp_path, '''
        [[reply]]
        [[reply.tool_calls]]
        name = "read_symbol"
        arguments_json = '{"symbol": "a.py::f"}'
    ''')
    completion = await model(path, "coordinator").complete(CONVERSATION, tools=TOOLS)
    assert completion.message.tool_calls[0].arguments == {"symbol": "a.py::f"}
    assert completion.message.tool_calls[0].id == "call_scripted_1"


def test_the_recorder_keeps_only_successful_calls() -> None:
    from swarm.protocols import CallRecord

    def record(ok: bool, text: str) -> CallRecord:
        reply = ChatMessage("assistant", text) if ok else None
        return CallRecord("reviewer", None, "m", "p", 1, 1, None, 0.1, ok, None if ok else "ProviderUnavailable",
                          None, "d", 1, 0, "end_turn" if ok else None, reply, 0.0)

    recorder = ScriptRecorder()
    for ok, text in ((True, "first"), (False, ""), (True, "")):
        recorder(record(ok, text))
    script = recorder.to_script()
    assert [(r["turn"], r["text"]) for r in script["reply"]] == [(1, "first"), (2, "")]
    assert "description" not in script and "agent" not in script["reply"][0]
