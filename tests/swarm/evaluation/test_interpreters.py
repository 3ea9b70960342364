"""Finding Python interpreters and choosing one for a spec."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from swarm.evaluation.errors import InterpreterNotFound
from swarm.evaluation.interpreters import Interpreter, choose, discover, probe


def interp(version: str) -> Interpreter:
    major, minor, micro = (int(p) for p in version.split("."))
    return Interpreter(Path(f"/opt/python{version}/bin/python"), (major, minor, micro))


AVAILABLE = [interp(v) for v in ("3.12.1", "3.11.7", "3.9.18", "3.9.7", "3.8.18", "3.6.15")]


def test_probe_reports_the_running_interpreter() -> None:
    found = probe(Path(sys.executable))
    assert found is not None and found.version == tuple(sys.version_info[:3])
    assert found.label == "%d.%d.%d" % sys.version_info[:3]


def test_probe_rejects_what_is_not_python(tmp_path: Path) -> None:
    assert probe(tmp_path / "missing") is None
    assert probe(Path("/bin/true")) is None


def test_discover_finds_this_python_among_working_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWARM_PYTHONS", f"{sys.executable}:{tmp_path / 'nothing'}")
    found = discover()

    assert tuple(sys.version_info[:3]) in {i.version for i in found}
    assert [i.version for i in found] == sorted({i.version for i in found}, reverse=True)


def test_discover_from_explicit_paths_dedupes_by_version() -> None:
    found = discover([Path(sys.executable), Path(sys.executable)])
    assert len(found) == 1


def test_the_newest_patch_release_of_the_wanted_minor_is_chosen() -> None:
    choice = choose("3.9", AVAILABLE)
    assert choice.interpreter.version == (3, 9, 18) and choice.exact and choice.wanted == "3.9"


def test_a_missing_minor_falls_back_to_the_nearest_with_a_note() -> None:
    choice = choose("3.5", AVAILABLE)
    assert choice.interpreter.version == (3, 6, 15)
    assert not choice.exact and "3.5 is not installed; used 3.6.15" in choice.note


def test_a_tie_prefers_the_newer_interpreter() -> None:
    choice = choose("3.10", AVAILABLE)
    assert choice.interpreter.version == (3, 11, 7)


def test_no_interpreter_of_the_major_version_is_an_error() -> None:
    with pytest.raises(InterpreterNotFound, match="no Python 2.x installed"):
        choose("2.7", AVAILABLE)
    with pytest.raises(InterpreterNotFound, match="must look like"):
        choose("3", AVAILABLE)
