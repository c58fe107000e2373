"""Sensitivity with meaning: over which range a shadow price holds, over which price
range the blend stays optimal, and at which price an unused ingredient would enter.

Everything is read off one optimal simplex basis of the compiled LP, found by HiGHS
whatever solver produced the answer (its blend must be the reported one); when HiGHS
produced it, its basis comes with the solution and is re-read, not solved again:

- bounds written as one linear row, and ingredient g-bounds (column bounds): HiGHS
  ranging (`getRanging`), exact;
- a two-stage answer (max/min a nutrient, then least cost): its shadow prices are the
  first optimum's, whose basis may be any vertex of a face of optima; bounds that move a
  row or column bound take the range where the first optimum follows its shadow price
  (stage_ranges: two LPs each), and bounds in coefficients that stage 1 prices at 0
  take the tie-break's basis, which holds the blend;
- prices, when they only appear in the objective (min_cost, or the least-cost
  tie-break of a max/min objective): HiGHS cost ranging, exact;
- bounds that sit in coefficients (ratios, per 100 g/kcal, %: the row is
  num·x − b·den·x ⋛ …): parametric — the bound is moved and the same basis is
  re-checked for primal and dual feasibility, in closed form (moved_row) or by
  bisection. For such bounds the shadow price varies smoothly inside the range (the
  same constraints stay binding), while for linear bounds it is constant there;
- prices that also appear in a cost bound: parametric in the food's own column, in
  closed form from each stage's basis (price_ranging): one division per unused food,
  a rank-one update per used one. A first stage whose duals hold no price (max leucine
  at its own cap, the budget slack) proves its optimum at any prices and drops out.

All of it is in the user's units: bound ranges in the bound's units, prices per kg.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from ..model.result import BlendLine, ConstraintLine, UnusedLine
from ..model.trusted import trusted, updated
from .backends import highs_optimum, highs_status
from .compile import Compiled, cost_row_scale
from .cost_edges import blend_ends_at
from .elements import with_bound
from .lp import BASIC, LOWER, UPPER, ZERO, LPSolution, MatrixLP
from .price_ranging import PricedStages, Stage, interval, widened
from .stage_ranges import two_stage_bound_ranges

Range = tuple[float | None, float | None]
MATCH = 1e-5  # relative difference in grams below which two blends are the same blend
SAME = 1e-8  # the same, between two HiGHS solutions (no CBC rounding)


@dataclass
class Sensitivity:
    bound_ranges: dict[int, Range] = field(default_factory=dict)  # bound index → range
    price_ranges: dict[int, Range] = field(default_factory=dict)  # food → per-kg range
    entry: dict[int, float | None] = field(default_factory=dict)  # unused food → per-kg price
    notes: list[str] = field(default_factory=list)


def attach(
    compiled: Compiled,
    first: LPSolution,
    final: LPSolution,
    x: np.ndarray,
    constraint_lines: list[ConstraintLine],
    blend_lines: list[BlendLine],
    tie_break: MatrixLP | None,
    wanted: bool = True,
) -> tuple[list[ConstraintLine], list[BlendLine], list[UnusedLine], list[str]]:
    """The result's lines with ranges filled in, the unused list, and notes."""
    sens = None
    if wanted and not compiled.lp.is_mip and first.status == "optimal" and final.status == "optimal":
        prices = [line.shadow_price for line in constraint_lines]
        sens = analyse(compiled, x, prices, tie_break, (first.basis, final.basis), (first.highs, final.highs))
    if sens is None:
        return constraint_lines, blend_lines, _unused(compiled, x, first, None), []
    # Lines without a range stay as they are (no range is their default).
    lines = [
        updated(line, shadow_price_range=sens.bound_ranges[k]) if k in sens.bound_ranges else line
        for k, line in enumerate(constraint_lines)
    ]
    position = {food_id: j for j, food_id in enumerate(compiled.foods.ids)}
    blend = [
        updated(line, price_range=_open_below_zero(sens.price_ranges[position[line.id]]))
        if position[line.id] in sens.price_ranges
        else line
        for line in blend_lines
    ]
    return lines, blend, _unused(compiled, x, first, sens), sens.notes


def analyse(
    compiled: Compiled,
    x: np.ndarray,
    shadow_prices: Sequence[float | None],
    tie_break: MatrixLP | None,
    bases: tuple[Any, Any] = (None, None),
    solved: tuple[Any, Any] = (None, None),
) -> Sensitivity | None:
    """Ranges for the reported optimum `x` (foods only); None if no basis reproduces it.

    `bases`: HiGHS's optimal bases of the LP and of the tie-break LP, when known;
    `solved`: the solved highspy.Highs objects themselves, read without solving again.
    """
    out = Sensitivity()
    stage1 = SolvedBasis.of(compiled.lp, bases[0], solved[0])
    if stage1 is None:
        return None
    # A two-stage answer: ranges of its first optimum, whichever vertex stage 1 returned
    # (stage_ranges); bounds in coefficients that stage 1 does not price: the tie-break's.
    given: dict[int, Range] = {}
    stage2 = None
    if tie_break is not None:
        given = two_stage_bound_ranges(compiled, tie_break, solved[1], x, shadow_prices)
        stage2 = SolvedBasis.of(tie_break, bases[1], solved[1])
    _bound_ranges(compiled, stage1, x, shadow_prices, out, given, stage2)
    _price_ranges(compiled, stage1, x, tie_break, bases[1], out, solved[1], stage2)
    return out


