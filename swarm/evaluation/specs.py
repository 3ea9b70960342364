"""Environment specs: what an instance's test environment holds and how its
tests run, taken from swebench's per-repo/per-version specs, corrected by a
small table of era pins, and overridable per repo/version from a file.

A repo swebench does not know gets the default spec (the current Python,
`pip install -e .`, `pytest -rA`, swebench's pytest log parser) unless an
overrides file says otherwise.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from swarm.evaluation import swebench_api
from swarm.evaluation.errors import SpecError
from swarm.evaluation.instances import Instance

ANY_VERSION = "*"
DEFAULT_PARSER = "parse_log_pytest"


@dataclass(frozen=True, slots=True)
class EraPin:
    """Extra requirements for (repo, versions) that swebench's specs miss: a
    docker image built in 2024 froze dependency versions that a fresh pip
    install no longer picks."""

    repo: str  # "*" for every repo
    versions: tuple[str, ...]  # empty: every version
    packages: tuple[str, ...]
    why: str

    def applies(self, repo: str, version: str) -> bool:
        return self.repo in ("*", repo) and (not self.versions or version in self.versions)


# Era pins, found by grading gold patches (bench/RESULTS.md). Keep it small:
# every line says which failure it prevents.
ERA_PINS: tuple[EraPin, ...] = (
    EraPin(
        "pydicom/pydicom",
        (),
        ("pytest<8",),
        "its tests use nose-style setup()/teardown(), which pytest 8 no longer calls "
        "(pydicom__pydicom-1139: PASS_TO_PASS fail on AttributeError)",
    ),
)


@dataclass(frozen=True, slots=True)
class EnvSpec:
    repo: str
    version: str
    python: str  # "major.minor" wanted
    packages: tuple[str, ...]  # pip requirements for the shared environment
    requirements_files: tuple[str, ...]  # read at environment_setup_commit; first found wins
    environment_files: tuple[str, ...]  # conda environment.yml, read the same way (pip-able parts)
    pre_install: tuple[str, ...]  # run in the checkout before the install step
    install: str  # installs the checkout itself (per instance)
    test_cmd: str
    eval_commands: tuple[str, ...]  # shell lines run before the tests (exports)
    log_parser: str  # swebench parser function name; "" = the repo's own parser
    source: str  # swebench | swebench+overrides | overrides | default
    not_reproduced: tuple[str, ...] = field(default=())  # conda/system-only steps left out

    def as_dict(self) -> dict[str, Any]:
        return {name: list(v) if isinstance(v, tuple) else v for name, v in asdict(self).items()}

    def environment_fields(self) -> dict[str, Any]:
        """What the shared environment depends on (its cache key); per-instance
        steps (pre_install, install, tests) are left out on purpose."""
        return {name: value for name, value in self.as_dict().items() if name in _ENVIRONMENT_FIELDS}


_ENVIRONMENT_FIELDS = ("repo", "version", "python", "packages", "requirements_files", "environment_files")

# Shell steps that change the machine rather than the checkout: without docker
# they cannot (and must not) run; they are recorded as not reproduced.
_SYSTEM_STEP = re.compile(r"\b(apt-get|apt|yum|dnf|locale-gen|conda|wget|curl)\b|/etc/")

OVERRIDE_FIELDS = frozenset(
    {
        "python",
        "packages",
        "pip_packages",
        "requirements_files",
        "pre_install",
        "install",
        "test_cmd",
        "eval_commands",
        "log_parser",
    }
)

SpecOverrides = Mapping[str, Mapping[str, Mapping[str, Any]]]


def conda_to_pip(packages: str) -> tuple[str, ...]:
    """A spec's conda package list (`"numpy scipy"`, `"'numpy==1.19.2' pytest"`,
    `"setuptools==38.2.4"`) as pip requirements: conda's `name=1.2` means
    pip's `name==1.2`."""
    result = []
    for token in shlex.split(packages):
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)=([^=<>!].*)", token)
        result.append(f"{match.group(1)}=={match.group(2)}" if match else token)
    return tuple(result)


def default_spec() -> dict[str, Any]:
    """For repos swebench has no spec for: the running Python, an editable
    install, and pytest."""
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "pip_packages": ["pytest"],
        "install": "python -m pip install -e .",
        "test_cmd": "pytest -rA",
        "log_parser": DEFAULT_PARSER,
    }


def _lookup(table: Mapping[str, Mapping[str, Any]] | None, version: str) -> Mapping[str, Any] | None:
    if table is None:
        return None
    return table.get(version) or table.get(ANY_VERSION)


