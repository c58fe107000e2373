"""Shadow-price ranges of a two-stage answer (maximise or minimise a nutrient, then the
least cost among those optima), read off the stage-1 value function, not off a basis.

A shadow price s of a two-stage answer is ∂(first optimum)/∂bound. Where the first stage
sits on a whole face of optimal blends (max leucine capped by the brief's own leucine
bound), its basis is an arbitrary vertex of that face, and the basis's range says nothing
about the blend. What the range means is the set of bound values t at which the first
optimum is still v₀ + s·(t − t₀). The first optimum is concave (convex, minimising) in
a bound that only moves a row or column bound, and s is a supergradient at t₀, so
v(t) ≤ v₀ + s·(t − t₀) everywhere: the range is exactly the set of t at which the
tie-break LP, with its stage-1 row "objective ≥ v₀ + s·(t − t₀)", is still feasible.
That set is an interval whose ends are two LPs in (x, τ = t − t₀): min τ and max τ. Both
start from the tie-break's own basis (τ = 0 at the reported blend is feasible), so each
is a hot-started re-solve. The stage-1 row keeps the tie-break's own give on the first
optimum (engine.TIE_TOLERANCE), as every re-solve of the brief does.

Bounds in coefficients (ratios, per 100 g, %) move a row's coefficients, not its bound:
no LP gives their range, and they keep the basis ranging of sensitivity.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .backends import highs_status, load_highs
from .compile import Compiled
from .elements import with_bound
from .lp import BASIC, LOWER, UPPER, ZERO, MatrixLP

Range = tuple[float | None, float | None]


def two_stage_bound_ranges(
    compiled: Compiled,
    tie_break: MatrixLP,
    tie_highs: Any,
    x: np.ndarray,
    shadow_prices: Sequence[float | None],
) -> dict[int, Range]:
    """Bound index → range of its shadow price, for each binding bound that moves a row or
    column bound only (see the module). `tie_highs`: the solved tie-break (its basis is
    the hot start; None: cold starts). Bounds left out keep sensitivity.py's ranging."""
    status = _basis(tie_highs)
    out: dict[int, Range] = {}
    for k, b in enumerate(compiled.bounds):
        side = b.active_side(b.value(x))
        price = shadow_prices[k]
        if side is None or price is None or b.den is not None:
            continue
        t0 = b.min if side == "min" else b.max
        assert t0 is not None
        found = _feasible_span(compiled, tie_break, status, k, side, t0, compiled.sense * price)
        if found is not None:
            out[k] = found
    return out


