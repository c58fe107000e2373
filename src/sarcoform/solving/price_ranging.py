"""Price ranges in closed form when a price also sits in a cost bound (issue 9, item 12).

A food's price per kg p_j moves only its own column of the LP: its entry in each cost row
(slope `g`, the row's cost scale) and, when the LP minimises cost, its objective coefficient
(slope 1/1000 per g). For a fixed simplex basis, moving the price by τ is then

- food j nonbasic: the duals stay; j's reduced cost moves linearly in τ, and the basic
  columns shift linearly in τ only if j sits at a nonzero bound. At 0 (every unused food)
  nothing else moves: one division per food, done for the whole table at once
  (`reduced_cost_slopes`).
- food j basic: one column of the basis matrix B changes (a rank-one change). By
  Sherman–Morrison, with z = B⁻¹g, α = z_k (k: j's place in the basis), q = B⁻ᵀe_k and
  φ = τ/(1 + ατ): x_B(τ) = x_B − φ·x_j·z and y(τ) = y + φ·(c′ − g·y)·q. Primal and dual
  feasibility are linear in φ: a ratio test on φ, mapped back to τ = φ/(1 − αφ) on the
  branch through 0 (it ends where B becomes singular). One solve with B and one product
  with the table per basic food (`column_range`).

The result is the same interval a bisection on the basis's optimality finds
(sensitivity._interval), without its ~60 re-checks per food, each linear in the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .lp import MatrixLP

Range = tuple[float | None, float | None]
LOWER, BASIC, UPPER, ZERO = 0, 1, 2, 3  # HiGHS basis status codes (as in sensitivity)


class _Basis(Protocol):
    """What is read of a fixed simplex basis (sensitivity._Basis)."""

    basic: np.ndarray  # basic columns
    nonbasic: np.ndarray
    active: np.ndarray  # nonbasic (active) rows
    col_status: np.ndarray
    row_status: np.ndarray
    primal_tol: float
    dual_tol: float
    lp0: MatrixLP  # the LP it was read from, and its point there
    x0: np.ndarray | None

    def duals(self, lp: MatrixLP) -> np.ndarray: ...

    def violations(self, lp: MatrixLP) -> tuple[float, float, np.ndarray | None]: ...


HORIZON = 1e-3 * 2.0**39  # relative price change past which a range is open: as far as `interval` looks


@dataclass(frozen=True)
class _Linear:
    """Conditions a + φ·b ≤ tol, entrywise (a = −inf: no condition)."""

    a: np.ndarray
    b: np.ndarray
    tol: np.ndarray

    def interval(self) -> tuple[float, float]:
        """The interval of φ on which every condition holds (it holds at φ = 0)."""
        lo, hi = -math.inf, math.inf
        with np.errstate(invalid="ignore"):
            room = self.tol - self.a
            up, dn = self.b > 1e-300, self.b < -1e-300
            if up.any():
                hi = float(np.min(room[up] / self.b[up]))
            if dn.any():
                lo = float(np.max(room[dn] / self.b[dn]))
        return lo, hi

    def holds(self, phi: float, a: np.ndarray | None = None) -> bool:
        return bool(np.all((self.a if a is None else a) + phi * self.b <= self.tol))


@dataclass(frozen=True)
class ColumnMove:
    """How a basis of an LP fares as column j moves by τ: its point and duals are linear
    in φ = τ/(1 + ατ) (α = 0 when j is nonbasic), so is every optimality condition.

    `shift`, when asked for: how the primal conditions move per unit Δ by which the upper
    bound of one row moves as well (a + Δ·(c + φ·e)): the tie-break's cap on the stage-1
    objective, which follows stage 1's optimum."""

    alpha: float
    primal: _Linear
    dual: _Linear
    value_slope: float  # c·x moves by φ·value_slope
    shift: tuple[np.ndarray, np.ndarray] | None = None

    def phi(self, tau: float) -> float | None:
        """φ(τ) on the branch through 0 (None past the pole, where B is singular)."""
        denom = 1.0 + self.alpha * tau
        return None if denom <= 0 else tau / denom

    def range(self) -> Range:
        """The exact range of τ over which the basis stays optimal."""
        lo_p, hi_p = self.primal.interval()
        lo_d, hi_d = self.dual.interval()
        lo, hi, alpha = max(lo_p, lo_d), min(hi_p, hi_d), self.alpha
        # τ = φ/(1 − αφ) on the branch 1 − αφ > 0, increasing in φ.
        if alpha > 0:
            hi = min(hi, 1.0 / alpha)
        elif alpha < 0:
            lo = max(lo, 1.0 / alpha)

        def tau(phi: float) -> float | None:
            if math.isinf(phi):
                return None if alpha == 0 else -1.0 / alpha
            denom = 1.0 - alpha * phi
            return None if denom <= 0 else phi / denom

        return tau(lo), tau(hi)

    def holds(self, tau: float, shifted: float = 0.0) -> bool:
        """Is the basis optimal with the column moved by τ (and the row bound by `shifted`)?"""
        phi = self.phi(tau)
        if phi is None or not self.dual.holds(phi):
            return False
        if self.shift is None or shifted == 0.0:
            return self.primal.holds(phi)
        c, e = self.shift
        return self.primal.holds(phi, self.primal.a + shifted * (c + phi * e))


