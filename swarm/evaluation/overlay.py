"""A per-instance layer over a cached environment.

The layer is an empty virtualenv of the same interpreter whose site-packages
holds one `.pth` line adding the cached environment's site-packages (with its
own `.pth` files processed) after its own. pip run in the layer sees the
cached packages as installed and writes only into the layer, so the
instance's `pip install -e .` lands there, and the cached environment stays
exactly as built. Console scripts of the cached environment (`pytest`,
`tox`, ...) are copied into the layer with their shebang pointing at the
layer's Python, so they import the instance's code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from swarm.evaluation.environments import Environment
from swarm.evaluation.errors import EnvironmentBuildError

PTH_NAME = "_swarm_base_environment.pth"


def layer(base: Environment, into: Path) -> Environment:
    """Make `into` a layer over `base`; returns it as an Environment."""
    into = Path(into)
    made = subprocess.run(
        [str(base.python), "-m", "venv", "--without-pip", str(into)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        raise EnvironmentBuildError(f"cannot make an instance layer over {base.key}: {made.stderr.strip()[-500:]}")
    top = Environment(
        root=into,
        key=f"{base.key}+layer",
        python_version=base.python_version,
        wanted_python=base.wanted_python,
        note=base.note,
    )
    top.site_packages.mkdir(parents=True, exist_ok=True)
    (top.site_packages / PTH_NAME).write_text(_pth_line(base.site_packages))
    _copy_scripts(base, top)
    return top


def _pth_line(base_site_packages: Path) -> str:
    """One `import` line, run at startup. `addsitedir` also processes the
    base's own .pth files (editable installs, distutils shims). Taking the
    path out of sys.path first makes it count as a *system* site for pip's
    build isolation, which finds system sites by re-running their .pth files
    and hides what they add: without that, the base's (often pinned, old)
    setuptools would leak into isolated builds."""
    path = repr(str(base_site_packages))
    return f"import site, sys; p = {path}; p in sys.path and sys.path.remove(p); site.addsitedir(p)\n"


def _copy_scripts(base: Environment, top: Environment) -> None:
    # pip writes `#!<venv>/bin/python`, or for long paths a `/bin/sh` header
    # that execs it: either way the interpreter path sits in the first lines.
    old, new = f"{base.bin}/python".encode(), f"{top.bin}/python".encode()
    for script in sorted(base.bin.iterdir()):
        target = top.bin / script.name
        if target.exists() or script.is_symlink() or not script.is_file():
            continue
        body = script.read_bytes()
        lines = body.split(b"\n", 3)
        header = b"\n".join(lines[:3])
        if not body.startswith(b"#!") or old not in header:
            continue
        target.write_bytes(b"\n".join([header.replace(old, new), *lines[3:]]))
        target.chmod(0o755)


def remove(environment: Environment) -> None:
    if environment.root.is_dir() and not os.path.islink(environment.root):
        shutil.rmtree(environment.root, ignore_errors=True)
