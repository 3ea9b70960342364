"""Specs for the servers the lsp/ tests run: the misbehaving pygls server and the real ones."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from lsp.servers import ServerSpec

FAULT_SERVER = Path(__file__).with_name("fault_server.py")

FAULT_SPEC = ServerSpec(
    name="fault-server",
    command=(sys.executable, str(FAULT_SERVER)),
    language_ids=("plaintext",),
    file_extensions=(".txt",),
    settings={"fault": {"answer": 42, "nested": {"flag": True}}},
    ready_quiet=0.2,
    ready_timeout=60.0,
)


@pytest.fixture
def fault_spec() -> ServerSpec:
    return FAULT_SPEC


def fault_spec_with_env(**env: str) -> ServerSpec:
    return replace(FAULT_SPEC, env=tuple(env.items()))