def column_move(
    basis: _Basis, lp: MatrixLP, j: int, g: np.ndarray, c_slope: float, shifted_row: int | None = None
) -> ColumnMove | None:
    """`basis` of `lp` as column j moves by τ·g (rows) and τ·c_slope (objective), and
    optionally row `shifted_row`'s upper bound by Δ. None: not a square basis, singular,
    or not optimal at τ = 0 itself (then the caller searches)."""
    if len(basis.basic) != len(basis.active):
        return None
    x = basis.x0 if lp is basis.lp0 else basis.violations(lp)[2]
    if x is None:
        return None
    active = basis.active
    m, n = len(active), lp.shape[1]
    A_act = lp.A[active]
    B = A_act[:, basis.basic]
    g_act = g[active]
    y = basis.duals(lp)
    where = np.flatnonzero(basis.basic == j)
    xj = float(x[j])
    alpha, k = 0.0, -1
    dy = np.zeros(m)
    try:
        z = np.linalg.solve(B, g_act) if where.size or (xj != 0 and g_act.any()) else np.zeros(m)
        if where.size:
            k = int(where[0])
            alpha = float(z[k])
            e_k = np.zeros(m)
            e_k[k] = 1.0
            dy = (c_slope - float(g_act @ y)) * np.linalg.solve(B.T, e_k)
        h = None
        if shifted_row is not None and shifted_row in active:
            e_o = np.zeros(m)
            e_o[int(np.flatnonzero(active == shifted_row)[0])] = 1.0
            h = np.linalg.solve(B, e_o)
    except np.linalg.LinAlgError:
        return None
    # x(φ) = x + φ·dx; j's own entries in the moved rows: τ·x_j(τ) = φ·x_j.
    dx = np.zeros(n)
    dx[basis.basic] = -xj * z
    activity = lp.A @ x
    primal = _primal(basis, lp, x, activity, dx, lp.A @ dx + xj * g)
    d = lp.c - A_act.T @ y
    dd = -(A_act.T @ dy)
    if not where.size:
        dd[j] += c_slope - float(g_act @ y)  # nonbasic j: only its own reduced cost moves
    nb = basis.nonbasic[lp.col_lo[basis.nonbasic] != lp.col_hi[basis.nonbasic]]
    status = basis.col_status[nb]
    sign = np.where(status == LOWER, -1.0, 1.0)
    free = nb[status == ZERO]
    open_rows = lp.row_lo[active] != lp.row_hi[active]
    rsign = np.where(basis.row_status[active] == LOWER, -1.0, 1.0)[open_rows]
    dual_a = np.concatenate([sign * d[nb], -d[free], rsign * y[open_rows]])
    dual_b = np.concatenate([sign * dd[nb], -dd[free], rsign * dy[open_rows]])
    dual = _Linear(dual_a, dual_b, np.full(dual_a.shape, basis.dual_tol))
    shift = None
    if shifted_row is not None:
        # Δ on the row's upper bound: an active row carries the basis with it (x_B moves by
        # Δ·B(τ)⁻¹e_o = Δ·(h − φ·h_k·z)); a basic row only gets more room.
        hx, ex = np.zeros(n), np.zeros(n)
        if h is not None:
            hx[basis.basic] = h
            if k >= 0:
                ex[basis.basic] = -float(h[k]) * z
        # j's own entries in the moved rows: τ·Δx_j(τ) = Δ·φ·h_k.
        c = _shift_terms(lp, hx, np.zeros(lp.shape[0]), shifted_row)
        e = _shift_terms(lp, ex, float(hx[j]) * g if k >= 0 else np.zeros(lp.shape[0]), None)
        shift = (c, e)
    slope = float(lp.c @ dx) + c_slope * xj  # c·x, with j's own coefficient moving too
    return ColumnMove(alpha, primal, dual, slope, shift)