# -- a solved LP and its basis ----------------------------------------------------------------


@dataclass
class SolvedBasis:
    lp: MatrixLP
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    col_status: np.ndarray
    row_status: np.ndarray
    ranging: Any
    highs: Any

    @classmethod
    def of(cls, lp: MatrixLP, basis: Any = None, solved: Any = None) -> SolvedBasis | None:
        """`lp` solved by HiGHS (from `basis`, an optimal one: then no iterations), or
        `solved`: the Highs object that solved `lp` already, read as it is."""
        import highspy

        solution = None
        if solved is not None and highs_status(solved) == "optimal":
            h = solved
            solution = h.getSolution()  # read once: each read copies every vector
            x = np.array(solution.col_value)
        else:
            best = highs_optimum(lp, basis=basis)
            if best.x is None:
                return None
            h, x = best.highs, best.x
        if solution is None:
            solution = h.getSolution()
        basis = h.getBasis()
        status, ranging = h.getRanging()
        if status != highspy.HighsStatus.kOk or not basis.valid:
            return None
        return cls(
            lp,
            x,
            np.array(solution.row_dual),
            np.array(solution.col_dual),
            np.asarray(basis.col_status, dtype=int),
            np.asarray(basis.row_status, dtype=int),
            ranging,
            h,
        )

    @cached_property
    def nondegenerate(self) -> bool:
        """Is every basic column and row clear of its bounds? Then this basis is the only one
        of its blend, and a range edge of the basis is an edge of the blend."""
        scale = max(1.0, float(np.abs(self.x).max(initial=0)))
        margin = 1e-7 * scale
        basic = self.col_status == BASIC
        lp = self.lp
        x = self.x[basic]
        if np.any(x - lp.col_lo[basic] <= margin) or np.any(lp.col_hi[basic] - x <= margin):
            return False
        rows = self.row_status == BASIC
        activity = lp.A[rows] @ self.x
        room = np.maximum(1.0, np.abs(activity)) * 1e-7
        return not (np.any(activity - lp.row_lo[rows] <= room) or np.any(lp.row_hi[rows] - activity <= room))

    def same_blend(self, x: np.ndarray) -> bool:
        n = len(x)
        return bool(np.all(np.abs(self.x[:n] - x) <= MATCH * max(1.0, float(np.abs(x).max(initial=0)))))

    def probe(self) -> _Basis:
        """This basis as a _Basis, made once (bound ranges and price ranges both ask)."""
        made = self.__dict__.get("_probe")
        if made is None:
            made = self.__dict__["_probe"] = _Basis(self.lp, self.col_status, self.row_status)
        return made

    def range_of(self, name: str, index: int) -> Range:
        """HiGHS ranging `name` ∈ {col_cost, col_bound, row_bound} as (down, up) values."""
        dn, up = self._ranging(name)
        return _finite(float(dn[index])), _finite(float(up[index]))

    def _ranging(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One ranging's (down, up) values as arrays, read from HiGHS once (each `.value_`
        read copies the whole vector)."""
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = self.__dict__.setdefault("_ranges", {})
        if name not in cache:
            cache[name] = (
                np.asarray(getattr(self.ranging, f"{name}_dn").value_, dtype=float),
                np.asarray(getattr(self.ranging, f"{name}_up").value_, dtype=float),
            )
        return cache[name]


class _Basis:
    """A fixed simplex basis, re-checked for optimality on perturbed copies of its LP.

    With the nonbasic columns at their bounds and the nonbasic (active) rows at
    theirs, the basic columns solve a square system; the basis is optimal when that
    point is within all bounds and its duals have the right signs (minimisation).
    """

    def __init__(self, lp: MatrixLP, col_status: np.ndarray, row_status: np.ndarray) -> None:
        self.basic = np.flatnonzero(col_status == BASIC)
        self.nonbasic = np.flatnonzero(col_status != BASIC)
        self.active = np.flatnonzero(row_status != BASIC)
        self.col_status = col_status
        self.row_status = row_status
        self.primal_tol = self.dual_tol = 0.0
        p, d, self.x0 = self.violations(lp)
        self.lp0 = lp
        # The basis HiGHS returns meets its own tolerances (1e-7): allow what it has.
        self.primal_tol = 1e-9 + 10 * p
        self.dual_tol = 1e-12 + 1e-9 * float(np.abs(lp.c).max(initial=0)) + 10 * d

    def optimal(self, lp: MatrixLP) -> bool:
        return self.point(lp) is not None

    def point(self, lp: MatrixLP) -> np.ndarray | None:
        """The basis's solution of `lp` if the basis is optimal there, else None."""
        p, d, x = self.violations(lp)
        return x if p <= self.primal_tol and d <= self.dual_tol else None

    def duals(self, lp: MatrixLP) -> np.ndarray:
        """y = B⁻ᵀ c_B of the active rows, for this basis on `lp` (kept per LP: entry
        prices ask once per unused food)."""
        known = self.__dict__.get("_duals")
        if known is not None and known[0] is lp:
            return known[1]  # type: ignore[no-any-return]
        B = lp.A[np.ix_(self.active, self.basic)]
        y = np.linalg.solve(B.T, lp.c[self.basic])
        self.__dict__["_duals"] = (lp, y)
        return y

    def moved_row(self, lp: MatrixLP, row: int, den: np.ndarray, den0: float, t0: float) -> Range | None:
        """Where this basis stays optimal as t moves in row `row` = num·x − t·den·x ⋛ t·den0 − num0
        (now at t0): exact, from the basis (None when the row is basic or the basis singular).

        Moving t by τ changes one row of B by −τ·den_B (a rank-one change), so by
        Sherman–Morrison x_B(τ) = x_B + D·z·φ and y(τ) = y + y_r·q·φ, with φ = τ/(1 − ατ),
        z = B⁻¹e_r, q = B⁻ᵀden_B, α = den_B·z and D = den·x + den0 (the denominator at the
        optimum). Primal and dual feasibility are linear in φ: a ratio test on φ, mapped back
        to τ (φ is increasing in τ on the branch through 0, which ends where B is singular).
        """
        where = np.flatnonzero(self.active == row)
        if where.size != 1 or len(self.basic) != len(self.active):
            return None
        i = int(where[0])
        at = self._at_point(lp)
        if at is None:
            return None
        x, A_act, B = at.x, at.A_act, at.B
        e = np.zeros(len(self.active))
        e[i] = 1.0
        den_full = np.zeros(lp.shape[1])
        den_full[: len(den)] = den
        g = den_full[self.basic]
        try:
            z = np.linalg.solve(B, e)
            q = np.linalg.solve(B.T, g)
            y = self.duals(lp)  # B⁻ᵀc_B, kept per LP: every moved row of this basis shares it
        except np.linalg.LinAlgError:
            return None
        alpha = float(g @ z)
        D = float(den_full @ x) + den0
        # x(φ) = x + φ·dx; activities of the other rows a + φ·da; reduced costs d + φ·dd; y + φ·dy.
        dx = np.zeros(lp.shape[1])
        dx[self.basic] = D * z
        dact = lp.A @ dx
        dd = y[i] * (den_full - A_act.T @ q)
        dy = y[i] * q
        lo_phi, hi_phi = -math.inf, math.inf

        def keep(a: np.ndarray, b: np.ndarray, tol: np.ndarray | float) -> None:
            """a + φ·b ≤ tol for every entry."""
            nonlocal lo_phi, hi_phi
            up = b > 1e-300
            dn = b < -1e-300
            if up.any():
                top = tol[up] if isinstance(tol, np.ndarray) else tol
                hi_phi = min(hi_phi, float(np.min((top - a[up]) / b[up])))
            if dn.any():
                top = tol[dn] if isinstance(tol, np.ndarray) else tol
                lo_phi = max(lo_phi, float(np.max((top - a[dn]) / b[dn])))

        keep(at.below_lo, -dx, at.tol_lo)
        keep(at.above_hi, dx, at.tol_hi)
        others = np.ones(lp.shape[0], dtype=bool)
        others[row] = False
        lo_ok = others & at.finite_lo
        hi_ok = others & at.finite_hi
        keep(at.row_below[lo_ok], -dact[lo_ok], at.tol_r[lo_ok])
        keep(at.row_above[hi_ok], dact[hi_ok], at.tol_r[hi_ok])
        keep(at.signed_d, at.sign * dd[at.nb], self.dual_tol)
        keep(at.free_d, -dd[at.free], self.dual_tol)
        keep(at.signed_y, at.rsign * dy[at.open_rows], self.dual_tol)
        if lo_phi > 0 or hi_phi < 0:
            return None  # not optimal at t0 itself: leave it to the search
        # τ = φ / (1 + αφ) on the branch 1 + αφ > 0, increasing in φ.
        if alpha > 0:
            lo_phi = max(lo_phi, -1.0 / alpha)
        elif alpha < 0:
            hi_phi = min(hi_phi, -1.0 / alpha)

        def tau(phi: float) -> float | None:
            if math.isinf(phi):
                return None if alpha == 0 else 1.0 / alpha
            denom = 1.0 + alpha * phi
            return None if denom <= 0 else phi / denom

        lo_t, hi_t = tau(lo_phi), tau(hi_phi)
        return (
            None if lo_t is None else t0 + lo_t,
            None if hi_t is None else t0 + hi_t,
        )

    def _at_point(self, lp: MatrixLP) -> _AtPoint | None:
        """What every moved row of this basis on `lp` shares (kept per LP, as `duals`)."""
        known = self.__dict__.get("_point_memo")
        if known is not None and known[0] is lp:
            return known[1]  # type: ignore[no-any-return]
        x = self.x0 if lp is self.lp0 else self.violations(lp)[2]
        at = None if x is None else _AtPoint.of(self, lp, x)
        self.__dict__["_point_memo"] = (lp, at)
        return at

    def basic_column_bound(self, j: int, side: str) -> Range | None:
        """Where this basis stays optimal as one side of basic column j's bounds moves (a
        degenerate optimum: basic, yet at that bound). Its point and duals do not depend on
        that bound, so only x_j ≤ t (side max) or x_j ≥ t (min) can fail: exact, no search."""
        if self.x0 is None:
            return None
        xj = float(self.x0[j])
        give = self.primal_tol * max(1.0, abs(xj))
        return (xj - give, None) if side == "max" else (None, xj + give)

    def violations(self, lp: MatrixLP) -> tuple[float, float, np.ndarray | None]:
        """(worst primal, worst dual) infeasibility of the basis on `lp`, and its point."""
        if len(self.basic) != len(self.active):
            return math.inf, math.inf, None
        x = np.where(self.col_status == UPPER, lp.col_hi, np.where(self.col_status == ZERO, 0.0, lp.col_lo))
        x = np.where(self.col_status == BASIC, 0.0, x)
        w = np.where(self.row_status[self.active] == UPPER, lp.row_hi[self.active], lp.row_lo[self.active])
        B = lp.A[np.ix_(self.active, self.basic)]
        try:
            x[self.basic] = np.linalg.solve(B, w - lp.A[self.active] @ x)
            y = np.linalg.solve(B.T, lp.c[self.basic])
        except np.linalg.LinAlgError:
            return math.inf, math.inf, None
        activity = lp.A @ x
        scale_c = np.maximum(1.0, np.abs(x))
        primal = max(
            float(np.max((lp.col_lo - x) / scale_c, initial=0)),
            float(np.max((x - lp.col_hi) / scale_c, initial=0)),
            float(np.max((lp.row_lo - activity) / np.maximum(1.0, np.abs(activity)), initial=0)),
            float(np.max((activity - lp.row_hi) / np.maximum(1.0, np.abs(activity)), initial=0)),
        )
        # Reduced costs ≥ 0 at a lower bound, ≤ 0 at an upper one (row duals alike);
        # fixed columns and equality rows may have either sign.
        nb = self.nonbasic
        d = (lp.c - lp.A[self.active].T @ y)[nb]
        status = self.col_status[nb]
        wrong = np.where(status == LOWER, -d, np.where(status == UPPER, d, np.abs(d)))
        wrong = wrong[lp.col_lo[nb] != lp.col_hi[nb]]
        rows = self.active
        wrong_rows = np.where(self.row_status[rows] == LOWER, -y, y)[lp.row_lo[rows] != lp.row_hi[rows]]
        dual = max(float(np.max(wrong, initial=0)), float(np.max(wrong_rows, initial=0)))
        return primal, dual, x


