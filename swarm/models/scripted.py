"""The scripted model: plays replies written in a file (TOML, or JSON as
recorded by `ScriptRecorder`). It drives the deterministic end-to-end tests
and the offline demo, and is always labelled as such: its name is
`scripted:<script path>` and its provider `scripted`.

Format and matching rules: docs/scripted-model.md. In short, each
`[[reply]]` may name the `role`, the `agent` (a glob on its address), the
`turn` (the n-th call by that agent) and a `when` pattern on the last
message; the first unplayed reply that matches is played once.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from swarm.models.backend import RawToolCall, Reply, Request
from swarm.models.errors import ScriptError, ScriptExhausted, ScriptMismatch
from swarm.models.jsonable import plain
from swarm.protocols import CallRecord, StopReason

if TYPE_CHECKING:
    from swarm.config import ModelSettings
    from swarm.models.secret import Secret

PROVIDER = "scripted"
_REPLY_KEYS = frozenset({"role", "agent", "turn", "when", "repeat", "text", "tool_calls", "stop_reason", "usage"})
_CALL_KEYS = frozenset({"name", "arguments", "arguments_json", "id"})
_STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence", "refused", "other")


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    name: str
    arguments: Mapping[str, Any] | None
    arguments_json: str | None
    id: str | None


@dataclass(frozen=True, slots=True)
class ScriptedReply:
    """One `[[reply]]`; `number` is its 1-based position in the file."""

    number: int
    role: str | None
    agent: str | None
    turn: int | None
    when: re.Pattern[str] | None
    repeat: bool
    text: str
    tool_calls: tuple[ScriptedCall, ...]
    stop_reason: StopReason | None
    usage: tuple[int, int] | None

    def describe(self) -> str:
        keys = [f"{k}={v!r}" for k, v in (("role", self.role), ("agent", self.agent), ("turn", self.turn)) if v]
        if self.when is not None:
            keys.append(f"when=/{self.when.pattern}/")
        return f"reply #{self.number}" + (f" ({', '.join(keys)})" if keys else "")

    def mismatch(self, role: str, agent: str | None, turn: int, last: str) -> str | None:
        """Why this reply does not fit the call, or None if it does."""
        if self.role is not None and self.role != role:
            return f"wants role {self.role}"
        if self.agent is not None and (agent is None or not fnmatch.fnmatchcase(agent, self.agent)):
            return f"wants agent {self.agent}"
        if self.turn is not None and self.turn != turn:
            return f"wants turn {self.turn}"
        if self.when is not None and not self.when.search(last):
            return f"wants the last message to match /{self.when.pattern}/"
        return None


@dataclass(frozen=True, slots=True)
class Script:
    path: Path
    replies: tuple[ScriptedReply, ...]


def load_script(path: Path) -> Script:
    """Read and check a script; errors name the reply and the key."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read the script {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScriptError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") from None
    return parse_script(data, path)


def parse_script(data: Any, path: Path) -> Script:
    if not isinstance(data, dict) or not isinstance(data.get("reply"), list) or not data["reply"]:
        raise ScriptError(f"{path}: a script is a list of [[reply]] tables; found none")
    unknown = sorted(set(data) - {"reply", "description"})
    if unknown:
        raise ScriptError(f"{path}: unknown top-level key {unknown[0]!r}; only [[reply]] and description")
    return Script(path, tuple(_parse_reply(i, entry, path) for i, entry in enumerate(data["reply"], 1)))


