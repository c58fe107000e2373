"""The primal simplex for many price scenarios at once, in numpy: one step per round for
every scenario still walking, each on a basis of its own.

When prices move only the objective, a basis fixes the same blend in every scenario; only
whether it is optimal depends on the prices. So a scenario that a known basis does not
prove optimal can walk from that basis, along improving simplex steps, to its own optimal
basis, starting primal feasible and staying so. With large price moves nearly every
scenario ends at a basis of its own, so the walk is not shared between scenarios: it is
batched instead. Each round factorises every walking scenario's basis matrix in one
stacked `np.linalg.solve`, prices it, picks the entering variable (the most negative
signed reduced cost or row dual, Dantzig's rule) and takes the ratio test, for all of
them at once.

The basis is in the row-activity form of `basis_library`: B = A[active rows, basic
columns], k × k with k the number of basic columns. k differs between scenarios, so the
stacked matrices are padded to the largest k with an identity block, which leaves every
solve unchanged. The scenarios may differ in their row bounds and in a few rows' coefficients
(`Stack`: a cost bound, whose coefficients are the prices; the tie-break's bound on the
first optimum), as long as each starts from a basis primal feasible for its own LP.

A walk ends in one of three ways:

- every signed reduced cost and row dual clears the margin (no tie): a candidate;
- nothing improves beyond rounding but something is within the margin (a tie), a step is
  unbounded, or the walk passes MAX_STEPS (cycling on a degenerate vertex): the scenario
  is left to the solver, as without the walk;
- a basis turns out inconsistent or singular: also left to the solver.

The walk carries its blend along (x + t·dx) to take the ratio tests; it proves nothing.
Every candidate is proved by `prove` from its statuses alone, each B factorised afresh:
the strict test of `BasisLibrary.prove` (every signed reduced cost and row dual clear of
the margin, the blend within every bound, the active rows met to the last digits, B well
conditioned), so the blend is the unique optimum, the one any simplex run reaches.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from .lp import BASIC, LOWER, UPPER, MatrixLP

MAX_STEPS = 60  # a walk longer than this is left to the solver (degenerate cycling)
PIVOT_TOLERANCE = 1e-9  # a rate of change this small does not limit a step
TIE = 1e-12  # ratio-test steps within this (relative) of the shortest are ties
ROUNDING = 1e-5  # a reduced cost below −ROUNDING × the proof's margin improves (about −2e-12 × |c|)
PRIMAL_TOLERANCE = 1e-9  # how far (relative) a basic column or row may pass a bound
MET = 1e-9  # an active row must be met to this (relative)
CONDITION = 1e8  # a basis whose B is worse conditioned is left to the solver
_SIGN = np.zeros(4)  # by status: the sign a nonbasic reduced cost or active row's dual must have
_SIGN[LOWER], _SIGN[UPPER] = 1.0, -1.0


def required_signs(status: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The sign each column's reduced cost (or row's dual) must have for its basis to be
    optimal, by its status (LOWER, BASIC, UPPER) and bounds: +1 at a lower bound, −1 at an
    upper, 0 when it is basic or fixed (lo = hi: an equality row), whose sign is free."""
    return np.asarray(_SIGN[status] * (lo != hi))


@dataclass(frozen=True, eq=False)
class Walked:
    """The end of every walk: the scenarios proved optimal (positions in those walked),
    with their blends and duals; and where every other walk stopped (its statuses), a
    start for the solver."""

    index: np.ndarray  # positions proved
    x: np.ndarray  # (proved × columns)
    row_duals: np.ndarray  # (proved × rows), 0 on rows not held at a bound
    col_duals: np.ndarray  # (proved × columns), 0 on basic columns
    col_status: np.ndarray  # (walked × columns) where each walk ended or stopped
    row_status: np.ndarray  # (walked × rows)
    steps: int  # simplex steps taken, all scenarios together
    tied: np.ndarray | None = None  # (walked,) stopped at an optimum with a tie (a reduced
    # cost or dual within the margin of 0, none improving): another blend costs about the same


