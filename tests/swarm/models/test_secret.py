"""Secrets do not print, pickle or survive redaction."""

from __future__ import annotations

import pickle

import pytest

from swarm.models.secret import REDACTED, Secret, redact

KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"


def test_a_secret_shows_only_where_it_came_from() -> None:
    secret = Secret(KEY, "ANTHROPIC_API_KEY")
    for shown in (repr(secret), str(secret), f"{secret}", repr([secret])):
        assert KEY not in shown and "ANTHROPIC_API_KEY" in shown
    assert secret.reveal() == KEY


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(KEY, "K"))


def test_redact_removes_the_key_and_its_halves() -> None:
    secret = Secret(KEY, "K")
    text = f"sent {KEY}; truncated {KEY[:26]}...; tail ...{KEY[26:]}"
    cleaned = redact(text, [secret, None])
    assert KEY not in cleaned and KEY[:26] not in cleaned and KEY[26:] not in cleaned
    assert cleaned.count(REDACTED) >= 3


def test_short_values_are_redacted_whole_only() -> None:
    assert redact("key=abc, abcdef", [Secret("abc", "K")]) == f"key={REDACTED}, {REDACTED}def"
    assert redact("nothing here", [Secret("", "K")]) == "nothing here"
