"""Practical formulas as a mixed-integer program: at most N ingredients, and a minimum
inclusion for any ingredient that is used.

Each food i that may enter gets a use indicator y_i ∈ {0, 1} (columns after the foods):

    x_i ≤ U_i·y_i        (link: no grams without the indicator)
    x_i ≥ m·y_i          (minimum inclusion m g, when the brief sets one)
    Σ y_i ≤ N            (at most N ingredients, when the brief sets it: a row of A)

The per-food rows are `MatrixLP.links`, which the backends add as sparse rows.

U_i must be a valid upper bound on x_i, or the link would cut off blends the brief
allows. It is min(the ingredient's own maximum, M), where M is the largest serving
mass the brief allows: the LP max of Σx over every other constraint (equal to
serving_g when the serving is fixed). Being computed, it stays valid for any brief;
diagnosis, which removes constraints, recomputes it for each reduced brief.

A MIP answer is polished: with the indicators fixed, the LP over the chosen
ingredients is re-solved, so the grams are exact (no 1e-7 crumbs of unused foods
within the integrality tolerance) and optimal for that choice.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .backends import SolverName, highs_optimum, solve_lp
from .lp import Links, LPSolution, MatrixLP

BIG_MASS = 1e6  # g; stands in for M when a reduced brief (diagnosis) has no mass limit


class MassUnbounded(Exception):
    """The brief allows any serving mass, so no finite big-M exists."""


def mass_cap(lp: MatrixLP, foods: int) -> float | None:
    """The largest Σx (g) over the LP relaxation of `lp`; None if unbounded, 0 if infeasible."""
    c = np.zeros(lp.shape[1])
    c[:foods] = -1.0
    most = highs_optimum(replace(lp, c=c, integer=None, offset=0.0))
    if most.objective is not None:
        return max(0.0, -most.objective)
    return None if most.status == "unbounded" else 0.0


def add_use_indicators(lp: MatrixLP, *, count: float | None, minimum: float | None) -> MatrixLP:
    """The LP with a use indicator per food that may enter, their links, and (with a
    count) one more row Σ y ≤ count at the end."""
    m, n = lp.shape
    may_enter = np.flatnonzero(lp.col_hi > 0)
    cap = mass_cap(lp, n)
    if cap is None:
        if not np.isfinite(lp.col_hi[may_enter]).all():
            raise MassUnbounded
        cap = float(lp.col_hi[may_enter].sum())
    k = len(may_enter)
    A = np.hstack([lp.A, np.zeros((m, k))])
    row_lo, row_hi, names = lp.row_lo, lp.row_hi, lp.row_names
    if count is not None:
        total = np.concatenate([np.zeros(n), np.ones(k)])
        A = np.vstack([A, total[None, :]])
        row_lo, row_hi = np.append(row_lo, -math.inf), np.append(row_hi, count)
        names = (*names, "ingredients used")
    links = Links(
        food=may_enter,
        indicator=np.arange(n, n + k),
        upper=np.minimum(lp.col_hi[may_enter], max(cap, 0.0)),
        lower=np.full(k, minimum or 0.0),
    )
    return MatrixLP(
        c=np.concatenate([lp.c, np.zeros(k)]),
        A=A,
        row_lo=row_lo,
        row_hi=row_hi,
        col_lo=np.concatenate([lp.col_lo, np.zeros(k)]),
        col_hi=np.concatenate([lp.col_hi, np.ones(k)]),
        col_names=(*lp.col_names, *(f"use {lp.col_names[i]}" for i in may_enter)),
        row_names=names,
        integer=np.concatenate([np.zeros(n, dtype=bool), np.ones(k, dtype=bool)]),
        offset=lp.offset,
        links=links,
    )


def relinked(lp: MatrixLP, foods: int) -> MatrixLP:
    """`lp` with each U_i recomputed for its own constraints (after diagnosis removed some)."""
    if lp.links is None:
        return lp
    cap = mass_cap(replace(lp, links=None), foods)
    cap = BIG_MASS if cap is None else cap
    upper = np.minimum(lp.col_hi[lp.links.food], cap)
    return replace(lp, links=replace(lp.links, upper=upper))


def solve(lp: MatrixLP, solver: SolverName, time_limit: float | None, foods: int) -> LPSolution:
    """solve_lp, and for a MIP the polish: re-solve the LP with the indicators fixed.

    The polished solution keeps the MIP's status and gap and has no duals: a MIP
    has no shadow prices, and those of the fixed-choice LP would answer another
    question (what a bound is worth *given these ingredients*).
    """
    sol = solve_lp(lp, solver, time_limit)
    if not lp.is_mip or sol.x is None:
        return sol
    chosen = np.round(sol.x[foods:])
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    col_lo[foods:] = col_hi[foods:] = chosen
    fixed = solve_lp(replace(lp, col_lo=col_lo, col_hi=col_hi, integer=None), solver, None)
    if fixed.x is None or fixed.status != "optimal" or fixed.objective is None:
        return sol  # keep the solver's own answer rather than lose it
    x = fixed.x.copy()
    x[foods:] = chosen
    gap = _gap(lp, fixed.objective, sol.gap) if sol.status == "time_limit" else None
    return replace(
        sol,
        x=x,
        objective=fixed.objective,
        seconds=sol.seconds + fixed.seconds,
        row_duals=None,
        col_duals=None,
        gap=gap,
    )


def _gap(lp: MatrixLP, incumbent: float, reported: float | None) -> float | None:
    """The relative gap of a MIP stopped early, never understated.

    The LP relaxation's optimum is a valid bound, so (incumbent − bound)/|incumbent|
    is a valid gap; the solver's own gap (tighter when sane) is used when it is
    smaller. CBC's, read from its log by PuLP, is at times absurd (1e12).
    """
    relaxed = highs_optimum(replace(lp, integer=None))
    if relaxed.objective is None:
        return reported
    bound = relaxed.objective
    by_lp = max(0.0, incumbent - bound) / max(abs(incumbent), 1e-12)
    if reported is not None and math.isfinite(reported) and 0 <= reported < by_lp:
        return reported
    return by_lp
