"""`swarm config`: show the resolved model configuration, and ping each
role's model with one tiny call to prove the key, URL and model work."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

PING = "Reply with the single word: pong"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="show or check the model configuration (swarm.toml)")
    commands = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = commands.add_parser("show", help="the models, budget and config file in effect (keys never shown)")
    _common(show)
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.set_defaults(handler=_show)
    ping = commands.add_parser("ping", help="send one tiny request to each role's model")
    _common(ping)
    ping.add_argument("--role", action="append", help="only this role (repeatable)")
    ping.set_defaults(handler=_ping)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="repository whose .swarm/swarm.toml to read")
    parser.add_argument("--config", type=Path, help="read this file instead of searching")


def _load(args: argparse.Namespace) -> Any:
    from swarm.config import load_config

    return load_config(args.config, repo=args.repo)


def describe(config: Any, env: Any) -> dict[str, Any]:
    """The configuration as plain data: key variables by name and whether
    they are set, never their values."""
    from swarm.models.providers import provider_info

    roles: dict[str, Any] = {}
    for role, settings in config.models.items():
        info = provider_info(settings.provider)
        variable = settings.api_key_env or info.key_env
        roles[role] = {
            "model": settings.spec,
            "base_url": settings.base_url,
            "api_key_env": variable,
            "api_key_set": bool(variable and env.get(variable)),
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
            "stream": settings.stream,
        }
    budget = config.budget
    return {
        "source": str(config.source) if config.source else None,
        "env_overrides": list(config.env_overrides),
        "models": roles,
        "budget": {"steps": budget.steps, "tokens": budget.tokens, "cost_usd": budget.cost_usd,
                   "wall_s": budget.wall_s},
    }


def _show(args: argparse.Namespace) -> int:
    data = describe(_load(args), os.environ)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"config: {data['source'] or '(none found: defaults)'}")
    if data["env_overrides"]:
        print(f"environment overrides: {', '.join(data['env_overrides'])}")
    for role, model in data["models"].items():
        key = model["api_key_env"]
        key_state = f"${key} {'set' if model['api_key_set'] else 'NOT SET'}" if key else "no key"
        where = f"  at {model['base_url']}" if model["base_url"] else ""
        print(f"  {role:<13} {model['model']}{where}  ({key_state})")
    limits = ", ".join(f"{k} {'unlimited' if v is None else v}" for k, v in data["budget"].items())
    print(f"budget: {limits}")
    return 0


def _ping(args: argparse.Namespace) -> int:
    import trio

    from swarm.config import ROLES

    config = _load(args)
    roles: list[str] = args.role or [str(role) for role in ROLES]
    return trio.run(_ping_all, config, roles)


async def _ping_all(config: Any, roles: list[str]) -> int:
    from swarm.models import ChatMessage, ModelError, model_for

    failures = 0
    for role in roles:
        try:
            async with model_for(role, config) as model:
                completion = await model.complete([ChatMessage("user", PING)], max_tokens=16)
        except ModelError as exc:
            failures += 1
            print(f"{role:<13} FAILED: {exc}")
            continue
        usage = completion.usage
        if completion.provider == "scripted":
            cost = "scripted reply, no model was called"
        else:
            cost = "cost unknown" if usage.cost_usd is None else f"${usage.cost_usd:.6f}"
        reply = completion.message.content.strip()[:40]
        print(f"{role:<13} {model.name}  ok in {completion.latency_s:.2f} s, "
              f"{usage.input_tokens}+{usage.output_tokens} tokens, {cost}: {reply!r}")
    return 1 if failures else 0
