"""The environment cache: real virtualenvs, built offline from a wheelhouse."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from swarm.evaluation.environments import (
    COMPLETE_MARKER,
    EnvironmentCache,
    PipOptions,
    environment_yml_packages,
    read_requirements,
)
from swarm.evaluation.errors import EnvironmentBuildError, MirrorError
from swarm.evaluation.instances import Instance
from swarm.evaluation.specs import spec_for
from tests.swarm.evaluation.conftest import TinyRepo, make_tiny_repo


def test_pip_options_become_pip_environment_variables() -> None:
    assert PipOptions().environment() == {}
    assert PipOptions(("/w1", "/w2"), True).environment() == {"PIP_FIND_LINKS": "/w1 /w2", "PIP_NO_INDEX": "1"}


def test_requirements_are_read_from_the_mirror_with_includes_inlined(tmp_path: Path) -> None:
    tiny = make_tiny_repo(
        tmp_path,
        files={
            "requirements/dev.txt": "-r tests.txt\n-e .\n# a comment\nblack==22.1\n",
            "requirements/tests.txt": "pytest==7.0\n.[test]\n",
        },
    )
    text = read_requirements(tiny.mirrors, tiny.repo, tiny.base_commit, ["missing.txt", "requirements/dev.txt"])

    lines = [line for line in text.splitlines() if line.strip()]
    assert lines == ["pytest==7.0", "black==22.1"]


def test_missing_requirements_files_say_how_to_fix_it(tiny: TinyRepo) -> None:
    with pytest.raises(EnvironmentBuildError, match="--spec-overrides"):
        read_requirements(tiny.mirrors, tiny.repo, tiny.base_commit, ["requirements.txt"])


def test_an_unknown_commit_is_a_mirror_error(tiny: TinyRepo) -> None:
    with pytest.raises(MirrorError, match="update the mirror"):
        read_requirements(tiny.mirrors, tiny.repo, "0" * 40, ["requirements.txt"])


def test_environment_yml_gives_its_pip_installable_packages(tmp_path: Path) -> None:
    yml = "name: x\ndependencies:\n  - python=3.9\n  - numpy=1.20\n  - pip\n  - pip:\n    - pytest-cov\n"
    tiny = make_tiny_repo(tmp_path, files={"environment.yml": yml})

    packages = environment_yml_packages(tiny.mirrors, tiny.repo, tiny.base_commit, ["ci/env.yml", "environment.yml"])

    assert packages == ("numpy==1.20", "pytest-cov")


@pytest.mark.slow
def test_an_environment_is_built_once_and_then_served_from_the_cache(
    tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions
) -> None:
    instance = tiny.instance("acme__tiny-1")
    cache = EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip)

    first = cache.ensure(spec_for(instance), instance)
    second = cache.ensure(spec_for(instance), instance)

    assert second.cached and second.environment == first.environment
    env = first.environment
    assert (env.root / COMPLETE_MARKER).is_file()
    assert "pytest==" in (env.root / "swarm-freeze.txt").read_text()
    info = json.loads((env.root / COMPLETE_MARKER).read_text())
    assert info["spec"]["repo"] == "acme/tiny" and info["python"] == env.python_version
    version = subprocess.run([str(env.python), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == env.python_version


@pytest.mark.slow
def test_a_different_spec_is_a_different_environment(
    tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions
) -> None:
    instance = tiny.instance("acme__tiny-1")
    spec = spec_for(instance)
    cache = EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip)

    plain = cache.inputs(spec, instance).key()
    pinned = cache.inputs(replace(spec, packages=(*spec.packages, "iniconfig")), instance).key()
    other_install = cache.inputs(replace(spec, install="pip install ."), instance).key()

    assert plain != pinned
    # The install step runs per instance, not in the shared environment.
    assert plain == other_install
    assert plain.startswith("acme__tiny-1.0-")


@pytest.mark.slow
def test_a_failed_build_leaves_no_environment_and_keeps_its_log(
    tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions
) -> None:
    instance = tiny.instance("acme__tiny-1")
    spec = replace(spec_for(instance), packages=("no-such-package-anywhere==1.0",))
    cache = EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip)
    key = cache.inputs(spec, instance).key()

    with pytest.raises(EnvironmentBuildError, match="see .*build.log"):
        cache.ensure(spec, instance)

    assert not (env_cache / key).exists()
    assert "no-such-package-anywhere" in (env_cache / f"{key}.build.log").read_text()


def _ensure_in_another_process(args: tuple[Path, Path, PipOptions, Instance]) -> tuple[bool, str]:
    cache_dir, mirrors, pip, instance = args
    build = EnvironmentCache(cache_dir, mirrors=mirrors, pip=pip).ensure(spec_for(instance), instance)
    return build.cached, build.environment.key


@pytest.mark.slow
def test_concurrent_processes_build_an_environment_once(
    tiny: TinyRepo, tmp_path: Path, offline_pip: PipOptions
) -> None:
    cache_dir = tmp_path / "fresh-cache"
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        job = (cache_dir, tiny.mirrors, offline_pip, tiny.instance("acme__tiny-1"))
        outcomes = pool.map(_ensure_in_another_process, [job] * 2)

    assert sorted(cached for cached, _ in outcomes) == [False, True]
    assert len({key for _, key in outcomes}) == 1


@pytest.mark.slow
def test_rebuild_before_rebuilds_older_environments_once(
    tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions
) -> None:
    instance = tiny.instance("acme__tiny-1")
    EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip).ensure(spec_for(instance), instance)
    cache = EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip, rebuild_before=time.time())

    rebuilt = cache.ensure(spec_for(instance), instance)
    again = cache.ensure(spec_for(instance), instance)

    assert not rebuilt.cached
    assert again.cached


def test_a_spec_naming_a_missing_python_falls_back_with_a_note(tiny: TinyRepo, env_cache: Path) -> None:
    instance = tiny.instance("acme__tiny-1")
    cache = EnvironmentCache(env_cache, mirrors=tiny.mirrors)
    inputs = cache.inputs(replace(spec_for(instance), python="3.99"), instance)

    assert "3.99 is not installed" in inputs.note
    assert inputs.interpreter.version[:2] == max(i.minor for i in cache.interpreters())