@dataclass(frozen=True, eq=False)
class _AtPoint:
    """A basis's point on an LP and what moved_row's ratio tests read there, whichever row
    moves: the bounds' gaps and tolerances, the reduced costs and duals that must keep
    their signs (a solve moves several rows of one basis)."""

    x: np.ndarray
    A_act: np.ndarray
    B: np.ndarray
    below_lo: np.ndarray  # col_lo − x
    above_hi: np.ndarray  # x − col_hi
    tol_lo: np.ndarray
    tol_hi: np.ndarray
    row_below: np.ndarray  # row_lo − activity
    row_above: np.ndarray  # activity − row_hi
    tol_r: np.ndarray
    finite_lo: np.ndarray
    finite_hi: np.ndarray
    nb: np.ndarray  # nonbasic columns that may move
    sign: np.ndarray
    signed_d: np.ndarray
    free: np.ndarray
    free_d: np.ndarray
    open_rows: np.ndarray
    rsign: np.ndarray
    signed_y: np.ndarray

    @classmethod
    def of(cls, basis: _Basis, lp: MatrixLP, x: np.ndarray) -> _AtPoint | None:
        A_act = lp.A[basis.active]
        B = A_act[:, basis.basic]
        try:
            y = basis.duals(lp)
        except np.linalg.LinAlgError:
            return None
        activity = lp.A @ x
        d = lp.c - A_act.T @ y
        tol_x = basis.primal_tol * np.maximum(1.0, np.abs(x))
        nb = basis.nonbasic[lp.col_lo[basis.nonbasic] != lp.col_hi[basis.nonbasic]]
        status = basis.col_status[nb]
        sign = np.where(status == LOWER, -1.0, 1.0)
        free = nb[status == ZERO]
        rows = basis.active
        open_rows = lp.row_lo[rows] != lp.row_hi[rows]
        rsign = np.where(basis.row_status[rows] == LOWER, -1.0, 1.0)[open_rows]
        return cls(
            x,
            A_act,
            B,
            lp.col_lo - x,
            x - lp.col_hi,
            np.where(np.isfinite(lp.col_lo), tol_x, np.inf),
            np.where(np.isfinite(lp.col_hi), tol_x, np.inf),
            lp.row_lo - activity,
            activity - lp.row_hi,
            basis.primal_tol * np.maximum(1.0, np.abs(activity)),
            np.isfinite(lp.row_lo),
            np.isfinite(lp.row_hi),
            nb,
            sign,
            sign * d[nb],
            free,
            -d[free],
            open_rows,
            rsign,
            rsign * y[open_rows],
        )


