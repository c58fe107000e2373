"""Models built from values the code has already checked, without validating them again."""

from __future__ import annotations

from pydantic import BaseModel


def trusted[M: BaseModel](cls: type[M]) -> type[M]:
    """`cls` to type checkers (its keyword arguments are checked as usual); at run time its
    `model_construct`: no validation, so no validator to build for it either. For the hot
    path of a solve, whose values are floats and strings the solver code made; a test
    validates whole results again (tests/test_solve_speed.py)."""
    return cls.model_construct  # type: ignore[return-value]
