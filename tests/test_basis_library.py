"""The basis library (price scenarios proved optimal for known bases, no simplex run; the
others walked to their own bases by simplex steps in numpy, or solved by HiGHS) against
plain solves: each scenario solved by HiGHS alone, started from the base basis."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import sarcoform as sf
from sarcoform.batch.inputs import Product, ingredient_limit
from sarcoform.solving import basis_library
from sarcoform.solving.backends import highs_optimum
from sarcoform.solving.basis_library import LEARN_WINDOW, PROVED, WALKED, Counts
from sarcoform.solving.engine import tie_break_cap
from sarcoform.solving.fastpath import PricedBrief
from sarcoform.solving.lp import BASIC, LOWER, MatrixLP
from sarcoform.solving.verify import TOLERANCE


def random_prices(foods: sf.FoodTable, count: int, sigma: float, seed: int) -> np.ndarray:
    """Every known price times a seeded log-normal factor (scenarios × foods, NaN kept)."""
    rng = np.random.default_rng(seed)
    base = np.asarray(foods.price_per_kg, dtype=float)
    return base[None, :] * np.exp(rng.normal(0.0, sigma, size=(count, len(base))))


def compare(
    foods: sf.FoodTable, brief: sf.Brief, prices: np.ndarray, merged: tuple[int, int] | None = None
) -> Counts:
    """solve_all (library) vs solve (HiGHS) scenario by scenario: the same status and
    verification, cost within 1e-9, grams within 1e-7, objective within 1e-9. `merged`:
    two foods compared by their sum (the split of a tie between them is arbitrary)."""
    known = ~np.isnan(prices[0])
    plain = PricedBrief(foods, brief, known)
    library = PricedBrief(foods, brief, known)
    counts = Counts()
    got = library.solve_all(prices, counts)
    for p, mine in zip(prices, got, strict=True):
        assert not isinstance(mine, Exception), mine
        ref = plain.solve(p)
        assert mine.status == ref.status
        if ref.x is None:
            assert mine.x is None
            continue
        assert mine.x is not None
        a, b = mine.x.copy(), ref.x.copy()
        if merged is not None:
            i, j = merged
            a[i], b[i], a[j], b[j] = a[i] + a[j], b[i] + b[j], 0.0, 0.0
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
        cost = np.nan_to_num(p / 1000)
        assert cost @ mine.x == pytest.approx(cost @ ref.x, rel=1e-9, abs=1e-12)
        objective = plain.compiled.objective
        assert objective @ mine.x == pytest.approx(objective @ ref.x, rel=1e-9, abs=1e-12)
        assert mine.verified == ref.verified and mine.verified
        assert mine.max_violation == pytest.approx(ref.max_violation, abs=1e-9)
    return counts, got


# ons_max_leucine (issue 10) sits at the review's 3 g leucine cap with its budget slack: its
# first stage is dual degenerate (many blends reach 3 g), so it is proved by value only, and
# the tie-break stage, whose blend is reported, strictly.
@pytest.mark.parametrize("preset", ["ons_powder", "ons_max_leucine", "milk_beverage_powder"])
@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_library_answers_equal_plain_solves(
    foods: sf.FoodTable, preset: str, sigma: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """120 random price scenarios per preset and volatility, without the walk: the library
    must have proved some of them (else this tests nothing) and HiGHS solved the rest. The
    library learns throughout here (at σ = 0.3 it would stop early, see the test below)."""
    monkeypatch.setattr(basis_library, "LEARN_WINDOW", 10**6)
    monkeypatch.setattr(basis_library, "WALK", False)
    # on mean compositions: price scenarios re-price one LP (ons_powder's lots take the cutting planes)
    counts, _ = compare(
        foods, sf.load_brief(preset).on_mean_values(), random_prices(foods, 120, sigma, seed=7)
    )
    assert counts.highs > 0 and counts.walked == 0
    if sigma == 0.05:
        assert counts.proved > counts.highs  # small moves: most scenarios keep a known basis
    # at 30 % volatility next to no scenario keeps a known basis (1 of 120 on the default brief
    # before its shelf life, 0 after): the answers above must still equal plain solves


@pytest.mark.parametrize("preset", ["ons_powder", "ons_max_leucine", "milk_beverage_powder"])
@pytest.mark.parametrize("sigma", [0.05, 0.3])
def test_walked_answers_equal_plain_solves(foods: sf.FoodTable, preset: str, sigma: float) -> None:
    """The same scenarios with the walk (`pivots`): those no known basis proves walk to
    their own basis by simplex steps. ons_max_leucine's tie-break walks from its first
    stage's basis, with its cost row moving with the prices. Every answer must equal its
    plain solve, and the walk must have answered more than HiGHS did."""
    counts, answers = compare(
        foods, sf.load_brief(preset).on_mean_values(), random_prices(foods, 120, sigma, seed=7)
    )
    assert counts.walked > 0 and counts.steps >= counts.walked
    assert counts.walked > counts.highs  # (a first stage the library cannot prove runs HiGHS)
    walked = [a for a in answers if WALKED in (a.first.message, a.final.message)]
    assert len(walked) == counts.walked
    assert all(a.status == "optimal" and a.verified for a in walked)


def test_library_stops_learning_when_bases_prove_nothing_more(
    foods: sf.FoodTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large price moves (σ = 0.3), without the walk: nearly every scenario has an optimal
    basis of its own, so a learned basis proves almost no other scenario. After
    LEARN_WINDOW such bases the library stops growing; the rest are HiGHS hot starts from
    their nearest known basis, and every answer still equals its plain solve."""
    monkeypatch.setattr(basis_library, "WALK", False)
    prices = random_prices(foods, 120, 0.3, seed=7)
    counts, _ = compare(foods, sf.load_brief("ons_powder").on_mean_values(), prices)
    assert counts.bases <= LEARN_WINDOW + 1  # the base basis and one window
    assert counts.proved + counts.highs >= len(prices)


