"""An instance's own interpreter for runs (not grading): the grader's cached
environment for (repo, version), a thin layer over it, and the checkout
installed into the layer exactly as the grader installs it.

    python = prepare_interpreter(instance, checkout, settings, log)

The checkout's setup changes (the spec's pre-install steps) are committed,
so a run's patch never contains them.
"""

from __future__ import annotations

from pathlib import Path

from swarm.evaluation import overlay
from swarm.evaluation.commands import clean_environment
from swarm.evaluation.grading import GradeSettings, _commit_setup, _environment_cache, _install, _run_or_fail
from swarm.evaluation.instances import Instance
from swarm.evaluation.specs import SpecOverrides, spec_for

# Runs edit a git worktree of the checkout, elsewhere on disk, while the
# layer's editable install points at the checkout: this startup line puts the
# current directory's `src/` (where pytest runs: the worktree) first. Flat
# layouts need nothing: `python -m pytest` puts the current directory first.
# A .pth line (not a wrapper script) keeps the interpreter a real one, which
# tools that probe it (Jedi) need.
CWD_FIRST_PTH = "_swarm_cwd_src_first.pth"
_CWD_FIRST_LINE = (
    "import os, sys; d = os.path.join(os.getcwd(), 'src'); "
    "os.path.isdir(d) and d not in sys.path and sys.path.insert(0, d)\n"
)


def add_cwd_first(site_packages: Path) -> Path:
    target = site_packages / CWD_FIRST_PTH
    target.write_text(_CWD_FIRST_LINE)
    return target


def prepare_interpreter(
    instance: Instance,
    checkout: Path,
    settings: GradeSettings,
    log: Path,
    *,
    overrides: SpecOverrides | None = None,
) -> Path:
    """A python whose environment holds the instance's dependencies and its
    checkout (installed editable), importing a run's worktree first (see above)."""
    spec = spec_for(instance, overrides)
    cache = _environment_cache(settings)
    build = cache.ensure(spec, instance)
    layer = overlay.layer(build.environment, checkout.parent / f"{checkout.name}-env")
    env = clean_environment(layer.root, for_install=True, extra=settings.pip.environment())
    for step in spec.pre_install:
        _run_or_fail(step, checkout, env, log, settings.install_timeout, "pre-install step")
    _commit_setup(checkout)
    _install(spec, checkout, env, log, settings.install_timeout)
    add_cwd_first(layer.site_packages)  # after the install: pip itself must not see the project's src/
    return layer.python