def _as_tuple(value: Any, name: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise SpecError(f"{where}: {name} must be a string or a list of strings")


def spec_for(instance: Instance, overrides: SpecOverrides | None = None) -> EnvSpec:
    """The environment spec of one instance."""
    repo, version = instance.repo, instance.version
    known = swebench_api.repo_specs(repo)
    base = None if known is None else known.get(version)
    override = _lookup((overrides or {}).get(repo), version) or (
        _lookup((overrides or {}).get("*"), version) if base is None else None
    )
    if base is None and known is not None and override is None:
        raise SpecError(
            f"{instance.instance_id}: swebench has no spec for {repo} version {version} "
            f"(it knows {', '.join(sorted(known))}); add one with --spec-overrides"
        )
    if base is not None:
        source = "swebench+overrides" if override else "swebench"
        fields = {**base, **(override or {})}
    elif override is not None:
        source = "overrides"
        fields = {**default_spec(), **override}
    else:
        source = "default"
        fields = default_spec()
    return _build(instance, fields, source, f"spec of {repo} {version}")


def _build(instance: Instance, fields: Mapping[str, Any], source: str, where: str) -> EnvSpec:
    repo, version = instance.repo, instance.version
    not_reproduced: list[str] = []
    packages: list[str] = []
    requirements_files: tuple[str, ...] = ()
    environment_files: tuple[str, ...] = ()
    conda = fields.get("packages", "")
    if isinstance(conda, list):
        conda = " ".join(shlex.quote(p) for p in conda)
    if conda == "requirements.txt":
        requirements_files = swebench_api.requirements_paths(repo)
    elif conda == "environment.yml":
        environment_files = swebench_api.environment_yml_paths(repo)
        not_reproduced.append("conda environment.yml: only its pip-installable packages are used")
    elif conda:
        packages.extend(conda_to_pip(conda))
    if "requirements_files" in fields:
        requirements_files = _as_tuple(fields["requirements_files"], "requirements_files", where)
    packages.extend(_as_tuple(fields.get("pip_packages", ()), "pip_packages", where))
    for pin in ERA_PINS:
        if pin.applies(repo, version):
            packages.extend(pin.packages)
    pre_install: list[str] = []
    repo_install = swebench_api.repo_install_command(repo)
    for step in ([repo_install] if repo_install else []) + list(
        _as_tuple(fields.get("pre_install", ()), "pre_install", where)
    ):
        (not_reproduced if _SYSTEM_STEP.search(step) else pre_install).append(step)
    test_cmd = fields.get("test_cmd")
    if isinstance(test_cmd, list):
        # Several commands: all run, the test directives go to the last one.
        test_cmd = " && ".join(test_cmd)
    if not isinstance(test_cmd, str) or not test_cmd.strip():
        raise SpecError(f"{where}: no test_cmd; set one with --spec-overrides")
    python = str(fields.get("python") or "")
    if not re.fullmatch(r"\d+\.\d+", python):
        raise SpecError(f"{where}: python must look like '3.9', got {python!r}")
    eval_commands = []
    for step in _as_tuple(fields.get("eval_commands", ()), "eval_commands", where):
        (not_reproduced if _SYSTEM_STEP.search(step) else eval_commands).append(step)
    log_parser = str(fields.get("log_parser") or "")
    if log_parser:
        swebench_api.parser_named(log_parser)
    install = fields.get("install") or ""
    if not isinstance(install, str):
        raise SpecError(f"{where}: install must be a string")
    return EnvSpec(
        repo=repo,
        version=version,
        python=python,
        packages=tuple(dict.fromkeys(packages)),
        requirements_files=requirements_files,
        environment_files=environment_files,
        pre_install=tuple(pre_install),
        install=install,
        test_cmd=test_cmd,
        eval_commands=tuple(eval_commands),
        log_parser=log_parser,
        source=source,
        not_reproduced=tuple(not_reproduced),
    )


def parser_for(spec: EnvSpec) -> swebench_api.LogParser:
    """The log parser: the spec's named one, else swebench's for the repo,
    else the plain pytest parser."""
    if spec.log_parser:
        return swebench_api.parser_named(spec.log_parser)
    return swebench_api.parser_for_repo(spec.repo) or swebench_api.parser_named(DEFAULT_PARSER)


def command_for_tests(instance: Instance, spec: EnvSpec) -> str:
    """The spec's test command followed by the test files of the test patch."""
    directives = swebench_api.directives(instance.as_swebench())
    return " ".join([spec.test_cmd, *(shlex.quote(d) for d in directives)])


def load_overrides(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """An overrides file: `{repo: {version or "*": {field: value}}}` as JSON or
    TOML; repo "*" sets the spec of every repo swebench does not know."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec overrides file {path} does not exist") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot parse ({exc})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected an object of repo -> version -> spec")
    for repo, versions in data.items():
        if not isinstance(versions, dict):
            raise SpecError(f"{path}: {repo} must map versions to specs")
        for version, fields in versions.items():
            if not isinstance(fields, dict):
                raise SpecError(f"{path}: {repo} {version} must be an object of spec fields")
            unknown = set(fields) - OVERRIDE_FIELDS
            if unknown:
                raise SpecError(
                    f"{path}: {repo} {version}: unknown field(s) {', '.join(sorted(unknown))} "
                    f"(allowed: {', '.join(sorted(OVERRIDE_FIELDS))})"
                )
    return data
