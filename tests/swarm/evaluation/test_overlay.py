"""Instance layers over a cached environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from swarm.evaluation.commands import clean_environment
from swarm.evaluation.environments import Environment, EnvironmentCache, PipOptions
from swarm.evaluation.overlay import PTH_NAME, layer, remove
from swarm.evaluation.specs import spec_for
from tests.swarm.evaluation.conftest import TinyRepo, freeze

pytestmark = pytest.mark.slow


@pytest.fixture
def base(tiny: TinyRepo, env_cache: Path, offline_pip: PipOptions) -> Environment:
    instance = tiny.instance("acme__tiny-1")
    return EnvironmentCache(env_cache, mirrors=tiny.mirrors, pip=offline_pip).ensure(spec_for(instance), instance).environment


def run(env: Environment, *args: str, cwd: Path | None = None, pip: PipOptions | None = None) -> str:
    environ = clean_environment(env.root, for_install=True, extra=(pip or PipOptions()).environment())
    done = subprocess.run(args, cwd=cwd, env=environ, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_layer_sees_the_base_packages(base: Environment, tmp_path: Path) -> None:
    top = layer(base, tmp_path / "layer")

    where = run(top, str(top.python), "-c", "import pytest; print(pytest.__file__)")

    assert where.startswith(str(base.site_packages))
    assert (top.site_packages / PTH_NAME).is_file()


def test_installs_land_in_the_layer_and_leave_the_base_alone(
    base: Environment, tiny: TinyRepo, tmp_path: Path, offline_pip: PipOptions
) -> None:
    before = freeze(base.python)
    top = layer(base, tmp_path / "layer")

    run(top, "python", "-m", "pip", "install", "-e", ".", cwd=tiny.path, pip=offline_pip)
    where = run(top, "python", "-c", "import tiny; print(tiny.__file__)", cwd=tmp_path)

    assert where.strip() == str(tiny.path / "tiny" / "__init__.py")
    assert freeze(base.python) == before
    assert "tiny" in freeze(top.python)


def test_console_scripts_run_on_the_layer_python(base: Environment, tiny: TinyRepo, tmp_path: Path,
                                                 offline_pip: PipOptions) -> None:
    top = layer(base, tmp_path / "layer")
    run(top, "python", "-m", "pip", "install", "-e", ".", cwd=tiny.path, pip=offline_pip)

    assert (top.bin / "pytest").read_text().splitlines()[0] == f"#!{top.bin}/python"
    # `pytest` found on PATH must import the layer's editable install.
    out = run(top, "pytest", "-q", "-p", "no:cacheprovider", "tests/test_tiny.py", cwd=tiny.path)
    assert "1 passed" in out


def test_remove_deletes_only_the_layer(base: Environment, tmp_path: Path) -> None:
    top = layer(base, tmp_path / "layer")
    remove(top)

    assert not top.root.exists()
    assert base.python.exists()
