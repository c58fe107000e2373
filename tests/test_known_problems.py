"""Problems whose optimum is known from outside this code: published LPs and small
briefs solved by hand (the derivation is in each row). Both solvers must reproduce them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sarcoform as sf
from sarcoform.io.brief_toml import parse_brief_toml

KNOWN = Path(__file__).parent / "fixtures" / "known"
TINY = Path(__file__).parent / "fixtures" / "tiny_foods.csv"
SOLVERS = ["cbc", "highs"]

# name, food table, brief, expected cost per serving, expected grams (subset), source
PUBLISHED = [
    (
        "stigler",
        "stigler_foods.csv",
        "stigler.toml",
        39.6617 / 365,
        {},
        "Stigler diet, optimum $39.6617/year (OR-tools sample; Dantzig)",
    ),
    (
        "whiskas",
        "whiskas_foods.csv",
        "whiskas.toml",
        0.52,
        {"beef": 60.0, "gel": 40.0},
        "PuLP case study A Blending Problem: Beef 60 %, Gel 40 %, 0.52 per can",
    ),
    (
        "feedmix",
        "feedmix_foods.csv",
        "feedmix.toml",
        700 / 22,
        {"ingredient_1": 13000 / 22, "ingredient_2": 3000 / 22, "filler": 6000 / 22},
        "R limSolve::Blending: x = 0.5909, 0.1364, 0.2727 kg/kg",
    ),
]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("name", "foods", "brief", "cost", "grams", "source"), PUBLISHED, ids=[p[0] for p in PUBLISHED]
)
def test_published_problem(
    solver: str, name: str, foods: str, brief: str, cost: float, grams: dict[str, float], source: str
) -> None:
    result = sf.solve(sf.load_foods(KNOWN / foods), sf.load_brief(KNOWN / brief), solver=solver)
    assert result.status == "optimal"
    assert result.cost_per_serving == pytest.approx(cost, rel=2e-6), source
    for food_id, g in grams.items():
        assert result.grams.get(food_id, 0.0) == pytest.approx(g, rel=1e-5, abs=1e-6), source
    assert result.verification is not None and result.verification.ok


@pytest.mark.parametrize("solver", SOLVERS)
def test_simplified_whiskas(solver: str) -> None:
    """PuLP's simplified Whiskas model: chicken and beef only → 33⅓ % / 66⅔ %, cost 0.9667."""
    brief = sf.load_brief(KNOWN / "whiskas.toml")
    others = [{"id": i, "max": 0} for i in ("mutton", "rice", "wheat", "gel")]
    brief = brief.with_changes(ingredients=others)
    result = sf.solve(sf.load_foods(KNOWN / "whiskas_foods.csv"), brief, solver=solver)
    assert result.cost_per_serving == pytest.approx(0.013 * 100 / 3 + 0.008 * 200 / 3, rel=1e-6)
    assert result.grams["chicken"] == pytest.approx(100 / 3, rel=1e-5)


