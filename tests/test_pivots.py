"""The batched primal simplex (`solving/pivots.py`) against HiGHS on the same LPs, and on
small problems solved by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sarcoform.solving.backends import highs_optimum
from sarcoform.solving.basis_library import statuses
from sarcoform.solving.lp import BASIC, LOWER, UPPER, MatrixLP
from sarcoform.solving.pivots import Stack, _solve_stack, prove, walk

MARGIN = 1e-7


def random_lp(rng: np.random.Generator, m: int, n: int) -> MatrixLP:
    """A bounded LP with a known feasible point: 0 ≤ x ≤ 10, rows within ± a few units of
    A·x0 (some one-sided, one an equality), like a formulation's nutrient rows."""
    A = rng.uniform(0.0, 5.0, size=(m, n)) * (rng.random((m, n)) < 0.7)
    x0 = rng.uniform(0.5, 3.0, size=n)
    a0 = A @ x0
    lo, hi = a0 - rng.uniform(0.5, 5.0, m), a0 + rng.uniform(0.5, 5.0, m)
    lo[rng.random(m) < 0.3] = -np.inf
    hi[rng.random(m) < 0.3] = np.inf
    lo[0] = hi[0] = a0[0]  # an equality row (a serving size)
    names = tuple(f"x{j}" for j in range(n)), tuple(f"r{i}" for i in range(m))
    return MatrixLP(rng.uniform(1.0, 10.0, n), A, lo, hi, np.zeros(n), np.full(n, 10.0), *names)


def start(lp: MatrixLP) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS's optimal basis of `lp` at its own objective: a primal feasible start."""
    solved = highs_optimum(lp)
    assert solved.optimal
    return statuses(solved.highs.getBasis())


@pytest.mark.parametrize("seed", range(12))
def test_walks_end_at_the_optimum_highs_finds(seed: int) -> None:
    """40 objectives moved by up to ±50 % from the start's: every blend the walk proves is
    HiGHS's optimum of that objective (cost to 1e-9, grams to 1e-7: a strict proof means a
    unique optimum), and the walk proves most of them (else this tests nothing)."""
    rng = np.random.default_rng(seed)
    lp = random_lp(rng, m=9, n=12)
    cs, rs = start(lp)
    S = 40
    c = lp.c[None, :] * rng.uniform(0.5, 1.5, size=(S, len(lp.c)))
    walked = walk(Stack.shared(lp, S), c, np.full(S, MARGIN), np.tile(cs, (S, 1)), np.tile(rs, (S, 1)))
    assert len(walked.index) >= S // 2
    assert walked.steps > 0
    for t, s in enumerate(walked.index.tolist()):
        ref = highs_optimum(lp.with_objective(c[s]))
        assert ref.x is not None and ref.objective is not None
        assert c[s] @ walked.x[t] == pytest.approx(ref.objective, rel=1e-9)
        np.testing.assert_allclose(walked.x[t], ref.x, rtol=0, atol=1e-7)
        # the duals price the blend: c·x = Σ row duals × active bounds + reduced costs × column bounds
        activity = lp.A @ walked.x[t]
        assert walked.row_duals[t] @ activity + walked.col_duals[t] @ walked.x[t] == pytest.approx(
            c[s] @ walked.x[t], rel=1e-9
        )


@pytest.mark.parametrize("seed", range(6))
def test_walks_with_a_row_that_moves_with_the_scenario(seed: int) -> None:
    """A cost bound: one row whose coefficients are each scenario's own (prices), capped
    above; the objective is cost too (a tie-break). Each scenario's LP is built whole and
    solved by HiGHS; the walk starts at the base optimum, which every scenario's row keeps
    feasible (its prices only fall), and must end at HiGHS's optimum."""
    rng = np.random.default_rng(100 + seed)
    base = random_lp(rng, m=8, n=10)
    price = rng.uniform(1.0, 10.0, base.shape[1])
    x0 = highs_optimum(base.with_objective(price)).x
    assert x0 is not None
    lp = base.with_row("cost", price, -np.inf, float(price @ x0) * 1.05).with_objective(price)
    cs, rs = start(lp)
    S = 30
    prices = price[None, :] * rng.uniform(0.6, 1.0, size=(S, len(price)))
    stack = Stack(
        lp,
        np.broadcast_to(lp.row_lo, (S, lp.shape[0])),
        np.broadcast_to(lp.row_hi, (S, lp.shape[0])),
        np.array([lp.shape[0] - 1]),
        prices[:, None, :],
    )
    walked = walk(stack, prices, np.full(S, MARGIN), np.tile(cs, (S, 1)), np.tile(rs, (S, 1)))
    assert len(walked.index) >= S // 2
    for t, s in enumerate(walked.index.tolist()):
        own = MatrixLP(
            prices[s], np.vstack([lp.A[:-1], prices[s]]), lp.row_lo, lp.row_hi, lp.col_lo, lp.col_hi,
            lp.col_names, lp.row_names,
        )  # fmt: skip
        ref = highs_optimum(own)
        assert ref.x is not None and ref.objective is not None
        assert prices[s] @ walked.x[t] == pytest.approx(ref.objective, rel=1e-9)
        np.testing.assert_allclose(walked.x[t], ref.x, rtol=0, atol=1e-7)


