"""A library of optimal bases for price scenarios: prove optimality without a simplex run.

A price scenario changes only the objective of a compiled brief (and the rows of a cost
bound, and the tie-break's bound on the first optimum). A simplex basis fixes the blend:
the nonbasic columns sit at their bounds, the active rows at theirs, and the basic
columns solve B·x_B = w. It is optimal for a scenario when that point is within every
bound and the reduced costs c_N − Nᵀy (y = B⁻ᵀc_B) have the right signs. Both tests are
matrix products, so every remaining scenario is tested against a basis at once.

Only *strict* proofs are accepted: every reduced cost and row dual clear of zero by a
margin above HiGHS's own dual tolerance (DUAL_MARGIN). Then the blend is the unique
optimum, the one any simplex run ends at, so its grams and cost are the plain solve's.
A basic column at its bound (primal degeneracy) is accepted: the blend is still unique,
and the duals are one valid set of several, as a solver's would be. Ties (a reduced cost
near 0: another blend costs about the same), ill-conditioned bases (small pivots) and
solves that do not reproduce their own right-hand side are left to the solver.

The first stage of a two-stage brief (max/min a nutrient, then least cost among the
blends within TIE_TOLERANCE of that optimum) is the exception: it is dual degenerate by
design (many blends reach a leucine cap), and only its optimal *value* is used, as the
tie-break's bound. There a basis need only be optimal (reduced costs ≥ 0, ties allowed),
which proves the value; the blend reported is the tie-break's, proved strictly.

`solve_scenarios` runs a fast-path brief over many price vectors this way: scenarios
the library proves take their basis's blend with their own cost. Those it does not prove
walk from their nearest known basis to their own by primal simplex steps, batched over
scenarios (`pivots`), and are proved there strictly; a few are walked first and their
bases learned while each learned basis proves LEARN_RATE others (small price moves). A
two-stage brief's tie-break walks from its first stage's basis. What is still unproved
(ties, a first stage whose budget row the new prices break) goes to HiGHS as before the
walk existed: the first unproven one goes to HiGHS (a hot start from the nearest known
basis; a tie is solved again from the base basis, as without a library), its optimal
basis joins the library, and the rest are tested against it, until none is left; once
learned bases cost more than the simplex runs they save (LEARN_WINDOW), the library stops
growing and the rest are hot starts from their nearest known basis. Every blend is then
verified against the raw table, all at once (`Checker.worst`).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, overload

import numpy as np

from . import pivots
from .lp import BASIC, LOWER, UPPER, ZERO, LPSolution, MatrixLP, Solved
from .pivots import CONDITION, MET

RANK_ONE_UPDATES = True  # one moving row: B_s through B⁻¹ (Sherman–Morrison), not factorised
RANK_ONE = 1e-6  # a moving row's update 1 + v·B⁻¹e_i this small: B_s nearly singular, not proved
DUAL_MARGIN = 2e-7  # a reduced cost or row dual this close to 0 (relative to |c|): a tie (HiGHS accepts 1e-7)
VALUE_TOLERANCE = 1e-12  # a value proof (see BasisLibrary.strict): reduced costs ≥ −this (relative to |c|)
PROVED = "Optimal (a known basis, proved optimal at these prices)"  # LPSolution.message
WALKED = "Optimal (a basis reached by simplex steps from a known one, proved optimal at these prices)"
WALK = True  # scenarios no known basis proves walk by simplex steps (pivots) before HiGHS
FIRST_WALK = 16  # scenarios walked first, their bases learned (then twice as many, ...)
LEARN_RATE = 16  # ... while each basis learned so proves this many other scenarios
MANY = 32  # bases tested together at most (`BasisLibrary.prove_many`)
LEARN_WINDOW = 32  # learning stops when the last this many learned bases cost more
# (status read, factorisation, tests) than the HiGHS runs of the scenarios they proved


@dataclass(frozen=True, eq=False)
class Basis:
    """One optimal basis: which columns are basic, which rows active, and B⁻¹ (of B at the
    base prices; rows of B that move with prices are rebuilt per scenario)."""

    highs: Any  # the highspy HighsBasis (a hot start for the solver); None for a basis the
    # walk reached (`BasisLibrary.hot_start` builds one when needed)
    basic: np.ndarray  # basic columns
    active: np.ndarray  # nonbasic (active) rows
    x_fixed: np.ndarray  # every column's value if nonbasic (0 where basic)
    col_sign: np.ndarray  # +1 reduced cost must be > 0, −1 < 0, 0 free (fixed or basic)
    row_sign: np.ndarray  # per active row: +1 dual > 0 (at lower), −1 < 0 (upper), 0 equality
    row_at_upper: np.ndarray  # per active row: bound taken from row_hi (else row_lo)
    inverse: np.ndarray  # B⁻¹ at the base prices
    moving: np.ndarray  # positions in `active` of rows whose coefficients move with prices
    moving_rows: np.ndarray  # their positions in the library's price rows
    nb: np.ndarray  # nonbasic columns whose reduced cost has a required sign
    fixed_activity: np.ndarray  # A·x_fixed at the base prices
    codes: tuple[np.ndarray, np.ndarray]  # column and row statuses (LOWER, BASIC, UPPER)
    a: np.ndarray  # the LP's A (read only)

    @property
    def moves(self) -> bool:
        """Does an active row move with the prices (B differs by scenario)?"""
        return len(self.moving) > 0

    @functools.cached_property
    def a_nb(self) -> np.ndarray:
        """A[active][:, nb]."""
        return np.asarray(self.a[self.active][:, self.nb])

    @functools.cached_property
    def signed(self) -> np.ndarray | None:
        """(columns × tests): c @ signed = the signed reduced costs and row duals that must
        be > 0, for a basis without moving rows (one product per scenario); None if it has some."""
        if self.moves:
            return None
        k = len(self.basic)
        signed, valid = _signed_stack(
            len(self.x_fixed), self.basic[None, :], np.ones((1, k), dtype=bool), self.inverse[None, :, :],
            self.a[self.active][None, :, :], self.col_sign[None, :], self.row_sign[None, :],
        )  # fmt: skip
        return np.asarray(signed[0][:, valid[0]])


@dataclass(frozen=True, eq=False)
class Proof:
    """Scenarios proved optimal for one basis: their positions, blends and duals; and for
    every scenario tested, how many reduced costs and duals had the wrong sign."""

    index: np.ndarray  # positions in the scenarios tested
    x: np.ndarray  # (proved × columns)
    row_duals: np.ndarray  # (proved × rows), 0 on basic rows
    col_duals: np.ndarray  # (proved × columns), 0 on basic columns
    wrong: np.ndarray  # (tested,) count of wrong-signed reduced costs and duals


class BasisLibrary:
    """Optimal bases of one LP whose objective is c0 + dc·δ and whose rows `price_rows`
    are a + d·δ (elementwise), for price changes δ (one per column)."""

    def __init__(
        self,
        lp: MatrixLP,
        dc: np.ndarray,
        price_rows: np.ndarray,
        d_rows: np.ndarray,
        strict: bool = True,
    ) -> None:
        self.lp = lp
        # strict: every reduced cost clear of 0, the blend is the unique optimum. Otherwise a
        # proof of the optimal *value* only (reduced costs ≥ 0, ties allowed): enough for the
        # first stage of a two-stage brief, whose value alone (the tie-break's bound) decides
        # the answer; the blend reported is the tie-break's, which is proved strictly.
        self.strict = strict
        self.dc = dc
        self.price_rows = np.asarray(price_rows, dtype=int)
        self.d_rows = d_rows
        self.bases: list[Basis] = []
        self.abs_a = np.abs(lp.A)  # (for the sizes rows are held to: pivots.Stack.size)
        self.fixed_rows = np.setdiff1d(np.arange(lp.shape[0]), self.price_rows)  # rows prices do not move
        self._seen: set[bytes] = set()
        self._index: dict[bytes, int] = {}  # statuses of a kept basis → its position
        self._hot: dict[int, Any] = {}  # position → HighsBasis built for a walked basis

    def add(self, highs_basis: Any, codes: tuple[np.ndarray, np.ndarray] | None = None) -> Basis | None:
        """Keep a valid HiGHS basis; None if it is not usable (or already kept). `codes`:
        its column and row statuses, when already read (`statuses`); with no HiGHS basis
        (None), the statuses alone (a basis the walk reached)."""
        if (highs_basis is None and codes is None) or (highs_basis is not None and not highs_basis.valid):
            return None
        col_status, row_status = statuses(highs_basis) if codes is None else codes
        key = col_status.tobytes() + row_status.tobytes()
        if key in self._seen:
            return None
        self._seen.add(key)
        lp = self.lp
        basic = np.flatnonzero(col_status == BASIC)
        active = np.flatnonzero(row_status != BASIC)
        if len(basic) != len(active) or np.any(col_status == ZERO) or np.any(row_status[active] == ZERO):
            return None
        x_fixed = np.where(col_status == UPPER, lp.col_hi, lp.col_lo)
        x_fixed = np.where(col_status == BASIC, 0.0, x_fixed)
        if not np.all(np.isfinite(x_fixed)):
            return None
        col_sign = pivots.required_signs(col_status, lp.col_lo, lp.col_hi)
        at_upper = row_status[active] == UPPER
        row_sign = pivots.required_signs(row_status[active], lp.row_lo[active], lp.row_hi[active])
        position = {int(r): i for i, r in enumerate(self.price_rows)}
        moving = np.array([i for i, r in enumerate(active) if int(r) in position], dtype=int)
        B = lp.A[np.ix_(active, basic)]
        try:
            inverse = np.linalg.inv(B)
        except np.linalg.LinAlgError:
            return None
        # Small pivots: leave the basis to the solver.
        if np.abs(B).sum(axis=0).max(initial=0) * np.abs(inverse).sum(axis=0).max(initial=0) > CONDITION:
            return None
        basis = Basis(
            highs_basis,
            basic,
            active,
            x_fixed,
            col_sign,
            row_sign,
            at_upper,
            inverse,
            moving,
            np.array([position[int(active[i])] for i in moving], dtype=int),
            np.flatnonzero(col_sign != 0),
            lp.A @ x_fixed,
            (col_status, row_status),
            lp.A,
        )
        self._index[key] = len(self.bases)
        self.bases.append(basis)
        return basis

    def add_many(self, codes: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """`add` for bases given by their statuses (bases walks reached), at once: the
        same checks and the same bases, factorised in one stacked inverse."""
        lp = self.lp
        new: list[tuple[bytes, np.ndarray, np.ndarray]] = []
        for cs, rs in codes:
            key = cs.tobytes() + rs.tobytes()
            if key not in self._seen:
                self._seen.add(key)
                new.append((key, cs, rs))
        if not new:
            return
        cs, rs = np.array([c for _, c, _ in new]), np.array([r for _, _, r in new])
        basic, active = cs == BASIC, rs != BASIC
        k = basic.sum(axis=1)
        x_fixed = np.where(cs == UPPER, lp.col_hi, lp.col_lo)
        x_fixed = np.where(basic, 0.0, x_fixed)
        good = (
            (k == active.sum(axis=1)) & ~np.any(cs == ZERO, axis=1) & ~np.any(active & (rs == ZERO), axis=1)
        )
        good &= np.all(np.isfinite(x_fixed), axis=1)
        K = int(k.max(initial=0))
        if K == 0 or not good.any():
            for (_, c, r), ok in zip(new, good.tolist(), strict=True):
                if ok:  # (no basic column: nothing to stack)
                    self._seen.discard(c.tobytes() + r.tobytes())
                    self.add(None, (c, r))
            return
        pad = np.arange(K)[None, :] >= k[:, None]
        bi, ai = pivots.packed(basic, K), pivots.packed(active, K)
        B = lp.A[ai[:, :, None], bi[:, None, :]]
        B[pad[:, :, None] | pad[:, None, :]] = 0.0
        B[~good] = 0.0
        B[:, np.arange(K), np.arange(K)] += pad | ~good[:, None]
        try:
            inverse = np.linalg.inv(B)
        except np.linalg.LinAlgError:  # one is singular: each alone (that one is left out)
            for (_, c, r), ok in zip(new, good.tolist(), strict=True):
                if ok:
                    self._seen.discard(c.tobytes() + r.tobytes())
                    self.add(None, (c, r))
            return
        # Small pivots: leave the basis to the solver (column sums of the real block only).
        norm = np.where(pad, 0.0, np.abs(B).sum(axis=1)).max(axis=1, initial=0)
        norm_inv = np.where(pad, 0.0, np.abs(inverse).sum(axis=1)).max(axis=1, initial=0)
        good &= norm * norm_inv <= CONDITION
        col_sign = pivots.required_signs(cs, lp.col_lo, lp.col_hi)
        row_sign = pivots.required_signs(rs, lp.row_lo, lp.row_hi)
        fixed_activity = x_fixed @ lp.A.T
        position = {int(r): i for i, r in enumerate(self.price_rows)}
        for g in np.flatnonzero(good).tolist():
            kg = int(k[g])
            act = ai[g, :kg]
            moving = np.array([i for i, r in enumerate(act.tolist()) if r in position], dtype=int)
            basis = Basis(
                None,
                bi[g, :kg],
                act,
                x_fixed[g],
                col_sign[g],
                row_sign[g, act],
                rs[g, act] == UPPER,
                inverse[g, :kg, :kg],
                moving,
                np.array([position[int(act[i])] for i in moving], dtype=int),
                np.flatnonzero(col_sign[g] != 0),
                fixed_activity[g],
                (cs[g], rs[g]),
                lp.A,
            )
            self._index[new[g][0]] = len(self.bases)
            self.bases.append(basis)

    def stack(self, todo: Scenarios, which: np.ndarray) -> pivots.Stack:
        """The LPs of the scenarios `which`, for `pivots`: their row bounds, and the price
        rows at their prices."""
        delta = todo.delta[which][:, None, :]
        rows = self.lp.A[self.price_rows][None, :, :] + self.d_rows[None, :, :] * delta
        lo, hi = pivots.rows_of(todo.row_lo, which), pivots.rows_of(todo.row_hi, which)
        return pivots.Stack(self.lp, lo, hi, self.price_rows, rows, self.abs_a)

    def known(self, col_status: np.ndarray, row_status: np.ndarray) -> int:
        """The position of the basis with these statuses, kept now if it is new; −1 if it
        is not usable."""
        key = col_status.tobytes() + row_status.tobytes()
        if key not in self._index:
            self.add(None, (col_status.astype(np.int8), row_status.astype(np.int8)))
        return self._index.get(key, -1)

    def hot_start(self, at: int) -> Any:
        """A HiGHS basis to start from for the basis at position `at`."""
        basis = self.bases[at]
        if basis.highs is not None:
            return basis.highs
        if at not in self._hot:
            import highspy

            hb = highspy.HighsBasis()
            code = [highspy.HighsBasisStatus(k) for k in (LOWER, BASIC, UPPER, ZERO)]
            hb.col_status = [code[k] for k in basis.codes[0].tolist()]
            hb.row_status = [code[k] for k in basis.codes[1].tolist()]
            hb.valid = True
            self._hot[at] = hb
        return self._hot[at]

    def scenarios(self, delta: np.ndarray, row_lo: np.ndarray, row_hi: np.ndarray) -> Scenarios:
        """Price changes (one row per scenario) and each scenario's row bounds, with costs."""
        c = self.lp.c[None, :] + self.dc[None, :] * delta
        scale = np.maximum(np.abs(c).max(axis=1), 1e-12)
        # A test passes when a signed reduced cost or dual is > margin: clear of 0 (strict),
        # or not below 0 beyond rounding (a value proof).
        margin = DUAL_MARGIN * scale if self.strict else -VALUE_TOLERANCE * scale
        return Scenarios(delta, c, row_lo, row_hi, margin)

    def prove_many(self, bases: list[Basis], todo: Scenarios, which: np.ndarray) -> Owners:
        """`prove` for several bases at once, each scenario tested against them in order
        until one proves it, as one `prove` call per basis would (the same test, the
        same blends and duals): for bases none of whose active rows move with the prices,
        the many small products of one call per basis made as a few stacked ones. Per scenario
        `which[r]`: the basis that proved it (`owner[r]`, −1: none), and how many tests
        each basis failed (`wrong[g, r]`)."""
        lp = self.lp
        m, n = lp.shape
        G, R = len(bases), len(which)
        c, margin = todo.c[which], todo.margin[which]
        assert not any(b.moves for b in bases), "prove_many: bases whose rows move are proved one by one"
        k = np.array([len(b.basic) for b in bases])
        K = int(k.max(initial=0))
        pad = np.arange(K)[None, :] >= k[:, None]
        inverse = np.zeros((G, K, K))
        bi, ai = np.zeros((G, K), dtype=int), np.zeros((G, K), dtype=int)
        upper = np.zeros((G, K), dtype=bool)
        row_sign = np.zeros((G, K))
        for g, b in enumerate(bases):
            inverse[g, : k[g], : k[g]] = b.inverse
            bi[g, : k[g]], ai[g, : k[g]], upper[g, : k[g]] = b.basic, b.active, b.row_at_upper
            row_sign[g, : k[g]] = b.row_sign
        col_sign = np.array([b.col_sign for b in bases]).reshape(G, n)
        # The dual tests of every basis and scenario at once (`_signed_stack`).
        real = ~pad
        a_active = np.where(real[:, :, None], lp.A[ai], 0.0)  # (G × K × n)
        signed, valid = _signed_stack(n, bi, real, inverse, a_active, col_sign, row_sign)
        # Only the tests that count, each basis's packed to the left (padding never fails).
        width = int(valid.sum(axis=1).max(initial=0))
        counted = pivots.packed(valid, width)
        signed = np.take_along_axis(signed, counted[:, None, :], axis=2)
        valid = np.take_along_axis(valid, counted, axis=1)
        wrong = ((np.matmul(c[None, :, :], signed) <= margin[None, :, None]) & valid[:, None, :]).sum(axis=2)
        # The blend of every (basis, scenario) that passes: B·x_B = w − N·x_N. With the
        # same row bounds in every scenario, a basis's blend is the same in all: found and
        # checked once per basis, and only the rows that move with the prices (a cost
        # bound, not active here) checked per scenario.
        g_, r_ = np.nonzero(wrong == 0)
        fixed = np.array([b.x_fixed for b in bases]).reshape(G, n)
        nonbasic = np.array([b.fixed_activity for b in bases]).reshape(G, m)  # (no price row is active)

        def blends(gp: np.ndarray, rp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """The blends of the pairs (gp, rp), their activities at the base prices, and
            whether each is within its bounds and meets its active rows to the last digits."""
            at = which[rp]
            lo, hi = pivots.rows_of(todo.row_lo, at), pivots.rows_of(todo.row_hi, at)
            w = np.where(
                upper[gp], np.take_along_axis(hi, ai[gp], axis=1), np.take_along_axis(lo, ai[gp], axis=1)
            )
            real_p = real[gp]
            rhs = np.where(real_p, w - np.take_along_axis(nonbasic[gp], ai[gp], axis=1), 0.0)
            x = fixed[gp]
            x[np.nonzero(real_p)[0], bi[gp][real_p]] = np.einsum("pkj,pj->pk", inverse[gp], rhs)[real_p]
            activity = x @ lp.A.T
            if len(self.price_rows) and not shared:
                activity[:, self.price_rows] += (todo.delta[at] * x) @ self.d_rows.T
            rows = self.fixed_rows if shared and len(self.price_rows) else None
            ok = pivots.within_bounds(self.stack(todo, at), x, activity, rows)
            # Active rows met to the last digits: a guard against an inaccurate solve.
            met = np.abs(np.take_along_axis(activity, ai[gp], axis=1) - w) <= MET * np.maximum(1.0, np.abs(w))
            return x, activity, ok & np.all(met | ~real_p, axis=1)

        shared = todo.row_lo.strides[0] == 0 and todo.row_hi.strides[0] == 0
        if shared:
            once, first = np.unique(g_, return_index=True)
            x1, activity1, ok1 = blends(once, r_[first])
            where = np.full(G, -1)
            where[once] = np.arange(len(once))
            x, ok = x1[where[g_]], ok1[where[g_]]
            if len(self.price_rows):  # each scenario's budget at its prices
                at = which[r_]
                moved = activity1[where[g_]]
                moved[:, self.price_rows] += (todo.delta[at] * x) @ self.d_rows.T
                ok &= pivots.within_bounds(self.stack(todo, at), x, moved, self.price_rows)
        else:
            x, _, ok = blends(g_, r_)
        # Each scenario's first basis that proves it.
        owner = np.full(R, G)
        np.minimum.at(owner, r_[ok], g_[ok])
        proved = np.flatnonzero(owner < G)
        owner[owner == G] = -1
        pick = np.flatnonzero(ok & (owner[r_] == g_))  # the pair of each proved scenario, by scenario
        pick = pick[np.argsort(r_[pick], kind="stable")]
        g, cp = g_[pick], c[r_[pick]]
        real_q = real[g]
        y = np.einsum("pk,pkj->pj", np.where(real_q, np.take_along_axis(cp, bi[g], axis=1), 0.0), inverse[g])
        row_duals = np.zeros((len(pick), m))
        row_duals[np.nonzero(real_q)[0], ai[g][real_q]] = y[real_q]
        basic = np.array([b.codes[0] == BASIC for b in bases]).reshape(G, n)
        col_duals = np.where(basic[g], 0.0, cp - row_duals @ lp.A)  # (a fixed column's too)
        return Owners(owner, wrong, Proof(proved, x[pick], row_duals, col_duals, np.zeros(0, dtype=int)))

    def prove(self, basis: Basis, todo: Scenarios, which: np.ndarray) -> Proof:
        """The scenarios `which` (positions in `todo`) for which `basis` is optimal with a
        unique blend, with their blends and duals. Duals first (most scenarios fail
        there), then the blend of those that pass."""
        lp = self.lp
        A = lp.A
        basic, active = basis.basic, basis.active
        S, k = len(which), len(basic)
        c = todo.c[which]  # (S × n)
        moving = len(basis.moving) > 0
        margin = todo.margin[which][:, None]
        nb = basis.nb
        rank_one = False  # (see below: one moving row)
        if basis.signed is not None:  # the dual test in one product
            wrong = (c @ basis.signed <= margin).sum(axis=1)
            cand = np.flatnonzero(wrong == 0)
            if not len(cand):
                return _none(lp, S, wrong)
            y = c[cand][:, basic] @ basis.inverse
        else:
            delta = todo.delta[which]
            # One moving row (a cost bound): B_s = B + e_i·v_sᵀ, solved through B⁻¹ by the
            # Sherman–Morrison formula (scenario by scenario, a factorisation would cost
            # k³ each); several moving rows: each B_s factorised.
            rank_one = RANK_ONE_UPDATES and len(basis.moving) == 1
            if rank_one:
                i, r = int(basis.moving[0]), int(basis.moving_rows[0])
                v = self.d_rows[r, basic][None, :] * delta[:, basic]  # (S × k) row i of B_s − B
                u = v @ basis.inverse
                den = 1.0 + u[:, i]
                # Scenario by scenario: one whose update is nearly singular is left out
                # (not proved here), whichever scenarios it is tested with.
                near = np.abs(den) <= RANK_ONE
                den = np.where(near, 1.0, den)
                y0 = c[:, basic] @ basis.inverse
                y = y0 - u * (y0[:, i] / den)[:, None]
                y[near] = np.nan
            else:
                Bs = np.broadcast_to(A[np.ix_(active, basic)], (S, k, k)).copy()
                for i, r in zip(basis.moving, basis.moving_rows, strict=True):
                    Bs[:, i, :] += self.d_rows[r, basic][None, :] * delta[:, basic]
                try:
                    y = np.linalg.solve(np.transpose(Bs, (0, 2, 1)), c[:, basic][:, :, None])[:, :, 0]
                except np.linalg.LinAlgError:
                    return _none(lp, S)
            d_nb = c[:, nb] - y @ basis.a_nb
            for i, r in zip(basis.moving, basis.moving_rows, strict=True):
                d_nb -= y[:, i : i + 1] * (self.d_rows[r, nb][None, :] * delta[:, nb])
            wrong = (basis.col_sign[nb][None, :] * d_nb <= margin).sum(axis=1)
            rs = basis.row_sign != 0
            wrong += (basis.row_sign[rs][None, :] * y[:, rs] <= margin).sum(axis=1)
            if rank_one:  # (NaN compares false: a nearly singular B_s fails every test)
                wrong[near] = len(nb) + int(rs.sum())
            cand = np.flatnonzero(wrong == 0)
            if not len(cand):
                return _none(lp, S, wrong)
            y = y[cand]
            if rank_one:
                v, den = v[cand], den[cand]
            else:
                Bs = Bs[cand]
        # The blend of the candidates: basic columns solve B·x_B = w − N·x_N. When no active
        # row moves with the prices and every scenario has the same row bounds, that blend
        # is the same for all of them: found and checked once, and only the rows that move
        # with the prices (a cost bound, not active here) are checked scenario by scenario.
        shared = not moving and todo.row_lo.strides[0] == 0 and todo.row_hi.strides[0] == 0
        every = cand
        if shared:
            cand = cand[:1]
        at = which[cand]
        dc_ = todo.delta[at]
        lo, hi = todo.row_lo[at], todo.row_hi[at]
        w = np.where(basis.row_at_upper[None, :], hi[:, active], lo[:, active])
        nonbasic = np.broadcast_to(basis.fixed_activity, (len(cand), lp.shape[0])).copy()
        if len(self.price_rows):
            nonbasic[:, self.price_rows] += (dc_ * basis.x_fixed[None, :]) @ self.d_rows.T
        rhs = w - nonbasic[:, active]
        if moving and not rank_one:
            try:
                xb = np.linalg.solve(Bs, rhs[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                return _none(lp, S, wrong)
        else:
            xb = rhs @ basis.inverse.T
            if moving:  # B_s⁻¹·rhs = B⁻¹rhs − B⁻¹e_i (v_s·B⁻¹rhs) / (1 + v_s·B⁻¹e_i)
                xb -= basis.inverse[:, i][None, :] * ((v * xb).sum(axis=1) / den)[:, None]
        x = np.broadcast_to(basis.x_fixed, (len(cand), lp.shape[1])).copy()
        x[:, basic] = xb
        activity = x @ A.T
        if len(self.price_rows):
            activity[:, self.price_rows] += (dc_ * x) @ self.d_rows.T
        # (a shared blend: its rows that move with the prices are checked per scenario below)
        rows = self.fixed_rows if shared and len(self.price_rows) else None
        ok = pivots.within_bounds(self.stack(todo, at), x, activity, rows)
        # Active rows met to the last digits: a guard against an inaccurate solve.
        met = np.abs(activity[:, active] - w) <= MET * np.maximum(1.0, np.abs(w))
        ok &= np.all(met, axis=1)
        if shared:  # one blend for every candidate
            x, cand = np.broadcast_to(x[0], (len(every), lp.shape[1])), every
            good = np.arange(len(every)) if ok[0] else np.zeros(0, dtype=int)
            if ok[0] and len(self.price_rows):
                at = which[every]
                moved = np.broadcast_to(activity[0], (len(every), lp.shape[0])).copy()
                moved[:, self.price_rows] = (
                    A[self.price_rows] @ x[0] + (todo.delta[at] * x[0]) @ self.d_rows.T
                )
                good = np.flatnonzero(pivots.within_bounds(self.stack(todo, at), x, moved, self.price_rows))
        else:
            good = np.flatnonzero(ok)
        idx = cand[good]
        row_duals = np.zeros((len(idx), lp.shape[0]))
        row_duals[:, active] = y[good]
        # Reduced costs of every nonbasic column, a fixed one's too (d_nb above: those
        # whose sign is tested): c − Aᵀy with the moving rows at each scenario's prices.
        col_duals = c[idx] - y[good] @ A[active]
        for i, r in zip(basis.moving, basis.moving_rows, strict=True):
            col_duals -= y[good][:, i : i + 1] * (self.d_rows[r][None, :] * todo.delta[which[idx]])
        col_duals[:, basic] = 0.0
        return Proof(idx, x[good], row_duals, col_duals, wrong)


@dataclass(frozen=True, eq=False)
class Owners:
    """What `BasisLibrary.prove_many` found: per scenario tested, the basis that proved it
    (−1: none) and per basis the tests it failed; and the proofs (`proof.index`: the
    scenarios proved, in order)."""

    owner: np.ndarray  # (tested,)
    wrong: np.ndarray  # (bases × tested)
    proof: Proof


@dataclass(frozen=True, eq=False)
class Scenarios:
    delta: np.ndarray  # (scenarios × columns) price change
    c: np.ndarray  # (scenarios × columns) objective
    row_lo: np.ndarray  # (scenarios × rows)
    row_hi: np.ndarray
    margin: np.ndarray  # (scenarios,) how far from 0 a reduced cost must be: no tie


class Proved(Mapping[int, LPSolution]):
    """The scenarios proved optimal, held as arrays with one row per scenario (blends,
    objectives, duals, the statuses of the basis each was proved at); an LPSolution is
    built only when one is asked for (`proved[q]`), so thousands of proofs cost no object
    each."""

    def __init__(self, lp: MatrixLP, count: int) -> None:
        m, n = lp.shape
        self.offset = lp.offset
        self.done = np.zeros(count, dtype=bool)
        self.x = np.zeros((count, n))
        self.objective = np.full(count, np.nan)
        self.row_duals = np.zeros((count, m))
        self.col_duals = np.zeros((count, n))
        self.seconds = np.zeros(count)
        self.walked = np.zeros(count, dtype=bool)  # reached by simplex steps (else a known basis)
        self.col_status = np.zeros((count, n), dtype=np.int8)
        self.row_status = np.zeros((count, m), dtype=np.int8)

    def put(
        self,
        hit: np.ndarray,
        proof: Proof | pivots.Walked,
        c: np.ndarray,
        seconds: float,
        walked: bool,
        codes: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """The scenarios `hit`, proved with `proof` (its rows in the order of `hit`) at
        costs `c` (rows of `hit`), at the basis with statuses `codes` (one for all, or a
        row each)."""
        self.done[hit] = True
        self.x[hit] = proof.x
        self.objective[hit] = np.einsum("ij,ij->i", c, proof.x) + self.offset
        self.row_duals[hit] = proof.row_duals
        self.col_duals[hit] = proof.col_duals
        self.seconds[hit] = seconds
        self.walked[hit] = walked
        self.col_status[hit], self.row_status[hit] = codes

    def __getitem__(self, q: int) -> LPSolution:
        if not (0 <= q < len(self.done) and self.done[q]):
            raise KeyError(q)
        return LPSolution(
            "optimal",
            "highs",
            float(self.seconds[q]),
            self.x[q].copy(),
            float(self.objective[q]),
            self.row_duals[q].copy(),
            self.col_duals[q].copy(),
            WALKED if self.walked[q] else PROVED,
        )

    def __iter__(self) -> Iterator[int]:
        return iter(np.flatnonzero(self.done).tolist())

    def __len__(self) -> int:
        return int(self.done.sum())

    @property
    def index(self) -> np.ndarray:
        """The positions proved, in order."""
        return np.flatnonzero(self.done)


def statuses(highs_basis: Any) -> tuple[np.ndarray, np.ndarray]:
    """A HiGHS basis's column and row statuses as small integers (reading them is the cost:
    highspy builds a list of enum objects; `.value` is then ten times faster than `int()`)."""
    return (
        np.array([s.value for s in highs_basis.col_status], dtype=np.int8),
        np.array([s.value for s in highs_basis.row_status], dtype=np.int8),
    )


def _signed_stack(
    n: int, bi: np.ndarray, real: np.ndarray, inverse: np.ndarray, a_active: np.ndarray,
    col_sign: np.ndarray, row_sign: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """For bases stacked and padded to K (basic columns `bi`, `real` where not padding,
    B⁻¹ `inverse`, A[active] `a_active`, signs), the matrices that map a cost vector c to
    each basis's signed reduced costs (every column) and signed row duals (every active
    row): with y = B⁻ᵀc_B, d = c − Aᵀy and y are both linear in c. (bases × n × (n + K)),
    and which of those tests count: the columns and rows whose sign is required."""
    G, K = real.shape
    to_y = np.zeros((G, n, K))
    g, k = np.nonzero(real)
    to_y[g, bi[g, k], :] = inverse[g, k, :]  # y = c @ to_y
    to_d = -np.matmul(to_y, a_active)
    to_d[:, np.arange(n), np.arange(n)] += 1.0  # d = c − y @ A[active]
    signed = np.concatenate([to_d * col_sign[:, None, :], to_y * row_sign[:, None, :]], axis=2)
    return signed, np.concatenate([col_sign != 0, (row_sign != 0) & real], axis=1)


def _none(lp: MatrixLP, tested: int, wrong: np.ndarray | None = None) -> Proof:
    m, n = lp.shape
    if wrong is None:
        wrong = np.full(tested, n + m)
    return Proof(np.zeros(0, dtype=int), np.zeros((0, n)), np.zeros((0, m)), np.zeros((0, n)), wrong)


@dataclass
class Counts:
    """How many scenarios each path handled (a two-stage brief counts each stage)."""

    proved: int = 0  # proved optimal for a known basis: no simplex run
    highs: int = 0  # hot-started HiGHS runs (their bases joined the library)
    bases: int = 0  # bases kept
    walked: int = 0  # proved optimal at a basis reached by simplex steps (`pivots`)
    steps: int = 0  # those simplex steps, all scenarios together

    def add(self, other: Counts) -> None:
        self.proved += other.proved
        self.highs += other.highs
        self.bases += other.bases
        self.walked += other.walked
        self.steps += other.steps


Outcome = Any  # Solved, or the exception one scenario raised


class PricedProblem(Protocol):
    """What the fast path's compiled brief offers (fastpath.PricedBrief)."""

    known: np.ndarray
    p0: np.ndarray
    dc: np.ndarray
    dcost: np.ndarray
    price_rows: np.ndarray
    d_rows: np.ndarray
    two_stage: bool
    tie_lp: MatrixLP | None
    objective_row: int
    basis1: Any
    basis2: Any
    h1: Any
    h2: Any

    @property
    def lp(self) -> MatrixLP: ...

    # solve(prices, verify, start), finish(prices, first, final,
    # started, verify, checked, start2, blend) and verify_many(prices, x), as PricedBrief defines them.
    @property
    def solve(self) -> Callable[..., Any]: ...
    @property
    def finish(self) -> Callable[..., Any]: ...
    @property
    def verify_many(self) -> Callable[..., tuple[np.ndarray, np.ndarray]]: ...
    @property
    def notes_of_optimum(self) -> list[str]: ...


def solve_scenarios(brief: PricedProblem, prices: np.ndarray, counts: Counts | None = None) -> Answers:
    """`brief.solve` for every row of `prices`: what a known basis proves optimal takes its
    blend and duals with no simplex run; the rest run HiGHS one by one, each adding its
    basis to the library before the remaining scenarios are tested again. Every blend is
    then checked against the raw table, all at once.

    The matrix products are small (scenarios × a few dozen): BLAS threads would only spin,
    so they run on one thread."""
    with one_blas_thread():
        return _solve_scenarios(brief, prices, counts)


_ONE_THREAD = threading.local()  # .depth: how many one_blas_thread contexts this thread is in


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """A context in which numpy's BLAS runs on one thread: for many small matrix products,
    where more threads only spin (they doubled the CPU time of a batch, for no wall time).
    Nested contexts cost nothing; the BLAS libraries are found once (`_blas`)."""
    depth = getattr(_ONE_THREAD, "depth", 0)
    if depth:
        _ONE_THREAD.depth = depth + 1
        try:
            yield
        finally:
            _ONE_THREAD.depth = depth
        return
    with _blas().limit(limits=1, user_api="blas"):
        _ONE_THREAD.depth = 1
        try:
            yield
        finally:
            _ONE_THREAD.depth = 0


@functools.cache
def _blas() -> Any:
    """The thread pools of the loaded BLAS (finding them takes about a millisecond: once)."""
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


def _solve_scenarios(brief: PricedProblem, prices: np.ndarray, counts: Counts | None) -> Answers:
    from .engine import ZERO as NEGLIGIBLE
    from .engine import gated_status, tie_break_cap

    counts = counts if counts is not None else Counts()
    S = prices.shape[0]
    ran: dict[int, Outcome] = {}  # scenarios HiGHS solved (their answer, unchecked)
    delta = np.where(brief.known[None, :], prices - brief.p0[None, :], 0.0)
    lp = brief.lp
    # A two-stage brief's first stage needs only its optimal value (see BasisLibrary.strict).
    lib1 = BasisLibrary(lp, brief.dc, brief.price_rows, brief.d_rows, strict=not brief.two_stage)
    lib1.add(brief.basis1)
    lib2 = None
    if brief.two_stage:
        assert brief.tie_lp is not None
        lib2 = BasisLibrary(brief.tie_lp, brief.dcost, brief.price_rows, brief.d_rows)
        lib2.add(brief.basis2)

    def highs1(s: int, start: Any) -> tuple[Any, LPSolution] | None:
        ran[s] = _attempt(lambda: brief.solve(prices[s], verify=False, start=start))
        done = ran[s]
        if lib2 is not None and not isinstance(done, Exception) and done.final is not done.first:
            _learn(lib2, brief.h2)  # the tie-break ran too
        return None if isinstance(done, Exception) else (brief.h1, done.first)

    lo1, hi1 = _rows(lp.row_lo, S), _rows(lp.row_hi, S)
    first = prove_or_solve(lib1, delta, lo1, hi1, highs1, counts, brief.basis1)
    final: Proved = first
    pending = np.arange(S)  # the scenarios the final stage was asked about, its rows
    if lib2 is not None:
        tie = lib2.lp
        pending = first.index
        hi2 = _rows(tie.row_hi, len(pending)).copy()
        hi2[:, brief.objective_row] = tie_break_cap(first.objective[pending])

        def highs2(q: int, start: Any) -> tuple[Any, LPSolution] | None:
            s = int(pending[q])
            ran[s] = done = _attempt(
                lambda: brief.finish(prices[s], first[s], None, verify=False, start2=start)
            )
            return None if isinstance(done, Exception) else (brief.h2, done.final)

        lo2 = _rows(tie.row_lo, len(pending))
        # The tie-break walks from the first stage's basis, its objective row off its bound:
        # that blend is within the tie-break's bounds, a feasible start.
        rows1 = first.row_status[pending]
        starts = (
            first.col_status[pending],
            np.hstack([rows1, np.full((len(pending), 1), BASIC, dtype=rows1.dtype)]),
        )
        final = prove_or_solve(lib2, delta[pending], lo2, hi2, highs2, counts, brief.basis2, starts=starts)
    counts.bases += len(lib1.bases) + (0 if lib2 is None else len(lib2.bases))
    answers = Answers(brief.notes_of_optimum, first, final, pending, ran)
    # Every blend checked against the raw table, all at once.
    checked = [s for s, done in ran.items() if not isinstance(done, Exception) and done.x is not None]
    order = np.concatenate([answers.proved, np.array(checked, dtype=int)])
    if len(order):
        x = answers.x[answers.proved]
        if checked:
            x = np.vstack([x, [ran[s].x for s in checked]])
        x = np.where(np.abs(x) < NEGLIGIBLE, 0.0, x)
        ok, worst = brief.verify_many(prices[order], x)
        proved = len(answers.proved)
        answers.checked(x[:proved], ok[:proved], worst[:proved])
        for t, s in enumerate(checked, start=proved):
            status = gated_status(ran[s].status, bool(ok[t]))  # never "optimal" when the check fails
            ran[s] = replace(ran[s], status=status, verified=bool(ok[t]), max_violation=float(worst[t]))
    return answers


class Answers(Sequence[Outcome]):
    """Every scenario's answer. Those the library proved in every stage are held as arrays
    (`proved`: their positions; `x`, `verified`, `worst`, `seconds`: rows by scenario);
    `answers[s]` builds a scenario's `Solved` (its LP solutions and notes) only when asked.
    The others, HiGHS's answers or the exception a scenario raised, are in `ran`. Holds
    no solver or brief: it pickles (a pool worker's answers)."""

    def __init__(
        self, notes: list[str], first: Proved, final: Proved, pending: np.ndarray, ran: dict[int, Outcome]
    ) -> None:
        S = len(first.done)
        self.notes, self.first, self.final, self.ran = notes, first, final, ran
        self.row = np.full(S, -1)  # per scenario: its row in the final stage's arrays
        self.row[pending[final.index]] = final.index
        self.proved = np.flatnonzero(self.row >= 0)
        self.x = np.zeros((S, first.x.shape[1]))
        self.x[self.proved] = final.x[self.row[self.proved]]
        self.verified = np.zeros(S, dtype=bool)
        self.worst = np.full(S, np.nan)
        self.seconds = first.seconds.copy()
        if final is not first:
            self.seconds[self.proved] += final.seconds[self.row[self.proved]]

    def __getstate__(self) -> dict[str, Any]:
        """Without `ran`: what a pool worker sends back are the proved scenarios (the
        others are items already, and an exception one raised may not pickle)."""
        return {**self.__dict__, "ran": {}}

    def checked(self, x: np.ndarray, ok: np.ndarray, worst: np.ndarray) -> None:
        """The proved blends (rows of `proved`), |x| < ZERO set to 0, and their check."""
        self.x[self.proved], self.verified[self.proved], self.worst[self.proved] = x, ok, worst

    def __len__(self) -> int:
        return len(self.row)

    @overload
    def __getitem__(self, s: int) -> Outcome: ...
    @overload
    def __getitem__(self, s: slice) -> list[Outcome]: ...
    def __getitem__(self, s: int | slice) -> Outcome | list[Outcome]:
        if isinstance(s, slice):
            return [self[k] for k in range(len(self))[s]]
        if not 0 <= s < len(self):
            raise IndexError(s)
        if s in self.ran:
            return self.ran[s]
        r = int(self.row[s])
        if r < 0:
            raise IndexError(s)
        from .engine import gated_status

        first = self.first[s]
        final = first if self.final is self.first else self.final[r]
        ok = bool(self.verified[s])
        status = gated_status(final.status, ok)  # never "optimal" when the check fails
        x, seconds, worst = self.x[s].copy(), float(self.seconds[s]), float(self.worst[s])
        return Solved(status, first, final, list(self.notes), seconds, x, ok, worst)


def _attempt(compute: Any) -> Outcome:
    try:
        return compute()
    except Exception as err:  # recorded for this scenario alone
        return err


def _rows(values: np.ndarray, count: int) -> np.ndarray:
    return np.broadcast_to(values, (count, len(values)))


def _learn(library: BasisLibrary, h: Any) -> Basis | None:
    """Keep the optimal basis HiGHS ended at (None if not optimal, unusable or known)."""
    return library.add(h.getBasis()) if h.getModelStatus() == _optimal() else None


def _optimal() -> Any:
    import highspy

    return highspy.HighsModelStatus.kOptimal


def prove_or_solve(
    library: BasisLibrary,
    delta: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    run_highs: Any,
    counts: Counts,
    base: Any = None,
    starts: tuple[np.ndarray, np.ndarray] | None = None,
) -> Proved:
    """Prove what the library can among the scenarios (rows of `delta`); walk the rest
    by simplex steps (`pivots`) from their `starts` (column and row statuses per scenario,
    each primal feasible for its scenario) or else from their nearest known basis; run
    HiGHS on the first still unproved one (`run_highs(q, start)` records its own answer
    and returns the solved Highs object and its LP solution, or None), learn its basis,
    and test the rest against it; until none is left. The proved ones, by position, with
    the statuses of the basis each was proved at.

    HiGHS starts from the known basis nearest to the scenario (fewest reduced costs of
    the wrong sign); should it end at an optimum that is not unique (a tie), it is run
    again from the base basis (`base`, where `run_highs(q, None)` starts), so that a tie is
    broken as without a library. A scenario whose walk stopped at a tie starts from the
    base basis at once (a run from nearer would end at the tie and be run again).

    Learning pays while a new basis proves enough other scenarios; when the last
    LEARN_WINDOW learned bases took longer (reading, factorising, testing) than the HiGHS
    runs of the scenarios they proved would have (large price moves: nearly every
    scenario has a basis of its own), the library stops growing and the rest are hot
    starts from their nearest known basis (a factorisation and a test per scenario would
    cost more than the simplex runs they save). A start from the nearest basis, not the
    base: from the base, HiGHS can stop within its dual tolerance of the optimum (5e-7 of
    the cost seen in bench_batch at ±30 % moves, where a cold solve finds the optimum),
    while nearest starts with the tie test agreed to 3e-11 there."""
    todo = library.scenarios(delta, row_lo, row_hi)
    S = delta.shape[0]
    proved = Proved(library.lp, S)
    left = np.arange(S)
    nearest = np.full(S, -1)  # per scenario: the position in library.bases of its nearest basis
    fewest = np.full(S, np.iinfo(np.int64).max)
    tied: set[int] = set()  # scenarios whose walk stopped at a tie: HiGHS from the base basis
    tested = 0
    lp = library.lp
    learned_cost: list[float] = []  # seconds each learned basis took
    saved: list[float] = []  # scenarios each learned basis proved
    highs_seconds, highs_runs = 0.0, 0
    learning = True
    # The walk proves strictly; a value proof (ties allowed) is left to the solver.
    walking = WALK and S > 0 and library.strict and (bool(library.bases) or starts is not None)

    def test(at: int, which: np.ndarray) -> np.ndarray:
        """Prove `which` against the basis `library.bases[at]`; the positions proved."""
        started = time.perf_counter()
        proof = library.prove(library.bases[at], todo, which)
        closer = proof.wrong < fewest[which]
        fewest[which[closer]] = proof.wrong[closer]
        nearest[which[closer]] = at
        if not len(proof.index):
            return proof.index
        hit = which[proof.index]
        seconds = (time.perf_counter() - started) / len(hit)
        record(hit, proof, seconds, library.bases[at].codes)
        return np.asarray(hit)

    def record(hit: np.ndarray, proof: Proof, seconds: float, codes: tuple[np.ndarray, np.ndarray]) -> None:
        proved.put(hit, proof, todo.c[hit], seconds, False, codes)
        counts.proved += len(hit)

    def walk(which: np.ndarray, learn: bool = False) -> np.ndarray:
        """Walk `which` from their starts, or their nearest bases, to their own bases
        (`pivots`); those left, each now nearest the basis its walk stopped at (kept in
        the library as a start). learn: the bases the walks ended at join the library."""
        started = time.perf_counter()
        stack = library.stack(todo, which)
        m, n = lp.shape
        col_status, row_status = np.zeros((len(which), n), np.int8), np.zeros((len(which), m), np.int8)
        known = nearest[which] >= 0  # (none tested yet: an empty library, and starts given)
        if known.any():  # each scenario's nearest basis's statuses
            used, slot = np.unique(nearest[which[known]], return_inverse=True)
            col_status[known] = np.array([library.bases[at].codes[0] for at in used.tolist()])[slot]
            row_status[known] = np.array([library.bases[at].codes[1] for at in used.tolist()])[slot]
        if starts is not None:  # the nearest basis where it is feasible, else the start given
            near = known & pivots.primal_feasible(stack, col_status, row_status)
            col_status = np.where(near[:, None], col_status, starts[0][which])
            row_status = np.where(near[:, None], row_status, starts[1][which])
        walked = pivots.walk(stack, todo.c[which], todo.margin[which], col_status, row_status)
        counts.steps += walked.steps
        hit = which[walked.index]
        ended = (walked.col_status[walked.index], walked.row_status[walked.index])
        seconds = (time.perf_counter() - started) / max(1, len(which))
        proved.put(hit, walked, todo.c[hit], seconds, True, ended)
        if learn:
            library.add_many([(ended[0][t], ended[1][t]) for t in range(len(hit))])
        counts.walked += len(hit)
        rest = np.setdiff1d(which, hit, assume_unique=True)
        if walked.tied is not None:
            tied.update(which[walked.tied].tolist())
        for q in rest.tolist():
            t = int(np.searchsorted(which, q))
            at = library.known(walked.col_status[t], walked.row_status[t])
            if at >= 0:
                nearest[q] = at
        return rest

    def test_many(ats: list[int], which: np.ndarray) -> np.ndarray:
        """`test` for the bases `ats` in order, at once (`BasisLibrary.prove_many`)."""
        started = time.perf_counter()
        found = library.prove_many([library.bases[at] for at in ats], todo, which)
        left = found.owner < 0
        if left.any():  # each scenario left now nearest the first basis it fails least
            wrong = found.wrong[:, left]
            g = wrong.argmin(axis=0)
            fewer = wrong[g, np.arange(len(g))]
            rest = which[left]
            closer = fewer < fewest[rest]
            fewest[rest[closer]] = fewer[closer]
            nearest[rest[closer]] = np.asarray(ats)[g[closer]]
        proof = found.proof
        if not len(proof.index):
            return proof.index
        hit = which[proof.index]
        owners = np.asarray(ats)[found.owner[proof.index]]
        codes = (
            np.array([library.bases[at].codes[0] for at in owners.tolist()]),
            np.array([library.bases[at].codes[1] for at in owners.tolist()]),
        )
        seconds = (time.perf_counter() - started) / len(hit)
        record(hit, proof, seconds, codes)
        return np.asarray(hit)

    def test_all(which: np.ndarray) -> np.ndarray:
        """`which` tested against the bases not tested yet, in order; those left. Runs of
        bases whose dual test is one product are tested together (`test_many`)."""
        at, end = tested, len(library.bases)
        while at < end and len(which):
            run = at
            while run < end and run - at < MANY and not library.bases[run].moves:
                run += 1
            hit = test_many(list(range(at, run)), which) if run - at > 1 else test(at, which)
            at = max(run, at + 1)
            if len(hit):
                which = np.setdiff1d(which, hit, assume_unique=True)
        return which

    # Walking: first a few scenarios, whose bases join the library and are tested on the
    # rest (small price moves: a few bases prove most scenarios), doubling while that
    # costs less than walking the scenarios it proves; then the rest all at once.
    chunk, hold, learn = FIRST_WALK, np.zeros(0, dtype=int), True
    while len(left):
        left = test_all(left)
        tested = len(library.bases)
        if walking and learn and len(left) > chunk:
            first, later = left[:chunk], left[chunk:]
            known = len(library.bases)
            hold = np.concatenate([hold, walk(first, learn=True)])
            new_bases = len(library.bases) - known
            left = test_all(later)
            tested = len(library.bases)
            if len(later) - len(left) >= LEARN_RATE * new_bases:
                chunk *= 2
            else:
                learn = False
            if len(left):
                continue
        if walking and len(left):  # what the walk leaves goes to HiGHS, as below
            hold = np.concatenate([hold, walk(left)])
            left = np.zeros(0, dtype=int)
        if walking or len(hold):
            left, hold, walking = np.sort(np.concatenate([left, hold])), np.zeros(0, dtype=int), False
        if not len(left):
            break
        q, left = int(left[0]), left[1:]
        start = library.bases[nearest[q]] if nearest[q] >= 0 else None
        if start is not None and base is not None and start.highs is base:
            start = None  # the base basis: the run is the one without a library
        if q in tied:  # a tie is broken from the base basis (see below): no run from nearer
            start = None
        started = time.perf_counter()
        ran = run_highs(q, None if start is None else library.hot_start(int(nearest[q])))
        ended = time.perf_counter()
        highs_seconds, highs_runs = highs_seconds + ended - started, highs_runs + 1
        counts.highs += 1
        if ran is None:
            continue
        h, solution = ran
        # (a value proof needs no unique optimum: HiGHS's optimal value is the value)
        check = start is not None and library.strict
        basis = codes = None
        if learning or check:
            basis = h.getBasis() if h.getModelStatus() == _optimal() else None
            codes = statuses(basis) if basis is not None and basis.valid else None
        learned = library.add(basis, codes) if learning and codes is not None else None
        if check and not _unique(codes, lp, solution, todo.margin[q]):
            run_highs(q, None)  # a tie: break it from the base basis
            counts.highs += 1
        if learned is not None and len(left):
            hit = test(len(library.bases) - 1, left)
            left = np.setdiff1d(left, hit, assume_unique=True)
            learned_cost.append(time.perf_counter() - ended)
            saved.append(len(hit))
            if len(saved) >= LEARN_WINDOW:
                per_run = highs_seconds / highs_runs
                learning = sum(learned_cost[-LEARN_WINDOW:]) < sum(saved[-LEARN_WINDOW:]) * per_run
        tested = len(library.bases)
    return proved


def _unique(
    codes: tuple[np.ndarray, np.ndarray] | None, lp: MatrixLP, solution: LPSolution, margin: float
) -> bool:
    """Is HiGHS's optimum unique: every reduced cost of a nonbasic column and every dual of
    an active inequality row clear of 0 (by `margin`, with its sign)? Read from HiGHS's own
    basis and duals, for any basis (known to the library or not)."""
    if codes is None:
        return False
    col, row = codes
    if np.any(col == ZERO) or np.any(row == ZERO):
        return False
    d, y = solution.col_duals, solution.row_duals
    if d is None or y is None:
        return False
    col_sign = pivots.required_signs(col, lp.col_lo, lp.col_hi)
    row_sign = pivots.required_signs(row, lp.row_lo, lp.row_hi)
    cs, rs = col_sign != 0, row_sign != 0
    return bool(np.all(col_sign[cs] * d[cs] > margin) and np.all(row_sign[rs] * y[rs] > margin))