def _parse_reply(number: int, entry: Any, path: Path) -> ScriptedReply:
    where = f"{path}: reply #{number}"
    if not isinstance(entry, dict):
        raise ScriptError(f"{where} is not a table")
    unknown = sorted(set(entry) - _REPLY_KEYS)
    if unknown:
        raise ScriptError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(_REPLY_KEYS))}")
    when = entry.get("when")
    try:
        pattern = re.compile(when) if isinstance(when, str) else None
    except re.error as exc:
        raise ScriptError(f"{where}: `when` is not a valid regular expression: {exc}") from None
    turn = entry.get("turn")
    if turn is not None and (isinstance(turn, bool) or not isinstance(turn, int) or turn < 1):
        raise ScriptError(f"{where}: turn must be a whole number >= 1")
    stop = entry.get("stop_reason")
    if stop is not None and stop not in _STOP_REASONS:
        raise ScriptError(f"{where}: stop_reason must be one of {', '.join(_STOP_REASONS)}")
    usage = entry.get("usage")
    if usage is not None and not (
        isinstance(usage, dict) and set(usage) == {"input_tokens", "output_tokens"}
        and all(isinstance(v, int) and v >= 0 for v in usage.values())
    ):
        raise ScriptError(f"{where}: usage must be {{input_tokens = N, output_tokens = N}}")
    calls = entry.get("tool_calls", [])
    if not isinstance(calls, list):
        raise ScriptError(f"{where}: tool_calls must be a list of tables ([[reply.tool_calls]])")
    text = entry.get("text", "")
    if not isinstance(text, str):
        raise ScriptError(f"{where}: text must be a string")
    if "text" not in entry and not calls:
        raise ScriptError(f"{where}: needs text, tool_calls, or both")
    for key in ("role", "agent"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise ScriptError(f"{where}: {key} must be a string")
    return ScriptedReply(
        number=number,
        role=entry.get("role"),
        agent=entry.get("agent"),
        turn=turn,
        when=pattern,
        repeat=bool(entry.get("repeat", False)),
        text=text,
        tool_calls=tuple(_parse_call(f"{where} call #{i}", c) for i, c in enumerate(calls, 1)),
        stop_reason=stop,
        usage=None if usage is None else (usage["input_tokens"], usage["output_tokens"]),
    )


def _parse_call(where: str, call: Any) -> ScriptedCall:
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise ScriptError(f"{where}: a tool call needs a name")
    unknown = sorted(set(call) - _CALL_KEYS)
    if unknown:
        raise ScriptError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(_CALL_KEYS))}")
    arguments, raw = call.get("arguments"), call.get("arguments_json")
    if (arguments is None) == (raw is None):
        raise ScriptError(f"{where}: give exactly one of arguments (a table) or arguments_json (text)")
    if arguments is not None and not isinstance(arguments, dict):
        raise ScriptError(f"{where}: arguments must be a table")
    if raw is not None and not isinstance(raw, str):
        raise ScriptError(f"{where}: arguments_json must be a string")
    return ScriptedCall(call["name"], arguments, raw, call.get("id"))