# -- shadow-price ranges ------------------------------------------------------------------------


def _bound_ranges(
    compiled: Compiled,
    solved: SolvedBasis,
    x: np.ndarray,
    shadow_prices: Sequence[float | None],
    out: Sensitivity,
    given: dict[int, Range],
    stage2: SolvedBasis | None = None,
) -> None:
    probe: _Basis | None = None
    for k, b in enumerate(compiled.bounds):
        side = b.active_side(b.value(x))
        if side is None:
            continue
        if k in given:
            out.bound_ranges[k] = _clip(b, side, given[k])
            continue
        if not _same_price(compiled, solved, k, x, shadow_prices[k], side):
            out.notes.append(f"{b.name}: shadow price range not computed (degenerate: several valid prices)")
            continue
        rows = [r for r in compiled.rows_of_bound.get(k, []) if compiled.row_of[r][1] in (side, "both")]
        exact: Range | None = None
        if b.column is not None and compiled.pinned_by_other_side(k, float(solved.col_dual[b.column]), side):
            # Held by its column's other bound (a cap of 0 g on x ≥ 0): moving this side
            # away changes nothing, past the other side is infeasible. Price 0 throughout.
            exact = (b.max, None) if side == "max" else (None, b.min)
        elif b.column is not None and solved.col_status[b.column] != BASIC:
            exact = solved.range_of("col_bound", b.column)
        elif b.column is not None and b.min != b.max and owns(compiled, k, b.column, side):
            probe = probe or solved.probe()
            exact = probe.basic_column_bound(b.column, side)
        elif b.den is None and b.column is None and rows and solved.row_status[rows[0]] != BASIC:
            lo, hi = solved.range_of("row_bound", rows[0])
            exact = (None if lo is None else lo + b.num0, None if hi is None else hi + b.num0)
        if exact is None:
            # Stage 1's dual holds no weight on this row (price 0): it proves the first
            # optimum whatever the row's coefficients, and the blend is the tie-break's.
            on = solved
            if stage2 is not None and b.den is not None and shadow_prices[k] == 0 and stage2.same_blend(x):
                on = stage2
            probe = on.probe()
            bound = b.min if side == "min" else b.max
            assert bound is not None
            # A bound in coefficients (num·x − t·den·x ⋛ t·den0 − num0): exact from the
            # basis when its row is the only one that moves; else bisect on the basis.
            if len(rows) == 1 and b.den is not None and b.min != b.max:
                exact = probe.moved_row(on.lp, rows[0], b.den, b.den0, bound)
            if exact is None:
                exact = interval(_moved_bound(compiled, on.lp, probe, k, side), bound)
        out.bound_ranges[k] = _clip(b, side, exact)


