"""Chance-constrained briefs: independent solver (cvxpy + Clarabel), a hand-derived
closed form, CBC = HiGHS, the Monte Carlo of lots, and the table/brief formats."""

from __future__ import annotations

import math
import textwrap
from statistics import NormalDist

import numpy as np
import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.brief_toml import parse_brief_toml

Z95 = NormalDist().inv_cdf(0.95)


def _table(mu: np.ndarray, sd: np.ndarray, price: np.ndarray) -> sf.FoodTable:
    """Foods f0..fn with nutrients a_g, b_g, c_g (means per 100 g) and their SDs."""
    n, m = mu.shape
    names = ["a_g", "b_g", "c_g"][:m]
    header = ["id", "name", "price_per_kg", *names, *(f"{c}_sd" for c in names)]
    rows = [
        [
            f"f{i}",
            f"food {i}",
            f"{price[i]:.17g}",
            *(f"{v:.17g}" for v in mu[i]),
            *(f"{v:.17g}" for v in sd[i]),
        ]
        for i in range(n)
    ]
    return sf.FoodTable.from_records(header, rows, origin="generated")


def _brief(lines: str) -> sf.Brief:
    return parse_brief_toml(textwrap.dedent(lines), "generated.toml")


def _generated(seed: int) -> tuple[sf.FoodTable, sf.Brief, dict[str, float]]:
    """A random feasible brief: 100 g serving, minimums on a and b and a maximum on c,
    each at its own probability; bounds set from a random blend so that one exists."""
    rng = np.random.default_rng(seed)
    n = 7
    mu = rng.uniform(2, 60, size=(n, 3))
    sd = mu * rng.uniform(0.02, 0.15, size=(n, 3))
    price = rng.uniform(1, 20, size=n)
    w = rng.dirichlet(np.ones(n)) * 100
    spread = lambda j: float(np.linalg.norm(sd[:, j] * w / 100))  # noqa: E731
    level = lambda j: float(mu[:, j] @ w / 100)  # noqa: E731
    p = {"a": 0.95, "b": 0.9, "c": 0.975}
    z = {k: NormalDist().inv_cdf(v) for k, v in p.items()}
    bounds = {
        "a_min": level(0) - 2.5 * spread(0) - 1.0,
        "b_min": level(1) - 2.0 * spread(1) - 0.5,
        "c_max": level(2) + 3.0 * spread(2) + 0.5,
    }
    assert z["c"] < 3.0 and z["a"] < 2.5
    brief = _brief(
        f"""
        name = "generated"
        [serving]
        serving_g = 100
        [[nutrient]]
        name = "a"
        min = {bounds["a_min"]!r}
        probability = {p["a"]}
        [[nutrient]]
        name = "b"
        min = {bounds["b_min"]!r}
        probability = {p["b"]}
        [[nutrient]]
        name = "c"
        max = {bounds["c_max"]!r}
        probability = {p["c"]}
        """
    )
    return _table(mu, sd, price), brief, {**bounds, "za": z["a"], "zb": z["b"], "zc": z["c"]}


def _cvxpy_optimum(foods: sf.FoodTable, b: dict[str, float]) -> float:
    cp = pytest.importorskip("cvxpy")
    mu = np.column_stack([foods.numbers[c] for c in ("a_g", "b_g", "c_g")]) / 100
    sd = np.column_stack([foods.numbers[f"{c}_sd"] for c in ("a_g", "b_g", "c_g")]) / 100
    x = cp.Variable(len(foods), nonneg=True)
    cons = [
        cp.sum(x) == 100,
        mu[:, 0] @ x - b["za"] * cp.norm(cp.multiply(sd[:, 0], x)) >= b["a_min"],
        mu[:, 1] @ x - b["zb"] * cp.norm(cp.multiply(sd[:, 1], x)) >= b["b_min"],
        mu[:, 2] @ x + b["zc"] * cp.norm(cp.multiply(sd[:, 2], x)) <= b["c_max"],
    ]
    problem = cp.Problem(cp.Minimize(foods.price_per_kg / 1000 @ x), cons)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert problem.status == "optimal"
    return float(problem.value)


@pytest.mark.parametrize("seed", range(6))
def test_matches_an_independent_convex_solver(seed: int) -> None:
    foods, brief, bounds = _generated(seed)
    result = sf.solve(foods, brief, solver="highs")
    assert result.status == "optimal", result.notes
    assert result.verification is not None and result.verification.ok, result.verification
    reference = _cvxpy_optimum(foods, bounds)
    assert result.cost_per_serving == pytest.approx(reference, rel=1e-5)
    v = result.variability
    assert v is not None and v.max_violation <= v.tolerance
    # Each chance bound holds at (at least) its probability, and the cheapest blend puts
    # the binding ones exactly at it.
    for line in result.constraint_lines:
        if line.probability_target is not None:
            assert line.probability is not None
            assert line.probability >= line.probability_target - 1e-6
            if line.binding:
                assert line.probability == pytest.approx(line.probability_target, abs=1e-6)


