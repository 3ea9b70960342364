"""`swarm config show` and `swarm config ping`, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from swarm.cli.main import main
from tests.swarm.models import openai_wire as ow
from tests.swarm.models.loopback import replies, serve

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]
KEY = "sk-proj-CLITEST-0123456789abcdefghijkl"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "ANTHROPIC_", "OPENAI_"))}
    return {**env, **extra}


def test_show_lists_roles_budget_and_key_state_but_never_keys(tmp_path: Path, monkeypatch, capsys) -> None:
    for name in [k for k in os.environ if k.startswith("SWARM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("SWARM_REVIEWER_MODEL", "anthropic:claude-haiku-4-5")
    config = tmp_path / ".swarm" / "swarm.toml"
    config.parent.mkdir()
    config.write_text('[budget]\nsteps = 50\n')
    assert main(["config", "show", "--repo", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"config: {config}" in out and "environment overrides: SWARM_REVIEWER_MODEL" in out
    assert "coordinator   openai:gpt-4.1  ($OPENAI_API_KEY set)" in out
    assert "reviewer      anthropic:claude-haiku-4-5  ($ANTHROPIC_API_KEY NOT SET)" in out
    assert "budget: steps 50, tokens unlimited, cost_usd 3.0, wall_s unlimited" in out
    assert main(["config", "show", "--repo", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["models"]["symbol_agent"]["api_key_set"] is True and data["budget"]["steps"] == 50
    assert KEY not in out


def test_a_bad_config_is_one_clear_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "swarm.toml"
    path.write_text('[models.coordinator]\napi_key = "sk-ant-api03-abcdefghijklmnop"\n')
    assert main(["config", "show", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("swarm: error: ") and "keys are never read from files" in err and "abcdefgh" not in err


async def test_ping_calls_each_roles_model_over_the_wire(tmp_path: Path) -> None:
    answers = replies(ow.ok("pong", prompt_tokens=12, completion_tokens=1),
                      ow.error(401, "Incorrect API key provided", code="invalid_api_key"))
    async with serve(answers) as server:
        env = clean_env(SWARM_MODEL="openai:gpt-4.1-mini", SWARM_BASE_URL=server.url + "/v1",
                        OPENAI_API_KEY=KEY, SWARM_CONFIG=str(tmp_path / "none.toml"))
        (tmp_path / "none.toml").write_text("")
        result = await trio.run_process(
            [sys.executable, "-m", "swarm.cli.main", "config", "ping", "--role", "coordinator", "--role", "reviewer"],
            env=env, cwd=ROOT, capture_stdout=True, capture_stderr=True, check=False,
        )
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr.decode()
    assert "coordinator   openai:gpt-4.1-mini  ok in" in out and "12+1 tokens" in out and "'pong'" in out
    assert "reviewer      FAILED: openai:gpt-4.1-mini: HTTP 401" in out
    assert KEY not in out and KEY not in result.stderr.decode()
    assert server.received[0].json()["messages"] == [{"role": "user", "content": "Reply with the single word: pong"}]


def test_ping_with_a_script_needs_no_network_and_says_it_is_scripted(tmp_path: Path) -> None:
    script = tmp_path / "ping.toml"
    script.write_text('[[reply]]\ntext = "pong"\nrepeat = true\n')
    empty = tmp_path / "none.toml"
    empty.write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "swarm.cli.main", "config", "ping", "--config", str(empty)],
        env=clean_env(SWARM_MODEL=f"scripted:{script}"), cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(f"scripted:{script}  ok in") == 3
    assert result.stdout.count("scripted reply, no model was called: 'pong'") == 3