def owns(compiled: Compiled, k: int, j: int, side: str) -> bool:
    """Is this side of food j's column bounds bound k's (so moving k moves it)?"""
    return (compiled.col_lo_owner if side == "min" else compiled.col_hi_owner).get(j) == k


def _moved_bound(
    compiled: Compiled, lp: MatrixLP, basis: _Basis, k: int, side: str
) -> Callable[[float], bool]:
    """Is the basis still optimal with this side of bound k at t?"""
    return lambda t: basis.optimal(with_bound(compiled, lp, k, side, t))


def _same_price(
    compiled: Compiled, solved: SolvedBasis, k: int, x: np.ndarray, reported: float | None, side: str
) -> bool:
    """Does HiGHS's basis give the reported shadow price? (Degenerate LPs have several.)"""
    if reported is None:
        return False
    mine = compiled.shadow_price(k, x, solved.row_dual, solved.col_dual, side)
    return abs(mine - reported) <= 1e-6 * max(1.0, abs(reported)) + 1e-9


def _clip(b: Any, side: str, r: Range) -> Range:
    """A moved bound cannot pass the bound's other side (nor an amount of ingredients go
    below 0, in g or %)."""
    lo, hi = r
    if b.min is not None and b.min == b.max:
        return lo, hi
    if side == "min" and b.max is not None:
        hi = b.max if hi is None else min(hi, b.max)
    if side == "max" and b.min is not None:
        lo = b.min if lo is None else max(lo, b.min)
    if b.column is not None or b.kind in ("ingredient", "group"):
        lo = 0.0 if lo is None else max(lo, 0.0)
    return lo, hi


