"""`swarm.toml`: which model each role uses, the run's budget, prices.

Where it is read from, first found wins: an explicit path, `$SWARM_CONFIG`,
`<repo>/.swarm/swarm.toml`, the user's config dir
(`~/.config/symbol-swarm/swarm.toml` on Linux). Environment variables then
override it (see `ENV_VARIABLES`). API keys are never read from the file:
it names the variable that holds each key (`api_key_env`).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from swarm.errors import SwarmError
from swarm.models.budget import Budget
from swarm.models.pricing import Price, PriceTable
from swarm.models.providers import known_providers, provider_info
from swarm.models.retry import RetryPolicy

ROLES = ("coordinator", "symbol_agent", "reviewer")
CONFIG_NAME = "swarm.toml"
DEFAULT_BUDGET = Budget(cost_usd=3.0)
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MAX_ATTEMPTS = 5

ENV_VARIABLES: Mapping[str, str] = MappingProxyType({
    "SWARM_CONFIG": "path of the config file to read (instead of searching)",
    "SWARM_MODEL": "[provider:]model for every role, e.g. openai:gpt-4.1 or scripted:demo.toml",
    "SWARM_PROVIDER": "provider for every role",
    "SWARM_BASE_URL": "base_url for every role",
    "SWARM_<ROLE>_MODEL": "[provider:]model for one role (COORDINATOR, SYMBOL_AGENT, REVIEWER)",
    "SWARM_<ROLE>_PROVIDER": "provider for one role",
    "SWARM_<ROLE>_BASE_URL": "base_url for one role",
    "SWARM_BUDGET_STEPS": "[budget] steps (a number, or 'unlimited')",
    "SWARM_BUDGET_TOKENS": "[budget] tokens",
    "SWARM_BUDGET_COST": "[budget] cost_usd",
    "SWARM_BUDGET_WALL": "[budget] wall_s",
})

_MODEL_KEYS = frozenset({
    "provider", "model", "base_url", "api_key_env", "temperature", "max_tokens",
    "stream", "timeout_s", "max_attempts",
})
# Fields that belong to one provider: a layer that switches provider drops them.
_PROVIDER_BOUND = ("model", "base_url", "api_key_env")
_SECRET_NAME = re.compile(r"(^|_)(api_?key|key|token|secret|password|authorization)$", re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^(sk-|sk_|xai-|gsk_|AIza)[A-Za-z0-9_\-]{8,}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(SwarmError):
    """swarm.toml or an environment override is invalid; the message names
    the file, section and key."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """One role's model. For `scripted`, `model` is the script's path."""

    provider: str
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @property
    def spec(self) -> str:
        return f"{self.provider}:{self.model}"

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            timeout_s=self.timeout_s,
            idle_timeout_s=min(self.timeout_s, RetryPolicy().idle_timeout_s),
        )


@dataclass(frozen=True, slots=True)
class SwarmConfig:
    """The resolved configuration. `source` is the file read (None when
    none was found), `env_overrides` the variables that changed something,
    `sections` the tables other parts of the swarm own (read them with
    `section`)."""

    models: Mapping[str, ModelSettings]
    budget: Budget = DEFAULT_BUDGET
    prices: PriceTable = field(default_factory=PriceTable)
    source: Path | None = None
    env_overrides: tuple[str, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def for_role(self, role: str) -> ModelSettings:
        try:
            return self.models[role]
        except KeyError:
            raise ConfigError(f"unknown role {role!r}; roles: {', '.join(ROLES)}") from None

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name, {})
        return value if isinstance(value, Mapping) else {}


def user_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("symbol-swarm")) / CONFIG_NAME


def find_config(
    path: Path | None = None,
    *,
    repo: Path | None = None,
    env: Mapping[str, str] | None = None,
    user_path: Path | None = None,
) -> Path | None:
    """The file to read, or None. An explicit path (argument or $SWARM_CONFIG)
    must exist; the searched ones may not."""
    env = os.environ if env is None else env
    explicit = path or (Path(env["SWARM_CONFIG"]) if env.get("SWARM_CONFIG") else None)
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist")
        return explicit
    candidates = [repo / ".swarm" / CONFIG_NAME] if repo is not None else []
    candidates.append(user_path or user_config_path())
    return next((c for c in candidates if c.is_file()), None)


def load_config(
    path: Path | None = None,
    *,
    repo: Path | None = None,
    env: Mapping[str, str] | None = None,
    user_path: Path | None = None,
) -> SwarmConfig:
    """Find, read and resolve the configuration (see the module doc)."""
    env = os.environ if env is None else env
    source = find_config(path, repo=repo, env=env, user_path=user_path)
    data: Mapping[str, Any] = {}
    if source is not None:
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not UTF-8 text") from None
    return parse_config(data, env=env, source=source)


def parse_config(
    data: Mapping[str, Any], *, env: Mapping[str, str], source: Path | None = None
) -> SwarmConfig:
    """Resolve parsed TOML plus environment overrides. Pure: reads nothing."""
    where = str(source) if source else "swarm.toml"
    _refuse_secrets(data, where, ())
    models_table = _table(data, "models", where)
    defaults = {k: v for k, v in models_table.items() if not isinstance(v, Mapping)}
    for name, value in models_table.items():
        if isinstance(value, Mapping) and name not in ROLES:
            raise ConfigError(f"{where}: unknown role [models.{name}]; roles: {', '.join(ROLES)}")
    _check_keys(defaults, "[models]", where)
    used_env: list[str] = []
    models = {
        role: _resolve_role(role, defaults, _table(models_table, role, where), env, source, used_env)
        for role in ROLES
    }
    budget = _budget(_table(data, "budget", where), env, where, used_env)
    prices = _prices(_table(data, "prices", where), where)
    sections = {k: v for k, v in data.items() if k not in ("models", "budget", "prices")}
    return SwarmConfig(
        models=MappingProxyType(models),
        budget=budget,
        prices=PriceTable().with_overrides(prices),
        source=source,
        env_overrides=tuple(dict.fromkeys(used_env)),
        sections=MappingProxyType(sections),
    )


def _table(data: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {name} must be a table ([{name}])")
    return value


def _refuse_secrets(data: Mapping[str, Any], where: str, path: tuple[str, ...]) -> None:
    """No key in the file, ever: by name (api_key, token, ...) or by shape
    (sk-...). The message names the place, never the value."""
    for name, value in data.items():
        here = ".".join((*path, str(name)))
        if isinstance(value, Mapping):
            if path[:1] != ("prices",):
                _refuse_secrets(value, where, (*path, str(name)))
            continue
        if name != "api_key_env" and _SECRET_NAME.search(str(name)):
            raise ConfigError(
                f"{where}: `{here}` looks like an API key; keys are never read from files. "
                'Put it in an environment variable and name that variable: api_key_env = "ANTHROPIC_API_KEY"'
            )
        if isinstance(value, str) and _SECRET_VALUE.match(value):
            raise ConfigError(
                f"{where}: the value of `{here}` looks like an API key; keys are never read from files. "
                "Put it in an environment variable and set api_key_env to that variable's name"
            )


def _check_keys(table: Mapping[str, Any], label: str, where: str) -> None:
    unknown = sorted(set(table) - _MODEL_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} in {label}; known: {', '.join(sorted(_MODEL_KEYS))}")


def _resolve_role(
    role: str,
    defaults: Mapping[str, Any],
    table: Mapping[str, Any],
    env: Mapping[str, str],
    source: Path | None,
    used_env: list[str],
) -> ModelSettings:
    where = str(source) if source else "swarm.toml"
    _check_keys(table, f"[models.{role}]", where)
    fields: dict[str, Any] = {}
    model_from_file = False
    for layer, from_file in (
        (dict(defaults), True),
        (dict(table), True),
        (_env_layer("SWARM", env, used_env), False),
        (_env_layer(f"SWARM_{role.upper()}", env, used_env), False),
    ):
        provider = layer.get("provider")
        if provider is not None and provider != fields.get("provider"):
            for name in _PROVIDER_BOUND:
                fields.pop(name, None)
        fields.update(layer)
        if "model" in layer:
            model_from_file = from_file
    label = f"{where} [models.{role}]" if source else f"role {role}"
    return _settings(role, fields, env, label, base=source.parent if (source and model_from_file) else None)


def _env_layer(prefix: str, env: Mapping[str, str], used_env: list[str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    if env.get(f"{prefix}_PROVIDER"):
        layer["provider"] = env[f"{prefix}_PROVIDER"]
        used_env.append(f"{prefix}_PROVIDER")
    if env.get(f"{prefix}_MODEL"):
        spec = env[f"{prefix}_MODEL"]
        provider, sep, model = spec.partition(":")
        # "qwen2.5-coder:1.5b" (an Ollama tag) is a model name, not provider:model.
        if sep and provider in known_providers():
            layer["provider"] = provider
            layer["model"] = model
        else:
            layer["model"] = spec
        used_env.append(f"{prefix}_MODEL")
    if env.get(f"{prefix}_BASE_URL"):
        layer["base_url"] = env[f"{prefix}_BASE_URL"]
        used_env.append(f"{prefix}_BASE_URL")
    return layer


def default_provider(env: Mapping[str, str]) -> str:
    """anthropic if its key is set, else openai if its key is, else local."""
    if env.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    if env.get("OPENAI_API_KEY"):
        return "openai"
    return "local"


def _settings(
    role: str, fields: Mapping[str, Any], env: Mapping[str, str], label: str, *, base: Path | None
) -> ModelSettings:
    provider = fields.get("provider") or default_provider(env)
    if not isinstance(provider, str):
        raise ConfigError(f"{label}: provider must be a string")
    info = provider_info(provider) if provider in known_providers() else None
    if info is None:
        raise ConfigError(f"{label}: unknown provider {provider!r}; known: {', '.join(sorted(known_providers()))}")
    model = fields.get("model") or info.default_model
    if not model or not isinstance(model, str):
        raise ConfigError(f"{label}: provider {provider} needs a model (model = \"...\")")
    if provider == "scripted":
        script = Path(model).expanduser()
        model = str(script if script.is_absolute() else (base or Path.cwd()) / script)
    base_url = _optional_str(fields, "base_url", label)
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{label}: base_url must start with http:// or https://")
    if info.needs_base_url and not base_url:
        raise ConfigError(f"{label}: provider {provider} needs base_url")
    key_env = _optional_str(fields, "api_key_env", label)
    if key_env is not None and not _ENV_NAME.match(key_env):
        # Never echo it: a pasted key is the likely mistake.
        raise ConfigError(f"{label}: api_key_env must be the NAME of an environment variable, like ANTHROPIC_API_KEY")
    return ModelSettings(
        provider=provider,
        model=model,
        base_url=base_url,
        api_key_env=key_env,
        temperature=_number(fields, "temperature", label, low=0.0, high=2.0),
        max_tokens=_integer(fields, "max_tokens", label, low=1),
        stream=_boolean(fields, "stream", label, default=False),
        timeout_s=_number(fields, "timeout_s", label, low=1.0) or DEFAULT_TIMEOUT_S,
        max_attempts=_integer(fields, "max_attempts", label, low=1) or DEFAULT_MAX_ATTEMPTS,
    )


def _optional_str(fields: Mapping[str, Any], key: str, label: str) -> str | None:
    value = fields.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{label}: {key} must be a string")
    return value


def _number(fields: Mapping[str, Any], key: str, label: str, *, low: float, high: float = math.inf) -> float | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        bounds = f"between {low:g} and {high:g}" if high < math.inf else f"at least {low:g}"
        raise ConfigError(f"{label}: {key} must be a number {bounds}")
    return float(value)


def _integer(fields: Mapping[str, Any], key: str, label: str, *, low: int) -> int | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{label}: {key} must be a whole number, at least {low}")
    return value


def _boolean(fields: Mapping[str, Any], key: str, label: str, *, default: bool) -> bool:
    value = fields.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{label}: {key} must be true or false")
    return value


_BUDGET_KEYS = {
    "steps": ("SWARM_BUDGET_STEPS", int),
    "tokens": ("SWARM_BUDGET_TOKENS", int),
    "cost_usd": ("SWARM_BUDGET_COST", float),
    "wall_s": ("SWARM_BUDGET_WALL", float),
}


def _budget(table: Mapping[str, Any], env: Mapping[str, str], where: str, used_env: list[str]) -> Budget:
    unknown = sorted(set(table) - set(_BUDGET_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} in [budget]; known: {', '.join(_BUDGET_KEYS)}")
    limits: dict[str, float | int | None] = {}
    for key, (variable, kind) in _BUDGET_KEYS.items():
        value: Any = table.get(key, getattr(DEFAULT_BUDGET, key))
        label = f"{where} [budget] {key}"
        if env.get(variable):
            value, label = env[variable].strip(), f"${variable}"
            used_env.append(variable)
            if value != "unlimited":
                try:
                    value = kind(value)
                except ValueError:
                    raise ConfigError(f"{label} must be a number or 'unlimited'") from None
        if value == "unlimited":
            value = None
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
            or (kind is int and not float(value).is_integer())
        ):
            raise ConfigError(f"{label} must be a positive {'whole ' if kind is int else ''}number or 'unlimited'")
        limits[key] = None if value is None else kind(value)
    steps, tokens = limits["steps"], limits["tokens"]
    return Budget(
        steps=None if steps is None else int(steps),
        tokens=None if tokens is None else int(tokens),
        cost_usd=limits["cost_usd"],
        wall_s=limits["wall_s"],
    )


def _prices(table: Mapping[str, Any], where: str) -> dict[str, Price]:
    prices: dict[str, Price] = {}
    for model, entry in table.items():
        label = f"{where} [prices.\"{model}\"]"
        if not isinstance(entry, Mapping) or set(entry) != {"input", "output"}:
            raise ConfigError(f"{label} must hold exactly input and output (USD per million tokens)")
        values = [entry["input"], entry["output"]]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in values):
            raise ConfigError(f"{label}: input and output must be numbers >= 0")
        prices[str(model)] = Price(float(values[0]), float(values[1]))
    return prices


def with_model(config: SwarmConfig, role: str, settings: ModelSettings) -> SwarmConfig:
    """`config` with one role's model replaced (e.g. the CLI's --model)."""
    return replace(config, models=MappingProxyType({**config.models, role: settings}))