@dataclass(frozen=True, eq=False)
class Stack:
    """The LPs of several scenarios, which share `lp`'s columns and all but a few rows:
    each has its own row bounds, and its own coefficients in the rows `moving` (a cost
    bound, whose coefficients are prices)."""

    lp: MatrixLP
    row_lo: np.ndarray  # (scenarios × rows)
    row_hi: np.ndarray
    moving: np.ndarray  # positions of the rows whose coefficients differ by scenario
    rows: np.ndarray  # (scenarios × moving × columns): those rows' coefficients
    abs_a: np.ndarray | None = None  # |lp.A|, when already worked out (`size`)

    @staticmethod
    def shared(lp: MatrixLP, count: int) -> Stack:
        """`count` scenarios of the same LP (their objectives aside)."""
        lo, hi = (np.broadcast_to(v, (count, len(v))) for v in (lp.row_lo, lp.row_hi))
        return Stack(lp, lo, hi, np.zeros(0, dtype=int), np.zeros((count, 0, lp.shape[1])))

    def take(self, keep: np.ndarray) -> Stack:
        lo, hi = rows_of(self.row_lo, keep), rows_of(self.row_hi, keep)
        return Stack(self.lp, lo, hi, self.moving, self.rows[keep], self.abs_a)

    def activity(self, x: np.ndarray) -> np.ndarray:
        """A·x of each scenario (rows of x)."""
        out = x @ self.lp.A.T
        if len(self.moving):
            out[:, self.moving] = np.einsum("sn,spn->sp", x, self.rows)
        return np.asarray(out)

    def size(self, x: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The size each row (or each of `rows`) of each scenario's blend x is held to
        (`within_bounds`): the sum of its terms' absolute values, plus what its coefficients
        make of every column being off by the columns' own tolerance
        (|A|·|x| + |A|·1 × max(1 g, largest amount))."""
        absolute, reach = np.abs(x), np.maximum(1.0, np.abs(x).max(axis=1, initial=0.0))[:, None]
        whole = np.abs(self.lp.A) if self.abs_a is None else self.abs_a
        a = whole if rows is None else whole[rows]
        rows = np.arange(self.lp.shape[0]) if rows is None else rows
        out = absolute @ a.T + reach * a.sum(axis=1)[None, :]
        if len(self.moving):
            where = {int(r): i for i, r in enumerate(rows.tolist())}
            moving = np.abs(self.rows)
            sizes = np.einsum("sn,spn->sp", absolute, moving) + reach * moving.sum(axis=2)
            for p, r in enumerate(self.moving.tolist()):
                if r in where:
                    out[:, where[r]] = sizes[:, p]
        return np.asarray(out)

    def pricing(self, y: np.ndarray) -> np.ndarray:
        """yᵀA of each scenario (rows of y)."""
        out = y @ self.lp.A
        if len(self.moving):
            out += np.einsum("sp,spn->sn", y[:, self.moving], self.rows - self.lp.A[self.moving][None, :, :])
        return np.asarray(out)

    def block(self, ai: np.ndarray, bi: np.ndarray) -> np.ndarray:
        """A[ai, bi] of each scenario (rows ai[s], columns bi[s])."""
        n = self.lp.shape[1]
        out = self.lp.A.ravel()[ai[:, :, None] * n + bi[:, None, :]]  # (flat indices: faster)
        for p, r in enumerate(self.moving.tolist()):
            s, i = np.nonzero(ai == r)
            out[s, i, :] = np.take_along_axis(self.rows[:, p, :], bi, axis=1)[s]
        return np.asarray(out)


def walk(
    stack: Stack, c: np.ndarray, margin: np.ndarray, col_status: np.ndarray, row_status: np.ndarray
) -> Walked:
    """Walk each scenario (rows of the objectives `c`, with the margins of the strict proof)
    from the basis given by its statuses (primal feasible for that scenario) to its
    optimal basis, as far as it goes. `stack.lp.c` is not read.

    The walk only finds bases: its blend and activities are carried along each step
    (x + t·dx) rather than solved for. Every basis where a walk ends is then proved from
    its statuses alone, afresh (`prove`)."""
    S, n = c.shape[0], stack.lp.shape[1]
    cs, rs = col_status.astype(np.int8), row_status.astype(np.int8)
    ended, tied = np.zeros(S, dtype=bool), np.zeros(S, dtype=bool)
    at = _Bases(stack, cs, rs)
    going = np.flatnonzero(at.ok)
    at = at.take(going)
    x, activity = at.vertex()
    steps = 0
    for _ in range(MAX_STEPS + 1):
        if not len(going):
            break
        y, d = at.duals(c[going])
        sign_c, sign_r = at.signs()
        tests = at.tests(y, d, sign_c, sign_r)
        enter = tests.argmin(axis=1)
        lowest = tests[np.arange(len(going)), enter]
        mg = margin[going]
        ended[going[lowest > mg]] = True
        tied[going[(lowest <= mg) & (lowest >= -mg * ROUNDING)]] = True
        # Improving: any reduced cost below 0 beyond rounding, however small. A tiny one can
        # still lead a long way (a step of 100 g at −5e-9 per g: 5e-7 of the cost, which a
        # solver stopping at its dual tolerance leaves behind); the rest ended, or tied.
        keep = np.flatnonzero(lowest < -mg * ROUNDING)
        if not len(keep):
            break
        if len(keep) < len(going):
            going, at, x, activity = going[keep], at.take(keep), x[keep], activity[keep]
        enter, sign_c, sign_r = enter[keep], sign_c[keep], sign_r[keep]
        t, dx, d_activity, leave, to_upper = at.ratio_test(x, activity, enter, sign_c, sign_r)
        bounded = np.isfinite(t)
        going, enter, leave, to_upper = going[bounded], enter[bounded], leave[bounded], to_upper[bounded]
        x = x[bounded] + t[bounded, None] * dx[bounded]
        activity = activity[bounded] + t[bounded, None] * d_activity[bounded]
        steps += len(going)
        # The entering variable becomes basic; the leaving one nonbasic at the bound it
        # reached (the same variable: a bound flip).
        col_in = enter < n
        cs[going[col_in], enter[col_in]] = BASIC
        rs[going[~col_in], enter[~col_in] - n] = BASIC
        bound = np.where(to_upper, UPPER, LOWER).astype(np.int8)
        col_out = leave < n
        cs[going[col_out], leave[col_out]] = bound[col_out]
        rs[going[~col_out], leave[~col_out] - n] = bound[~col_out]
        at = _Bases(stack.take(going), cs[going], rs[going], points=False)
        good = np.flatnonzero(at.ok)
        if len(good) < len(going):
            going, at, x, activity = going[good], at.take(good), x[good], activity[good]
    candidates = np.flatnonzero(ended)
    proof = prove(stack.take(candidates), c[candidates], margin[candidates], cs[candidates], rs[candidates])
    index = candidates[proof.index]
    return Walked(index, proof.x, proof.row_duals, proof.col_duals, cs, rs, steps, tied)


def primal_feasible(stack: Stack, col_status: np.ndarray, row_status: np.ndarray) -> np.ndarray:
    """Per scenario: does the basis with these statuses fix a blend within its bounds (a
    start for `walk`)?"""
    at = _Bases(stack, col_status.astype(np.int8), row_status.astype(np.int8))
    x, activity = at.vertex()
    return np.asarray(at.ok & within_bounds(stack, x, activity))


def within_bounds(
    stack: Stack, x: np.ndarray, activity: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Per blend (rows of x, one per scenario of `stack`): every column within its bounds,
    to PRIMAL_TOLERANCE of the blend's largest amount (at least 1 g); every row within its
    bounds, to PRIMAL_TOLERANCE of its own size (`Stack.size`), so that a row in small
    units (µg) is held to a tolerance as small as its numbers. Sizes are worked out only
    for the blends with a row outside its bounds by more than the part of its tolerance
    its coefficients alone give (|A|·1 × max(1 g, largest amount), no more than the
    whole: those within it hold whatever their size). `rows`: only these rows (the
    others are known to hold)."""
    lp, lo, hi = stack.lp, stack.row_lo, stack.row_hi
    if rows is not None:
        activity, lo, hi = activity[:, rows], lo[:, rows], hi[:, rows]
    ok = np.all(np.isfinite(x), axis=1)
    reach = np.maximum(1.0, np.abs(x).max(axis=1, initial=0))[:, None]
    scale = PRIMAL_TOLERANCE * reach
    ok &= np.all((x >= lp.col_lo - scale) & (x <= lp.col_hi + scale), axis=1)
    sums = (np.abs(lp.A) if stack.abs_a is None else stack.abs_a).sum(axis=1)
    sums[stack.moving] = 0.0  # (their coefficients are each scenario's own)
    least = scale * (sums if rows is None else sums[rows])[None, :]
    outside = np.flatnonzero(ok & ~np.all((activity >= lo - least) & (activity <= hi + least), axis=1))
    if len(outside):
        room = PRIMAL_TOLERANCE * stack.take(outside).size(x[outside], rows)
        a = activity[outside]
        ok[outside] = np.all((a >= lo[outside] - room) & (a <= hi[outside] + room), axis=1)
    return np.asarray(ok)


def prove(stack: Stack, c: np.ndarray, margin: np.ndarray, cs: np.ndarray, rs: np.ndarray) -> Walked:
    """The scenarios (rows of `c`) whose bases (statuses `cs`, `rs`) are proved optimal with
    a unique blend: the strict test of `BasisLibrary.prove`, each basis factorised afresh.
    Every signed reduced cost and row dual clears the margin, the blend is within every
    bound, the active rows are met to the last digits, and B is well conditioned."""
    at = _Bases(stack, cs, rs)
    x, activity = at.vertex()
    y, d = at.duals(c)
    ok = at.ok & np.all(at.tests(y, d, *at.signs()) > margin[:, None], axis=1)
    ok &= at.feasible(x, activity)
    index = np.flatnonzero(ok)
    d = np.where(cs == BASIC, 0.0, d)
    return Walked(index, x[index], y[index], d[index], cs, rs, 0)


class _Bases:
    """The stacked, padded basis matrices of several scenarios at once."""

    def __init__(self, stack: Stack, cs: np.ndarray, rs: np.ndarray, points: bool = True) -> None:
        """points: also the bounds the nonbasic columns and active rows sit at, which must
        be finite (for `vertex` and `feasible`; a walk's later steps need only B)."""
        self.stack, self.cs, self.rs = stack, cs, rs
        basic, active = cs == BASIC, rs != BASIC
        k = basic.sum(axis=1)
        self.ok = k == active.sum(axis=1)
        self.x_fixed: np.ndarray | None = None
        self.held: np.ndarray | None = None
        if points:
            lp = stack.lp
            lower = np.where(cs == LOWER, lp.col_lo[None, :], 0.0)
            x_fixed = np.where(cs == UPPER, lp.col_hi[None, :], lower)
            held = np.where(rs == UPPER, stack.row_hi, np.where(rs == LOWER, stack.row_lo, 0.0))
            self.ok &= np.isfinite(x_fixed).all(axis=1) & np.isfinite(held).all(axis=1)
            self.x_fixed = np.where(self.ok[:, None], x_fixed, 0.0)
            self.held = np.where(self.ok[:, None], held, 0.0)
        K = int(k.max(initial=0))
        self.K = K
        # Basic columns in column order, then padding (`packed`); the same for active rows.
        self.pad = np.arange(K)[None, :] >= k[:, None]
        self.bi, self.ai = packed(basic, K), packed(active, K)
        B = np.ascontiguousarray(stack.block(self.ai, self.bi))  # (so that reshape is a view)
        if self.pad.any():
            real = (~self.pad).astype(float)
            B *= real[:, :, None] * real[:, None, :]
        if not self.ok.all():
            B[~self.ok] = 0.0
        # identity: padding, and the bases that are not square (not ok) (a view of B's diagonals)
        B.reshape(len(B), K * K)[:, :: K + 1] += self.pad | ~self.ok[:, None]
        self.B = B

    def take(self, keep: np.ndarray) -> _Bases:
        out = object.__new__(_Bases)
        out.stack, out.cs, out.rs = self.stack.take(keep), self.cs[keep], self.rs[keep]
        out.ok, out.K = self.ok[keep], self.K
        out.x_fixed = None if self.x_fixed is None else self.x_fixed[keep]
        out.held = None if self.held is None else self.held[keep]
        out.bi, out.ai, out.pad, out.B = self.bi[keep], self.ai[keep], self.pad[keep], self.B[keep]
        return out

    def _solve(self, rhs: np.ndarray, transpose: bool = False) -> np.ndarray:
        B = np.transpose(self.B, (0, 2, 1)) if transpose else self.B
        return _solve_stack(B, np.where(self.pad, 0.0, rhs))

    def _scatter(self, values: np.ndarray, index: np.ndarray, width: int) -> np.ndarray:
        """values[s, p] placed at index[s, p] of a zero row of `width`, padding left out."""
        out = np.zeros((len(values), width))
        real = ~self.pad
        out[np.nonzero(real)[0], index[real]] = values[real]
        return out

    def vertex(self) -> tuple[np.ndarray, np.ndarray]:
        """The blend each basis fixes, and its row activities."""
        st = self.stack
        x, held = self.x_fixed, self.held
        assert x is not None and held is not None, "made without points"
        xb = self._solve(np.take_along_axis(held - st.activity(x), self.ai, axis=1))
        x = x + self._scatter(xb, self.bi, st.lp.shape[1])
        return x, st.activity(x)

    def duals(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row duals (0 off the active rows) and reduced costs of every column."""
        yb = self._solve(np.take_along_axis(c, self.bi, axis=1), transpose=True)
        y = self._scatter(yb, self.ai, self.stack.lp.shape[0])
        return y, c - self.stack.pricing(y)

    def signs(self) -> tuple[np.ndarray, np.ndarray]:
        """The sign each nonbasic column's reduced cost and each active row's dual must
        have (+1 at a lower bound, −1 at an upper; 0: basic, fixed or an equality row)."""
        lp, st = self.stack.lp, self.stack
        return required_signs(self.cs, lp.col_lo, lp.col_hi), required_signs(self.rs, st.row_lo, st.row_hi)

    @staticmethod
    def tests(y: np.ndarray, d: np.ndarray, sign_c: np.ndarray, sign_r: np.ndarray) -> np.ndarray:
        """Every signed reduced cost and active row's dual, columns then rows; inf where the
        sign is free. A basis is optimal, with no tie, when all clear the margin."""
        return np.concatenate(
            [np.where(sign_c != 0, sign_c * d, np.inf), np.where(sign_r != 0, sign_r * y, np.inf)], axis=1
        )

    def feasible(self, x: np.ndarray, activity: np.ndarray) -> np.ndarray:
        """Per scenario: its blend within every bound, its active rows met to the last
        digits, B well conditioned (the primal half of `BasisLibrary.prove`)."""
        st = self.stack
        ok = self.ok & within_bounds(st, x, activity)
        active = self.rs != BASIC
        assert self.held is not None, "made without points"
        met = ~active | (np.abs(activity - self.held) <= MET * np.maximum(1.0, np.abs(self.held)))
        ok &= np.all(met, axis=1)
        if not len(x):
            return np.asarray(ok)
        inverse = _inverse_stack(self.B)
        norm = np.abs(self.B).sum(axis=1).max(axis=1, initial=0.0)
        condition = norm * np.abs(inverse).sum(axis=1).max(axis=1, initial=0.0)
        return np.asarray(ok & (condition <= CONDITION))  # NaN (singular) fails

    def ratio_test(
        self,
        x: np.ndarray,
        activity: np.ndarray,
        enter: np.ndarray,
        sign_c: np.ndarray,
        sign_r: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per scenario, the step when `enter` (a column j < n, or the row n + i) moves in
        its improving direction: its length (inf: unbounded), the change of the blend and
        of the row activities per unit step, the variable that leaves (its position:
        columns, then rows) and whether it reaches its upper bound."""
        st = self.stack
        lp = st.lp
        n = lp.shape[1]
        S = len(x)
        s = np.arange(S)
        col_in = enter < n
        j = np.where(col_in, enter, 0)
        i = np.where(col_in, 0, enter - n)
        direction = np.where(col_in, sign_c[s, j], sign_r[s, i])
        # The basic columns' change per unit step: B·Δx_B = −a_j (column j entering) or e_p
        # (the active row at position p leaving its bound), times the direction.
        a_j = st.block(self.ai, j[:, None])[:, :, 0]
        e_p = (self.ai == i[:, None]).astype(float)
        u = self._solve(np.where(col_in[:, None], -a_j, e_p) * direction[:, None])
        dx = self._scatter(u, self.bi, n)
        dx[s[col_in], j[col_in]] = direction[col_in]
        d_activity = st.activity(dx)
        # What may limit the step: the basic columns (K places; padding moves nothing), the
        # rows off their bounds (the entering row among them), and an entering column's own
        # other bound (the last place: a bound flip).
        K, m = self.K, lp.shape[0]
        row_free = self.rs == BASIC
        row_free[s[~col_in], i[~col_in]] = True
        value = np.concatenate([np.take_along_axis(x, self.bi, axis=1), activity, x[s, j][:, None]], axis=1)
        rate = np.concatenate([u, d_activity, np.where(col_in, direction, 0.0)[:, None]], axis=1)
        lo = np.concatenate([lp.col_lo[self.bi], st.row_lo, lp.col_lo[j][:, None]], axis=1)
        hi = np.concatenate([lp.col_hi[self.bi], st.row_hi, lp.col_hi[j][:, None]], axis=1)
        limits = np.concatenate([~self.pad, row_free, col_in[:, None]], axis=1)
        moves = limits & (np.abs(rate) > PIVOT_TOLERANCE)
        with np.errstate(divide="ignore", invalid="ignore"):
            room = (np.where(rate > 0, hi, lo) - value) / np.where(moves, rate, 1.0)
        room = np.where(moves, np.maximum(room, 0.0), np.inf)  # rounding past a bound: 0
        shortest = room.min(axis=1)
        tie = room <= shortest[:, None] + TIE * np.maximum(1.0, np.abs(value))
        place = np.where(tie, np.abs(rate), -1.0).argmax(axis=1)  # the largest pivot among ties
        # The place as a variable: columns 0..n−1, rows n..n+m−1.
        at = np.minimum(place, max(K - 1, 0))[:, None]
        basic = np.take_along_axis(self.bi, at, axis=1)[:, 0] if K else j
        leave = np.where(place < K, basic, np.where(place < K + m, n + place - K, j))
        return shortest, dx, d_activity, leave, rate[s, place] > 0


def packed(mask: np.ndarray, width: int) -> np.ndarray:
    """The positions of the True entries of each row of `mask`, in order, packed to the
    left of a row of `width`; after them padding (positions of False entries, then 0
    beyond the row's length), and beyond `width`, cut."""
    out = np.argsort(~mask, axis=1, kind="stable")[:, :width]
    if out.shape[1] < width:
        out = np.hstack([out, np.zeros((len(mask), width - out.shape[1]), dtype=out.dtype)])
    return np.asarray(out, dtype=np.intp)


def rows_of(rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """rows[keep], without copying rows that every scenario shares (a broadcast view)."""
    if rows.strides[0] == 0:  # (a slice of a broadcast view is one, and costs nothing)
        return (
            rows[: len(keep)]
            if len(keep) <= len(rows)
            else np.broadcast_to(rows[0], (len(keep), rows.shape[1]))
        )
    return np.asarray(rows[keep])


def _solve_stack(B: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """B[i]⁻¹·rhs[i] for the whole stack at once; NaN for a singular B[i] (its scenario
    then fails its proof), found matrix by matrix only when there is one."""
    try:
        return np.asarray(np.linalg.solve(B, rhs[:, :, None])[:, :, 0])
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for i in range(len(B)):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(B[i], rhs[i])
        return out


def _inverse_stack(B: np.ndarray) -> np.ndarray:
    """B[i]⁻¹ for the whole stack; NaN for a singular B[i]."""
    try:
        return np.asarray(np.linalg.inv(B))
    except np.linalg.LinAlgError:
        out = np.full(B.shape, np.nan)
        for i in range(len(B)):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.inv(B[i])
        return out