# -- price ranges and entry prices ----------------------------------------------------------


def _price_ranges(
    compiled: Compiled,
    stage1: SolvedBasis,
    x: np.ndarray,
    tie_break: MatrixLP | None,
    tie_basis: Any,
    out: Sensitivity,
    tie_highs: Any = None,
    tie_solved: SolvedBasis | None = None,
) -> None:
    n = len(compiled.foods)
    if compiled.brief.objective_kind == "min_cost":
        costed = stage1
    elif tie_break is not None:
        solved = tie_solved or SolvedBasis.of(tie_break, tie_basis, tie_highs)
        if solved is None:
            out.notes.append("price ranges not computed: the least-cost tie-break did not solve again")
            return
        costed = solved
    else:
        # No price enters the answer (no tie-break by cost): any price keeps the blend.
        for j in range(n):
            out.price_ranges[j] = (None, None)
        return
    if not costed.same_blend(x):
        out.notes.append("price ranges not computed: the LP has other optimal blends (HiGHS found another)")
        return
    cost_rows = [r for r, (k, _s) in enumerate(compiled.row_of) if compiled.bounds[k].kind == "cost"]
    prices = compiled.foods.price_per_kg
    used = x > 0
    if not cost_rows:
        stall = may_stall(costed)
        held = held_at_zero(costed.lp)
        for j in range(n):
            if held[j] and not used[j]:
                out.entry[j] = None  # a forcing row keeps it at 0 whatever its price
                continue
            lo, hi = costed.range_of("col_cost", j)
            # Unused foods are many (a re-solve each was quadratic): widen only where it can help.
            if used[j] or stall[j] or costed.col_status[j] == BASIC:
                lo = _widened(costed, j, lo, -1)
            if used[j]:
                hi = _widened(costed, j, hi, +1)
                out.price_ranges[j] = (None if lo is None else 1000 * lo, None if hi is None else 1000 * hi)
            else:
                out.entry[j] = None if lo is None else 1000 * lo
        return
    # A price also sits in a cost bound: move it and re-check the basis of each stage.
    # The tie-break's row "stage-1 objective ≤ optimum + give" follows the stage-1
    # optimum, which now moves with the price too.
    basis1 = stage1.probe()
    stage2 = None if costed is stage1 else costed
    basis2 = None if stage2 is None else stage2.probe()
    v1 = float(stage1.lp.c @ stage1.x)
    priced = _priced_stages(compiled, stage1, basis1, stage2, basis2)
    entry = priced.entry_prices(prices)
    held = held_at_zero(stage1.lp)
    rebasis: _Rebasis | None = None
    for j in range(n):
        p0 = float(prices[j])
        if math.isnan(p0) or compiled.lp.col_hi[j] <= 0:
            continue
        if held[j] and not used[j]:
            out.entry[j] = None  # a forcing row keeps it at 0 whatever its price
            continue
        if not used[j] and priced.nonbasic_at_zero(j):
            out.entry[j] = None if math.isnan(entry[j]) else float(entry[j])
            continue
        moved = priced.price_range(j, p0)  # closed form from the bases (price_ranging)
        if moved is not None:
            found: Range = (
                None if moved[0] is None else p0 + moved[0],
                None if moved[1] is None else p0 + moved[1],
            )
        else:  # search: stage 1's optimum moves with the price, or a basis is not optimal

            def ok(p: float, j: int = j) -> bool:
                if priced.first_price_free and stage2 is not None and basis2 is not None:
                    return basis2.optimal(_priced(compiled, stage2.lp, j, p, stage1=False))
                lp1 = _priced(compiled, stage1.lp, j, p, stage1=True)
                x1 = basis1.point(lp1)
                if x1 is None or stage2 is None or basis2 is None:
                    return x1 is not None
                lp2 = _priced(compiled, stage2.lp, j, p, stage1=False)
                lp2.row_hi[-1] = stage2.lp.row_hi[-1] + float(lp1.c @ x1) - v1
                return basis2.optimal(lp2)

            found = interval(ok, p0)
        if used[j] and not costed.nondegenerate:
            rebasis = rebasis or _Rebasis(compiled, costed, x)
            found = (
                widened(priced, rebasis, j, p0, found[0], -1),
                widened(priced, rebasis, j, p0, found[1], +1),
            )
        if used[j]:
            out.price_ranges[j] = found
        else:  # basic at 0 somewhere (degenerate)
            out.entry[j] = found[0]


