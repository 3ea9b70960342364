"""Test environments: one virtualenv per (repo, version, spec), built once
from the spec and cached, never changed afterwards.

An instance never installs into the cached environment: it gets a thin
layer on top (see `overlay.py`) holding its own checkout's editable install,
so instances of one (repo, version) can be graded at the same time and a
broken install cannot poison the cache.

Cache layout under the root (default: the user cache dir,
`symbol-swarm/envs`): `<owner>__<name>-<version>-<hash>/` (the venv, with
`swarm-env.json` written last to mark it complete), `<key>.build.log`,
`<key>.lock`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shlex
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from swarm.evaluation import mirrors as mirror_store
from swarm.evaluation import swebench_api
from swarm.evaluation.commands import clean_environment, run_shell
from swarm.evaluation.errors import EnvironmentBuildError
from swarm.evaluation.instances import Instance
from swarm.evaluation.interpreters import Interpreter, choose, discover
from swarm.evaluation.specs import EnvSpec

# Installer pin: pip 24.1 rejects the legacy version strings that some
# 2017-2021 sdists still carry; on old interpreters pip picks its newest
# release that still supports them.
PIP_REQUIREMENT = "pip<24.1"
COMPLETE_MARKER = "swarm-env.json"
_REQUIREMENT_SKIP = ("-e .", "#", ".[test")


def default_cache_dir() -> Path:
    import platformdirs

    return platformdirs.user_cache_path("symbol-swarm") / "envs"


@dataclass(frozen=True, slots=True)
class PipOptions:
    """Where pip may take packages from; `no_index` + `find_links` grade offline."""

    find_links: tuple[str, ...] = ()
    no_index: bool = False

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.find_links:
            env["PIP_FIND_LINKS"] = " ".join(self.find_links)
        if self.no_index:
            env["PIP_NO_INDEX"] = "1"
        return env


@dataclass(frozen=True, slots=True)
class Environment:
    root: Path
    key: str
    python_version: str  # of the interpreter used, e.g. "3.9.18"
    wanted_python: str  # what the spec asked for
    note: str = ""  # set when the wanted interpreter was missing

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def site_packages(self) -> Path:
        major, minor = self.python_version.split(".")[:2]
        return self.root / "lib" / f"python{major}.{minor}" / "site-packages"

    def describe(self) -> dict[str, str]:
        return {
            "key": self.key,
            "path": str(self.root),
            "python": self.python_version,
            "wanted_python": self.wanted_python,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class EnvBuild:
    environment: Environment
    cached: bool
    seconds: float  # build time, or the wait for another process's build
    log: Path


@dataclass(frozen=True, slots=True)
class EnvInputs:
    """What an environment is built from, resolved against the mirror."""

    spec: EnvSpec
    requirements: str  # the requirements file's text (with `-r` includes inlined)
    interpreter: Interpreter
    note: str = ""
    extra_packages: tuple[str, ...] = field(default=())  # pip-able entries of environment.yml

    def key(self) -> str:
        payload = json.dumps(
            {
                "spec": self.spec.environment_fields(),
                "requirements": self.requirements,
                "extra": list(self.extra_packages),
                "interpreter": self.interpreter.label,
                "pip": PIP_REQUIREMENT,
            },
            sort_keys=True,
        )
        digest = hashlib.sha256(payload.encode()).hexdigest()[:12]
        owner_name = self.spec.repo.replace("/", "__")
        return f"{owner_name}-{self.spec.version}-{digest}"


def read_requirements(mirrors: Path, repo: str, commit: str, paths: Sequence[str]) -> str:
    """The first of `paths` that exists at `commit`, with `-r other.txt`
    includes inlined and editable self-installs dropped (as swebench does, but
    from the mirror instead of GitHub)."""
    for path in paths:
        text = mirror_store.show_file(mirrors, repo, commit, path)
        if text is None:
            continue
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        included: list[str] = []
        own: list[str] = []
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("-r"):
                name = stripped[2:].strip()
                nested = mirror_store.show_file(mirrors, repo, commit, f"{folder}/{name}" if folder else name)
                included.extend(
                    extra for extra in (nested or "").splitlines() if not extra.strip().startswith(_REQUIREMENT_SKIP)
                )
            elif not stripped.startswith(_REQUIREMENT_SKIP):
                own.append(line)
        return swebench_api.clean_requirements("\n".join([*included, "\n".join(own)]))
    raise EnvironmentBuildError(
        f"{repo}@{commit[:12]}: none of the requirements files {', '.join(paths)} exist; "
        "set requirements_files with --spec-overrides"
    )


def environment_yml_packages(mirrors: Path, repo: str, commit: str, paths: Sequence[str]) -> tuple[str, ...]:
    """The pip-installable part of a conda environment.yml: its `pip:` list,
    and plain conda dependencies written as pip requirements."""
    import yaml

    from swarm.evaluation.specs import conda_to_pip

    for path in paths:
        text = mirror_store.show_file(mirrors, repo, commit, path)
        if text is None:
            continue
        data = yaml.safe_load(text) or {}
        packages: list[str] = []
        for dep in data.get("dependencies", []):
            if isinstance(dep, dict):
                packages.extend(str(p) for p in dep.get("pip", []))
            elif isinstance(dep, str) and dep.split("=")[0].strip() not in ("python", "pip"):
                packages.extend(conda_to_pip(dep))
        return tuple(packages)
    return ()


class EnvironmentCache:
    """Builds and hands out cached environments; safe to share between
    processes (builds of one key are serialized by a file lock)."""

    def __init__(
        self,
        root: Path,
        *,
        mirrors: Path,
        pip: PipOptions = PipOptions(),
        interpreters: Sequence[Interpreter] | None = None,
        timeout: float = 3600.0,
        rebuild_before: float | None = None,
    ) -> None:
        """`rebuild_before`: a wall-clock time; environments completed before
        it are rebuilt once (for `--rebuild-envs` across worker processes)."""
        self.root = Path(root)
        self.mirrors = Path(mirrors)
        self.pip = pip
        self._interpreters = list(interpreters) if interpreters is not None else None
        self.timeout = timeout
        self.rebuild_before = rebuild_before

    def interpreters(self) -> list[Interpreter]:
        if self._interpreters is None:
            self._interpreters = discover()
        return self._interpreters

    def inputs(self, spec: EnvSpec, instance: Instance) -> EnvInputs:
        choice = choose(spec.python, self.interpreters())
        commit = instance.environment_setup_commit
        requirements = (
            read_requirements(self.mirrors, spec.repo, commit, spec.requirements_files)
            if spec.requirements_files
            else ""
        )
        extra = (
            environment_yml_packages(self.mirrors, spec.repo, commit, spec.environment_files)
            if spec.environment_files
            else ()
        )
        return EnvInputs(spec, requirements, choice.interpreter, choice.note, extra)

    def ensure(self, spec: EnvSpec, instance: Instance) -> EnvBuild:
        """The environment for `spec`, built now if the cache lacks it."""
        inputs = self.inputs(spec, instance)
        key = inputs.key()
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / key
        log = self.root / f"{key}.build.log"
        start = time.monotonic()
        with open(self.root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not self._usable(target):
                    self._build(inputs, target, log)
                    return EnvBuild(self._environment(inputs, target), False, time.monotonic() - start, log)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return EnvBuild(self._environment(inputs, target), True, time.monotonic() - start, log)

    def _usable(self, target: Path) -> bool:
        marker = target / COMPLETE_MARKER
        if not marker.is_file():
            return False
        return self.rebuild_before is None or marker.stat().st_mtime >= self.rebuild_before

    def _environment(self, inputs: EnvInputs, target: Path) -> Environment:
        return Environment(
            root=target,
            key=target.name,
            python_version=inputs.interpreter.label,
            wanted_python=inputs.spec.python,
            note=inputs.note,
        )

    def _build(self, inputs: EnvInputs, target: Path, log: Path) -> None:
        shutil.rmtree(target, ignore_errors=True)
        log.write_text(
            f"# environment {target.name}\n# spec: {json.dumps(inputs.spec.as_dict())}\n"
            f"# interpreter: {inputs.interpreter.path} ({inputs.interpreter.label}) {inputs.note}\n"
        )
        env = clean_environment(target, for_install=True, extra=self.pip.environment())
        deadline = time.monotonic() + self.timeout
        started = time.monotonic()

        def step(command: str) -> None:
            cwd = target if target.is_dir() else self.root
            result = run_shell(command, cwd=cwd, env=env, log=log, timeout=max(deadline - time.monotonic(), 1.0))
            if not result.ok:
                shutil.rmtree(target, ignore_errors=True)
                why = "timed out" if result.timed_out else f"exited {result.returncode}"
                raise EnvironmentBuildError(f"building environment {target.name} failed: `{command}` {why}; see {log}")

        pip = "python -m pip install"
        step(f"{shlex.quote(str(inputs.interpreter.path))} -m venv {shlex.quote(str(target))}")
        step(f"{pip} --upgrade {shlex.quote(PIP_REQUIREMENT)}")
        if inputs.requirements.strip():
            (target / "swarm-requirements.txt").write_text(inputs.requirements)
            step(f"{pip} -r swarm-requirements.txt")
        packages = [*inputs.extra_packages, *inputs.spec.packages]
        if packages:
            step(f"{pip} " + " ".join(shlex.quote(p) for p in packages))
        step("python -m pip freeze --all > swarm-freeze.txt")
        (target / COMPLETE_MARKER).write_text(
            json.dumps(
                {
                    "spec": inputs.spec.as_dict(),
                    "interpreter": str(inputs.interpreter.path),
                    "python": inputs.interpreter.label,
                    "note": inputs.note,
                    "build_seconds": round(time.monotonic() - started, 2),
                },
                indent=2,
            )
        )
