"""Is the edge of a basis's price range also the edge of its blend? Proved from the basis.

HiGHS's cost ranging gives the prices over which one optimal *basis* stays optimal. At a
degenerate optimum several bases share the blend, and the blend may outlive the first
basis's range (sensitivity._widened steps past the edge and solves again to find out).
Often the basis itself settles it: past the edge some nonbasic column or active row q
prices out (its reduced cost or row dual takes the wrong sign). If q can enter with a
positive step (no basic column or basic row already at a bound blocks it), moving along
q's edge direction stays feasible and lowers the cost, so the blend is no longer optimal
just past the edge: the basis's edge is the blend's, and no re-solve is needed. When no
such q exists (a degenerate pivot could keep the blend), the caller re-solves.

Conventions as in sensitivity._Basis (minimisation): a column at its lower bound needs a
reduced cost ≥ 0, at its upper bound ≤ 0; an active row at its lower bound a dual ≥ 0, at
its upper bound ≤ 0; fixed columns and equality rows may have either sign.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .lp import BASIC, LOWER, UPPER

AT_BOUND = 1e-9  # relative distance to a bound at which a basic column or row sits on it
MOVES = 1e-12  # relative change per unit step below which a basic column or row stays put
SAME_EDGE = 1e-9  # relative agreement with HiGHS's edge needed to trust this reading


@dataclass
class _Reading:
    """What every edge of one basis shares, worked out once: B⁻¹ and the tableau B⁻¹A of the
    active rows, the dual conditions, and which basic columns and rows sit on a bound."""

    basic: np.ndarray
    A_act: np.ndarray
    B_inv: np.ndarray
    tableau: np.ndarray  # B⁻¹ A_active: −(change of the basic columns) per unit of column k
    value: np.ndarray  # s·(reduced cost) of `cols`, then s·(dual) of `open_rows`: all ≥ 0
    cols: np.ndarray  # nonbasic columns at a bound that may move
    col_sign: np.ndarray  # +1 at the lower bound, −1 at the upper one
    open_rows: np.ndarray  # active rows (positions among them) that may move off their bound
    row_sign: np.ndarray
    scale: float  # of the costs
    basic_lo: np.ndarray  # basic columns on their lower bound
    basic_hi: np.ndarray
    rows_A: np.ndarray  # the basic (inactive) rows of A
    rows_lo: np.ndarray  # basic rows on their lower bound
    rows_hi: np.ndarray
    # Worked out once for every edge asked of this basis (a solve asks about 20): a basic
    # column's position, the rates of the dual conditions per basic column (row p: the rates
    # when basic column p's cost rises), and which conditions' column or row can enter.
    position: dict[int, int] = field(default_factory=dict)
    rates: np.ndarray | None = None
    entering: dict[int, bool] = field(default_factory=dict)
    # Per direction, for every basic column at once: δ of each condition (inf where it does
    # not fall) and the first of them (each edge asked reads its row).
    steps: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def steps_of(self, direction: int) -> tuple[np.ndarray, np.ndarray]:
        known = self.steps.get(direction)
        if known is None:
            assert self.rates is not None
            rate = direction * self.rates
            falling = rate < 0
            delta = np.full(rate.shape, np.inf)
            np.divide(np.maximum(self.value, 0.0), -rate, out=delta, where=falling)
            known = self.steps[direction] = (delta, delta.min(axis=1, initial=np.inf))
        return known

    @classmethod
    def of(cls, solved: Any) -> _Reading | None:
        known = solved.__dict__.get("_cost_edges", False)
        if known is not False:
            return known  # type: ignore[no-any-return]
        solved.__dict__["_cost_edges"] = reading = cls._read(solved)
        return reading

    @classmethod
    def _read(cls, solved: Any) -> _Reading | None:
        lp, x, col_status, row_status = solved.lp, solved.x, solved.col_status, solved.row_status
        basic = np.flatnonzero(col_status == BASIC)
        active = np.flatnonzero(row_status != BASIC)
        if len(basic) != len(active) or not len(basic):
            return None
        A_act = lp.A[active]
        try:
            B_inv = np.linalg.inv(A_act[:, basic])
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(B_inv)):
            return None
        y = B_inv.T @ lp.c[basic]
        d = lp.c - A_act.T @ y
        # (== twice, not np.isin: a tenth of this reading's time)
        cols = np.flatnonzero(((col_status == LOWER) | (col_status == UPPER)) & (lp.col_lo != lp.col_hi))
        status = row_status[active]
        at_bound = (status == LOWER) | (status == UPPER)
        open_rows = np.flatnonzero(at_bound & (lp.row_lo[active] != lp.row_hi[active]))
        col_sign = np.where(col_status[cols] == LOWER, 1.0, -1.0)
        row_sign = np.where(status[open_rows] == LOWER, 1.0, -1.0)
        xb = x[basic]
        tol = AT_BOUND * np.maximum(1.0, np.abs(xb))
        rows = np.flatnonzero(row_status == BASIC)
        activity = lp.A[rows] @ x
        rtol = AT_BOUND * np.maximum(1.0, np.abs(activity))
        reading = cls(
            basic,
            A_act,
            B_inv,
            B_inv @ A_act,
            np.concatenate([col_sign * d[cols], row_sign * y[open_rows]]),
            cols,
            col_sign,
            open_rows,
            row_sign,
            max(float(np.abs(lp.c).max(initial=0)), 1e-12),
            xb - lp.col_lo[basic] <= tol,
            lp.col_hi[basic] - xb <= tol,
            lp.A[rows],
            activity - lp.row_lo[rows] <= rtol,
            lp.row_hi[rows] - activity <= rtol,
        )
        reading.position = {int(j): p for p, j in enumerate(basic)}
        reading.rates = np.concatenate(
            [-reading.col_sign * reading.tableau[:, cols], row_sign * B_inv[:, open_rows]], axis=1
        )
        return reading


def blend_ends_at(solved: Any, j: int, edge: float, direction: int) -> bool:
    """True when the blend of `solved` (sensitivity.SolvedBasis) is provably not optimal once
    column j's cost passes `edge` (HiGHS's cost-range edge) in `direction` (+1 up, −1
    down). False means "not proved" (the caller re-solves), never "the blend goes on"."""
    r = _Reading.of(solved)
    if r is None:
        return False
    c = solved.lp.c
    # Rates of the dual conditions per unit of cost change in `direction`: a basic j moves
    # the duals by B⁻ᵀe_p (row p of B⁻¹) and so every reduced cost; a nonbasic j only its own.
    p = r.position.get(j)
    if p is not None:
        steps, firsts = r.steps_of(direction)
        delta = steps[p]  # inf where the condition does not fall
        first = float(firsts[p])
        if first == np.inf:
            return False
        falling = np.arange(len(delta))
    else:
        rate = np.zeros(len(r.value))
        rate[: len(r.cols)] = direction * r.col_sign * (r.cols == j)
        # Condition k fails past δ_k = value_k / −rate_k (when rate_k < 0); the first is the edge.
        falling = np.flatnonzero(rate < 0)
        if not falling.size:
            return False
        delta = np.maximum(r.value[falling], 0.0) / -rate[falling]
        first = float(delta.min())
    scale = max(abs(edge), r.scale)
    if abs(float(c[j]) + direction * first - edge) > SAME_EDGE * scale:
        return False  # not the edge HiGHS found: do not trust this reading
    return any(_entering(r, int(q)) for q in falling[delta <= first + SAME_EDGE * scale])


def _entering(r: _Reading, q: int) -> bool:
    """_enters, once per condition of a basis (it does not depend on the price moved)."""
    known = r.entering.get(q)
    if known is None:
        known = r.entering[q] = _enters(r, q)
    return known


def _enters(r: _Reading, q: int) -> bool:
    """Can dual condition q's column or row leave its bound with a positive step: no basic
    column or basic row on a bound that the move pushes it across?"""
    if q < len(r.cols):
        k, sign = int(r.cols[q]), float(r.col_sign[q])
        basic_step = -sign * r.tableau[:, k]
        row_change = sign * r.rows_A[:, k] + r.rows_A[:, r.basic] @ basic_step
    else:
        i = int(r.open_rows[q - len(r.cols)])
        basic_step = r.row_sign[q - len(r.cols)] * r.B_inv[:, i]
        row_change = r.rows_A[:, r.basic] @ basic_step
    moves = MOVES * max(1.0, float(np.abs(basic_step).max(initial=0)))
    if np.any(r.basic_lo & (basic_step < -moves)) or np.any(r.basic_hi & (basic_step > moves)):
        return False
    return not (np.any(r.rows_lo & (row_change < -moves)) or np.any(r.rows_hi & (row_change > moves)))