class _Rebasis:
    """The least-cost stage re-solved by HiGHS with one food's price moved (see
    price_ranging.widened): the new basis, if the blend is still the reported one."""

    def __init__(self, compiled: Compiled, solved: SolvedBasis, x: np.ndarray) -> None:
        self.compiled, self.solved, self.x = compiled, solved, x
        self.basis = solved.highs.getBasis()
        self.rows = [r for r, (k, _s) in enumerate(compiled.row_of) if compiled.bounds[k].kind == "cost"]

    def at(self, j: int, price: float) -> tuple[MatrixLP, _Basis] | None:
        h = self.solved.highs
        lp = _priced(self.compiled, self.solved.lp, j, price, stage1=False)
        h.changeColCost(j, float(lp.c[j]))
        for r in self.rows:
            h.changeCoeff(r, j, float(lp.A[r, j]))
        h.run()
        # The same blend within MATCH: the tie-break's give lets it move a hair.
        if highs_status(h) != "optimal" or not self.solved.same_blend(
            np.array(h.getSolution().col_value)[: len(self.x)]
        ):
            return None
        basis = h.getBasis()
        col = np.asarray(basis.col_status, dtype=int)
        row = np.asarray(basis.row_status, dtype=int)
        return lp, _Basis(lp, col, row)

    def reset(self, j: int) -> None:
        h, lp = self.solved.highs, self.solved.lp
        h.changeColCost(j, float(lp.c[j]))
        for r in self.rows:
            h.changeCoeff(r, j, float(lp.A[r, j]))
        h.setBasis(self.basis)


def _priced_stages(
    compiled: Compiled, stage1: SolvedBasis, basis1: _Basis, stage2: SolvedBasis | None, basis2: _Basis | None
) -> PricedStages:
    spd = compiled.brief.serving.servings_per_day
    cost_rows = {
        r: cost_row_scale(compiled.bounds[k].basis or "serving", spd)
        for r, (k, _side) in enumerate(compiled.row_of)
        if compiled.bounds[k].kind == "cost"
    }
    first = Stage(stage1.lp, basis1, 1e-3 if compiled.brief.objective_kind == "min_cost" else 0.0)
    second = [] if stage2 is None or basis2 is None else [Stage(stage2.lp, basis2, 1e-3)]
    return PricedStages([first, *second], cost_rows, np.asarray(compiled.foods.price_per_kg, dtype=float))


def held_at_zero(lp: MatrixLP) -> np.ndarray:
    """Columns that a forcing row holds at 0 whatever the prices: a row whose least possible
    activity over the column bounds already equals its upper bound (e.g. "plant proteins
    ≤ 0 g" over foods ≥ 0), for each column with a positive coefficient and lower bound 0
    (and alike for a lower bound). Such a food never enters: no widening is needed."""
    A, lo, hi = lp.A, lp.col_lo, lp.col_hi
    with np.errstate(all="ignore"):  # 0·inf and inf sums: an unbounded side forces nothing
        low = np.where(A > 0, A * lo, np.where(A < 0, A * hi, 0.0))
        high = np.where(A > 0, A * hi, np.where(A < 0, A * lo, 0.0))
        least, most = np.nan_to_num(low, nan=0.0).sum(axis=1), np.nan_to_num(high, nan=0.0).sum(axis=1)
        row_hi, row_lo = lp.row_hi, lp.row_lo
        tol_hi = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(row_hi, posinf=0.0, neginf=0.0)))
        tol_lo = 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(row_lo, posinf=0.0, neginf=0.0)))
        at_most = np.isfinite(row_hi) & np.isfinite(least) & (least >= row_hi - tol_hi)
        at_least = np.isfinite(row_lo) & np.isfinite(most) & (most <= row_lo + tol_lo)
    pushed_up = (A[at_most] > 0).any(axis=0) | (A[at_least] < 0).any(axis=0)
    return np.asarray(pushed_up & (lo == 0), dtype=bool)


def may_stall(solved: SolvedBasis) -> np.ndarray:
    """Per column: could it enter this basis without moving the blend (a degenerate pivot:
    a basic column or row already at a bound blocks it at step 0)? Only then can the blend
    outlive the basis's cost range (see _widened). One solve with the basis matrix for all
    columns: linear in the table."""
    n = solved.lp.shape[1]
    if solved.nondegenerate:
        return np.zeros(n, dtype=bool)
    b = solved.probe()
    if len(b.basic) != len(b.active):
        return np.ones(n, dtype=bool)  # not a square basis: assume the worst
    lp, x = solved.lp, solved.x
    tol = 1e-9 * np.maximum(1.0, np.abs(x[b.basic]))
    at_lo = np.abs(x[b.basic] - lp.col_lo[b.basic]) <= tol
    at_hi = np.abs(x[b.basic] - lp.col_hi[b.basic]) <= tol
    rows = np.flatnonzero(solved.row_status == BASIC)
    activity = lp.A[rows] @ x
    rtol = 1e-9 * np.maximum(1.0, np.abs(activity))
    r_lo = np.abs(activity - lp.row_lo[rows]) <= rtol
    r_hi = np.abs(activity - lp.row_hi[rows]) <= rtol
    try:
        moves = -np.linalg.solve(lp.A[np.ix_(b.active, b.basic)], lp.A[b.active])  # Δx_basic per unit
    except np.linalg.LinAlgError:
        return np.ones(n, dtype=bool)
    eps = 1e-12
    stall = (at_lo[:, None] & (moves < -eps)).any(axis=0) | (at_hi[:, None] & (moves > eps)).any(axis=0)
    if rows.size:
        d_rows = lp.A[rows] + lp.A[np.ix_(rows, b.basic)] @ moves  # Δ activity of the basic rows
        stall |= (r_lo[:, None] & (d_rows < -eps)).any(axis=0) | (r_hi[:, None] & (d_rows > eps)).any(axis=0)
    return np.asarray(stall, dtype=bool)


