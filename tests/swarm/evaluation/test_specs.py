"""Environment specs from swebench's tables, era pins and overrides."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from swarm.evaluation.errors import SpecError
from swarm.evaluation.instances import Instance, parse_instance
from swarm.evaluation.specs import (
    ERA_PINS,
    EraPin,
    conda_to_pip,
    load_overrides,
    parser_for,
    spec_for,
    command_for_tests,
)
from tests.swarm.evaluation.test_instances import record

TEST_PATCH = (
    "diff --git a/testing/test_a.py b/testing/test_a.py\n--- a/testing/test_a.py\n+++ b/testing/test_a.py\n"
    "@@ -1 +1,2 @@\n x = 1\n+y = 2\n"
    "diff --git a/testing/data.json b/testing/data.json\n--- a/testing/data.json\n+++ b/testing/data.json\n"
    "@@ -1 +1 @@\n-{}\n+{\"a\": 1}\n"
)


def instance(repo: str, version: str, **changes: object) -> Instance:
    return parse_instance(record(f"{repo.replace('/', '__')}-1", repo=repo, version=version, **changes), "test")


def test_swebench_pins_and_test_command_for_pytest_4_5() -> None:
    spec = spec_for(instance("pytest-dev/pytest", "4.5"))

    assert spec.source == "swebench"
    assert spec.python == "3.9"
    assert "pluggy==0.11.0" in spec.packages and "setuptools==68.0.0" in spec.packages
    assert spec.install == "python -m pip install -e ."
    assert spec.test_cmd == "pytest -rA"
    assert spec.requirements_files == ()


def test_requirements_txt_specs_point_at_the_repo_file() -> None:
    spec = spec_for(instance("pallets/flask", "2.0"))

    assert spec.requirements_files == ("requirements/dev.txt",)
    assert "Werkzeug==2.3.7" in spec.packages


def test_conda_packages_become_pip_requirements() -> None:
    spec = spec_for(instance("pydicom/pydicom", "2.1"))
    assert spec.packages[:2] == ("numpy", "pytest")


def test_era_pins_are_added_where_they_apply() -> None:
    spec = spec_for(instance("pydicom/pydicom", "2.0"))
    assert "pytest<8" in spec.packages
    assert "pytest<8" not in spec_for(instance("pytest-dev/pytest", "5.4")).packages
    for pin in ERA_PINS:
        assert pin.why and pin.packages


def test_era_pin_matching() -> None:
    pin = EraPin("a/b", ("1.0",), ("x<2",), "why")
    assert pin.applies("a/b", "1.0")
    assert not pin.applies("a/b", "1.1") and not pin.applies("c/d", "1.0")
    assert EraPin("*", (), ("x",), "why").applies("any/repo", "9")


def test_machine_level_steps_are_recorded_not_run() -> None:
    spec = spec_for(instance("sphinx-doc/sphinx", "5.0"))

    assert any("tox.ini" in step for step in spec.pre_install)
    assert all("apt-get" not in step for step in spec.pre_install)
    matplotlib = spec_for(instance("matplotlib/matplotlib", "3.5"))
    assert any("apt-get" in step for step in matplotlib.not_reproduced)


def test_django_eval_commands_keep_exports_and_drop_locale_generation() -> None:
    spec = spec_for(instance("django/django", "3.0"))

    assert "export LANG=en_US.UTF-8" in spec.eval_commands
    assert any("locale-gen" in step for step in spec.not_reproduced)


def test_an_unknown_repo_gets_the_default_spec() -> None:
    spec = spec_for(instance("acme/tiny", "1.0"))

    assert spec.source == "default"
    assert spec.python == f"{sys.version_info.major}.{sys.version_info.minor}"
    assert spec.install == "python -m pip install -e ."
    assert spec.test_cmd == "pytest -rA"
    assert parser_for(spec).__name__ == "parse_log_pytest"


def test_an_unknown_version_of_a_known_repo_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(SpecError, match="no spec for pallets/flask version 0.1 .*--spec-overrides"):
        spec_for(instance("pallets/flask", "0.1"))


def test_overrides_merge_over_swebench_and_fill_unknown_versions(tmp_path: Path) -> None:
    path = tmp_path / "overrides.json"
    path.write_text(json.dumps({
        "pallets/flask": {"0.1": {"python": "3.8", "test_cmd": "pytest -x -rA"}, "2.0": {"python": "3.10"}},
    }))
    overrides = load_overrides(path)

    new = spec_for(instance("pallets/flask", "0.1"), overrides)
    merged = spec_for(instance("pallets/flask", "2.0"), overrides)

    assert (new.source, new.python, new.test_cmd) == ("overrides", "3.8", "pytest -x -rA")
    assert (merged.source, merged.python) == ("swebench+overrides", "3.10")
    assert merged.requirements_files == ("requirements/dev.txt",)


def test_toml_overrides_with_wildcards(tmp_path: Path) -> None:
    path = tmp_path / "overrides.toml"
    path.write_text(
        '["acme/tiny"."*"]\npython = "3.10"\npip_packages = ["pytest<8"]\nlog_parser = "parse_log_pytest_options"\n'
        '["*"."*"]\ninstall = "python -m pip install ."\n'
    )
    overrides = load_overrides(path)

    tiny = spec_for(instance("acme/tiny", "7"), overrides)
    other = spec_for(instance("other/repo", "1"), overrides)

    assert tiny.python == "3.10" and tiny.packages == ("pytest<8",)
    assert parser_for(tiny).__name__ == "parse_log_pytest_options"
    assert other.install == "python -m pip install ." and other.source == "overrides"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"a/b": {"1": {"pythn": "3.9"}}}', "unknown field.*pythn"),
        ('{"a/b": ["x"]}', "must map versions to specs"),
        ('{"a/b": {"1": 3}}', "must be an object of spec fields"),
        ("[1]", "expected an object"),
        ("{oops", "cannot parse"),
    ],
)
def test_bad_overrides_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "o.json"
    path.write_text(content)
    with pytest.raises(SpecError, match=message):
        load_overrides(path)


def test_bad_override_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="python must look like"):
        spec_for(instance("acme/tiny", "1"), {"acme/tiny": {"*": {"python": "three"}}})
    with pytest.raises(SpecError, match="unknown log parser 'parse_log_nope'"):
        spec_for(instance("acme/tiny", "1"), {"acme/tiny": {"*": {"log_parser": "parse_log_nope"}}})
    with pytest.raises(SpecError, match="does not exist"):
        load_overrides(tmp_path / "absent.json")


def test_parsers_follow_swebench_per_repo() -> None:
    assert parser_for(spec_for(instance("psf/requests", "2.10"))).__name__ == "parse_log_pytest_options"
    assert parser_for(spec_for(instance("pytest-dev/pytest", "5.4"))).__name__ == "parse_log_pytest"


def test_test_command_runs_the_test_files_of_the_test_patch() -> None:
    subject = instance("pytest-dev/pytest", "5.4", test_patch=TEST_PATCH)
    assert command_for_tests(subject, spec_for(subject)) == "pytest -rA testing/test_a.py"


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("numpy scipy", ("numpy", "scipy")),
        ("setuptools==38.2.4", ("setuptools==38.2.4",)),
        ("numpy=1.19 'pandas<2.0.0' pytest", ("numpy==1.19", "pandas<2.0.0", "pytest")),
        ("pkg>=1.0", ("pkg>=1.0",)),
    ],
)
def test_conda_to_pip(conda: str, pip: tuple[str, ...]) -> None:
    assert conda_to_pip(conda) == pip
