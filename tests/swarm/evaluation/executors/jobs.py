"""Picklable job functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os


def square(n: int) -> int:
    return n * n


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not welcome")
    return n


def die_on_two(n: int) -> int:
    if n == 2:
        os._exit(17)  # the worker process dies without a word
    return n
