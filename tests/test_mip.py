"""Practical formulas (mixed-integer): at most N ingredients, a minimum inclusion if used.

Known optima come from enumeration: every subset of at most N ingredients is solved
as its own LP with scipy's linprog (each member ≥ the minimum inclusion), and the
best of them is the integer optimum. CBC and HiGHS must both find it.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

import sarcoform as sf
from conftest import cpu_seconds, food_table, set_highs_option
from sarcoform.io.brief_toml import brief_to_toml, parse_brief_toml

SOLVERS = ["cbc", "highs"]
FOODS = """id,name,price_per_kg,protein_g,fat_g,carbohydrate_g,calcium_mg
wpc,Whey protein concentrate,11,78,6,7,450
smp,Skim milk powder,2.6,35,1,52,1250
soy,Soy protein isolate,3.5,88,1,2,180
oil,Vegetable oil,1.3,0,100,0,0
malto,Maltodextrin,0.65,0,0,95,0
caco3,Calcium carbonate,0.65,0,0,0,40000
oat,Oat flour,1.15,14,7,66,50
"""
NUTRIENTS = {  # column: (min, max) per 40 g serving
    "protein_g": (12.0, 16.0),
    "fat_g": (4.0, 6.0),
    "carbohydrate_g": (14.0, None),
    "calcium_mg": (300.0, 400.0),
}
SERVING, N, MINIMUM = 40.0, 3, 2.0


def brief(objective: str = "min_cost", cost_cap: float | None = None, practical: bool = True) -> str:
    head = f'name = "practical"\nobjective = "{objective}"\n'
    if practical:
        head += f"max_ingredients = {N}\nmin_inclusion_g = {MINIMUM}\n"
    text = head + f"[serving]\nserving_g = {SERVING}\n"
    for column, (lo, hi) in NUTRIENTS.items():
        text += f'[[nutrient]]\nname = "{column}"\n' + (f"min = {lo}\n" if lo is not None else "")
        text += f"max = {hi}\n" if hi is not None else ""
    if cost_cap is not None:
        text += f"[cost]\nmax = {cost_cap}\n"
    return text


def table() -> tuple[list[str], np.ndarray, np.ndarray]:
    rows = list(csv.DictReader(io.StringIO(FOODS)))
    ids = [r["id"] for r in rows]
    per_g = np.array([[float(r[c]) / 100 for c in NUTRIENTS] for r in rows])  # food × nutrient
    price = np.array([float(r["price_per_kg"]) / 1000 for r in rows])
    return ids, per_g, price


def bound_rows(
    a: np.ndarray, moved: dict[str, tuple[float | None, float | None]] | None = None
) -> tuple[list[np.ndarray], list[float]]:
    """A_ub rows and right-hand sides of the nutrient bounds (those in `moved` replaced),
    for members whose nutrients per g are the columns of `a` (nutrient × member)."""
    rows, rhs = [], []
    for k, (column, (lo, hi)) in enumerate(NUTRIENTS.items()):
        lo, hi = (moved or {}).get(column, (lo, hi))
        if lo is not None:
            rows.append(-a[k])
            rhs.append(-lo)
        if hi is not None:
            rows.append(a[k])
            rhs.append(hi)
    return rows, rhs


def enumerate_best(objective: str, cost_cap: float | None = None) -> tuple[float, frozenset[str]]:
    """The integer optimum by brute force: one scipy LP per subset of at most N foods."""
    ids, per_g, price = table()
    best: tuple[float, frozenset[str]] = (np.inf, frozenset())
    for size in range(1, N + 1):
        for subset in itertools.combinations(range(len(ids)), size):
            a = per_g[list(subset)].T  # nutrient × member
            rows, rhs = bound_rows(a)
            if cost_cap is not None:
                rows.append(price[list(subset)])
                rhs.append(cost_cap)
            c = price[list(subset)] if objective == "min_cost" else -a[0]  # max:protein
            res = linprog(
                c,
                A_ub=np.array(rows),
                b_ub=np.array(rhs),
                A_eq=np.ones((1, size)),
                b_eq=[SERVING],
                bounds=[(MINIMUM, None)] * size,
                method="highs",
            )
            if res.status == 0 and res.fun < best[0] - 1e-12:
                best = (float(res.fun), frozenset(ids[i] for i in subset))
    return best


def foods() -> sf.FoodTable:
    return food_table(FOODS, origin="practical foods")


def test_the_lp_alone_uses_more_than_n_ingredients() -> None:
    lp = sf.solve(foods(), parse_brief_toml(brief(practical=False), "b.toml"), solver="highs")
    assert lp.status == "optimal" and len(lp.blend_lines) > N  # so the count really binds


@pytest.mark.parametrize("solver", SOLVERS)
def test_least_cost_matches_enumeration(solver: str) -> None:
    value, chosen = enumerate_best("min_cost")
    r = sf.solve(foods(), parse_brief_toml(brief(), "b.toml"), solver=solver)
    assert r.status == "optimal" and r.gap is None
    assert r.cost_per_serving == pytest.approx(value, rel=1e-6)
    assert set(r.grams) == chosen
    assert all(g >= MINIMUM - 1e-9 for g in r.grams.values())
    assert r.verification is not None and r.verification.ok


@pytest.mark.parametrize("solver", SOLVERS)
def test_max_objective_matches_enumeration(solver: str) -> None:
    value, _ = enumerate_best("max:protein", cost_cap=0.12)
    r = sf.solve(foods(), parse_brief_toml(brief("max:protein", cost_cap=0.12), "b.toml"), solver=solver)
    assert r.status == "optimal"
    assert r.objective_value == pytest.approx(-value, rel=1e-6)
    assert len(r.grams) <= N and r.cost_per_serving is not None and r.cost_per_serving <= 0.12 + 1e-9


def test_practical_rules_are_verified_independently() -> None:
    r = sf.solve(foods(), parse_brief_toml(brief(), "b.toml"), solver="highs")
    lines = {c.name: c for c in r.constraint_lines}
    assert lines["ingredients used"].value == len(r.grams) <= N
    assert lines["minimum inclusion"].value == pytest.approx(min(r.grams.values()))
    assert lines["ingredients used"].shadow_price is None  # not a bound of the fixed-choice LP
    assert r.verification is not None and r.verification.ok and r.verification.checked == len(lines)
    assert any("with the chosen ingredients fixed" in n for n in r.notes)


def test_brief_fields_validate_and_round_trip() -> None:
    parsed = parse_brief_toml(brief(), "b.toml")
    assert (parsed.max_ingredients, parsed.min_inclusion_g) == (N, MINIMUM)
    again = parse_brief_toml(brief_to_toml(parsed), "again.toml")
    assert (again.max_ingredients, again.min_inclusion_g) == (N, MINIMUM)
    for bad, message in (
        ("max_ingredients = 0", "greater than or equal to 1"),
        ("min_inclusion_g = -1", "> 0"),
    ):
        with pytest.raises(sf.InputError, match=message):
            parse_brief_toml(f'name = "x"\n{bad}\n', "bad.toml")


def test_free_serving_needs_a_mass_limit() -> None:
    text = brief().replace(f"[serving]\nserving_g = {SERVING}\n", "")
    with pytest.raises(sf.InputError, match="bounded serving"):
        sf.solve(foods(), parse_brief_toml(text, "b.toml"))


def test_count_alone_diagnosed_with_its_way_out() -> None:
    # One ingredient cannot meet the brief; the fewest that can is found by enumeration.
    text = brief().replace(f"max_ingredients = {N}", "max_ingredients = 1")
    r = sf.solve(foods(), parse_brief_toml(text, "b.toml"), solver="highs")
    assert r.status == "infeasible" and r.diagnosis is not None
    assert "ingredients used" in r.diagnosis.conflict
    way_out = {e["constraint"]: e for e in r.diagnosis.relaxation}
    assert way_out["ingredients used"]["to"] == float(enumerate_count_needed())


def enumerate_count_needed() -> int:
    """The fewest ingredients that can meet the brief (enumeration, as above)."""
    ids, per_g, _ = table()
    for size in range(1, len(ids) + 1):
        for subset in itertools.combinations(range(len(ids)), size):
            a = per_g[list(subset)].T
            rows = [-a[k] for k, (lo, _) in enumerate(NUTRIENTS.values()) if lo is not None]
            rhs = [-lo for lo, _ in NUTRIENTS.values() if lo is not None]
            rows += [a[k] for k, (_, hi) in enumerate(NUTRIENTS.values()) if hi is not None]
            rhs += [hi for _, hi in NUTRIENTS.values() if hi is not None]
            res = linprog(
                np.zeros(size),
                A_ub=np.array(rows),
                b_ub=rhs,
                A_eq=np.ones((1, size)),
                b_eq=[SERVING],
                bounds=[(MINIMUM, None)] * size,
                method="highs",
            )
            if res.status == 0:
                return size
    raise AssertionError("no subset works")


def random_problem(n: int = 600, k: int = 4) -> tuple[sf.FoodTable, sf.Brief]:
    """A table big enough that proving the optimum takes HiGHS seconds, while good blends are easy."""
    rng = np.random.default_rng(7)
    header = [
        "id",
        "name",
        "price_per_kg",
        "protein_g",
        "fat_g",
        "carbohydrate_g",
        "calcium_mg",
        "leucine_g",
        "lysine_g",
    ]
    rows = []
    for i in range(n):
        p, f = rng.uniform(0, 40), rng.uniform(0, 30)
        c = rng.uniform(0, 100 - p - f)
        price, ca = rng.uniform(1, 20), rng.uniform(0, 1500)
        leu, lys = p * rng.uniform(0.05, 0.11), p * rng.uniform(0.03, 0.09)
        rows.append(
            [
                f"f{i}",
                f"Food {i}",
                f"{price:.3f}",
                f"{p:.3f}",
                f"{f:.3f}",
                f"{c:.3f}",
                f"{ca:.1f}",
                f"{leu:.4f}",
                f"{lys:.4f}",
            ]
        )
    bounds = {
        "protein": (22, 24),
        "fat": (11, 12),
        "carbohydrate": (45, None),
        "calcium": (700, 720),
        "leucine": (2.0, None),
        "lysine": (1.6, None),
    }
    text = f'name = "r"\nmax_ingredients = {k}\nmin_inclusion_g = 2.0\n[serving]\nserving_g = 100\n'
    for name, (lo, hi) in bounds.items():
        text += f'[[nutrient]]\nname = "{name}"\nmin = {lo}\n' + (f"max = {hi}\n" if hi is not None else "")
    return sf.FoodTable.from_records(header, rows, origin="random"), parse_brief_toml(text, "r.toml")


@pytest.fixture(scope="module")
def hard() -> tuple[sf.FoodTable, sf.Brief, float, float]:
    """random_problem(), its optimum (CBC, run to the end) and the seconds that took."""
    table_, brief = random_problem()
    started = cpu_seconds()
    optimum = sf.solve(table_, brief, solver="cbc").cost_per_serving
    assert optimum is not None
    return table_, brief, optimum, cpu_seconds() - started


def stop_after_the_first_blend(monkeypatch: pytest.MonkeyPatch, solver: str) -> None:
    """Each solver told (one option, real solver) to end its search early, deterministically:
    HiGHS at its first improving blend, CBC after one branch-and-bound node."""
    from sarcoform.solving import backends

    if solver == "highs":
        set_highs_option(monkeypatch, "mip_max_improving_sols", 1)
    else:
        pulp = backends.import_pulp()
        monkeypatch.setattr(pulp, "COIN_CMD", functools.partial(pulp.COIN_CMD, maxNodes=1))


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_search_stopped_early_reports_its_blend_and_a_gap_never_understated(
    hard: tuple[sf.FoodTable, sf.Brief, float, float], solver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    table_, brief, optimum, _ = hard
    stop_after_the_first_blend(monkeypatch, solver)
    r = sf.solve(table_, brief, solver=solver)
    assert r.status == "time_limit" and r.blend_lines  # stopped unproven, with a blend
    assert r.exit_code == 1 and r.diagnosis is not None and "time limit" in r.diagnosis.reason
    assert f"gap {r.gap:.2%}" in r.diagnosis.reason and "best blend found so far" in r.diagnosis.reason
    assert r.gap is not None and 0 < r.gap <= 1 and r.cost_per_serving is not None
    assert r.gap >= (r.cost_per_serving - optimum) / r.cost_per_serving - 1e-9
    assert len(r.grams) <= 4 and min(r.grams.values()) >= 2.0 - 1e-9
    assert r.verification is not None and r.verification.ok


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_zero_time_limit_stops_the_solver_at_once(
    hard: tuple[sf.FoodTable, sf.Brief, float, float], solver: str
) -> None:
    table_, brief, _, _ = hard
    r = sf.solve(table_, brief, solver=solver, time_limit=0.0)
    assert r.status == "time_limit" and not r.blend_lines and r.exit_code == 1
    assert r.diagnosis is not None and "no blend found" in r.diagnosis.reason


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limit_is_respected(hard: tuple[sf.FoodTable, sf.Brief, float, float], solver: str) -> None:
    """A limit of a tenth of what CBC needs to prove the optimum (HiGHS needs more) ends the
    search in well under half that time, stopped by the limit. Durations are CPU seconds (this
    process and CBC's), which a busy machine does not stretch; the fixed cost of a solve
    (compiling, starting CBC, reading its answer) is measured in the same run with a zero limit."""
    table_, brief, _, full = hard
    started = cpu_seconds()
    sf.solve(table_, brief, solver=solver, time_limit=0.0)  # what a solve costs besides searching
    overhead = cpu_seconds() - started
    started = cpu_seconds()
    r = sf.solve(table_, brief, solver=solver, time_limit=full / 10)
    assert cpu_seconds() - started < overhead + full / 2  # generous: compiling, CBC's start, the polish
    assert r.status == "time_limit"


def test_cbc_stopped_before_branching_is_not_infeasible_nor_optimal(
    hard: tuple[sf.FoodTable, sf.Brief, float, float],
) -> None:
    """Stopped by the clock before branching, CBC reports this feasible MIP "Integer
    infeasible", or its LP relaxation (7 ingredients) as "Optimal": both are a stop."""
    table_, brief, _, _ = hard
    for limit in (0.005, 0.01, 0.02, 0.04):
        r = sf.solve(table_, brief, solver="cbc", time_limit=limit)
        assert r.status == "time_limit", (limit, r.status)
        assert not r.blend_lines or (r.verification is not None and r.verification.ok)