class ScriptPlayer:
    """Plays one script for one model: remembers which replies were played
    and how many calls each (role, agent) made."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._played: set[int] = set()
        self._turns: dict[tuple[str, str | None], int] = {}
        self._ids = 0

    def play(self, request: Request) -> Reply:
        key = (request.role, request.agent)
        turn = self._turns[key] = self._turns.get(key, 0) + 1
        last = request.messages[-1].content if request.messages else ""
        misses: list[str] = []
        spent = pending = 0
        for reply in self.script.replies:
            why = reply.mismatch(request.role, request.agent, turn, last)
            if (why is None and reply.number in self._played) or (
                why is not None and why.startswith("wants turn") and (reply.turn or 0) < turn
            ):
                spent += 1  # meant for this caller, but already played or for an earlier turn
                continue
            if why is None:
                if not reply.repeat:
                    self._played.add(reply.number)
                return self._reply(reply, request)
            if not why.startswith(("wants role", "wants agent")):
                pending += 1  # meant for this caller at another turn or message
            if len(misses) < 3 and not why.startswith("wants role"):
                misses.append(f"{reply.describe()} {why}")
        caller = f"{request.role}" + (f" agent {request.agent}" if request.agent else "") + f", turn {turn}"
        if spent and not pending:
            raise ScriptExhausted(
                f"script {self.script.path} ran out for {caller}: its {spent} "
                f"repl{'y' if spent == 1 else 'ies'} for this caller {'was' if spent == 1 else 'were'} "
                "already played. Add a [[reply]] for this turn (or repeat = true)"
            )
        excerpt = last[-160:].replace("\n", " ")
        raise ScriptMismatch(
            f"script {self.script.path}: no reply matches {caller} (last message: ...{excerpt!r}). "
            + (f"Nearest: {'; '.join(misses)}." if misses else "No reply is meant for this role.")
        )

    def _reply(self, reply: ScriptedReply, request: Request) -> Reply:
        calls = tuple(self._call(c) for c in reply.tool_calls)
        if reply.usage is not None:
            input_tokens, output_tokens = reply.usage
        else:
            # A rough 4-characters-per-token estimate keeps budgets meaningful offline.
            prompt = sum(len(m.content) for m in request.messages)
            answer = len(reply.text) + sum(len(c.raw) for c in calls)
            input_tokens, output_tokens = math.ceil(prompt / 4), math.ceil(answer / 4)
        return Reply(
            text=reply.text,
            tool_calls=calls,
            stop_reason=reply.stop_reason or ("tool_use" if calls else "end_turn"),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            model=str(self.script.path),
            attempts=1,
        )

    def _call(self, call: ScriptedCall) -> RawToolCall:
        self._ids += 1
        call_id = call.id or f"call_scripted_{self._ids}"
        if call.arguments is not None:
            return RawToolCall(call_id, call.name, call.arguments, None, json.dumps(call.arguments))
        raw = call.arguments_json or ""
        try:
            arguments = json.loads(raw)
        except json.JSONDecodeError as exc:
            return RawToolCall(call_id, call.name, None, f"the arguments are not valid JSON ({exc.msg})", raw)
        if not isinstance(arguments, dict):
            return RawToolCall(call_id, call.name, None, "the arguments are not a JSON object", raw)
        return RawToolCall(call_id, call.name, arguments, None, raw)


class ScriptedBackend:
    """A `Backend` that answers from a script instead of a network."""

    def __init__(self, script: Script) -> None:
        self.provider = PROVIDER
        self.model = str(script.path)
        self.priced = False  # plays text from a file: costs nothing
        self.player = ScriptPlayer(script)

    async def reply(self, request: Request) -> Reply:
        return self.player.play(request)

    async def aclose(self) -> None:
        return None


def build(settings: ModelSettings, key: Secret | None) -> ScriptedBackend:
    del key  # a script needs none
    return ScriptedBackend(load_script(Path(settings.model)))


class ScriptRecorder:
    """A `CallObserver` that keeps every successful call's reply, keyed by
    role, agent and turn, and writes them as a script the scripted model
    replays (record a real run once, replay it offline forever)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    def __call__(self, record: CallRecord) -> None:
        if record.ok and record.reply is not None:
            self.records.append(record)

    def to_script(self, description: str = "") -> dict[str, Any]:
        turns: dict[tuple[str, str | None], int] = {}
        replies: list[dict[str, Any]] = []
        for record in self.records:
            assert record.reply is not None
            key = (record.role, record.agent)
            turns[key] = turns.get(key, 0) + 1
            entry: dict[str, Any] = {"role": record.role, "turn": turns[key]}
            if record.agent is not None:
                entry["agent"] = _glob_literal(record.agent)
            if record.reply.content or not record.reply.tool_calls:
                entry["text"] = record.reply.content
            if record.reply.tool_calls:
                entry["tool_calls"] = [
                    {"id": c.id, "name": c.name, "arguments": plain(c.arguments)} for c in record.reply.tool_calls
                ]
            entry["usage"] = {"input_tokens": record.input_tokens, "output_tokens": record.output_tokens}
            replies.append(entry)
        script: dict[str, Any] = {"reply": replies}
        if description:
            script["description"] = description
        return script

    def write(self, path: Path, description: str = "") -> Path:
        """Write the recorded script as JSON (loadable by `load_script`)."""
        path.write_text(json.dumps(self.to_script(description), indent=1, ensure_ascii=False) + "\n")
        return path


def _glob_literal(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)
