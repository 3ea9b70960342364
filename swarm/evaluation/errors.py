"""Errors of evaluation: each says what went wrong and what to do about it."""

from __future__ import annotations

from swarm.errors import SwarmError


class EvaluationError(SwarmError):
    """Base for every user-facing error of swarm.evaluation."""


class MirrorError(EvaluationError):
    """A mirror is missing, or does not hold the commit asked for."""


class InstanceFileError(EvaluationError):
    """An instances file is missing, malformed, or lacks a required field."""


class PredictionFileError(EvaluationError):
    """A predictions file is missing, malformed, or contradicts itself."""


class SpecError(EvaluationError):
    """No usable environment spec for an instance, or a bad overrides file."""


class InterpreterNotFound(EvaluationError):
    """No installed Python interpreter can stand in for the one a spec names."""


class EnvironmentBuildError(EvaluationError):
    """Building a test environment failed; the build log says why."""


class PatchApplyError(EvaluationError):
    """A patch does not apply to the checkout."""


class ReportError(EvaluationError):
    """An existing report cannot be read or resumed."""


class ExecutorError(EvaluationError):
    """An executor cannot start, or lost a job."""