def hand_lp() -> MatrixLP:
    """min c·x over x1 + x2 ≥ 1, 0 ≤ x ≤ 1 (two foods, either meets the need)."""
    return MatrixLP(
        np.zeros(2), np.array([[1.0, 1.0]]), np.array([1.0]), np.array([np.inf]),
        np.zeros(2), np.ones(2), ("x1", "x2"), ("need",),
    )  # fmt: skip


def test_one_step_by_hand() -> None:
    """Start at x = (1, 0) (x1 basic, the row at its lower bound). With c = (2, 1) x2 is
    cheaper: its reduced cost is 1 − 2 = −1, it enters, x1 leaves at 0: x = (0, 1) after
    one step, row dual 1 (the cost of the need), reduced cost of x1 2 − 1 = 1. With
    c = (1, 2) the start is optimal (no step). With c = (1, 1) both foods cost the same:
    a tie, left to the solver."""
    lp = hand_lp()
    cs = np.array([[BASIC, LOWER]] * 3, dtype=np.int8)
    rs = np.array([[LOWER]] * 3, dtype=np.int8)
    c = np.array([[2.0, 1.0], [1.0, 2.0], [1.0, 1.0]])
    walked = walk(Stack.shared(lp, 3), c, np.full(3, MARGIN), cs, rs)
    assert walked.index.tolist() == [0, 1]
    assert walked.steps == 1
    np.testing.assert_allclose(walked.x, [[0.0, 1.0], [1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(walked.row_duals, [[1.0], [1.0]], atol=1e-12)
    np.testing.assert_allclose(walked.col_duals, [[1.0, 0.0], [0.0, 1.0]], atol=1e-12)
    assert walked.col_status[0].tolist() == [LOWER, BASIC]


def test_a_bound_flip_by_hand() -> None:
    """x1 + x2 ≥ 1 with x1 ≤ 1: start with x2 basic at 1 and x1 at 0. A negative cost of x1
    (it pays to add it) and a cost of x2 above 0: x1 rises to its upper bound 1, and x2
    then leaves at 0 — x = (1, 0), the row slack. With both costs negative, both foods at
    their upper bounds: x = (1, 1)."""
    lp = hand_lp()
    cs = np.array([[LOWER, BASIC]] * 2, dtype=np.int8)
    rs = np.array([[LOWER]] * 2, dtype=np.int8)
    c = np.array([[-1.0, 0.5], [-1.0, -2.0]])
    walked = walk(Stack.shared(lp, 2), c, np.full(2, MARGIN), cs, rs)
    assert walked.index.tolist() == [0, 1]
    np.testing.assert_allclose(walked.x, [[1.0, 0.0], [1.0, 1.0]], atol=1e-12)
    assert walked.col_status[1].tolist() == [UPPER, UPPER]


def test_a_singular_basis_in_the_stack_fails_alone() -> None:
    """One singular matrix among well-posed ones: NaN for it, exact solutions for the rest
    (a stacked solve would fail them all)."""
    B = np.array([np.eye(2) * 2.0, [[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]])
    rhs = np.array([[2.0, 4.0], [1.0, 1.0], [3.0, 5.0]])
    out = _solve_stack(B, rhs)
    np.testing.assert_allclose(out[0], [1.0, 2.0])
    assert np.isnan(out[1]).all()
    np.testing.assert_allclose(out[2], [5.0, 3.0])


def test_the_proof_refuses_what_is_not_a_unique_optimum() -> None:
    """`prove` on its own (it is what makes a walked answer trusted): at x = (1, 0) with
    c = (2, 1) the basis is feasible but not optimal (x2 is cheaper); with c = (1, 1) it is
    optimal but tied; only c = (1, 2) is proved. A basis whose blend breaks a bound is
    refused however its duals look."""
    lp = hand_lp()
    c = np.array([[2.0, 1.0], [1.0, 1.0], [1.0, 2.0]])
    cs = np.array([[BASIC, LOWER]] * 3, dtype=np.int8)
    rs = np.array([[LOWER]] * 3, dtype=np.int8)
    proof = prove(Stack.shared(lp, 3), c, np.full(3, MARGIN), cs, rs)
    assert proof.index.tolist() == [2]
    np.testing.assert_allclose(proof.x, [[1.0, 0.0]])
    # x2 basic, x1 at its upper bound 1, the row held at its lower bound 1: x2 = 0, feasible;
    # held at a bound it cannot reach (an upper bound of 0.5), x2 = −0.5 < 0: refused.
    capped = MatrixLP(
        lp.c, lp.A, np.array([0.5]), np.array([0.5]), lp.col_lo, lp.col_hi, lp.col_names, lp.row_names
    )
    cs2 = np.array([[UPPER, BASIC]], dtype=np.int8)
    rs2 = np.array([[UPPER]], dtype=np.int8)
    # (its duals are right: y = −1 on the row at its upper bound, x1 reduced cost −3 + 1 = −2 at its upper)
    proof = prove(Stack.shared(capped, 1), np.array([[-3.0, -1.0]]), np.full(1, MARGIN), cs2, rs2)
    assert proof.index.tolist() == []


def test_no_basic_column_at_all() -> None:
    """K = 0: every column at a bound and the only row slack (x1 + x2 ≤ 100 with x ≤ 10).
    c = (1, 1): x = 0 is the optimum, proved as is; c = (−1, 1): x1 flips to its upper
    bound, x = (10, 0). (The stacked matrices are then 0 × 0.)"""
    lp = MatrixLP(
        np.zeros(2), np.array([[1.0, 1.0]]), np.array([-np.inf]), np.array([100.0]),
        np.zeros(2), np.full(2, 10.0), ("x1", "x2"), ("room",),
    )  # fmt: skip
    cs = np.array([[LOWER, LOWER]] * 2, dtype=np.int8)
    rs = np.array([[BASIC]] * 2, dtype=np.int8)
    c = np.array([[1.0, 1.0], [-1.0, 1.0]])
    walked = walk(Stack.shared(lp, 2), c, np.full(2, MARGIN), cs, rs)
    assert walked.index.tolist() == [0, 1]
    np.testing.assert_allclose(walked.x, [[0.0, 0.0], [10.0, 0.0]])
    only_first = prove(Stack.shared(lp, 1), c[:1], np.full(1, MARGIN), cs[:1], rs[:1])
    assert only_first.index.tolist() == [0]


def test_a_row_in_small_units_is_held_to_its_own_size() -> None:
    """1e-6·x ≥ 1.0005e-6 with x ≤ 1 cannot be met (HiGHS: infeasible). At x = 1 the row
    falls short by 5e-10: nothing next to 1, but 5e-4 of the row itself. Neither `prove`
    nor `walk` may call that blend optimal."""
    lp = MatrixLP(
        np.array([-1.0, 1.0]), np.array([[0.0, 1.0], [1e-6, 0.0]]), np.array([1.0, 1.0005e-6]),
        np.array([1.0, np.inf]), np.zeros(2), np.ones(2), ("x", "y"), ("serving", "tiny"),
    )  # fmt: skip
    assert highs_optimum(lp).status == "infeasible"
    rs = np.array([[LOWER, BASIC]], dtype=np.int8)
    one, c, margin = Stack.shared(lp, 1), lp.c[None, :], np.full(1, MARGIN)
    assert prove(one, c, margin, np.array([[UPPER, BASIC]], np.int8), rs).index.size == 0
    assert walk(one, c, margin, np.array([[LOWER, BASIC]], np.int8), rs).index.size == 0


def test_a_start_at_an_infinite_bound_is_refused_quietly() -> None:
    """A column 'at its upper bound' of +inf is no basis: refused, with no warning (the
    suite turns warnings into failures)."""
    lp = replace(hand_lp(), col_hi=np.array([np.inf, 1.0]))
    cs = np.array([[UPPER, BASIC]], dtype=np.int8)
    rs = np.array([[LOWER]], dtype=np.int8)
    walked = walk(Stack.shared(lp, 1), np.array([[1.0, 2.0]]), np.full(1, MARGIN), cs, rs)
    assert walked.index.size == 0
