"""Secrets never reach storage: environment values and credential shapes are scrubbed."""

from __future__ import annotations

import json

import pytest

from swarm.redact import REDACTED, Redactor, is_secret_name, scrub_config

KEY = "sk-ant-api03-" + "Zx9" * 12


@pytest.mark.parametrize(
    "name",
    ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN", "HF_TOKEN", "AWS_SECRET", "DB_PASSWORD", "api_key"],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "SWARM_RUNLOG", "TOKENIZERS_PARALLELISM", "MAX_TOKENS"])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_values_of_secret_env_vars_are_replaced() -> None:
    redactor = Redactor.from_environ({"MY_SERVICE_API_KEY": "hunter2hunter2", "PATH": "/usr/bin:/bin"})
    text = "calling with key hunter2hunter2 from /usr/bin"
    assert redactor.scrub(text) == f"calling with key {REDACTED} from /usr/bin"


def test_short_values_are_ignored_so_text_is_not_shredded() -> None:
    redactor = Redactor.from_environ({"FEATURE_TOKEN": "1", "OTHER_SECRET": "abc"})
    assert redactor.secrets == ()
    assert redactor.scrub("1 abc 1") == "1 abc 1"


def test_json_escaped_forms_are_caught_too() -> None:
    secret = 'pa"ss\\word-1234'
    redactor = Redactor.from_environ({"DB_PASSWORD": secret})
    encoded = json.dumps({"note": f"the password is {secret}"})
    assert secret not in json.loads(redactor.scrub(encoded))["note"]
    assert REDACTED in redactor.scrub(encoded)


def test_a_secret_containing_another_is_replaced_whole() -> None:
    redactor = Redactor().with_secrets("abcdefgh", "abcdefgh-and-more")
    assert redactor.scrub("x abcdefgh-and-more y") == f"x {REDACTED} y"


@pytest.mark.parametrize(
    "credential",
    [
        KEY,
        "sk-proj-" + "a1B2" * 8,
        "sk-" + "A" * 48,
        "ghp_" + "a" * 36,
        "github_pat_" + "11ABC" * 8,
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-1234567890-abcdefghij",
        "hf_" + "x" * 34,
        "AIza" + "b" * 35,
    ],
)
def test_credential_shapes_are_caught_without_the_environment(credential: str) -> None:
    scrubbed = Redactor().scrub(f"key={credential}; done")
    assert credential not in scrubbed
    assert scrubbed == f"key={REDACTED}; done"


@pytest.mark.parametrize(
    "text",
    [
        "task-0123456789abcdefghijklmnop",
        "def risk_score(self): return self.score",
        "shop/cart.py::Cart.total",
        "the value is sk- and nothing",
    ],
)
def test_ordinary_code_is_left_alone(text: str) -> None:
    assert Redactor().scrub(text) == text


def test_scrub_config_drops_values_under_secret_keys_recursively() -> None:
    config = {
        "models": {
            "coordinator": {"provider": "anthropic", "api_key": "literal", "api_key_env": "ANTHROPIC_API_KEY"},
            "list": [{"token": "t"}, 3],
        },
        "max_tokens": 512,
        "password": "p",
    }
    scrubbed = scrub_config(config)
    assert scrubbed["models"]["coordinator"] == {
        "provider": "anthropic",
        "api_key": REDACTED,
        "api_key_env": "ANTHROPIC_API_KEY",
    }
    assert scrubbed["models"]["list"] == [{"token": REDACTED}, 3]
    assert scrubbed["max_tokens"] == 512
    assert scrubbed["password"] == REDACTED
    assert config["password"] == "p"  # the input is not changed