def test_two_ingredients_closed_form() -> None:
    """x_A + x_B = S, cost favours B, so the protein minimum binds:
    μA·xA + μB·(S − xA) − z·sqrt(σA²xA² + σB²(S − xA)²) = b. With d = μA − μB,
    e = μB·S − b, squaring (d·xA + e)² = z²(σA²xA² + σB²(S − xA)²) gives
    (d² − z²σA² − z²σB²)·xA² + (2de + 2z²σB²S)·xA + (e² − z²σB²S²) = 0, whose root with
    d·xA + e ≥ 0 is the answer (per-gram values: per 100 g / 100)."""
    foods = food_table(
        "id,name,price_per_kg,protein_g,protein_g_sd\na,WPC80,11,78,1.5\nb,skim milk powder,3,35,1.2\n"
    )
    brief = _brief(
        """
        name = "two"
        probability = 0.95
        [serving]
        serving_g = 50
        [[nutrient]]
        name = "protein"
        min = 25
        """
    )
    mu_a, mu_b, s_a, s_b, S, b, z = 0.78, 0.35, 0.015, 0.012, 50.0, 25.0, Z95
    d, e = mu_a - mu_b, mu_b * S - b
    qa = d * d - z * z * s_a * s_a - z * z * s_b * s_b
    qb = 2 * d * e + 2 * z * z * s_b * s_b * S
    qc = e * e - z * z * s_b * s_b * S * S
    roots = [(-qb + sgn * math.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa) for sgn in (1, -1)]
    x_a = min(r for r in roots if 0 <= r <= S and d * r + e >= 0)
    for solver in ("cbc", "highs"):
        result = sf.solve(foods, brief, solver=solver)
        assert result.status == "optimal"
        assert result.grams["a"] == pytest.approx(x_a, rel=1e-7)
        assert result.grams["b"] == pytest.approx(S - x_a, rel=1e-7)
    # The mean-value brief needs less WPC80: 0.78 xA + 0.35 (50 − xA) = 25.
    v = result.variability
    assert v is not None and v.mean_value_objective is not None
    x_mean = (b - mu_b * S) / d
    assert v.mean_value_objective == pytest.approx((11 * x_mean + 3 * (S - x_mean)) / 1000, rel=1e-9)
    # Flat margins (each ingredient at mean − z·σ) need more still: σ adds up linearly.
    x_margin = (b - (mu_b - z * s_b) * S) / (d - z * s_a + z * s_b)
    assert v.safety_margin_objective == pytest.approx((11 * x_margin + 3 * (S - x_margin)) / 1000, rel=1e-9)
    assert v.mean_value_objective < v.objective_value < v.safety_margin_objective  # type: ignore[operator]


@pytest.mark.parametrize("seed", [11, 12])
def test_cbc_and_highs_agree(seed: int) -> None:
    foods, brief, _ = _generated(seed)
    cbc = sf.solve(foods, brief, solver="cbc")
    highs = sf.solve(foods, brief, solver="highs")
    assert cbc.status == highs.status == "optimal"
    assert cbc.cost_per_serving == pytest.approx(highs.cost_per_serving, rel=1e-7)
    for food_id in set(cbc.grams) | set(highs.grams):
        assert cbc.grams.get(food_id, 0.0) == pytest.approx(highs.grams.get(food_id, 0.0), abs=1e-5)


def test_monte_carlo_pass_rate_within_three_standard_errors() -> None:
    foods, brief, _ = _generated(3)
    result = sf.solve(foods, brief.with_changes(variability={"lots": 20_000, "seed": 7}), solver="highs")
    v = result.variability
    assert v is not None and v.lots == 20_000
    binding = {c.name for c in result.constraint_lines if c.probability_target is not None and c.binding}
    assert binding, "the generated brief should bind at least one chance bound"
    for line in v.monte_carlo:
        if line.constraint in binding:
            assert line.target is not None
            se = math.sqrt(line.target * (1 - line.target) / v.lots)
            assert abs(line.pass_rate - line.target) <= 3 * se, line
    # Same seed, same lots: the same pass rates.
    again = sf.solve(foods, brief.with_changes(variability={"lots": 20_000, "seed": 7}), solver="highs")
    assert again.variability is not None
    assert [m.pass_rate for m in again.variability.monte_carlo] == [m.pass_rate for m in v.monte_carlo]