def _primal(
    basis: _Basis, lp: MatrixLP, x: np.ndarray, activity: np.ndarray, dx: np.ndarray, dact: np.ndarray
) -> _Linear:
    """Bounds on columns and rows as conditions on x + φ·dx (activities a + φ·dact), in the
    order [col lo, col hi, row lo, row hi], with the basis's relative tolerances."""
    tol_x = basis.primal_tol * np.maximum(1.0, np.abs(x))
    tol_r = basis.primal_tol * np.maximum(1.0, np.abs(activity))
    with np.errstate(invalid="ignore"):
        a = np.concatenate([lp.col_lo - x, x - lp.col_hi, lp.row_lo - activity, activity - lp.row_hi])
    a = np.where(np.isnan(a), -np.inf, a)
    return _Linear(a, np.concatenate([-dx, dx, -dact, dact]), np.concatenate([tol_x, tol_x, tol_r, tol_r]))


def _shift_terms(lp: MatrixLP, dx: np.ndarray, extra: np.ndarray, row: int | None) -> np.ndarray:
    """Per unit Δ: the change of the primal conditions (see _primal) when x moves by Δ·dx
    and the activities by Δ·(A·dx + extra), and row `row`'s upper bound by Δ (if given)."""
    dact = lp.A @ dx + extra
    out = np.concatenate([-dx, dx, -dact, dact])
    if row is not None:
        out[2 * lp.shape[1] + lp.shape[0] + row] -= 1.0
    return out


def cost_slopes(lp: MatrixLP, cost_rows: dict[int, float]) -> np.ndarray:
    """g: per row of `lp`, how a food's coefficient moves per unit of its price (0 off the
    cost rows; a two-stage LP's objective row, last, carries no price)."""
    g = np.zeros(lp.shape[0])
    for r, scale in cost_rows.items():
        g[r] = scale
    return g


def reduced_cost_slopes(
    basis: _Basis, lp: MatrixLP, g: np.ndarray, c_slope: float
) -> tuple[np.ndarray, float]:
    """Every column's reduced cost d = c − Aᵀy under `basis`, and the slope of a food's
    own reduced cost per unit of its price while it is nonbasic (the same for every food:
    c′ − g·y, as g does not depend on the food)."""
    y = basis.duals(lp)
    d = lp.c - lp.A[basis.active].T @ y
    return d, float(c_slope - g[basis.active] @ y)


def interval(ok: Callable[[float], bool], p0: float) -> Range:
    """The largest interval around p0 on which ok() holds (None = open end), by doubling
    steps from 1e-3 then bisecting to 1e-7 (relative to max(1, |p0|))."""
    scale = max(1.0, abs(p0))

    def edge(direction: int) -> float | None:
        good, jump = 0.0, 1e-3 * scale
        bad = None
        for _ in range(40):
            if not ok(p0 + direction * jump):
                bad = jump
                break
            good, jump = jump, jump * 2
        if bad is None:
            return None
        while bad - good > 1e-7 * scale:
            mid = (good + bad) / 2
            if not good < mid < bad:
                break  # beyond ~5e8 the float spacing exceeds the tolerance: bisection cannot close
            if ok(p0 + direction * mid):
                good = mid
            else:
                bad = mid
        return p0 + direction * good

    return edge(-1), edge(+1)


@dataclass(frozen=True)
class Stage:
    """One LP of the answer with its optimal basis; `c_slope`: how a food's objective
    coefficient moves per unit of its price (1/1000 per g when the LP minimises cost)."""

    lp: MatrixLP
    basis: _Basis
    c_slope: float


def _price_free(stage: Stage, g: np.ndarray, prices: np.ndarray) -> bool:
    """Do the stage's duals leave every price out (no weight on any cost row, or a weight
    that moves no reduced cost past the tolerance even if a price doubled)?"""
    _, slope = reduced_cost_slopes(stage.basis, stage.lp, g, stage.c_slope)
    known = np.abs(prices[np.isfinite(prices)])
    return abs(slope) * max(1.0, float(known.max(initial=0.0))) <= stage.basis.dual_tol


def _moves(move: ColumnMove) -> bool:
    """Does the LP's optimum c·x move with the column (beyond rounding)?"""
    return abs(move.value_slope) > 1e-12


