"""Errors the harness raises for refused operations; each says why and what to do."""


class HarnessError(Exception):
    """Base for every user-facing error of editor_harness/."""
