"""The [proxy] table of swarm.toml."""

from __future__ import annotations

import pytest

from swarm.config import parse_config
from swarm.proxy import ProxyError, ProxySettings


def test_defaults_without_a_proxy_table() -> None:
    settings = ProxySettings.from_config(parse_config({}, env={}))
    assert settings == ProxySettings()
    assert (settings.strict_diagnostics, settings.allow_warnings, settings.require_repro) == (False, True, True)
    assert settings.llm_prefilter and settings.context_tokens == 4096


def test_values_from_the_file() -> None:
    data = {"proxy": {"strict_diagnostics": True, "allow_warnings": False, "require_repro": False,
                      "llm_prefilter": False, "context_tokens": 8192}}
    settings = ProxySettings.from_config(parse_config(data, env={}))
    assert settings == ProxySettings(True, False, False, False, 8192)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"strict": True}, "unknown key 'strict' in \\[proxy\\]; known: strict_diagnostics, allow_warnings"),
        ({"allow_warnings": "yes"}, "\\[proxy\\] allow_warnings must be true or false"),
        ({"context_tokens": 100}, "context_tokens must be a whole number of at least 1024"),
        ({"context_tokens": True}, "context_tokens must be a whole number"),
    ],
)
def test_bad_values_say_what_to_write(table: dict[str, object], message: str) -> None:
    with pytest.raises(ProxyError, match=message):
        ProxySettings.from_table(table, where="/repo/.swarm/swarm.toml")
