"""A wheelhouse for offline environment builds in tests (CI cannot reach a
package index): the pure-Python distributions installed in the test venv
(pytest and what it needs, setuptools to build editable installs) packed
back into wheels from their installed files."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOTS = ("pytest", "setuptools")
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}


def _needed(roots: tuple[str, ...]) -> list[metadata.Distribution]:
    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional or platform-specific requirement
        seen[name] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(seen.values())


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def repack(dist: metadata.Distribution, into: Path) -> Path:
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    wheel = into / f"{name}-{dist.version}-py3-none-any.whl"
    info_dir = None
    records = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in dist.files or []:
            arcname = file.as_posix()
            parts = arcname.split("/")
            if arcname.startswith("..") or "__pycache__" in parts or arcname.endswith(".pyc"):
                continue
            if parts[0].endswith(".dist-info"):
                info_dir = parts[0]
                if parts[-1] in _INSTALLER_FILES:
                    continue
            data = Path(str(file.locate())).read_bytes()
            archive.writestr(arcname, data)
            records.append(_record_line(arcname, data))
        assert info_dir is not None, f"{dist.metadata['Name']} has no dist-info in its RECORD"
        records.append(f"{info_dir}/RECORD,,")
        archive.writestr(f"{info_dir}/RECORD", "\n".join(records) + "\n")
    return wheel


def build_wheelhouse(into: Path, roots: tuple[str, ...] = ROOTS) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    return [repack(dist, into) for dist in _needed(roots)]