def test_worst_case_within_specification_is_a_plain_lp() -> None:
    """Each side on the worst certified lot: protein at its `_min`, sodium at its `_max`.
    By hand: 0.74·xA + 0.33·(50 − xA) = 20 → xA = 3.5/0.41; sodium ≤ 300 mg must hold
    at 0.9·xA + 4.5·(50 − xA) (per-gram maxima), which it does at that xA."""
    foods = food_table(
        "id,name,price_per_kg,protein_g,protein_g_min,protein_g_max,sodium_mg,sodium_mg_max\n"
        "a,WPC80,11,78,74,82,80,90\n"
        "b,skim milk powder,3,35,33,37,400,450\n"
    )
    brief = _brief(
        """
        name = "worst"
        [variability]
        worst_case = true
        [serving]
        serving_g = 50
        [[nutrient]]
        name = "protein"
        min = 20
        [[nutrient]]
        name = "sodium"
        max = 300
        """
    )
    x_a = (20 - 0.33 * 50) / (0.74 - 0.33)
    assert 0.9 * x_a + 4.5 * (50 - x_a) <= 300
    for solver in ("cbc", "highs"):
        result = sf.solve(foods, brief, solver=solver)
        assert result.status == "optimal"
        assert result.grams["a"] == pytest.approx(x_a, rel=1e-7)
        assert result.verification is not None and result.verification.ok
        names = {c.name for c in result.constraint_lines}
        assert {"protein_g per serving (worst lot, min)", "sodium_mg per serving (worst lot, max)"} <= names
    # A blend that meets the mean but not the worst lot fails the independent re-check.
    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.engine import verify
    from sarcoform.solving.recheck import recheck

    compiled = compile_brief(foods, brief)
    x_mean = np.array([(20 - 0.35 * 50) / (0.78 - 0.35), 0.0])
    x_mean[1] = 50 - x_mean[0]
    checked = recheck(compiled, x_mean, verify(compiled, x_mean))
    assert not checked.ok and any("worst lot" in f for f in checked.failures)


def test_blank_sd_follows_blank_values() -> None:
    text = "id,name,price_per_kg,protein_g,protein_g_sd\na,A,11,78,1.5\nb,B,3,35,\n"
    brief = """
        name = "blank"
        probability = 0.95
        blank_values = "{policy}"
        [serving]
        serving_g = 50
        [[nutrient]]
        name = "protein"
        min = 20
        """
    with pytest.raises(sf.InputError) as err:
        sf.solve(food_table(text), _brief(brief.format(policy="error")))
    problem = err.value.problems[0]
    assert (problem.row, problem.column) == (3, "protein_g_sd")
    excluded = sf.solve(food_table(text), _brief(brief.format(policy="exclude")))
    assert set(excluded.grams) == {"a"}
    assert any("excluded b (blank protein_g_sd)" in n for n in excluded.notes)
    zero = sf.solve(food_table(text), _brief(brief.format(policy="zero")))
    assert zero.status == "optimal" and zero.grams["b"] > 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "protein"\nmin = 20\nprobability = 1.2', "probability in [0.5, 1)"),
        ('name = "protein"\nbasis = "per_100kcal"\nmin = 1\nprobability = 0.95', "not per_100kcal"),
        ('name = "hmb"\nmin = 1\nprobability = 0.95', "give a hmb_g_sd column"),
    ],
)
def test_bad_chance_briefs_are_located_input_errors(entry: str, message: str) -> None:
    foods = food_table(
        "id,name,price_per_kg,energy_kcal,protein_g,protein_g_sd,cahmb_g,cahmb_g_sd\n"
        "a,A,11,380,78,1.5,0,0\nb,CaHMB,50,0,0,0,100,2\n"
    )
    text = f'name = "bad"\n[serving]\nserving_g = 50\n\n[[nutrient]]\n{entry}\n'
    with pytest.raises(sf.InputError) as err:
        sf.solve(foods, parse_brief_toml(text, "bad.toml"))
    problem = err.value.problems[0]
    assert message in problem.message
    assert problem.file == "bad.toml" and problem.line == 5


def test_result_json_round_trip_keeps_the_chance_report() -> None:
    foods, brief, _ = _generated(1)
    result = sf.solve(foods, brief.with_changes(variability={"lots": 500}), solver="highs")
    data = result.to_dict()
    assert data["variability"]["iterations"] >= 1
    assert all("probability" in c for c in data["constraints"])
    assert sf.Result.from_dict(data) == result


def test_batch_and_frontier_do_not_drop_the_chance_constraints() -> None:
    foods, brief, _ = _generated(2)
    brief = brief.with_changes(variability={"lots": 0})
    alone = sf.solve(foods, brief, solver="highs")
    batch = sf.solve_batch(foods, {"p": brief}, {"s1": {}, "s2": {"f0": 1.0}}, solver="highs")
    base = next(i for i in batch.items if i.scenario == "s1")
    assert base.result is not None
    assert base.result.cost_per_serving == pytest.approx(alone.cost_per_serving, rel=1e-9)
    assert base.result.variability is not None
    # The frontier solves plain LPs: it sweeps the mean-value brief and says so, never silently.
    curve = sf.frontier(foods, brief, "a", points=3)
    assert any("on mean compositions" in n and "not applied" in n for n in curve.attrs["notes"])
