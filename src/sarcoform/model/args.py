"""Argument checks at the public API's edge: a wrong type is an InputError that says what
was expected, never a TypeError or AttributeError from deep inside.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from ..errors import UsageError

HINTS = {
    "FoodTable": " (read one with sarcoform.load_foods(path))",
    "Brief": " (read one with sarcoform.load_brief(name or path))",
    "Result": " (from sarcoform.solve, or Result.from_dict)",
}


def renamed_keyword[**P, R](old: str, new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let a public function still take its parameter `new` by its old name `old`.

    `solve(foods, brief=...)` keeps working now that the parameter is `brief`; giving both
    names is a UsageError.
    """

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if old in kwargs:
                if new in kwargs:
                    raise UsageError(f"{func.__name__}: give {new}= or its old name {old}=, not both")
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return call

    return wrap


def expect(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    """UsageError unless `value` is a `kind`."""
    if isinstance(value, kind):
        return
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = " or ".join(k.__name__ for k in kinds)
    hint = "".join(HINTS.get(k.__name__, "") for k in kinds)
    raise UsageError(f"{what}: expected a {names}{hint}, got {_shown(value)}")


def expect_path(value: Any, what: str) -> None:
    """A file name: str or path-like (not a dict, a number, None)."""
    if isinstance(value, (str, PurePath)) or hasattr(value, "__fspath__"):
        return
    raise UsageError(f"{what}: expected a file name (str or pathlib.Path), got {_shown(value)}")


def time_limit(value: Any, what: str = "time_limit") -> None:
    """None, or seconds: a finite number ≥ 0 (0: stop at once, with what was found)."""
    if value is None:
        return
    if not _real(value) or not math.isfinite(value) or value < 0:
        raise UsageError(f"{what}: expected seconds, a number ≥ 0 (or None: no limit), got {_shown(value)}")


def workers(value: Any, what: str = "workers") -> None:
    """None (in this process) or a whole number of processes ≥ 1."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise UsageError(
            f"{what}: expected a whole number of processes ≥ 1 (or None: in this process;"
            f" os.cpu_count() for one per CPU), got {_shown(value)}"
        )


def flag(value: Any, what: str) -> None:
    if not isinstance(value, bool):
        raise UsageError(f"{what}: expected True or False, got {_shown(value)}")


def text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        raise UsageError(f"{what}: expected text (str), got {_shown(value)}")


def count(value: Any, what: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise UsageError(f"{what}: expected a whole number ≥ {minimum}, got {_shown(value)}")


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"{type(value).__name__} {shown}" if value is not None else "None"
