"""The brief's elements and the LP operations on them, shared by diagnose, relax and frontier.

An element is one side of one bound of the brief (`leucine ≥ 2.5 g per meal` and
`leucine ≤ 6 g per meal` are two). Here: which LP bounds implement each element, the LP
without some elements or with one bound moved, feasibility checks within a time
`Budget`, and an element in the brief's words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .backends import highs_optimum
from .compile import Bound, Compiled
from .lp import MatrixLP
from .practical import relinked

Element = tuple[int, Literal["min", "max"]]  # (bound index, side)
MIP_CHECK_SECONDS = 10.0  # a MIP feasibility check that takes longer counts as feasible


class Budget:
    """The time an explanation may take (seconds=None: no limit), and whether a check was
    cut short by it (or by MIP_CHECK_SECONDS): then a conflict may not be irreducible."""

    def __init__(self, seconds: float | None = None) -> None:
        self.deadline = None if seconds is None else time.perf_counter() + seconds
        self.cut = False

    @property
    def spent(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def seconds(self, cap: float | None = None) -> float | None:
        """The time limit for the next solve: what is left, at most `cap`."""
        if self.deadline is None:
            return cap
        left = max(0.0, self.deadline - time.perf_counter())
        return left if cap is None else min(cap, left)


@dataclass(frozen=True)
class Switch:
    """How to remove one element from the LP: which row/column bound to open up."""

    rows: tuple[tuple[int, Literal["lo", "hi"]], ...] = ()
    cols: tuple[tuple[int, Literal["lo", "hi"]], ...] = ()
    inclusion: bool = False  # the minimum inclusion of a practical brief (in lp.links)


def elements(compiled: Compiled) -> dict[Element, Switch]:
    """Every removable element of the brief and the LP bounds that implement it."""
    out: dict[Element, Switch] = {}
    for r, (k, side) in enumerate(compiled.row_of):
        b = compiled.bounds[k]
        if side in ("min", "both") and b.min is not None:
            out[(k, "min")] = _merge(out.get((k, "min")), Switch(rows=((r, "lo"),)))
        if side in ("max", "both") and b.max is not None:
            out[(k, "max")] = _merge(out.get((k, "max")), Switch(rows=((r, "hi"),)))
    for j, k in compiled.col_lo_owner.items():
        out[(k, "min")] = _merge(out.get((k, "min")), Switch(cols=((j, "lo"),)))
    for j, k in compiled.col_hi_owner.items():
        out[(k, "max")] = _merge(out.get((k, "max")), Switch(cols=((j, "hi"),)))
    for k, b in enumerate(compiled.bounds):
        if b.kind == "inclusion":
            out[(k, "min")] = Switch(inclusion=True)
    return out


def _merge(a: Switch | None, b: Switch) -> Switch:
    return b if a is None else Switch(a.rows + b.rows, a.cols + b.cols, a.inclusion or b.inclusion)


def without(lp: MatrixLP, switches: Iterable[Switch]) -> MatrixLP:
    """The LP with the given elements removed (their bounds opened to ±inf / 0)."""
    row_lo, row_hi = lp.row_lo.copy(), lp.row_hi.copy()
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    links = lp.links
    for s in switches:
        if s.inclusion and links is not None:
            links = replace(links, lower=np.zeros_like(links.lower))
        for r, end in s.rows:
            (row_lo if end == "lo" else row_hi)[r] = -math.inf if end == "lo" else math.inf
        for j, end in s.cols:
            if end == "lo":
                col_lo[j] = 0.0  # ingredients never go negative
            else:
                col_hi[j] = math.inf
    return replace(lp, row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi, links=links)


def feasible(compiled: Compiled, lp: MatrixLP, budget: Budget | None = None) -> bool:
    """Is `lp` (the brief's LP, some elements removed or moved) feasible?

    Practical briefs get their big-M links recomputed first: a removed mass limit
    must not survive as a hidden cap inside x_i ≤ U_i·y_i.
    """
    if budget is not None and budget.spent:
        budget.cut = True
        return True
    return is_feasible(relinked(lp, len(compiled.foods)), budget)


def is_feasible(lp: MatrixLP, budget: Budget | None = None) -> bool:
    """Feasible? Only a proof of infeasibility says no: a check stopped by the budget
    or by MIP_CHECK_SECONDS (or failing) counts as feasible and is noted in the budget,
    so that a conflict reported is always proven infeasible (if perhaps not irreducible).
    For a MIP, an infeasible LP relaxation settles it fast."""
    budget = budget or Budget()
    if lp.is_mip and not is_feasible(replace(lp, integer=None), budget):
        return False
    limit = budget.seconds(MIP_CHECK_SECONDS if lp.is_mip else None)
    if limit is not None and limit <= 0:
        budget.cut = True
        return True
    status = highs_optimum(lp.with_objective(np.zeros(lp.shape[1])), limit).status
    if status not in ("optimal", "infeasible"):
        budget.cut = True
    return status != "infeasible"


def in_words(b: Bound, side: Literal["min", "max"]) -> str:
    """One side of a bound in the brief's words (an equality bound as a whole)."""
    return b.describe(None if b.min == b.max else side)


def with_bound(compiled: Compiled, lp: MatrixLP, k: int, side: str, t: float) -> MatrixLP:
    """`lp` with one side of bound k set to t (both sides for an equality bound)."""
    b = compiled.bounds[k]
    sides = {"min", "max"} if is_equality(b) else {side}
    n = len(b.num)
    A, row_lo, row_hi = lp.A.copy(), lp.row_lo.copy(), lp.row_hi.copy()
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    links = lp.links
    if b.kind == "inclusion" and links is not None:  # x_i ≥ m·y_i: the bound is in the links
        links = replace(links, lower=np.full_like(links.lower, t))
    for r, (owner, s) in enumerate(compiled.row_of):
        if owner != k:
            continue
        if s == "both":
            if "min" in sides:
                row_lo[r] = t - b.num0
            if "max" in sides:
                row_hi[r] = t - b.num0
        elif s in sides and b.den is None:
            # a cut of a chance constraint (solving/chance.py): its tangent stays, the
            # bound it holds moves
            (row_lo if s == "min" else row_hi)[r] = t - b.num0
        elif s in sides:
            assert b.den is not None
            A[r, :n] = b.num - t * b.den
            (row_lo if s == "min" else row_hi)[r] = t * b.den0 - b.num0
    if b.column is not None:
        j = b.column
        if "min" in sides and compiled.col_lo_owner.get(j) == k:
            col_lo[j] = max(t, 0.0)
        if "max" in sides and compiled.col_hi_owner.get(j) == k:
            col_hi[j] = t
    return replace(lp, A=A, row_lo=row_lo, row_hi=row_hi, col_lo=col_lo, col_hi=col_hi, links=links)


def is_equality(b: Bound) -> bool:
    return b.min is not None and b.min == b.max