def test_scaled_prices_are_proved_by_the_base_basis(foods: sf.FoodTable) -> None:
    """Every price times the same factor keeps the least-cost basis (reduced costs scale):
    no simplex run at all, and the blend is the base blend."""
    base = np.asarray(foods.price_per_kg, dtype=float)
    prices = base[None, :] * np.array([0.5, 0.9, 1.1, 2.0, 7.0])[:, None]
    brief = sf.load_brief("ons_powder").on_mean_values()
    counts, _ = compare(foods, brief, prices)
    assert counts.highs == 0 and counts.proved == len(prices)


def test_ties_go_to_the_solver(foods: sf.FoodTable) -> None:
    """Dual degeneracy: a twin of whey protein isolate (same composition) at the same price
    as the original in half of the scenarios. Where whey is used, any split between the
    twins is then optimal, so no basis proves those scenarios (a reduced cost of 0) and
    HiGHS answers them. Which split HiGHS returns depends on its state (a plain solve of
    the same scenario twice can give either twin), so the twins are compared by their sum;
    everything else, the cost and the objective, must agree."""
    frame = foods.to_frame()
    twin = frame[frame["id"] == "wpi"].copy()
    twin["id"], twin["name"] = "wpi_twin", "Whey protein isolate (twin)"
    doubled = sf.FoodTable.from_frame(pd.concat([frame, twin], ignore_index=True))
    prices = random_prices(doubled, 40, 0.05, seed=3)  # small moves: the library proves the untied
    i, j = doubled.ids.index("wpi"), doubled.ids.index("wpi_twin")
    prices[:, i] *= 0.8  # cheaper whey: in most blends
    prices[::2, j] = prices[::2, i]  # even scenarios: a tie
    prices[1::2, j] = prices[1::2, i] * 1.3  # odd ones: the twin is dearer
    brief = sf.load_brief("ons_powder").on_mean_values()
    counts, answers = compare(doubled, brief, prices, merged=(i, j))
    assert counts.highs > 0 and counts.proved > 0
    tied = [a for a in answers[::2] if a.x[i] + a.x[j] > 1e-6]  # whey in the blend: a real tie
    assert len(tied) >= 5
    assert all(a.first.message not in (PROVED, WALKED) for a in tied)
    # Each tie costs one solver run, from the base basis: its walk stopped at the tie, so a
    # run from nearer (which would end at the tie and be run again) is skipped.
    assert counts.highs == len(tied)


