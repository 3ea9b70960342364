"""Scrub secrets from text before it is stored anywhere.

Two nets, both applied by `Redactor.scrub`:
- the values of environment variables whose names say they hold a secret
  (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, ...), taken when the
  redactor is made, as they are and as they appear inside JSON strings;
- the shapes of well-known credentials (`sk-ant-...`, `sk-...`, `ghp_...`,
  `github_pat_...`, `AKIA...`, `xox?-...`, `hf_...`, `AIza...`), so a key pasted
  into an issue or echoed by a model is caught even when it is not in the
  environment.

Values shorter than `MIN_SECRET_LENGTH` are ignored: `FOO_TOKEN=1` must not
turn every "1" in a transcript into `[redacted]`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 8
SECRET_NAME_SUFFIXES = (
    "_API_KEY",
    "_APIKEY",
    "_TOKEN",
    "_SECRET",
    "_SECRET_KEY",
    "_ACCESS_KEY",
    "_PASSWORD",
    "_PASSWD",
)
SECRET_NAMES = frozenset({"API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD"})

# Credential shapes; each anchored on a word boundary so code such as
# `task-...` is not mistaken for an `sk-` key.
_CREDENTIAL_SHAPES = re.compile(
    r"""
    \bsk-ant-[A-Za-z0-9_\-]{16,}
  | \bsk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}
  | \bgh[pousr]_[A-Za-z0-9]{30,}
  | \bgithub_pat_[A-Za-z0-9_]{20,}
  | \bAKIA[0-9A-Z]{16}\b
  | \bxox[abprs]-[A-Za-z0-9\-]{10,}
  | \bhf_[A-Za-z0-9]{30,}
  | \bAIza[0-9A-Za-z_\-]{35}
    """,
    re.VERBOSE,
)

# Cheap first look: the literal starts of the shapes above. Most text has
# none of them, and this search is ~3x faster than the full one.
_CREDENTIAL_STARTS = re.compile(r"sk-|gh[pousr]_|github_pat_|AKIA|xox[abprs]-|hf_|AIza")

# Config keys whose values are never stored, whatever the value looks like.
_SECRET_KEY_NAMES = re.compile(r"(^|[_-])(api_?key|token|secret|password|passwd)$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return upper in SECRET_NAMES or upper.endswith(SECRET_NAME_SUFFIXES)


@dataclass(frozen=True, slots=True)
class Redactor:
    """Replaces known secret values and credential-shaped strings by `[redacted]`."""

    secrets: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Redactor:
        env = os.environ if environ is None else environ
        values = {v for k, v in env.items() if is_secret_name(k) and len(v) >= MIN_SECRET_LENGTH}
        return cls().with_secrets(*values)

    def with_secrets(self, *values: str) -> Redactor:
        """A redactor that also hides `values` (and their JSON-escaped forms)."""
        forms = set(self.secrets)
        for value in values:
            if len(value) < MIN_SECRET_LENGTH:
                continue
            forms.add(value)
            forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
            forms.add(json.dumps(value)[1:-1])
        # Longest first, so a secret that contains another is replaced whole.
        return Redactor(tuple(sorted(forms, key=len, reverse=True)))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        if _CREDENTIAL_STARTS.search(text) is None:
            return text
        return _CREDENTIAL_SHAPES.sub(REDACTED, text)

    def scrub_optional(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)


def scrub_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a config mapping with values under secret-looking keys replaced, recursively."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if _SECRET_KEY_NAMES.search(str(key)):
            out[key] = REDACTED
        elif isinstance(value, Mapping):
            out[key] = scrub_config(value)
        elif isinstance(value, list | tuple):
            out[key] = [scrub_config(v) if isinstance(v, Mapping) else v for v in value]
        else:
            out[key] = value
    return out