def _basis(h: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if h is None or highs_status(h) != "optimal":
        return None
    basis = h.getBasis()
    if not basis.valid:
        return None
    return np.asarray(basis.col_status, dtype=int), np.asarray(basis.row_status, dtype=int)


def _feasible_span(
    compiled: Compiled,
    lp: MatrixLP,
    status: tuple[np.ndarray, np.ndarray] | None,
    k: int,
    side: str,
    t0: float,
    slope: float,
) -> Range | None:
    """[t0 + min τ, t0 + max τ] over the tie-break LP with bound k at t0 + τ and its last
    row (c·x ≤ optimum) moved by slope·τ; None where the LP cannot be built or solved."""
    built = _parametric(compiled, lp, k, side, t0, slope, status)
    if built is None:
        return None
    param, basis = built
    h = load_highs(param)
    if basis is not None:
        h.setBasis(basis)
    tau = param.shape[1] - 1
    edges: list[float | None] = []
    for direction in (1.0, -1.0):  # min τ, then max τ (hot: the first run's basis)
        h.changeColCost(tau, direction)
        h.run()
        state = highs_status(h)
        if state == "unbounded":
            edges.append(None)
        elif state == "optimal":
            edges.append(t0 + float(h.getSolution().col_value[tau]))
        else:
            return None
    lo, hi = edges
    return (None if lo is None else min(lo, t0)), (None if hi is None else max(hi, t0))


def _parametric(
    compiled: Compiled,
    lp: MatrixLP,
    k: int,
    side: str,
    t0: float,
    slope: float,
    status: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[MatrixLP, Any] | None:
    """The tie-break LP with one more (free) column τ: bound k's rows and columns move
    with τ, the last row c·x − slope·τ ≤ cap. A side that moves while its row's other side
    stays gets a row of its own, and so does a moving column bound (x_j − τ ⋛ bound). The
    tie-break's basis, extended to the new rows and τ (nonbasic at 0), when known."""
    moved = with_bound(compiled, lp, k, side, t0 + 1.0)
    d_lo = _delta(moved.row_lo, lp.row_lo)
    d_hi = _delta(moved.row_hi, lp.row_hi)
    dc_lo = _delta(moved.col_lo, lp.col_lo)
    dc_hi = _delta(moved.col_hi, lp.col_hi)
    m, n = lp.shape
    A = np.hstack([lp.A, np.zeros((m, 1))])
    row_lo, row_hi = lp.row_lo.copy(), lp.row_hi.copy()
    col_lo = np.append(lp.col_lo, -math.inf)
    col_hi = np.append(lp.col_hi, math.inf)
    col_status = None if status is None else np.append(status[0], ZERO)
    row_status = None if status is None else status[1].copy()
    extra: list[tuple[np.ndarray, float, float, int]] = []  # row, lo, hi, status
    for r in np.flatnonzero((d_lo != 0) | (d_hi != 0)):
        lo_moves, hi_moves = d_lo[r] != 0, d_hi[r] != 0
        if lo_moves and hi_moves and d_lo[r] != d_hi[r]:
            return None
        d = d_lo[r] if lo_moves else d_hi[r]
        keep = np.append(lp.A[r], 0.0)
        stays = None  # the other side stays: it gets a row of its own (and its basis status)
        if not hi_moves and math.isfinite(row_hi[r]):
            stays = (-math.inf, float(row_hi[r]), UPPER)
            row_hi[r] = math.inf
        if not lo_moves and math.isfinite(row_lo[r]):
            stays = (float(row_lo[r]), math.inf, LOWER)
            row_lo[r] = -math.inf
        if stays is not None:
            held = row_status is not None and row_status[r] == stays[2]
            extra.append((keep, stays[0], stays[1], stays[2] if held else BASIC))
            if held and row_status is not None:
                row_status[r] = BASIC
        A[r, n] = -d
    for j in np.flatnonzero((dc_lo != 0) | (dc_hi != 0)):
        if dc_lo[j] != 0 and dc_hi[j] != 0 and dc_lo[j] != dc_hi[j]:
            return None
        d = dc_lo[j] if dc_lo[j] != 0 else dc_hi[j]
        row = np.zeros(n + 1)
        row[j], row[n] = 1.0, -d
        lo = float(lp.col_lo[j]) if dc_lo[j] != 0 else -math.inf
        hi = float(lp.col_hi[j]) if dc_hi[j] != 0 else math.inf
        was = BASIC if col_status is None else int(col_status[j])
        if dc_lo[j] != 0:
            col_lo[j] = min(0.0, float(lp.col_lo[j]))  # foods stay ≥ 0 (with_bound clips at 0)
        if dc_hi[j] != 0:
            col_hi[j] = math.inf
        # A column held at the moving bound hands its place in the basis to the new row.
        if col_status is not None and was != BASIC:
            col_status[j] = BASIC
        extra.append((row, lo, hi, BASIC if was == BASIC else (UPPER if was == UPPER else LOWER)))
    A[m - 1, n] = -slope  # the stage-1 row: c·x ≤ cap + slope·τ
    if extra:
        A = np.vstack([A, np.array([e[0] for e in extra])])
        row_lo = np.append(row_lo, [e[1] for e in extra])
        row_hi = np.append(row_hi, [e[2] for e in extra])
        if row_status is not None:
            row_status = np.append(row_status, [e[3] for e in extra])
    param = MatrixLP(
        c=np.zeros(n + 1),
        A=A,
        row_lo=row_lo,
        row_hi=row_hi,
        col_lo=col_lo,
        col_hi=col_hi,
        col_names=(*lp.col_names, "τ"),
        row_names=(*lp.row_names, *(f"moved {i}" for i in range(len(extra)))),
    )
    if col_status is None or row_status is None:
        return param, None
    return param, _highs_basis(col_status, row_status)


def _delta(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    """after − before per entry, 0 where both are the same (infinite) value."""
    same = (after == before) | (~np.isfinite(after) & ~np.isfinite(before))
    with np.errstate(invalid="ignore"):
        return np.where(same, 0.0, after - before)


def _highs_basis(col_status: np.ndarray, row_status: np.ndarray) -> Any:
    import highspy

    status = [highspy.HighsBasisStatus(code) for code in (LOWER, BASIC, UPPER, ZERO)]
    basis = highspy.HighsBasis()
    basis.col_status = [status[s] for s in col_status.tolist()]
    basis.row_status = [status[s] for s in row_status.tolist()]
    basis.valid = True
    return basis
