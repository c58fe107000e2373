"""Properties over generated problems, checked by means independent of sarcoform:

- CBC and HiGHS agree on the status and the optimum;
- scipy's linprog, on a formulation written here from the definitions of the bases,
  agrees too (including the least-cost tie-break of max/min objectives);
- every bound of every optimal blend holds when recomputed here with numpy.

Hypothesis generates ≥ 200 problems: min-cost, max- and min-nutrient objectives, fixed,
ranged and free serving masses, all bases, ratios on three bases (including an energy
share of a kcal amount over a kJ column), derived columns, % inclusions, groups and cost
caps — some infeasible and some unbounded by chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import sarcoform as sf
from sarcoform.model.brief import Brief
from sarcoform.model.foods import FoodTable

NUTRIENTS = ["p_g", "q_g", "r_mg"]
BASES = ["serving", "meal", "day", "kg_bw_day", "per_100g", "per_100kcal", "per_100kj"]
# The derived column the generated briefs may use, and its meaning written out here.
DERIVED = {"pq_g": "p_g + 0.5 * q_g", "p_kcal": "4 * p_g"}


def derived_values(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"pq_g": values["p_g"] + 0.5 * values["q_g"], "p_kcal": 4 * values["p_g"]}


@dataclass
class Problem:
    values: dict[str, np.ndarray]  # per 100 g; includes energy_kcal
    prices: np.ndarray  # per kg
    serving: dict[str, float]
    background_meal: float
    background_day: float
    bounds: list[dict[str, Any]] = field(default_factory=list)
    ratio: dict[str, Any] | None = None
    ingredient: dict[str, Any] | None = None
    group: dict[str, Any] | None = None
    cost: dict[str, Any] | None = None
    objective: str = "min_cost"

    @property
    def n(self) -> int:
        return len(self.prices)

    def foods(self) -> FoodTable:
        header = ["id", "name", "price_per_kg", "energy_kcal", "energy_kj", *NUTRIENTS]
        rows = [
            [f"f{i}", f"food {i}", self.prices[i], *(self.values[c][i] for c in header[3:])]
            for i in range(self.n)
        ]
        return FoodTable.from_records(header, rows, origin="generated")

    def brief(self) -> Brief:
        data: dict[str, Any] = {
            "name": "generated",
            "objective": self.objective,
            "serving": self.serving,
            "background": {
                "per_meal": {"p_g": self.background_meal},
                "per_day": {"p_g": self.background_day},
            },
            "nutrient": self.bounds,
            "derived": DERIVED,
        }
        if self.ratio:
            data["ratio"] = [self.ratio]
        if self.ingredient:
            data["ingredient"] = [self.ingredient]
        if self.group:
            data["group"] = [self.group]
        if self.cost:
            data["cost"] = self.cost
        return Brief.model_validate(data)


# -- the meaning of each basis, written out independently --------------------------


def basis_form(p: Problem, column: str, basis: str) -> tuple[np.ndarray, float, np.ndarray, float]:
    """value(x) = (a·x + a0) / (d·x + d0), from PRODUCT §3."""
    per_g = {**p.values, **derived_values(p.values)}[column] / 100.0
    s = p.serving
    spd, spm, bw = s.get("servings_per_day", 1.0), s.get("servings_per_meal", 1.0), s.get("body_weight_kg")
    bg_meal = p.background_meal if column == "p_g" else 0.0
    bg_day = p.background_day if column == "p_g" else 0.0
    zero, one = np.zeros(p.n), np.ones(p.n)
    if basis == "serving":
        return per_g, 0.0, zero, 1.0
    if basis == "meal":
        return per_g * spm, bg_meal, zero, 1.0
    if basis == "day":
        return per_g * spd, bg_day, zero, 1.0
    if basis == "kg_bw_day":
        assert bw is not None
        return per_g * spd / bw, bg_day / bw, zero, 1.0
    if basis == "per_100g":
        return per_g * 100, 0.0, one, 0.0
    if basis == "per_100kcal":
        return per_g * 100, 0.0, p.values["energy_kcal"] / 100.0, 0.0
    if basis == "per_100kj":
        return per_g * 100, 0.0, p.values["energy_kj"] / 100.0, 0.0
    raise AssertionError(basis)


def all_forms(p: Problem) -> list[tuple[np.ndarray, float, np.ndarray, float, float | None, float | None]]:
    forms = []
    for b in p.bounds:
        a, a0, d, d0 = basis_form(p, b["name"], b.get("basis", "serving"))
        forms.append((a, a0, d, d0, b.get("min"), b.get("max")))
    if p.ratio:
        basis = p.ratio.get("basis", "serving")
        top, top0, _, _ = basis_form(p, p.ratio["numerator"], basis)
        bottom, bottom0, _, _ = basis_form(p, p.ratio["denominator"], basis)
        scale = 1.0
        if p.ratio.get("unit") == "%":  # kcal of p over kJ of energy: like with like
            scale = 100.0 * 4.184
        forms.append((scale * top, scale * top0, bottom, bottom0, p.ratio.get("min"), p.ratio.get("max")))
    if p.ingredient:
        e = np.zeros(p.n)
        e[int(p.ingredient["id"][1:])] = 1.0
        if p.ingredient.get("unit") == "%":
            forms.append((100 * e, 0.0, np.ones(p.n), 0.0, p.ingredient.get("min"), p.ingredient.get("max")))
        else:
            forms.append((e, 0.0, np.zeros(p.n), 1.0, p.ingredient.get("min"), p.ingredient.get("max")))
    if p.group:
        members = np.array([f"f{i}" in p.group["members"] for i in range(p.n)], dtype=float)
        forms.append((members, 0.0, np.zeros(p.n), 1.0, p.group.get("min"), p.group.get("max")))
    if p.cost:
        forms.append((p.prices / 1000.0, 0.0, np.zeros(p.n), 1.0, None, p.cost["max"]))
    s = p.serving
    if "serving_g" in s:
        forms.append((np.ones(p.n), 0.0, np.zeros(p.n), 1.0, s["serving_g"], s["serving_g"]))
    elif "min_g" in s or "max_g" in s:
        forms.append((np.ones(p.n), 0.0, np.zeros(p.n), 1.0, s.get("min_g"), s.get("max_g")))
    return forms


def recheck(p: Problem, x: np.ndarray) -> float:
    """Worst relative violation of any bound by blend x (numpy, from the definitions)."""
    worst = max(0.0, float(-x.min()))
    for a, a0, d, d0, lo, hi in all_forms(p):
        top, bottom = float(a @ x) + a0, float(d @ x) + d0
        for bound, sign in ((lo, 1), (hi, -1)):
            if bound is None:
                continue
            # linear form: sign * (top − bound · bottom) ≥ 0, scaled like sarcoform's check
            gap = sign * (top - bound * bottom)
            scale = max(1.0, abs(bound)) * (bottom if bottom > 1e-9 else 1.0)
            worst = max(worst, -gap / scale)
    return worst


def scipy_solve(p: Problem) -> tuple[str, float | None, float | None]:
    """(status, objective per serving, least cost among optimal blends) by linprog."""
    A_ub: list[np.ndarray] = []
    b_ub: list[float] = []
    for a, a0, d, d0, lo, hi in all_forms(p):
        if lo is not None:  # a·x + a0 ≥ lo (d·x + d0)
            A_ub.append(-(a - lo * d))
            b_ub.append(a0 - lo * d0)
        if hi is not None:
            A_ub.append(a - hi * d)
            b_ub.append(hi * d0 - a0)
    cost = p.prices / 1000.0
    if p.objective == "min_cost":
        c = cost
    else:
        sense, column = p.objective.split(":")
        col = {"p": "p_g", "q": "q_g", "r": "r_mg"}[column]
        c = (-1 if sense == "max" else 1) * p.values[col] / 100.0
    kw: dict[str, Any] = {
        "A_ub": np.array(A_ub) if A_ub else None,
        "b_ub": np.array(b_ub) if b_ub else None,
        "bounds": [(0, None)] * p.n,
        "method": "highs-ds",
    }
    first = linprog(c, **kw)
    status = {0: "optimal", 2: "infeasible", 3: "unbounded"}.get(first.status, f"scipy:{first.status}")
    if status != "optimal":
        return status, None, None
    objective = float(c @ first.x)
    if p.objective == "min_cost":
        return status, objective, objective
    tie = dict(kw)
    give = 1e-7 * max(1.0, abs(objective))
    tie["A_ub"] = np.vstack([kw["A_ub"], c[None, :]]) if kw["A_ub"] is not None else c[None, :]
    tie["b_ub"] = np.append(kw["b_ub"] if kw["b_ub"] is not None else [], objective + give)
    second = linprog(cost, **tie)
    user = -objective if p.objective.startswith("max") else objective
    return status, user, float(cost @ second.x) if second.status == 0 else None


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(2, 7))
    rnd = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = {c: np.round(rnd.uniform(0, 100, n) * (rnd.random(n) > 0.25), 3) for c in NUTRIENTS}
    values["energy_kcal"] = np.round(rnd.uniform(50, 900, n), 1)
    # kJ from other energy factors than kcal, as real tables have (GB 29922 vs 4/9/4)
    values["energy_kj"] = np.round(values["energy_kcal"] * 4.184 * rnd.uniform(0.97, 1.03, n), 1)
    prices = np.round(rnd.uniform(0.5, 40, n), 2)
    kind = draw(st.sampled_from(["fixed", "fixed", "fixed", "range", "free"]))
    serving: dict[str, float] = {
        "servings_per_day": float(draw(st.sampled_from([1, 2, 3]))),
        "servings_per_meal": float(draw(st.sampled_from([1, 2]))),
        "body_weight_kg": float(draw(st.integers(40, 90))),
    }
    size = float(draw(st.integers(10, 100)))
    if kind == "fixed":
        serving["serving_g"] = size
    elif kind == "range":
        serving["min_g"], serving["max_g"] = size / 2, size
    p = Problem(values, prices, serving, float(rnd.uniform(0, 3)), float(rnd.uniform(0, 10)))
    # Bounds around a random blend, so that most problems are feasible and some are not.
    x0 = rnd.dirichlet(np.ones(n)) * size
    for _ in range(draw(st.integers(1, 4))):
        column = draw(st.sampled_from([*NUTRIENTS, "pq_g"]))
        basis = draw(st.sampled_from(BASES))
        a, a0, d, d0 = basis_form(p, column, basis)
        bottom = float(d @ x0) + d0
        v = (float(a @ x0) + a0) / bottom if bottom > 0 else 0.0
        entry: dict[str, Any] = {"name": column, "basis": basis}
        if draw(st.booleans()):
            entry["min"] = round(v * float(rnd.uniform(0.5, 1.15)), 4)
        if draw(st.booleans()) or "min" not in entry:
            entry["max"] = round(max(v * float(rnd.uniform(0.85, 1.6)), entry.get("min", 0.0)), 4)
        p.bounds.append(entry)
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["p to q", "energy share"]))
        basis = draw(st.sampled_from(["serving", "meal", "day"]))
        entry = (
            {"numerator": "p_g", "denominator": "q_g"}
            if kind == "p to q"
            else {"numerator": "p_kcal", "denominator": "energy_kj", "unit": "%"}
        )
        p.ratio = {"name": kind, "basis": basis, **entry}
        a, a0, _, _ = basis_form(p, entry["numerator"], basis)
        b, b0, _, _ = basis_form(p, entry["denominator"], basis)
        scale = 100 * 4.184 if kind == "energy share" else 1.0
        if float(b @ x0) + b0 > 0:
            level = scale * (float(a @ x0) + a0) / (float(b @ x0) + b0)
            p.ratio["min"] = round(level * float(rnd.uniform(0.3, 1.1)), 4)
        else:
            p.ratio = None
    if draw(st.booleans()):
        members = sorted({f"f{int(j)}" for j in rnd.integers(n, size=2)})
        total = sum(float(x0[int(m[1:])]) for m in members)
        side = draw(st.sampled_from(["min", "max"]))
        p.group = {
            "name": "some foods",
            "members": members,
            side: round(total * float(rnd.uniform(0.6, 1.3)), 3),
        }
    if draw(st.integers(0, 3)) == 0:
        p.cost = {
            "basis": "serving",
            "max": round(float(prices @ x0) / 1000 * float(rnd.uniform(0.8, 1.5)), 5),
        }
    if draw(st.booleans()):
        i = int(rnd.integers(n))
        if draw(st.booleans()):
            p.ingredient = {"id": f"f{i}", "max": round(float(x0[i]) * 1.5 + 0.1, 3)}
        else:
            p.ingredient = {"id": f"f{i}", "min": round(100 * float(x0[i]) / size * 0.5, 3), "unit": "%"}
    p.objective = draw(st.sampled_from(["min_cost"] * 3 + ["max:p", "min:q"]))
    return p


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    # CBC hands back values to ~8 significant digits (its solution file): 1e-6 absolute
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)


@settings(
    max_examples=220,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problem=problems())
def test_solvers_agree_and_blends_meet_every_bound(problem: Problem) -> None:
    foods, brief = problem.foods(), problem.brief()
    expected_status, expected_objective, expected_cost = scipy_solve(problem)
    for solver in ("cbc", "highs"):
        result = sf.solve(foods, brief, solver=solver)
        assert result.status == expected_status, (solver, result.diagnosis)
        if result.status != "optimal":
            assert result.diagnosis is not None
            continue
        assert result.objective_value is not None and expected_objective is not None
        assert _close(result.objective_value, expected_objective), solver
        if expected_cost is not None:
            assert result.cost_per_serving is not None
            assert _close(result.cost_per_serving, expected_cost, rel=1e-5), (solver, "tie-break")
        x = np.array([result.grams.get(f"f{i}", 0.0) for i in range(problem.n)])
        assert recheck(problem, x) < 1e-6, solver
        assert result.verification is not None and result.verification.ok, result.verification


def test_the_generator_covers_what_it_claims() -> None:
    """The property test above is only as good as its mix of cases."""
    seen: dict[str, int] = {}

    @settings(
        max_examples=220,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(problem=problems())
    def count(problem: Problem) -> None:
        status = scipy_solve(problem)[0]
        seen[status] = seen.get(status, 0) + 1
        seen[problem.objective] = seen.get(problem.objective, 0) + 1

    count()
    assert seen.get("infeasible", 0) >= 10
    assert seen.get("optimal", 0) >= 100
    assert seen.get("max:p", 0) >= 20
    assert sum(seen.get(s, 0) for s in ("optimal", "infeasible", "unbounded")) >= 200


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_scaling_prices_scales_cost_and_keeps_the_blend(
    solver: str, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    base = sf.solve(foods, brief, solver=solver)
    scaled_prices = {i: float(p) * 3.0 for i, p in zip(foods.ids, foods.price_per_kg, strict=True)}
    scaled = sf.solve(foods.with_prices(scaled_prices), brief, solver=solver)
    assert scaled.cost_per_serving == pytest.approx(3 * base.cost_per_serving, rel=1e-6)
    for food_id, g in base.grams.items():
        assert scaled.grams.get(food_id, 0.0) == pytest.approx(g, rel=1e-5, abs=1e-6)


def test_row_order_does_not_matter(foods: sf.FoodTable, brief: sf.Brief) -> None:
    base = sf.solve(foods, brief, solver="highs")
    reversed_table = foods.subset(list(range(len(foods)))[::-1])
    again = sf.solve(reversed_table, brief, solver="highs")
    assert again.cost_per_serving == pytest.approx(base.cost_per_serving, rel=1e-9)


def test_same_inputs_same_answer(foods: sf.FoodTable, brief: sf.Brief) -> None:
    one, two = sf.solve(foods, brief).to_dict(), sf.solve(foods, brief).to_dict()
    one.pop("solve_seconds")
    two.pop("solve_seconds")
    assert one == two