def test_infeasible_scenarios_are_left_to_the_solver(foods: sf.FoodTable) -> None:
    """A tight cost cap that some scenarios cannot meet: only the solver can say a brief is
    infeasible (with its diagnosis), and the feasible ones still match. (The cost rows of
    ons_max_leucine, active at its optimum, are the library's moving rows: tested above.)"""
    product = Product("capped", "ons_powder", cost_max=0.38, ingredients=(ingredient_limit("spi", None, 5),))
    brief = product.customise(product.load_brief().on_mean_values())
    _, answers = compare(foods, brief, random_prices(foods, 16, 0.1, seed=11))
    assert {a.status for a in answers} == {"optimal", "infeasible"}
    assert all(a.result is not None and a.result.diagnosis is not None for a in answers if a.x is None)


def test_walks_from_given_starts_with_an_empty_library() -> None:
    """A tie-break library may hold no basis yet: the walk then starts from the statuses
    given (the first stage's basis), and its answers are HiGHS's. min c·x over
    x1 + x2 ≥ 1, 0 ≤ x ≤ 1, from x = (1, 0): c = (2, 1) and (2.5, 1) take x2, (0.5, 1) keeps x1."""
    lp = MatrixLP(
        np.array([2.0, 1.0]), np.array([[1.0, 1.0]]), np.array([1.0]), np.array([np.inf]),
        np.zeros(2), np.ones(2), ("x1", "x2"), ("need",),
    )  # fmt: skip
    library = basis_library.BasisLibrary(lp, np.ones(2), np.zeros(0, dtype=int), np.zeros((0, 2)))
    delta = np.array([[0.0, 0.0], [0.5, 0.0], [-1.5, 0.0]])
    S = len(delta)
    starts = (np.tile(np.array([BASIC, LOWER], np.int8), (S, 1)), np.tile(np.array([LOWER], np.int8), (S, 1)))
    rows = np.broadcast_to(lp.row_lo, (S, 1)), np.broadcast_to(lp.row_hi, (S, 1))
    ran: list[int] = []
    proved = basis_library.prove_or_solve(
        library, delta, *rows, lambda q, start: ran.append(q), Counts(), None, starts=starts
    )
    assert not ran and sorted(proved) == [0, 1, 2]
    for q, solution in proved.items():
        ref = highs_optimum(lp.with_objective(lp.c + delta[q]))
        assert solution.objective == pytest.approx(ref.objective, rel=1e-12)
        np.testing.assert_allclose(solution.x, ref.x, atol=1e-12)


