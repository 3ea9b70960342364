"""The `[proxy]` table of swarm.toml, read into one frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from swarm.proxy.errors import ProxyError

if TYPE_CHECKING:
    from swarm.config import SwarmConfig

DEFAULT_CONTEXT_TOKENS = 4096


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """How strict the policies are.

    - `strict_diagnostics`: a diagnostics stage that could not run (server
      crashed, timed out) rejects instead of being noted.
    - `allow_warnings`: introduced warnings are noted (True) or reject (False).
    - `require_repro`: the final acceptance needs the reproduction test to pass.
    - `llm_prefilter`: the llm policy rejects a proposal that fails an
      automatic rule without asking the model (saves tokens).
    - `context_tokens`: the reviewer model's context window; its prompt is
      cut to fit (4096 suits the local model).
    - `tests_outweigh_types`: a new Pyright *type* error (anything but an
      undefined name, a possibly unbound one or a missing import) is noted,
      not blocking, when the selected tests ran, none regressed and at least
      one passed: static inference is often wrong on untyped real-world code
      (measured on SWE-bench gold patches), passing tests are not.
    - `known_kinds_are_notes`: a new Pyright type error of a code the file
      already had errors of before the change is noted, not blocking, even
      when no test vouches: that file is not written for Pyright, so one
      more of the same kind is weak evidence (SWE-bench: astroid's
      `reportArgumentType`, pytest's `reportAttributeAccessIssue`). Hard
      kinds (undefined names, possibly unbound, missing imports) still reject.
    """

    strict_diagnostics: bool = False
    allow_warnings: bool = True
    require_repro: bool = True
    llm_prefilter: bool = True
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    tests_outweigh_types: bool = True
    known_kinds_are_notes: bool = True

    @classmethod
    def from_table(cls, table: Mapping[str, Any], *, where: str = "swarm.toml") -> ProxySettings:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise ProxyError(f"{where}: unknown key {key!r} in [proxy]; known: {', '.join(known)}")
            if key == "context_tokens":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
                    raise ProxyError(f"{where}: [proxy] context_tokens must be a whole number of at least 1024")
            elif not isinstance(value, bool):
                raise ProxyError(f"{where}: [proxy] {key} must be true or false")
            values[key] = value
        return cls(**values)

    @classmethod
    def from_config(cls, config: SwarmConfig) -> ProxySettings:
        where = str(config.source) if config.source else "swarm.toml"
        return cls.from_table(config.section("proxy"), where=where)
