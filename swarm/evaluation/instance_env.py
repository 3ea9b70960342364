"""An instance's own interpreter for runs (not grading): the grader's cached
environment for (repo, version), a thin layer over it, and the checkout
installed into the layer exactly as the grader installs it.

    python = prepare_interpreter(instance, checkout, settings, log)

The checkout's setup changes (the spec's pre-install steps) are committed,
so a run's patch never contains them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from swarm.evaluation import overlay
from swarm.evaluation.commands import clean_environment
from swarm.evaluation.grading import GradeSettings, _commit_setup, _environment_cache, _install, _run_or_fail
from swarm.evaluation.instances import Instance
from swarm.evaluation.specs import SpecOverrides, spec_for

# Runs edit a git worktree of the checkout, elsewhere on disk, while the
# layer's editable install points at the checkout: this launcher puts the
# current directory's import roots (where pytest runs: the worktree) first.
_LAUNCHER = """\
#!/bin/sh
# symbol-swarm: the instance's interpreter, importing the code of the current directory first
here="$(pwd)"
for root in "$here/src" "$here"; do
  if [ -d "$root" ]; then PYTHONPATH="$root${{PYTHONPATH:+:$PYTHONPATH}}"; fi
done
export PYTHONPATH
exec {python} "$@"
"""


def write_launcher(python: Path, into: Path) -> Path:
    into.write_text(_LAUNCHER.format(python=str(python)))
    into.chmod(into.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return into


def prepare_interpreter(
    instance: Instance,
    checkout: Path,
    settings: GradeSettings,
    log: Path,
    *,
    overrides: SpecOverrides | None = None,
) -> Path:
    """A python whose environment holds the instance's dependencies and its
    checkout (installed editable); returns the launcher (see module doc)."""
    spec = spec_for(instance, overrides)
    cache = _environment_cache(settings)
    build = cache.ensure(spec, instance)
    layer = overlay.layer(build.environment, checkout.parent / f"{checkout.name}-env")
    env = clean_environment(layer.root, for_install=True, extra=settings.pip.environment())
    for step in spec.pre_install:
        _run_or_fail(step, checkout, env, log, settings.install_timeout, "pre-install step")
    _commit_setup(checkout)
    _install(spec, checkout, env, log, settings.install_timeout)
    return write_launcher(layer.python, layer.bin / "python-here")


def interpreter_exists(python: Path) -> bool:
    return python.is_file() and os.access(python, os.X_OK)