@pytest.mark.parametrize(
    ("preset", "sigma", "cost_max"),
    [("ons_max_leucine", 0.3, None), ("ons_powder", 0.05, None), ("ons_max_leucine", 0.05, 0.40)],
)
def test_a_scenario_is_proved_alike_alone_or_among_others(
    foods: sf.FoodTable, preset: str, sigma: float, cost_max: float | None
) -> None:
    """Proving many scenarios against a basis at once is proving each alone: the same
    scenarios, the same blends and duals. ons_max_leucine's first stage has a budget row
    whose coefficients are prices, so its blend (shared by every scenario) must be checked
    against each scenario's budget; the first scenario tested failing its budget must not
    fail the others (60 scenarios at σ = 0.3: some over budget, some not). ons_powder has
    no such row (σ = 0.05: the base basis proves some scenarios, not all). Within 0.40 and
    without soy, ons_max_leucine's base basis holds its budget: B moves with the prices
    (one row: rank-one updates)."""
    product = Product("p", preset, cost_max=cost_max)
    if cost_max is not None:
        product = Product("p", preset, cost_max=cost_max, ingredients=(ingredient_limit("spi", None, 0),))
    brief = product.customise(product.load_brief().on_mean_values())
    prices = random_prices(foods, 60, sigma, seed=5)
    known = ~np.isnan(prices[0])
    priced = PricedBrief(foods, brief, known)
    lp = priced.lp
    library = basis_library.BasisLibrary(
        lp, priced.dc, priced.price_rows, priced.d_rows, strict=not priced.two_stage
    )
    basis = library.add(priced.basis1)
    assert basis is not None
    delta = np.where(known[None, :], prices - priced.p0[None, :], 0.0)
    rows = (
        np.broadcast_to(lp.row_lo, (len(prices), lp.shape[0])),
        np.broadcast_to(lp.row_hi, (len(prices), lp.shape[0])),
    )
    todo = library.scenarios(delta, *rows)
    alone = [library.prove(basis, todo, np.array([q])) for q in range(len(prices))]
    proved = [q for q, p in enumerate(alone) if len(p.index)]
    # Tested first: scenarios whose reduced costs pass but whose blend fails its bounds.
    failing = [q for q, p in enumerate(alone) if p.wrong[0] == 0 and not len(p.index)]
    order = np.array(failing + [q for q in range(len(prices)) if q not in failing])
    together = library.prove(basis, todo, order)
    assert sorted(order[together.index].tolist()) == proved
    assert 0 < len(proved) < len(prices)  # (else this tests nothing)
    if preset == "ons_max_leucine":
        assert failing  # over budget at its prices
    for t, q in enumerate(order[together.index].tolist()):
        np.testing.assert_allclose(together.x[t], alone[q].x[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(together.row_duals[t], alone[q].row_duals[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(together.col_duals[t], alone[q].col_duals[0], rtol=1e-12, atol=1e-15)


def _optimal_bases(priced: PricedBrief, prices: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The statuses of HiGHS's optimal basis at each of these prices (some repeat)."""
    out = []
    for p in prices:
        priced.solve(p)
        out.append(basis_library.statuses(priced.h1.getBasis()))
    return out


@pytest.mark.parametrize(("preset", "sigma"), [("ons_powder", 0.05), ("ons_max_leucine", 0.3)])
def test_bases_added_and_tested_at_once_are_as_one_by_one(
    foods: sf.FoodTable, preset: str, sigma: float
) -> None:
    """`add_many` keeps the bases `add` would, one by one (the same statuses, inverses to
    rounding); `prove_many` gives each scenario the first basis that `prove` proves it
    for, in order, with the same blend and duals, and the same failed-test counts. Bases
    from HiGHS's optima at 24 price vectors, tested on 200 others."""
    brief = sf.load_brief(preset).on_mean_values()
    prices = random_prices(foods, 224, sigma, seed=13)
    known = ~np.isnan(prices[0])
    priced = PricedBrief(foods, brief, known)
    codes = _optimal_bases(priced, prices[:24])
    lp = priced.lp
    one = basis_library.BasisLibrary(
        lp, priced.dc, priced.price_rows, priced.d_rows, strict=not priced.two_stage
    )
    many = basis_library.BasisLibrary(
        lp, priced.dc, priced.price_rows, priced.d_rows, strict=not priced.two_stage
    )
    for cs, rs in codes:
        one.add(None, (cs, rs))
    many.add_many(codes)
    assert len(one.bases) == len(many.bases) >= 3  # (repeats dropped; else this tests little)
    for a, b in zip(one.bases, many.bases, strict=True):
        assert a.codes[0].tobytes() == b.codes[0].tobytes() and a.codes[1].tobytes() == b.codes[1].tobytes()
        np.testing.assert_allclose(a.inverse, b.inverse, rtol=1e-9, atol=1e-12)
        assert a.moves == b.moves
    rest = prices[24:]
    delta = np.where(known[None, :], rest - priced.p0[None, :], 0.0)
    rows = (
        np.broadcast_to(lp.row_lo, (len(rest), lp.shape[0])),
        np.broadcast_to(lp.row_hi, (len(rest), lp.shape[0])),
    )
    todo = one.scenarios(delta, *rows)
    still = [g for g, b in enumerate(one.bases) if not b.moves]
    found = one.prove_many([one.bases[g] for g in still], todo, np.arange(len(rest)))
    left, owner = np.arange(len(rest)), np.full(len(rest), -1)
    for t, g in enumerate(still):  # one by one, as before prove_many
        proof = one.prove(one.bases[g], todo, left)
        np.testing.assert_array_equal(found.wrong[t, left], proof.wrong)
        owner[left[proof.index]] = t
        for i, q in enumerate(left[proof.index].tolist()):
            at = int(np.searchsorted(found.proof.index, q))
            np.testing.assert_allclose(found.proof.x[at], proof.x[i], rtol=0, atol=1e-9)
            np.testing.assert_allclose(found.proof.row_duals[at], proof.row_duals[i], rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(found.proof.col_duals[at], proof.col_duals[i], rtol=1e-9, atol=1e-12)
        left = np.setdiff1d(left, left[proof.index])
    np.testing.assert_array_equal(found.owner, owner)
    assert (owner >= 0).sum() > 10 and (owner < 0).any()  # some proved, some not


def test_the_first_basis_that_proves_a_scenario_answers_it_and_small_pivots_are_refused() -> None:
    """A hand-built degenerate LP: min x1 + 3·x2 over x1 + x2 ≥ 1, x1 + 2·x2 ≥ 1,
    0 ≤ x ≤ 5. Its optimum x = (1, 0) has both rows active, so two bases fix it: x1 basic
    with the first row held (y = (1, 0), reduced cost of x2: 2) or with the second
    (y = (0, 1), reduced cost 1). Both are strictly optimal, so which answers is which
    comes first: its duals are reported, by `prove_many` as by `prove` one by one. And a
    basis whose B = [[1, 1], [1, 1 + 1e-10]] is nearly singular (condition ≈ 4e10) is
    refused by `add_many` as by `add`."""
    lp = MatrixLP(
        np.array([1.0, 3.0]), np.array([[1.0, 1.0], [1.0, 2.0]]), np.array([1.0, 1.0]),
        np.array([np.inf, np.inf]), np.zeros(2), np.full(2, 5.0), ("x1", "x2"), ("a", "b"),
    )  # fmt: skip
    first = (np.array([BASIC, LOWER], np.int8), np.array([LOWER, BASIC], np.int8))
    second = (np.array([BASIC, LOWER], np.int8), np.array([BASIC, LOWER], np.int8))
    for order, y in (([first, second], [1.0, 0.0]), ([second, first], [0.0, 1.0])):
        library = basis_library.BasisLibrary(lp, np.ones(2), np.zeros(0, dtype=int), np.zeros((0, 2)))
        library.add_many(order)
        assert len(library.bases) == 2
        todo = library.scenarios(
            np.zeros((1, 2)), np.broadcast_to(lp.row_lo, (1, 2)), np.broadcast_to(lp.row_hi, (1, 2))
        )
        found = library.prove_many(library.bases, todo, np.array([0]))
        assert found.owner.tolist() == [0]
        np.testing.assert_allclose(found.proof.x[0], [1.0, 0.0], atol=1e-12)
        np.testing.assert_allclose(found.proof.row_duals[0], y, atol=1e-12)
        alone = library.prove(library.bases[0], todo, np.array([0]))
        np.testing.assert_allclose(alone.row_duals[0], y, atol=1e-12)
    tiny = MatrixLP(
        np.array([1.0, 1.0]), np.array([[1.0, 1.0], [1.0, 1.0 + 1e-10]]), np.array([1.0, 1.0]),
        np.array([np.inf, np.inf]), np.zeros(2), np.full(2, 5.0), ("x1", "x2"), ("a", "b"),
    )  # fmt: skip
    both = (np.array([BASIC, BASIC], np.int8), np.array([LOWER, LOWER], np.int8))
    for add in ("add", "add_many"):
        library = basis_library.BasisLibrary(tiny, np.ones(2), np.zeros(0, dtype=int), np.zeros((0, 2)))
        if add == "add":
            library.add(None, both)
        else:
            library.add_many([both, first])
        assert all(b.codes[0].tolist() != both[0].tolist() for b in library.bases), add


@pytest.mark.parametrize(
    ("preset", "cost_max"), [("ons_powder", None), ("ons_max_leucine", 0.40)]
)  # (the second: a binding budget, a row whose coefficients are prices, in y)
def test_a_fixed_column_reports_its_reduced_cost(
    foods: sf.FoodTable, preset: str, cost_max: float | None
) -> None:
    """An ingredient held at 0 g (no soy protein: its lower and upper bound are both 0) is
    nonbasic with no sign to test, but it has a reduced cost, c_j − a_jᵀy, which is its
    bound's shadow price in the full Result. Scenarios proved by a known basis or walked
    report it, and every other column's, as a plain HiGHS solve does, in both stages of a
    two-stage brief, wherever their row duals are HiGHS's (the same dual solution). With a
    binding budget (ons_max_leucine within 0.40), whose row's coefficients are prices."""
    product = Product("no-soy", preset, cost_max=cost_max, ingredients=(ingredient_limit("spi", 0, 0),))
    brief = product.customise(product.load_brief().on_mean_values())
    prices = random_prices(foods, 40, 0.05, seed=21)
    known = ~np.isnan(prices[0])
    plain, library = PricedBrief(foods, brief, known), PricedBrief(foods, brief, known)
    spi = plain.compiled.lp.col_names.index(next(n for n in plain.compiled.lp.col_names if "spi" in n))
    compared = {PROVED: 0, WALKED: 0}
    budget = 0  # stages compared whose budget row has a dual (its coefficients are prices)
    fixed = 0  # stages compared where the held ingredient's reduced cost is not 0
    rows = [r for r, name in enumerate(plain.compiled.lp.row_names) if name.startswith("cost")]
    for p, mine in zip(prices, library.solve_all(prices), strict=True):
        theirs = plain.solve(p)
        for stage, ref in ((mine.final, theirs.final), (mine.first, theirs.first)):
            if stage.message in compared and np.allclose(stage.row_duals, ref.row_duals, atol=1e-9):
                np.testing.assert_allclose(stage.col_duals, ref.col_duals, rtol=1e-7, atol=1e-9)
                fixed += bool(ref.col_duals[spi] != 0.0)
                compared[stage.message] += 1
                budget += bool(np.any(stage.row_duals[rows] != 0))
    assert compared[PROVED] >= 5 and compared[WALKED] >= 1 and fixed >= 5  # (else this tests little)
    assert budget >= 5 or cost_max is None


def test_many_blends_are_checked_as_one_by_one(foods: sf.FoodTable) -> None:
    """`verify_many` checks a distinct blend once for what reads no price and each
    scenario's cost bound at its own prices: the same verdicts and worst violations as
    checking every blend alone at its prices. ons_max_leucine has a cost bound; blends
    repeat (the same blend under prices some of which break the budget) and differ."""
    brief = sf.load_brief("ons_max_leucine").on_mean_values()
    assert brief.cost is not None
    prices = random_prices(foods, 30, 0.3, seed=17)
    known = ~np.isnan(prices[0])
    priced = PricedBrief(foods, brief, known)
    blends = np.array([priced.solve(p).x for p in prices[:10]])
    x = blends[np.arange(30) % 10]  # each blend three times, at three price vectors
    ok, worst = priced.verify_many(prices, x)
    alone = np.array([priced.checker.worst(x[s : s + 1], prices[s : s + 1])[0] for s in range(30)])
    np.testing.assert_allclose(worst, alone, rtol=1e-12, atol=1e-15)
    assert ok.tolist() == (alone <= TOLERANCE).tolist()
    assert ok.any() and not ok.all()  # some blends break their budget at other prices


def test_a_moving_budget_row_is_solved_by_a_rank_one_update(
    foods: sf.FoodTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ons_max_leucine without soy protein and within 0.40 a serving: its base basis holds
    the budget row, whose coefficients are prices (and whose dual is not 0: the budget
    binds), so B differs by scenario in that one row. `prove` solves those B_s through B⁻¹
    (Sherman–Morrison); factorising each B_s (RANK_ONE_UPDATES off) must give the same
    proofs, blends and duals. 200 scenarios at σ = 0.05 (some 14 proved)."""
    product = Product(
        "capped", "ons_max_leucine", cost_max=0.40, ingredients=(ingredient_limit("spi", None, 0),)
    )
    brief = product.customise(product.load_brief().on_mean_values())
    prices = random_prices(foods, 200, 0.05, seed=23)
    known = ~np.isnan(prices[0])
    priced = PricedBrief(foods, brief, known)
    lp = priced.lp
    library = basis_library.BasisLibrary(lp, priced.dc, priced.price_rows, priced.d_rows, strict=False)
    basis = library.add(priced.basis1)
    assert basis is not None and basis.moves and len(basis.moving) == 1
    assert abs((lp.c[basis.basic] @ basis.inverse)[basis.moving[0]]) > 1.0  # the budget binds
    delta = np.where(known[None, :], prices - priced.p0[None, :], 0.0)
    rows = np.broadcast_to(lp.row_lo, (200, lp.shape[0])), np.broadcast_to(lp.row_hi, (200, lp.shape[0]))
    todo = library.scenarios(delta, *rows)
    fast = library.prove(basis, todo, np.arange(200))
    monkeypatch.setattr(basis_library, "RANK_ONE_UPDATES", False)
    slow = library.prove(basis, todo, np.arange(200))
    assert fast.index.tolist() == slow.index.tolist() and len(fast.index) >= 10
    np.testing.assert_array_equal(fast.wrong, slow.wrong)
    np.testing.assert_allclose(fast.x, slow.x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(fast.row_duals, slow.row_duals, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fast.col_duals, slow.col_duals, rtol=1e-8, atol=1e-12)


def test_answers_pickle_without_what_failed(foods: sf.FoodTable) -> None:
    """A pool worker sends a task's answers back pickled: the proved scenarios only. Those
    HiGHS answered or that raised are items already, and an exception a scenario raised
    may not pickle (this one's arguments do not survive the round trip): it must not fail
    the task, let alone the pool."""

    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"{a} and {b}")

    brief = sf.load_brief("ons_powder").on_mean_values()
    prices = random_prices(foods, 30, 0.05, seed=2)
    answers = PricedBrief(foods, brief, ~np.isnan(prices[0])).solve_all(prices)
    raised = len(answers) - 1  # (as though this scenario had raised)
    answers.ran[raised] = Odd(1, 2)
    copy = pickle.loads(pickle.dumps(answers))
    assert copy.ran == {} and len(copy.proved) > 10
    assert copy.proved.tolist() == answers.proved.tolist()
    for s in copy.proved.tolist()[:-1]:
        np.testing.assert_array_equal(copy[s].x, answers[s].x)
        np.testing.assert_array_equal(copy[s].final.row_duals, answers[s].final.row_duals)


def test_the_tie_break_library_tests_bases_at_once_as_one_by_one(foods: sf.FoodTable) -> None:
    """`prove_many` where every scenario has its own row bounds (the tie-break stage: its
    bound on the first optimum differs by scenario), against `prove` basis by basis: the
    same first basis per scenario, the same blends and duals. ons_max_leucine, bases from
    HiGHS's tie-break optima at 20 price vectors, tested on 150 others."""
    brief = sf.load_brief("ons_max_leucine").on_mean_values()
    prices = random_prices(foods, 170, 0.05, seed=29)
    known = ~np.isnan(prices[0])
    priced = PricedBrief(foods, brief, known)
    assert priced.two_stage and priced.tie_lp is not None
    codes, caps = [], []
    for p in prices:
        solved = priced.solve(p)
        assert solved.first.objective is not None
        caps.append(tie_break_cap(solved.first.objective))
        if len(codes) < 20:
            codes.append(basis_library.statuses(priced.h2.getBasis()))
    tie = priced.tie_lp
    library = basis_library.BasisLibrary(tie, priced.dcost, priced.price_rows, priced.d_rows)
    library.add_many(codes)
    still = [b for b in library.bases if not b.moves]
    assert len(still) >= 3
    rest = slice(20, None)
    delta = np.where(known[None, :], prices[rest] - priced.p0[None, :], 0.0)
    hi = np.broadcast_to(tie.row_hi, (150, tie.shape[0])).copy()
    hi[:, priced.objective_row] = caps[rest]
    todo = library.scenarios(delta, np.broadcast_to(tie.row_lo, (150, tie.shape[0])), hi)
    found = library.prove_many(still, todo, np.arange(150))
    left, owner = np.arange(150), np.full(150, -1)
    for g, basis in enumerate(still):
        proof = library.prove(basis, todo, left)
        np.testing.assert_array_equal(found.wrong[g, left], proof.wrong)
        for i, q in enumerate(left[proof.index].tolist()):
            at = int(np.searchsorted(found.proof.index, q))
            np.testing.assert_allclose(found.proof.x[at], proof.x[i], rtol=0, atol=1e-9)
            np.testing.assert_allclose(found.proof.row_duals[at], proof.row_duals[i], rtol=1e-9, atol=1e-12)
        owner[left[proof.index]] = g
        left = np.setdiff1d(left, left[proof.index])
    np.testing.assert_array_equal(found.owner, owner)
    assert (owner >= 0).sum() > 10 and (owner < 0).any()
