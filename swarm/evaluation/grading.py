"""Grading one instance without docker, step for step as SWE-bench's harness:

  environment (cached per repo/version/spec) -> checkout at base_commit ->
  pre-install steps -> model patch -> install the checkout -> reset test
  files, apply the test patch -> run the test files with a time limit and
  the network blocked -> parse the log (swebench's parser) -> grade
  (swebench's FAIL_TO_PASS / PASS_TO_PASS rules).

`grade_job` is what executors run: it never raises for a problem of the
instance (bad patch, failed build, hung tests); those become an `error`
result with the reason and logs. Logs go to
`<log_dir>/<model>/<instance_id>/` as in the official harness: `patch.diff`,
`run_instance.log`, `test_output.txt`, `report.json`.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
import time
import traceback

import trio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from swarm.evaluation import overlay, patches, swebench_api
from editor_harness.errors import TestRunError
from editor_harness.network_guard import GuardMode, NetworkGuard, network_guard
from swarm.evaluation.commands import clean_environment, run_shell
from swarm.evaluation.environments import EnvironmentCache, PipOptions
from swarm.evaluation.errors import EvaluationError, PatchApplyError
from swarm.evaluation.instances import Instance
from swarm.evaluation.mirrors import clone_at
from swarm.evaluation.predictions import Prediction
from swarm.evaluation.report import ERROR, RESOLVED, UNRESOLVED, InstanceResult
from swarm.evaluation.specs import EnvSpec, parser_for, command_for_tests

DEFAULT_TEST_TIMEOUT = 1800.0  # the official harness's default
DEFAULT_INSTALL_TIMEOUT = 1800.0


@dataclass(frozen=True, slots=True)
class GradeSettings:
    mirrors: Path
    cache_dir: Path
    log_dir: Path
    test_timeout: float = DEFAULT_TEST_TIMEOUT
    install_timeout: float = DEFAULT_INSTALL_TIMEOUT
    pip: PipOptions = field(default_factory=PipOptions)
    network_block: str = "auto"  # auto | namespace | socket-guard
    rebuild_before: float | None = None  # wall-clock time: older environments are rebuilt
    work_dir: Path | None = None  # where checkouts are made (system temp dir by default)


@dataclass(frozen=True, slots=True)
class GradeJob:
    instance: Instance
    prediction: Prediction
    spec: EnvSpec
    settings: GradeSettings


@functools.cache
def _environment_cache(settings: GradeSettings) -> EnvironmentCache:
    # One per worker process: interpreter discovery runs once.
    return EnvironmentCache(
        settings.cache_dir,
        mirrors=settings.mirrors,
        pip=settings.pip,
        timeout=settings.install_timeout,
        rebuild_before=settings.rebuild_before,
    )


def instance_log_dir(settings: GradeSettings, prediction: Prediction) -> Path:
    model = prediction.model_name_or_path.replace("/", "__")
    return Path(settings.log_dir) / model / prediction.instance_id


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.monotonic()

    def lap(self, name: str, since: float) -> float:
        now = time.monotonic()
        self.timings[name] = round(now - since, 6)
        return now

    def total(self) -> dict[str, float]:
        return {**self.timings, "total": round(time.monotonic() - self._start, 6)}


def _note(log: Path, text: str) -> None:
    with open(log, "a", encoding="utf-8") as out:
        out.write(text.rstrip("\n") + "\n")


@dataclass(slots=True)
class _Progress:
    """What grading has established so far, for the result of a failed run."""

    env: dict[str, object]
    patch_applied: bool = False


def grade_job(job: GradeJob) -> InstanceResult:
    """Grade one prediction; every failure becomes an `error` result."""
    logs = instance_log_dir(job.settings, job.prediction)
    logs.mkdir(parents=True, exist_ok=True)
    run_log = logs / "run_instance.log"
    run_log.write_text(f"# grading {job.instance.instance_id} ({job.prediction.model_name_or_path})\n")
    (logs / "patch.diff").write_text(job.prediction.model_patch or "", encoding="utf-8")
    clock = _Clock()
    progress = _Progress(env={"spec_source": job.spec.source, "not_reproduced": list(job.spec.not_reproduced)})
    failed = InstanceResult(
        instance_id=job.instance.instance_id,
        model_name_or_path=job.prediction.model_name_or_path,
        status=ERROR,
        patch_is_None=job.prediction.model_patch is None,
        patch_exists=job.prediction.model_patch is not None,
        log_dir=str(logs),
        env=progress.env,
    )
    try:
        result = replace(failed, **_grade(job, logs, run_log, clock, progress), timings=clock.total())
    except EvaluationError as exc:
        _note(run_log, f"error: {exc}")
        result = replace(
            failed, error=str(exc), patch_successfully_applied=progress.patch_applied, timings=clock.total()
        )
    except Exception as exc:  # a bug of ours: keep the batch going, keep the traceback
        _note(run_log, traceback.format_exc())
        result = replace(
            failed,
            error=f"internal error: {type(exc).__name__}: {exc} (see {run_log})",
            patch_successfully_applied=progress.patch_applied,
            timings=clock.total(),
        )
    (logs / "report.json").write_text(json.dumps(result.swebench_report(), indent=4))
    _note(run_log, f"result: {result.status}{' - ' + result.error if result.error else ''}")
    return result


def _grade(job: GradeJob, logs: Path, run_log: Path, clock: _Clock, progress: _Progress) -> dict[str, Any]:
    instance, spec, settings = job.instance, job.spec, job.settings
    started = time.monotonic()
    cache = _environment_cache(settings)
    # Once per worker process (interpreter discovery, the swebench import):
    # timed apart, so "environment" is the cache's own cost.
    cache.interpreters()
    swebench_api.load()
    started = clock.lap("warmup", started)
    build = cache.ensure(spec, instance)
    started = clock.lap("environment", started)
    progress.env.update(build.environment.describe(), cached=build.cached, build_log=str(build.log))
    _note(run_log, f"environment {build.environment.key} ({'cached' if build.cached else 'built'}, "
                   f"{build.seconds:.1f} s), python {build.environment.python_version} {build.environment.note}")
    work_root = Path(settings.work_dir) if settings.work_dir else None
    if work_root is not None:
        work_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"swarm-grade-{instance.instance_id}-", dir=work_root) as tmp:
        checkout = clone_at(settings.mirrors, instance.repo, instance.base_commit, Path(tmp) / "repo")
        started = clock.lap("checkout", started)
        layer = overlay.layer(build.environment, Path(tmp) / "env")
        install_env = clean_environment(layer.root, for_install=True, extra=settings.pip.environment())
        for step in spec.pre_install:
            _run_or_fail(step, checkout, install_env, run_log, settings.install_timeout, "pre-install step")
        _commit_setup(checkout)
        started = clock.lap("setup", started)

        patches.apply_patch(checkout, job.prediction.model_patch or "", run_log, name="model patch")
        progress.patch_applied = True
        _note(run_log, f"git diff after the model patch:\n{patches.diff(checkout)}")
        started = clock.lap("patch", started)

        _install(spec, checkout, install_env, run_log, settings.install_timeout)
        started = clock.lap("install", started)

        try:
            patches.apply_test_patch(checkout, instance.base_commit, instance.test_patch, run_log)
        except PatchApplyError as exc:
            raise EvaluationError(f"the test patch does not apply after the model patch: {exc}") from None
        output = logs / "test_output.txt"
        _run_tests(job, checkout, layer.root, output, progress)
        clock.lap("tests", started)

    log_text = output.read_text(encoding="utf-8", errors="replace")
    status_map = swebench_api.parse_status_map(log_text, parser_for(spec))
    tests_status, resolution = swebench_api.grade(
        instance.repo, instance.instance_id, instance.fail_to_pass, instance.pass_to_pass, status_map
    )
    return dict(
        status=RESOLVED if resolution == swebench_api.RESOLVED_FULL else UNRESOLVED,
        resolution=resolution,
        patch_successfully_applied=True,
        tests_status=tests_status,
        log_path=str(output),
    )


def _install(spec: EnvSpec, checkout: Path, env: dict[str, str], log: Path, timeout: float) -> None:
    if not spec.install:
        return
    installed = run_shell(spec.install, cwd=checkout, env=env, log=log, timeout=timeout)
    if installed.timed_out:
        raise EvaluationError(f"install step timed out after {timeout:g} s (see {log})")
    # As in the harness, a failed install (a patch may break setup.py) is not
    # an error of the grader: the tests run and show what broke.
    if not installed.ok:
        _note(log, f"install step exited {installed.returncode}; running the tests anyway")


# --network-block names -> the harness's guard modes, and back for the report.
NETWORK_BLOCKS: dict[str, GuardMode] = {"auto": GuardMode.AUTO, "namespace": GuardMode.NETNS, "socket-guard": GuardMode.SOCKET}
_BLOCK_NAMES = {GuardMode.NETNS: "namespace", GuardMode.SOCKET: "socket-guard", GuardMode.NONE: "none"}


def network_block(name: str) -> NetworkGuard:
    """The harness's network guard as the grader runs tests: everything but
    loopback blocked, and outbound traffic timing out as on a firewalled
    network (the tarpit), which test suites written against a network expect."""
    mode = NETWORK_BLOCKS.get(name)
    if mode is None:
        raise EvaluationError(f"unknown network block {name!r}; use {', '.join(NETWORK_BLOCKS)}")
    try:
        return trio.run(functools.partial(network_guard, mode, python=True, tarpit=True))
    except TestRunError as exc:
        raise EvaluationError(f"{exc}; use --network-block socket-guard") from None


def block_name(guard: NetworkGuard) -> str:
    return _BLOCK_NAMES.get(guard.mode, guard.mode.value)


def _run_tests(job: GradeJob, checkout: Path, env_root: Path, output: Path, progress: _Progress) -> None:
    """The spec's test command on the test patch's files, network blocked,
    output between swebench's start/end markers."""
    settings = job.settings
    guard = network_block(settings.network_block)
    progress.env["network_block"] = block_name(guard)
    command = "\n".join([*job.spec.eval_commands, command_for_tests(job.instance, job.spec)])
    output.write_text(f"+ network blocked ({block_name(guard)})\n{swebench_api.START_TEST_OUTPUT}\n")
    tests = run_shell(
        command,
        cwd=checkout,
        env=clean_environment(env_root, for_install=False),
        log=output,
        timeout=settings.test_timeout,
        guard=guard,
    )
    with open(output, "a", encoding="utf-8") as out:
        out.write(f"\n{swebench_api.END_TEST_OUTPUT}\n")
    if tests.timed_out:
        raise EvaluationError(f"tests timed out after {settings.test_timeout:g} s (see {output})")


def _run_or_fail(command: str, cwd: Path, env: dict[str, str], log: Path, timeout: float, what: str) -> None:
    result = run_shell(command, cwd=cwd, env=env, log=log, timeout=timeout)
    if not result.ok:
        why = "timed out" if result.timed_out else f"exited {result.returncode}"
        raise EvaluationError(f"{what} `{command}` {why} (see {log})")


def _commit_setup(checkout: Path) -> None:
    """Commit what setup changed (as the harness does), so a failed patch
    attempt can be rolled back to exactly this state."""
    identity = ["-c", "user.name=symbol-swarm", "-c", "user.email=grader@symbol-swarm.invalid"]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=checkout, capture_output=True, text=True)
    if status.stdout.strip():
        subprocess.run(["git", "add", "-A"], cwd=checkout, capture_output=True)
        subprocess.run(["git", *identity, "commit", "-qm", "symbol-swarm: environment setup"],
                       cwd=checkout, capture_output=True)
