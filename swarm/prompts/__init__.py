"""The agents' prompts, as package data files (`*.md`), with `$name` placeholders.

    system = render("symbol_agent", symbol_id="shop/cart.py::Cart.total")

`string.Template` placeholders, so code and JSON in the texts need no escaping.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

from swarm.errors import SwarmError


class PromptError(SwarmError):
    """A prompt file is missing or a placeholder has no value."""


@cache
def load(name: str) -> str:
    try:
        return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"no prompt {name!r}: expected swarm/prompts/{name}.md in the package") from None


def render(name: str, **values: object) -> str:
    try:
        return Template(load(name)).substitute({k: str(v) for k, v in values.items()}).strip()
    except KeyError as exc:
        raise PromptError(f"prompt {name!r} needs a value for ${exc.args[0]}") from None
