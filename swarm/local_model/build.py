"""Building `llama-server` from the llama.cpp copy vendored in the
`llama-cpp-python` sdist (fetched through pip), with cmake + ninja, once.

The binary is cached under `<cache>/llama/<version>/llama-server`; the log of
the last build sits beside it. The sdist is kept until a build succeeds, so a
retry after a failed build does not download it again.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from swarm.local_model.commands import (
    Pip,
    Progress,
    pip_failure_hint,
    run_logged,
    stderr_progress,
)
from swarm.local_model.errors import BuildError, DownloadError
from swarm.local_model.paths import LLAMA_SERVER, CacheLayout, ServerSpec, is_executable

# Release, static, server only. The UI flags matter: by default the build
# fetches a prebuilt web UI from the network and fails offline.
CMAKE_FLAGS: tuple[str, ...] = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
)

NINJA_STEP = re.compile(r"^\[(\d+)/(\d+)\]")


@dataclass(frozen=True, slots=True)
class BuildTools:
    cmake: str
    generator: str  # "Ninja" or "Unix Makefiles"
    make_program: str


def venv_tool(name: str) -> str | None:
    """A tool on PATH or installed by pip next to the running interpreter."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    return str(beside) if is_executable(beside) else None


def find_tools(pip: Pip, log: IO[str], progress: Progress) -> BuildTools:
    """cmake and ninja, installing them with pip into this environment when missing;
    falls back to make when ninja cannot be had."""
    cmake = venv_tool("cmake")
    if cmake is None:
        progress("cmake not found: installing it with pip")
        result = pip.run(["install", "cmake"], log=log)
        cmake = venv_tool("cmake")
        if cmake is None:
            raise BuildError(f"cmake is needed to build llama-server and pip could not install it: {pip_failure_hint(result)}")
    ninja = venv_tool("ninja")
    if ninja is None:
        progress("ninja not found: installing it with pip")
        pip.run(["install", "ninja"], log=log)
        ninja = venv_tool("ninja")
    if ninja is not None:
        return BuildTools(cmake, "Ninja", ninja)
    make = shutil.which("make")
    if make is None:
        raise BuildError("neither ninja nor make is available to build llama-server; install one (`pip install ninja`)")
    return BuildTools(cmake, "Unix Makefiles", make)


def fetch_sdist(spec: ServerSpec, dest: Path, pip: Pip, log: IO[str], progress: Progress) -> Path:
    """The sdist in `dest`, downloaded through pip unless already there."""
    prefix = spec.sdist.replace("-", "_")
    existing = sorted(dest.glob(f"{prefix}-{spec.version}.tar.gz"))
    if existing:
        progress(f"reusing downloaded {existing[0].name}")
        return existing[0]
    progress(f"downloading the {spec.sdist}=={spec.version} sdist with pip (vendored llama.cpp sources)")
    result = pip.run(
        ["download", "--no-deps", "--no-binary", ":all:", "--progress-bar", "off", "--dest", str(dest),
         f"{spec.sdist}=={spec.version}"],
        log=log,
    )
    found = sorted(dest.glob(f"{prefix}-{spec.version}.tar.gz"))
    if not result.ok or not found:
        raise DownloadError(
            f"could not download the {spec.sdist}=={spec.version} sdist from the package index: "
            f"{pip_failure_hint(result)}. Check the network and pip's index settings, or point "
            "SWARM_LLAMA_SERVER at a llama-server binary you already have"
        )
    return found[0]


def extract_sources(sdist: Path, subdir: str, dest: Path) -> Path:
    """Extract only `<top>/<subdir>/` of the sdist into `dest`; returns that directory."""
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/" in m.name and m.name.split("/", 1)[1].startswith(subdir + "/")]
        if not members:
            raise BuildError(f"{sdist.name} has no {subdir}/ directory; it is not the expected llama-cpp-python sdist")
        archive.extractall(dest, members=members, filter="data")
    top = members[0].name.split("/", 1)[0]
    return dest / top / subdir


def compile_target(
    source: Path,
    build_dir: Path,
    target: str,
    tools: BuildTools,
    log: IO[str],
    progress: Progress,
    *,
    jobs: int = 2,
    flags: tuple[str, ...] = CMAKE_FLAGS,
) -> Path:
    """Configure and build one cmake target; returns the built executable."""
    progress(f"configuring {target} with cmake ({tools.generator})")
    configure = run_logged(
        [tools.cmake, "-S", str(source), "-B", str(build_dir), "-G", tools.generator,
         f"-DCMAKE_MAKE_PROGRAM={tools.make_program}", *flags],
        log=log,
    )
    if not configure.ok:
        raise BuildError(f"cmake could not configure {target} (exit {configure.returncode}); last lines of the log:\n{configure.tail_text()}")
    progress(f"compiling {target} with {jobs} jobs (a few minutes on 2 cores; done once)")
    shown = -1

    def on_line(line: str) -> None:
        nonlocal shown
        step = NINJA_STEP.match(line)
        if step:
            done, total = int(step.group(1)), int(step.group(2))
            percent = 100 * done // max(total, 1)
            if percent // 10 > shown:
                shown = percent // 10
                progress(f"compiling {target}: {percent}% ({done}/{total})")

    build = run_logged(
        [tools.cmake, "--build", str(build_dir), "--target", target, "--parallel", str(jobs)],
        log=log,
        on_line=on_line,
    )
    if not build.ok:
        raise BuildError(f"compiling {target} failed (exit {build.returncode}); last lines of the log:\n{build.tail_text()}")
    for candidate in (build_dir / "bin" / target, build_dir / target):
        if is_executable(candidate):
            return candidate
    raise BuildError(f"the build finished but produced no {target} executable under {build_dir}")


def install_binary(built: Path, destination: Path) -> None:
    """Copy into place atomically: a half-copied binary must never look installed."""
    partial = destination.with_name(destination.name + ".partial")
    shutil.copy2(built, partial)
    os.chmod(partial, 0o755)
    os.replace(partial, destination)


def build_server(
    layout: CacheLayout,
    spec: ServerSpec = LLAMA_SERVER,
    *,
    pip: Pip | None = None,
    progress: Progress = stderr_progress,
    jobs: int = 2,
) -> Path:
    """Make `layout.server_binary(spec)` exist; returns its path. A no-op when it does."""
    binary = layout.server_binary(spec)
    if is_executable(binary):
        progress(f"llama-server already built: {binary}")
        return binary
    pip = pip or Pip()
    server_dir = layout.server_dir(spec)
    server_dir.mkdir(parents=True, exist_ok=True)
    log_path = layout.build_log(spec)
    progress(f"building llama-server {spec.version}; log: {log_path}")
    with log_path.open("w") as log:
        try:
            tools = find_tools(pip, log, progress)
            sdist = fetch_sdist(spec, server_dir, pip, log, progress)
            with tempfile.TemporaryDirectory(dir=server_dir, prefix=".build-") as tmp:
                progress(f"extracting {spec.source_subdir} from {sdist.name}")
                source = extract_sources(sdist, spec.source_subdir, Path(tmp) / "src")
                built = compile_target(source, Path(tmp) / "build", spec.target, tools, log, progress, jobs=jobs)
                install_binary(built, binary)
        except BuildError as exc:
            raise BuildError(f"{exc}\n(full log: {log_path})") from None
    sdist.unlink(missing_ok=True)
    progress(f"llama-server built and cached: {binary}")
    return binary
