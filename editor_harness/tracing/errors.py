"""Errors the trace tool raises; each says what was wrong and what to do."""

from editor_harness.errors import HarnessError


class TraceError(HarnessError):
    """Base for every error of the trace tool."""


class TestNotFound(TraceError):
    """The selection matched no test at all."""

    __test__ = False  # not a pytest test class, despite the name


class TraceSetupError(TraceError):
    """The test command could not be run: missing tool, bad interpreter, bad repository."""


class BadTraceOptions(TraceError, ValueError):
    """A trace option is out of range."""
