"""Building a cmake target with the real cmake + ninja, on tiny C projects;
source extraction from real sdists; the cached-binary no-op."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from swarm.local_model.build import (
    BuildTools,
    build_server,
    compile_target,
    extract_sources,
    find_tools,
    install_binary,
)
from swarm.local_model.commands import Pip
from swarm.local_model.errors import BuildError, DownloadError
from swarm.local_model.paths import CacheLayout

CMAKE_LISTS = """cmake_minimum_required(VERSION 3.16)
project(tiny C)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
add_executable(llama-server main.c)
"""


def tiny_project(root: Path, main_c: str) -> Path:
    root.mkdir(parents=True)
    (root / "CMakeLists.txt").write_text(CMAKE_LISTS)
    (root / "main.c").write_text(main_c)
    return root


@pytest.fixture
def tools() -> BuildTools:
    return find_tools(Pip(), io.StringIO(), lambda m: None)


def test_tools_found(tools: BuildTools) -> None:
    assert Path(tools.cmake).name == "cmake"
    assert tools.generator in ("Ninja", "Unix Makefiles")


def test_compile_target_builds_a_working_executable(tmp_path: Path, tools: BuildTools) -> None:
    source = tiny_project(tmp_path / "src", '#include <stdio.h>\nint main(void){puts("tiny ok");return 0;}\n')
    log = io.StringIO()
    messages: list[str] = []
    binary = compile_target(source, tmp_path / "build", "llama-server", tools, log, messages.append, jobs=1)
    assert subprocess.run([str(binary)], capture_output=True, text=True).stdout == "tiny ok\n"
    assert any("configuring llama-server" in m for m in messages)
    assert "--target llama-server" in log.getvalue()


def test_compile_failure_shows_the_log_tail(tmp_path: Path, tools: BuildTools) -> None:
    source = tiny_project(tmp_path / "src", "int main(void){ return undefined_symbol_xyz; }\n")
    with pytest.raises(BuildError) as caught:
        compile_target(source, tmp_path / "build", "llama-server", tools, io.StringIO(), lambda m: None, jobs=1)
    message = str(caught.value)
    assert message.startswith("compiling llama-server failed")
    assert "undefined_symbol_xyz" in message


def test_configure_failure_is_reported(tmp_path: Path, tools: BuildTools) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.16)\nproject(bad C)\nmessage(FATAL_ERROR \"no way\")\n")
    with pytest.raises(BuildError, match="could not configure") as caught:
        compile_target(source, tmp_path / "build", "llama-server", tools, io.StringIO(), lambda m: None)
    assert "no way" in str(caught.value)


def make_sdist(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_extract_sources_takes_only_the_vendored_tree(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path / "pkg-1.0.tar.gz",
        {
            "pkg-1.0/setup.py": "",
            "pkg-1.0/vendor/llama.cpp/CMakeLists.txt": "x",
            "pkg-1.0/vendor/llama.cpp/src/a.c": "y",
            "pkg-1.0/vendor/other/b.c": "z",
        },
    )
    root = extract_sources(sdist, "vendor/llama.cpp", tmp_path / "out")
    assert root == tmp_path / "out" / "pkg-1.0" / "vendor" / "llama.cpp"
    assert (root / "src" / "a.c").read_text() == "y"
    assert not (tmp_path / "out" / "pkg-1.0" / "setup.py").exists()
    assert not (tmp_path / "out" / "pkg-1.0" / "vendor" / "other").exists()


def test_extract_sources_rejects_an_unexpected_sdist(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "pkg-1.0.tar.gz", {"pkg-1.0/setup.py": ""})
    with pytest.raises(BuildError, match="no vendor/llama.cpp/ directory"):
        extract_sources(sdist, "vendor/llama.cpp", tmp_path / "out")


def test_install_binary_is_atomic_and_executable(tmp_path: Path) -> None:
    built = tmp_path / "built"
    built.write_text("#!/bin/sh\necho hi\n")
    destination = tmp_path / "cache" / "llama-server"
    destination.parent.mkdir()
    install_binary(built, destination)
    assert destination.read_text() == built.read_text()
    assert destination.stat().st_mode & 0o111
    assert not (destination.parent / "llama-server.partial").exists()


def test_build_server_is_a_no_op_when_cached(tmp_path: Path) -> None:
    layout = CacheLayout(tmp_path)
    binary = layout.server_binary()
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    messages: list[str] = []
    # An index that would fail proves nothing is downloaded.
    pip = Pip(env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "nowhere")})
    assert build_server(layout, pip=pip, progress=messages.append) == binary
    assert messages == [f"llama-server already built: {binary}"]
    assert not layout.build_log().exists()


def test_build_server_without_sources_fails_clearly_and_keeps_a_log(tmp_path: Path) -> None:
    layout = CacheLayout(tmp_path / "cache")
    (tmp_path / "empty").mkdir()
    pip = Pip(env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "empty")})
    with pytest.raises(DownloadError) as caught:
        build_server(layout, pip=pip, progress=lambda m: None)
    assert "llama-cpp-python==0.3.36" in str(caught.value)
    assert "SWARM_LLAMA_SERVER" in str(caught.value)
    assert layout.build_log().is_file()
    assert not layout.server_binary().exists()