def _widened(solved: SolvedBasis, j: int, edge: float | None, direction: int) -> float | None:
    """Extend a basis's cost range for food j while the blend itself stays optimal.

    A degenerate optimum has several optimal bases, and the blend may outlive the
    first one's range: step just past the edge (1e-6 per g, i.e. 0.001 per kg),
    re-solve (hot start) and, while the blend is unchanged, continue with the next
    basis's range. The prices at which one blend is optimal form an interval, so
    every price up to the returned edge keeps it. A nondegenerate basis is the only
    basis of its blend: its edge is the blend's, with no re-solve.
    """
    if edge is None or solved.nondegenerate or blend_ends_at(solved, j, edge, direction):
        return edge
    h = solved.highs
    c0 = float(solved.lp.c[j])
    basis = h.getBasis()
    try:
        for _ in range(6):
            step = edge + direction * 1e-6
            h.changeColCost(j, step)
            h.run()
            if not same_optimum(h, solved):
                return edge
            _, ranging = h.getRanging()
            further = _finite(
                float((ranging.col_cost_up if direction > 0 else ranging.col_cost_dn).value_[j])
            )
            if further is None:
                return None
            if (further - step) * direction <= 0:
                return edge
            edge = further
        return edge
    finally:
        h.changeColCost(j, c0)
        h.setBasis(basis)


def same_optimum(h: Any, solved: SolvedBasis) -> bool:
    if highs_status(h) != "optimal":
        return False
    x = np.array(h.getSolution().col_value)
    return bool(np.all(np.abs(x - solved.x) <= SAME * max(1.0, float(np.abs(solved.x).max(initial=0)))))


def _priced_column(
    compiled: Compiled, lp: MatrixLP, j: int, price: float, stage1: bool
) -> tuple[np.ndarray, float]:
    """Column j of `_priced(...)` and its cost, without copying the LP."""
    a = lp.A[:, j].copy()
    spd = compiled.brief.serving.servings_per_day
    for r, (k, side) in enumerate(compiled.row_of):
        b = compiled.bounds[k]
        if b.kind != "cost":
            continue
        num = price * cost_row_scale(b.basis or "serving", spd)
        a[r] = num if b.den is None else num - ((b.min if side == "min" else b.max) or 0.0) * b.den[j]
    priced_cost = compiled.brief.objective_kind == "min_cost" or not stage1
    return a, price / 1000.0 if priced_cost else float(lp.c[j])


def _priced(compiled: Compiled, lp: MatrixLP, j: int, price: float, stage1: bool) -> MatrixLP:
    """`lp` with food j at another price per kg: in the cost rows, and in a cost objective.

    A two-stage tie-break LP also carries the stage-1 objective as a row: its bound
    does not move with prices when stage 1 is not priced (and is rebuilt otherwise).
    """
    A, c, row_hi = lp.A.copy(), lp.c.copy(), lp.row_hi.copy()
    A[:, j], c[j] = _priced_column(compiled, lp, j, price, stage1)
    return replace(lp, A=A, c=c, row_hi=row_hi)


def _unused(
    compiled: Compiled, x: np.ndarray, first: LPSolution, sens: Sensitivity | None
) -> list[UnusedLine]:
    foods = compiled.foods
    lines = []
    for j in np.flatnonzero(x <= 0):
        price = float(foods.price_per_kg[j])
        entry = None if sens is None else sens.entry.get(int(j))
        note = None
        if compiled.lp.col_hi[j] <= 0:
            note = "excluded by the brief (max 0, or a blank value it needs)"
            entry = None
        elif sens is None:
            note = "not computed" + (" (mixed-integer brief)" if compiled.lp.is_mip else "")
        elif entry is not None and entry <= 0:
            note = "would enter only at a price ≤ 0"
        elif entry is None:
            note = "no price makes it enter" if not math.isnan(price) else "no price"
        reduced = None
        if first.col_duals is not None:
            value = compiled.sense * float(first.col_duals[j])
            reduced = 0.0 if abs(value) < 1e-12 else value
        lines.append(
            trusted(UnusedLine)(
                id=foods.ids[j],
                name=foods.names[j],
                price_per_kg=None if math.isnan(price) else price,
                entry_price=entry,
                reduced_cost=reduced,
                note=note,
            )
        )
    return lines


def _open_below_zero(r: Range) -> Range:
    """A price range reaching 0 or below has no lower end: a price is never negative, so
    any lower price keeps the blend (None, as every open end; not a negative number)."""
    lo, hi = r
    return (None if lo is not None and lo <= 0 else lo), hi


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) and abs(v) < 1e30 else None