class PricedStages:
    """The stages of an answer whose prices also sit in cost rows (`cost_rows`: row → the
    row's coefficient per unit of a food's price per kg). Stage 2, when there is one, is
    the least-cost tie-break: its last row caps the stage-1 objective at its optimum."""

    def __init__(self, stages: list[Stage], cost_rows: dict[int, float], prices: np.ndarray) -> None:
        self.stages = stages
        self.slopes = [cost_slopes(s.lp, cost_rows) for s in stages]
        self.first_price_free = len(stages) == 2 and _price_free(stages[0], self.slopes[0], prices)
        if self.first_price_free:
            # Stage 1's duals put no weight on a cost row, so they prove its optimum at any
            # prices: its reduced costs and bound terms hold no price. Stage 2's basis, while
            # feasible, reaches that optimum: the answer's prices are stage 2's alone, with
            # its cap fixed. (Stage 1's own basis, one vertex of what may be a whole optimal
            # face, would end the ranges where it stops being optimal, far too early.)
            self.stages, self.slopes = stages[1:], self.slopes[1:]

    def nonbasic_at_zero(self, j: int) -> bool:
        return all(s.basis.col_status[j] == LOWER and s.lp.col_lo[j] == 0 for s in self.stages)

    def entry_prices(self, prices: np.ndarray) -> np.ndarray:
        """For foods nonbasic at 0 in every stage: the price below which each would enter,
        where its reduced cost reaches 0 (its price moves neither the blend nor the duals,
        only its own reduced cost, linearly); the highest root over the stages. NaN: none
        (a lower price never makes it cheaper to use). All foods at once."""
        n = len(prices)
        entry = np.full(n, -np.inf)
        for s, g in zip(self.stages, self.slopes, strict=True):
            d, slope = reduced_cost_slopes(s.basis, s.lp, g, s.c_slope)
            if slope <= 1e-15:
                continue
            entry = np.maximum(entry, prices - d[:n] / slope)
        reach = HORIZON * np.maximum(1.0, np.abs(prices))
        return np.where(np.isfinite(entry) & (entry >= prices - reach), entry, np.nan)

    def price_range(self, j: int, p0: float) -> Range | None:
        """The range of τ (price change per kg) over which every stage's basis stays
        optimal; None when a stage's basis is not square or not optimal (the caller
        searches). In closed form, unless stage 1's optimum moves with the price: then
        the stage-2 cap follows it (both rational in τ, with different poles) and the
        conditions, each evaluated in O(table), are bisected like the old re-checks."""
        last = len(self.stages) - 1
        moves = []
        for i, (s, g) in enumerate(zip(self.stages, self.slopes, strict=True)):
            shifted = s.lp.shape[0] - 1 if i == 1 else None
            move = column_move(s.basis, s.lp, j, g, s.c_slope, shifted)
            if move is None:
                return None
            moves.append(move)
        if last == 0 or moves[0].value_slope == 0.0 or not _moves(moves[0]):
            lo, hi = -math.inf, math.inf
            for move in moves:
                a, b = move.range()
                lo = max(lo, -math.inf if a is None else a)
                hi = min(hi, math.inf if b is None else b)
        else:
            first, second = moves

            def ok(p: float) -> bool:
                tau = p - p0
                phi = first.phi(tau)
                return phi is not None and first.holds(tau) and second.holds(tau, phi * first.value_slope)

            found = interval(ok, p0)
            lo = -math.inf if found[0] is None else found[0] - p0
            hi = math.inf if found[1] is None else found[1] - p0
        reach = HORIZON * max(1.0, abs(p0))
        return (None if lo < -reach else lo, None if hi > reach else hi)


class Rebasis(Protocol):
    """A stage's LP as a HiGHS model to re-solve with one food's price moved: `at(j, p)`
    sets it (cost and cost rows), re-solves from the current basis and returns the new
    optimal basis if the blend is unchanged (None otherwise); `reset()` restores it."""

    def at(self, j: int, price: float) -> tuple[MatrixLP, _Basis] | None: ...

    def reset(self, j: int) -> None: ...


def widened(
    priced: PricedStages, rebasis: Rebasis, j: int, p0: float, edge: float | None, direction: int
) -> float | None:
    """Extend a price range's edge while the blend stays optimal (one stage left: the
    least-cost LP). A degenerate optimum has several bases and the blend may outlive
    the first one's range: step just past the edge (0.001 per kg), re-solve from the
    basis (hot start) and, while the blend is unchanged, continue with the next basis's
    range. The prices at which one blend is optimal form an interval, so every price up
    to the returned edge keeps it."""
    if edge is None or len(priced.stages) != 1:
        return edge
    stage, g = priced.stages[0], priced.slopes[0]
    try:
        for _ in range(6):
            step = edge + direction * 1e-3
            found = rebasis.at(j, step)
            if found is None:
                return edge
            lp, basis = found
            move = column_move(basis, lp, j, g, stage.c_slope)
            if move is None:
                return edge
            further = move.range()[1 if direction > 0 else 0]
            if further is None or abs(further) > HORIZON * max(1.0, abs(p0)):
                return None
            if further * direction <= 0:
                return edge
            edge = step + further
        return edge
    finally:
        rebasis.reset(j)