# Hand-solved briefs over tests/fixtures/tiny_foods.csv: per 100 g, whey has 80 g protein
# and 10 g leucine at 10/kg; malto 100 g carbohydrate at 1/kg; leu 100 g free leucine at
# 30/kg; oil 100 g fat at 2/kg. Energy 400 kcal/100 g except oil 900. Per gram: whey
# 0.01, malto 0.001, leu 0.03, oil 0.002 (currency).
HAND: list[tuple[str, str, str, float]] = [
    (
        "serving basis",
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='leucine'\nmin=2.5",
        # free leucine is the cheapest leucine (0.03 per g vs 0.1 via whey): 2.5 g leu + 27.5 g malto
        "cost",
        2.5 * 0.03 + 27.5 * 0.001,
    ),
    (
        "meal basis counts background",
        "[serving]\nserving_g = 30\nservings_per_meal = 1\n[background]\nper_meal = { leucine_g = 1.0 }\n"
        "[[nutrient]]\nname='leucine'\nbasis='meal'\nmin=2.5",
        # the meal brings 1.0 g: 1.5 g leu + 28.5 g malto
        "cost",
        1.5 * 0.03 + 28.5 * 0.001,
    ),
    (
        "two servings per meal",
        "[serving]\nserving_g = 30\nservings_per_meal = 2\n"
        "[[nutrient]]\nname='leucine'\nbasis='meal'\nmin=2.5",
        # 2 servings per meal: 1.25 g leu per serving
        "cost",
        1.25 * 0.03 + 28.75 * 0.001,
    ),
    (
        "intact leucine (built-in derived)",
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='intact_leucine'\nmin=2\n"
        "[[nutrient]]\nname='leucine'\nmin=2.5",
        # intact 2 g needs 20 g whey (2 g leucine), then 0.5 g leu, 9.5 g malto
        "cost",
        20 * 0.01 + 0.5 * 0.03 + 9.5 * 0.001,
    ),
    (
        "kg body weight per day caps the objective",
        "objective='max:leucine'\n[serving]\nserving_g = 30\nservings_per_day = 2\nbody_weight_kg = 50\n"
        "[background]\nper_day = { leucine_g = 3 }\n"
        "[[nutrient]]\nname='leucine'\nbasis='kg_bw_day'\nunit='mg'\nmax=100",
        # (2 L + 3) / 50 ≤ 0.1 g/kg → L ≤ 1 g per serving
        "objective",
        1.0,
    ),
    (
        "least cost among the optimal blends",
        "objective='max:leucine'\n[serving]\nserving_g = 30\nservings_per_day = 2\nbody_weight_kg = 50\n"
        "[background]\nper_day = { leucine_g = 3 }\n"
        "[[nutrient]]\nname='leucine'\nbasis='kg_bw_day'\nunit='mg'\nmax=100",
        # L = 1 g reached most cheaply with 1 g leu, 29 g malto
        "cost",
        1 * 0.03 + 29 * 0.001,
    ),
    (
        "per 100 g with a free serving mass",
        "[serving]\nmin_g = 20\nmax_g = 40\n[[nutrient]]\nname='protein'\nbasis='per_100g'\nmin=40",
        # smallest serving, half whey: 10 g whey + 10 g malto
        "cost",
        10 * 0.01 + 10 * 0.001,
    ),
    (
        "per 100 kcal",
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='protein'\nbasis='per_100kcal'\nmin=10",
        # 120 kcal without oil → protein ≥ 12 g → 15 g whey, 15 g malto
        "cost",
        15 * 0.01 + 15 * 0.001,
    ),
    (
        "per 100 kJ",
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='protein'\nbasis='per_100kj'\nmin=2",
        # 510 kJ without oil → protein ≥ 10.2 g → 12.75 g whey
        "cost",
        12.75 * 0.01 + 17.25 * 0.001,
    ),
    (
        "energy-share ratio through a derived column",
        "[serving]\nserving_g = 30\n[derived]\nprotein_kcal = '4 * protein_g'\n"
        "[[ratio]]\nname='protein energy'\nnumerator='protein_kcal'\n"
        "denominator='energy_kcal'\nunit='%'\nmin=20",
        # 120 kcal → protein ≥ 6 g → 7.5 g whey
        "cost",
        7.5 * 0.01 + 22.5 * 0.001,
    ),
    (
        "energy share against a kJ column (units converted)",
        "[serving]\nserving_g = 30\n[derived]\nprotein_kcal = '4 * protein_g'\n"
        "[[ratio]]\nname='protein energy'\nnumerator='protein_kcal'\n"
        "denominator='energy_kj'\nunit='%'\nmin=20",
        # 30 g carry 510 kJ = 121.89 kcal → protein ≥ 0.2 × 121.89 / 4 g → whey = that / 0.8
        "cost",
        (lambda w: w * 0.01 + (30 - w) * 0.001)(0.2 * 510 / 4.184 / 4 / 0.8),
    ),
    (
        "ingredient share in %",
        "[serving]\nserving_g = 30\n[[ingredient]]\nid='whey'\nmin=50\nunit='%'",
        "cost",
        15 * 0.01 + 15 * 0.001,
    ),
    (
        "group bound by the foods' group column",
        "[serving]\nserving_g = 30\n[[group]]\nname='proteins'\ngroup='protein'\nmin=6",
        "cost",
        6 * 0.01 + 24 * 0.001,
    ),
    (
        "cost cap with max:protein",
        "objective='max:protein'\n[serving]\nserving_g = 30\n[cost]\nmax=0.1",
        # w + m = 30, 0.01 w + 0.001 m ≤ 0.1 → w = 70/9 → protein 0.8 w
        "objective",
        0.8 * 70 / 9,
    ),
    (
        "cost cap per kg of product",
        "objective='max:protein'\n[serving]\nserving_g = 30\n[cost]\nbasis='kg'\nmax=4",
        # 1000 (0.01 w + 0.001 (30 − w)) / 30 ≤ 4 → 0.009 w ≤ 0.09 → w = 10 g whey, 8 g protein
        "objective",
        8.0,
    ),
    (
        "bounds in another unit",
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='leucine'\nunit='mg'\nmin=2500",
        "cost",
        2.5 * 0.03 + 27.5 * 0.001,
    ),
    (
        "min:nutrient objective",
        "objective='min:fat'\n[serving]\nserving_g = 30\n[[nutrient]]\nname='energy_kcal'\nmin=140",
        # 4 (30 − o) + 9 o ≥ 140 → o ≥ 4 g of oil
        "objective",
        4.0,
    ),
]


