"""Every model error is a SwarmError the CLI prints as one line."""

from __future__ import annotations

import inspect

import pytest

from swarm.errors import SwarmError
from swarm.models import errors
from swarm.models.errors import BudgetExceeded, MalformedToolCall, ModelError, ProviderError, TruncatedToolCall


def test_every_error_is_a_model_error_and_a_swarm_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__]
    assert {"MalformedToolCall", "ProviderUnavailable", "BudgetExceeded", "ScriptMismatch"} <= {
        c.__name__ for c in classes}
    for cls in classes:
        assert issubclass(cls, ModelError) and issubclass(cls, SwarmError), cls
        assert cls.__doc__, f"{cls.__name__} needs a docstring saying when it is raised"


def test_errors_carry_what_a_caller_needs() -> None:
    assert ProviderError("x", status=404).status == 404
    assert issubclass(TruncatedToolCall, MalformedToolCall)
    assert MalformedToolCall("m", tool="rewrite_symbol").tool == "rewrite_symbol"
    exc = BudgetExceeded("spent", limit="tokens", used=10.0, allowed=5.0)
    assert (exc.limit, exc.used, exc.allowed) == ("tokens", 10.0, 5.0)


def test_the_cli_prints_them_as_one_line(capsys) -> None:
    from swarm.cli import main as cli

    def handler(_args: object) -> int:
        raise errors.ScriptMismatch("script s.toml: no reply matches coordinator, turn 1")

    parser = cli.build_parser()
    args = parser.parse_args(["config", "show"])
    args.handler = handler
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "build_parser", lambda: _Fixed(parser, args))
        assert cli.main([]) == 1
    assert capsys.readouterr().err == "swarm: error: script s.toml: no reply matches coordinator, turn 1\n"


class _Fixed:
    """A parser that returns prepared arguments (the handler is the test's)."""

    def __init__(self, parser: object, args: object) -> None:
        self._parser, self._args = parser, args

    def parse_args(self, _argv: object) -> object:
        return self._args

    def print_help(self) -> None:
        return None
