"""swarm.toml: where it is found, how roles resolve, environment overrides,
budgets and prices, and API keys refused from the file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from swarm.config import (
    DEFAULT_BUDGET,
    ConfigError,
    ModelSettings,
    find_config,
    load_config,
    parse_config,
    with_model,
)
from swarm.models.budget import Budget
from swarm.models.pricing import Price

LEAKED = "sk-ant-api03-REALLOOKINGKEY-0123456789abcdef"

EXAMPLE = '''
[models]
provider = "anthropic"
model = "claude-opus-4-5"
temperature = 0.2

[models.symbol_agent]
provider = "openai-compatible"
model = "qwen2.5-coder:1.5b"
base_url = "http://127.0.0.1:8080/v1"
max_tokens = 2048
stream = true
timeout_s = 900
max_attempts = 2

[models.reviewer]
model = "claude-haiku-4-5"

[budget]
steps = 120
tokens = 2_000_000
cost_usd = 4.5
wall_s = 1800

[prices."qwen2.5-coder:1.5b"]
input = 0
output = 0

[proxy]
policy = "auto"
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_roles_inherit_the_models_table_and_override_it(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "swarm.toml", EXAMPLE), env={})
    assert config.for_role("coordinator") == ModelSettings(
        provider="anthropic", model="claude-opus-4-5", temperature=0.2)
    assert config.for_role("reviewer").spec == "anthropic:claude-haiku-4-5"
    agent = config.for_role("symbol_agent")
    # Switching provider drops what belonged to the old one (its model), keeps the rest.
    assert agent == ModelSettings(
        provider="openai-compatible", model="qwen2.5-coder:1.5b", base_url="http://127.0.0.1:8080/v1",
        temperature=0.2, max_tokens=2048, stream=True, timeout_s=900.0, max_attempts=2)
    assert agent.retry_policy().max_attempts == 2 and agent.retry_policy().timeout_s == 900.0
    assert config.budget == Budget(steps=120, tokens=2_000_000, cost_usd=4.5, wall_s=1800.0)
    assert config.prices.cost("qwen2.5-coder:1.5b", 10**6, 10**6) == 0.0
    assert config.prices.price_of("gpt-4.1") == Price(2.0, 8.0)  # defaults still there
    assert config.section("proxy") == {"policy": "auto"} and config.section("absent") == {}
    assert config.source == tmp_path / "swarm.toml" and config.env_overrides == ()


def test_search_order_explicit_then_env_then_repo_then_user(tmp_path: Path) -> None:
    repo_file = write(tmp_path / "repo" / ".swarm" / "swarm.toml", "")
    user_file = write(tmp_path / "user" / "swarm.toml", "")
    env_file = write(tmp_path / "env.toml", "")
    explicit = write(tmp_path / "explicit.toml", "")
    repo, user = tmp_path / "repo", user_file
    assert find_config(explicit, repo=repo, env={"SWARM_CONFIG": str(env_file)}, user_path=user) == explicit
    assert find_config(repo=repo, env={"SWARM_CONFIG": str(env_file)}, user_path=user) == env_file
    assert find_config(repo=repo, env={}, user_path=user) == repo_file
    assert find_config(repo=tmp_path / "elsewhere", env={}, user_path=user) == user_file
    assert find_config(repo=tmp_path / "elsewhere", env={}, user_path=tmp_path / "none.toml") is None
    with pytest.raises(ConfigError, match="config file .*missing.toml does not exist"):
        find_config(tmp_path / "missing.toml", env={})


def test_nothing_configured_picks_the_provider_by_available_keys(tmp_path: Path) -> None:
    nowhere = tmp_path / "none.toml"
    assert load_config(env={}, user_path=nowhere).for_role("coordinator").provider == "local"
    env = {"OPENAI_API_KEY": "x"}
    assert load_config(env=env, user_path=nowhere).for_role("coordinator").spec == "openai:gpt-4.1"
    env["ANTHROPIC_API_KEY"] = "y"
    config = load_config(env=env, user_path=nowhere)
    assert {s.spec for s in config.models.values()} == {"anthropic:claude-opus-4-5"}
    assert config.budget == DEFAULT_BUDGET and config.source is None


def test_environment_overrides_beat_the_file_role_specific_beats_global(tmp_path: Path) -> None:
    env = {
        "SWARM_MODEL": "openai:gpt-4.1-mini",
        "SWARM_REVIEWER_MODEL": "claude-sonnet-4-5",
        "SWARM_REVIEWER_PROVIDER": "anthropic",
        "SWARM_SYMBOL_AGENT_BASE_URL": "http://127.0.0.1:9999/v1",
        "SWARM_SYMBOL_AGENT_PROVIDER": "openai-compatible",
        "SWARM_SYMBOL_AGENT_MODEL": "qwen2.5-coder:1.5b",
        "SWARM_BUDGET_COST": "0.5",
        "SWARM_BUDGET_STEPS": "unlimited",
    }
    config = load_config(write(tmp_path / "swarm.toml", EXAMPLE), env=env)
    assert config.for_role("coordinator").spec == "openai:gpt-4.1-mini"
    assert config.for_role("reviewer").spec == "anthropic:claude-sonnet-4-5"
    agent = config.for_role("symbol_agent")
    assert agent.spec == "openai-compatible:qwen2.5-coder:1.5b" and agent.base_url == "http://127.0.0.1:9999/v1"
    assert config.budget.cost_usd == 0.5 and config.budget.steps is None and config.budget.tokens == 2_000_000
    assert set(config.env_overrides) == set(env)


def test_a_model_name_with_a_colon_is_not_taken_for_a_provider() -> None:
    env = {"SWARM_MODEL": "qwen2.5-coder:1.5b", "SWARM_PROVIDER": "openai-compatible",
           "SWARM_BASE_URL": "http://127.0.0.1:11434/v1"}
    settings = parse_config({}, env=env).for_role("coordinator")
    assert (settings.provider, settings.model) == ("openai-compatible", "qwen2.5-coder:1.5b")


def test_switching_provider_by_environment_drops_the_files_base_url(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "swarm.toml", EXAMPLE), env={"SWARM_SYMBOL_AGENT_MODEL": "openai:gpt-4.1"})
    agent = config.for_role("symbol_agent")
    assert agent.spec == "openai:gpt-4.1" and agent.base_url is None and agent.max_tokens == 2048


def test_scripted_paths_resolve_against_the_config_file_or_the_cwd(tmp_path: Path, monkeypatch) -> None:
    config = load_config(write(tmp_path / "conf" / "swarm.toml", '[models]\nprovider = "scripted"\nmodel = "s.toml"\n'),
                         env={})
    assert config.for_role("reviewer").model == str(tmp_path / "conf" / "s.toml")
    monkeypatch.chdir(tmp_path)
    from_env = parse_config({}, env={"SWARM_MODEL": "scripted:demo/s.toml"})
    assert from_env.for_role("reviewer").model == str(tmp_path / "demo" / "s.toml")


@pytest.mark.parametrize(
    "text",
    [
        f'[models.coordinator]\napi_key = "{LEAKED}"\n',
        f'[models]\nANTHROPIC_API_KEY = "{LEAKED}"\n',
        f'[models]\ntoken = "{LEAKED}"\n',
        f'[models.reviewer]\nmodel = "{LEAKED}"\n',
        f'[proxy.webhook]\nsecret = "{LEAKED}"\n',
    ],
)
def test_a_key_in_the_file_is_refused_without_echoing_it(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path / "swarm.toml", text), env={})
    message = str(caught.value)
    assert "keys are never read from files" in message and "environment variable" in message
    assert LEAKED not in message and LEAKED[:16] not in message


def test_a_key_pasted_into_api_key_env_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = '[models]\nprovider = "anthropic"\napi_key_env = "0123-not-a-name-but-a-key-4567"\n'
    with pytest.raises(ConfigError, match="api_key_env must be the NAME of an environment variable") as caught:
        load_config(write(tmp_path / "swarm.toml", text), env={})
    assert "0123-not-a-name" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "env", "error"),
    [
        ("[models.planner]\nmodel = 'x'\n", {}, "unknown role [models.planner]; roles: coordinator, symbol_agent, reviewer"),
        ("[models]\nmodle = 'x'\n", {}, "unknown key 'modle' in [models]"),
        ("[models.reviewer]\ntemprature = 1\n", {}, "unknown key 'temprature' in [models.reviewer]"),
        ("[models]\nprovider = 'gemini'\n", {}, "unknown provider 'gemini'"),
        ("[models]\nprovider = 'openai-compatible'\nmodel = 'm'\n", {}, "provider openai-compatible needs base_url"),
        ("[models]\nprovider = 'openai-compatible'\nbase_url = 'http://h/v1'\n", {}, "needs a model"),
        ("[models]\nbase_url = 'ftp://h'\n", {}, "base_url must start with http:// or https://"),
        ("[models]\ntemperature = 3\n", {}, "temperature must be a number between 0 and 2"),
        ("[models]\nmax_tokens = 0\n", {}, "max_tokens must be a whole number, at least 1"),
        ("[models]\nstream = 'yes'\n", {}, "stream must be true or false"),
        ("[models]\ntimeout_s = true\n", {}, "timeout_s must be a number at least 1"),
        ("[budget]\nsteps = 1.5\n", {}, "[budget] steps must be a positive whole number"),
        ("[budget]\ncost = 1\n", {}, "unknown key 'cost' in [budget]"),
        ("[budget]\ncost_usd = -1\n", {}, "cost_usd must be a positive number"),
        ("", {"SWARM_BUDGET_TOKENS": "lots"}, "$SWARM_BUDGET_TOKENS must be a number or 'unlimited'"),
        ("[prices.m]\ninput = 1\n", {}, 'prices."m"] must hold exactly input and output'),
        ("[prices.m]\ninput = 1\noutput = -2\n", {}, "input and output must be numbers >= 0"),
        ("models = 3\n", {}, "models must be a table"),
        ("[models\n", {}, "not valid TOML"),
    ],
)
def test_invalid_settings_name_the_file_section_and_key(tmp_path: Path, text: str, env: dict, error: str) -> None:
    path = write(tmp_path / "swarm.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={"ANTHROPIC_API_KEY": "k", **env})
    assert error in str(caught.value)
    if "SWARM_" not in error:
        assert str(path) in str(caught.value)


def test_unlimited_in_the_file_and_unknown_roles_asked_for() -> None:
    config = parse_config({"budget": {"cost_usd": "unlimited"}}, env={"ANTHROPIC_API_KEY": "k"})
    assert config.budget.cost_usd is None
    with pytest.raises(ConfigError, match="unknown role 'planner'"):
        config.for_role("planner")


def test_with_model_replaces_one_role() -> None:
    config = parse_config({}, env={"ANTHROPIC_API_KEY": "k"})
    changed = with_model(config, "reviewer", ModelSettings(provider="openai", model="gpt-4o"))
    assert changed.for_role("reviewer").spec == "openai:gpt-4o"
    assert changed.for_role("coordinator") == config.for_role("coordinator")


def test_every_environment_variable_read_is_documented() -> None:
    import re

    from swarm import config as module

    root = Path(module.__file__).resolve().parents[1]
    source = Path(module.__file__).read_text()
    read = set(re.findall(r'"(SWARM_[A-Z_]+)"', source)) | {"SWARM_<ROLE>_MODEL", "SWARM_MODEL"}
    readme = (root / "README.md").read_text()
    for variable in read:
        assert variable in module.ENV_VARIABLES, variable
        assert variable in readme, variable
    for prefix_var in ("SWARM_<ROLE>_PROVIDER", "SWARM_<ROLE>_BASE_URL"):
        assert prefix_var in module.ENV_VARIABLES


def test_overrides_apply_per_role_only_where_set() -> None:
    env = {"ANTHROPIC_API_KEY": "k", "SWARM_COORDINATOR_MODEL": "claude-haiku-4-5"}
    config = parse_config({}, env=env)
    assert config.for_role("coordinator").spec == "anthropic:claude-haiku-4-5"
    assert config.for_role("reviewer").spec == "anthropic:claude-opus-4-5"
    assert config.env_overrides == ("SWARM_COORDINATOR_MODEL",)


def test_the_user_config_lives_in_the_platform_config_dir(tmp_path: Path, monkeypatch) -> None:
    from swarm.config import user_config_path

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert user_config_path() == tmp_path / "xdg" / "symbol-swarm" / "swarm.toml"
    write(user_config_path(), '[models]\nprovider = "openai"\n')
    config = load_config(repo=tmp_path / "repo", env={"OPENAI_API_KEY": "k"})
    assert config.source == user_config_path() and config.for_role("reviewer").spec == "openai:gpt-4.1"


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "swarm.toml"
    path.write_bytes(b"[models]\nmodel = '\xff\xfe'\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path, env={})