def _brief(body: str) -> sf.Brief:
    return parse_brief_toml('name = "hand"\n' + textwrap.dedent(body), "hand.toml")


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(("name", "body", "what", "expected"), HAND, ids=[h[0] for h in HAND])
def test_hand_solved(solver: str, name: str, body: str, what: str, expected: float) -> None:
    result = sf.solve(sf.load_foods(TINY), _brief(body), solver=solver)
    assert result.status == "optimal"
    got = result.cost_per_serving if what == "cost" else result.objective_value
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert result.verification is not None and result.verification.ok


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_by_construction_names_the_conflict(solver: str) -> None:
    # 30 g can hold at most 24 g protein (whey is 80 %): serving and protein conflict;
    # the leucine bound is satisfiable and must not be blamed.
    brief = _brief(
        "[serving]\nserving_g = 30\n[[nutrient]]\nname='protein'\nmin=30\n[[nutrient]]\nname='leucine'\nmin=1"
    )
    result = sf.solve(sf.load_foods(TINY), brief, solver=solver)
    assert result.status == "infeasible"
    assert result.exit_code == 1
    assert result.diagnosis is not None
    assert sorted(result.diagnosis.conflict) == ["protein_g per serving", "serving mass"]
    assert "serving = 30 g" in result.diagnosis.explanation
    assert "protein ≥ 30 g per serving" in result.diagnosis.explanation


@pytest.mark.parametrize("solver", SOLVERS)
def test_unbounded_is_a_result(solver: str) -> None:
    # nothing limits the serving: more whey is always more protein
    result = sf.solve(sf.load_foods(TINY), _brief("objective = 'max:protein'"), solver=solver)
    assert result.status == "unbounded"
    assert result.exit_code == 1
    assert result.diagnosis is not None and "max:protein" in result.diagnosis.reason
    # only whey carries protein: it is what grows without limit
    assert "by adding whey without limit" in result.diagnosis.reason


def test_cbc_is_not_fooled_by_tiny_costs_per_gram(foods: sf.FoodTable, brief: sf.Brief) -> None:
    """A price scenario (the embedded prices × a log-normal factor, seeded; found by the batch
    benchmark) where the default blend is optimal to within CBC's absolute dual tolerance
    but 2e-5 too dear: CBC must still find the optimum that scipy's interior point finds."""
    import csv
    import math

    import numpy as np
    from scipy.optimize import linprog

    from sarcoform.solving.compile import compile_brief

    with (Path(__file__).parent / "fixtures" / "prices_near_tie.csv").open(encoding="utf-8") as f:
        prices = {row["id"]: float(row["price_per_kg"]) for row in csv.DictReader(f)}
    table = foods.with_prices(prices)
    lp = compile_brief(table, brief).lp
    rows = [(lp.A[r], lp.row_hi[r]) for r in range(lp.shape[0]) if math.isfinite(lp.row_hi[r])]
    rows += [(-lp.A[r], -lp.row_lo[r]) for r in range(lp.shape[0]) if math.isfinite(lp.row_lo[r])]
    bounds = [(lo, None if math.isinf(hi) else hi) for lo, hi in zip(lp.col_lo, lp.col_hi, strict=True)]
    reference = linprog(
        lp.c,
        A_ub=np.array([a for a, _ in rows]),
        b_ub=np.array([b for _, b in rows]),
        bounds=bounds,
        method="highs-ipm",
    )
    assert reference.status == 0
    result = sf.solve(table, brief, solver="cbc", sensitivity=False)
    assert result.cost_per_serving == pytest.approx(reference.fun, rel=1e-7)
