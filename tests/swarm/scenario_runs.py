"""Helpers for tests that drive whole runs with the scripted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swarm.config import SwarmConfig, parse_config
from swarm.messages import Message, MessageKind
from swarm.runlog import RunLog, runlog_path
from swarm.run import RunEvent

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def scripted_config(scenario: str | Path, **sections: Any) -> SwarmConfig:
    """Every role plays `scenario` (a file under tests/swarm/scenarios or a path)."""
    path = Path(scenario)
    if not path.is_absolute():
        path = SCENARIOS / path
    return parse_config({"models": {"provider": "scripted", "model": str(path)}, **sections}, env={})


def scenario_variant(directory: Path, scenario: str, old: str, new: str) -> Path:
    """A copy of a bundled scenario in `directory` with `old` (which must be in it) replaced by `new`."""
    text = (SCENARIOS / scenario).read_text()
    assert old in text, f"{old!r} is not in {scenario}"
    variant = directory / scenario.replace(".toml", "_variant.toml")
    variant.write_text(text.replace(old, new))
    return variant


def open_log(repo: Path) -> RunLog:
    return RunLog.open(runlog_path(repo, environ={}), create=False)


def kinds(messages: tuple[Message, ...], kind: MessageKind) -> list[Message]:
    return [m for m in messages if m.kind is kind]


class Events(list[RunEvent]):
    def __call__(self, event: RunEvent) -> None:
        self.append(event)

    def of(self, kind: str) -> list[RunEvent]:
        return [e for e in self if e.kind == kind]
