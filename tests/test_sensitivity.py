"""Sensitivity: shadow-price ranges, price ranges and entry prices.

A hand-solved brief pins the numbers; on the presets every claim is re-checked by
solving again with the bound or price moved inside and just outside the range.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import sarcoform as sf
from conftest import assert_matches_search, food_table, solved_at_basis
from sarcoform.cli import main
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.model.brief import BASIS_PHRASES
from sarcoform.model.columns import ColumnSet

# A (80 % protein, 10/kg), B (20 %, 2/kg), D (50 %, 8/kg); 30 g with ≥ 12 g protein.
# Both constraints bind: a = (P − 0.2·S)/0.6, b = S − a → a = 10, b = 20, cost 0.14.
# Duals (per g): 0.010 = s + 0.8π, 0.002 = s + 0.2π → π = 0.01333, s = −0.000667.
# Ranges: a, b ≥ 0 ⇔ 6 ≤ P ≤ 24 and 15 ≤ S ≤ 60. D's reduced cost 0.008 − s − 0.5π
# = 0.002 ≥ 0: it enters below 6/kg. A's price keeps π ≥ 0 and D out for 2 ≤ p_A ≤ 14;
# B's for p_B ≤ 6 (no lower end).
HAND_FOODS = """id,name,price_per_kg,protein_g
a,Protein A,10,80
b,Protein B,2,20
d,Protein D,8,50
"""
HAND_BRIEF = """name = "hand"
[serving]
serving_g = 30
[[nutrient]]
name = "protein"
min = 12
"""
SOLVERS = ["cbc", "highs"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_hand_solved_ranges(solver: str) -> None:
    r = sf.solve(food_table(HAND_FOODS), parse_brief_toml(HAND_BRIEF, "hand.toml"), solver=solver)
    assert r.status == "optimal" and r.cost_per_serving == pytest.approx(0.14)
    lines = {c.name: c for c in r.constraint_lines}
    protein, serving = lines["protein_g per serving"], lines["serving mass"]
    assert protein.shadow_price == pytest.approx(0.008 / 0.6, rel=1e-6)
    assert protein.shadow_price_range == pytest.approx((6.0, 24.0), rel=1e-6)
    assert serving.shadow_price == pytest.approx(-0.002 / 3, rel=1e-6)
    assert serving.shadow_price_range == pytest.approx((15.0, 60.0), rel=1e-6)
    blend = {b.id: b.price_range for b in r.blend_lines}
    assert blend["a"] == pytest.approx((2.0, 14.0), rel=1e-5)
    assert blend["b"][0] is None and blend["b"][1] == pytest.approx(6.0, rel=1e-5)
    (unused,) = r.unused
    assert unused.id == "d" and unused.entry_price == pytest.approx(6.0, rel=1e-5)
    assert unused.reduced_cost == pytest.approx(0.002, rel=1e-5)


# The same foods with D capped at 0 g by the brief: D's column is fixed at 0 (cap and x ≥ 0
# both hold it), a degenerate vertex where its reduced cost is one of many valid prices.
CAPPED = (
    HAND_BRIEF
    + """
[[ingredient]]
id = "d"
max = 0
"""
)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_cap_of_0_on_a_dear_food_prices_at_0(solver: str) -> None:
    """D at 8/kg: reduced cost 0.008 − s − 0.5π = +0.002 per g (see above), so it stays out
    whatever the cap: raising "d ≤ 0 g" to any u ≥ 0 leaves the cost at 0.14. The one-sided
    slope is 0 on [0, ∞); the reduced cost +0.002 (once reported) would claim the opposite
    sign, a looser cap costing more."""
    r = sf.solve(food_table(HAND_FOODS), parse_brief_toml(CAPPED, "capped.toml"), solver=solver)
    assert r.status == "optimal" and r.cost_per_serving == pytest.approx(0.14)
    cap = {c.name: c for c in r.constraint_lines}["ingredient d"]
    assert cap.shadow_price == 0.0
    assert cap.shadow_price_range is not None
    assert cap.shadow_price_range[0] == pytest.approx(0.0, abs=1e-9) and cap.shadow_price_range[1] is None
    raised = parse_brief_toml(CAPPED.replace("max = 0", "max = 25"), "capped.toml")
    assert sf.solve(food_table(HAND_FOODS), raised, solver=solver).cost_per_serving == pytest.approx(0.14)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_cap_of_0_on_a_cheap_food_prices_its_saving(solver: str) -> None:
    """D at 4/kg: reduced cost 0.004 − s − 0.5π = −0.002 per g. With the cap at u, D = u and
    a = 10 − 0.5u, b = 20 − 0.5u (protein and mass), cost 0.14 − 0.002u: the slope is
    −0.002 per g of cap for 0 ≤ u ≤ 20, where a reaches 0; past it D = 20 sits below the cap."""
    foods = food_table(HAND_FOODS.replace("Protein D,8,", "Protein D,4,"))
    r = sf.solve(foods, parse_brief_toml(CAPPED, "capped.toml"), solver=solver)
    assert r.status == "optimal" and r.cost_per_serving == pytest.approx(0.14)
    cap = {c.name: c for c in r.constraint_lines}["ingredient d"]
    assert cap.shadow_price == pytest.approx(-0.002, rel=1e-6)
    assert cap.shadow_price_range == pytest.approx((0.0, 20.0), abs=1e-7)


# -- re-solving the presets -----------------------------------------------------------------


def moved(brief: sf.Brief, foods: sf.FoodTable, name: str, side: str, value: float) -> sf.Brief:
    """The brief with one bound (by its result name) set to `value`; an equality moves whole."""
    if name == "serving mass":
        return brief.model_copy(update={"serving": brief.serving.model_copy(update={"serving_g": value})})
    if name.startswith("cost per"):
        assert brief.cost is not None
        return brief.model_copy(update={"cost": brief.cost.model_copy(update={side: value})})
    columns = ColumnSet(foods, {k: d.expr for k, d in brief.derived.items()})
    # "cahmb_g per day #2": the brief's second entry of that name (rule-pack entries merge
    # into the first); a name without a number is every entry of that name. A minimum at
    # the end of shelf life is its entry's minimum (at manufacture it then holds with room).
    name = name.removesuffix(" (end of shelf life)")
    base, _, number = name.partition(" #")
    nth = int(number) if number else None

    def update(entries: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
        if nth is None:
            return tuple(e.model_copy(update={side: value}) if key(e) == name else e for e in entries)
        mine = [i for i, e in enumerate(entries) if key(e) == base and getattr(e, "pack", None) is None]
        k = mine[nth - 1] if len(mine) >= nth else -1
        return tuple(e.model_copy(update={side: value}) if i == k else e for i, e in enumerate(entries))

    return brief.model_copy(
        update={
            "nutrients": update(
                brief.nutrients, lambda e: f"{columns.resolve(e.name)} {BASIS_PHRASES[e.basis]}"
            ),
            "ratios": update(brief.ratios, lambda e: e.name),
            "ingredients": update(brief.ingredients, lambda e: f"ingredient {e.id}{' %' * (e.unit == '%')}"),
            "groups": update(brief.groups, lambda e: f"group {e.name}{' %' * (e.unit == '%')}"),
        }
    )


def signature(r: sf.Result) -> tuple[frozenset[str], frozenset[str]]:
    """Which ingredients are used and which constraints bind: the optimal basis, seen from outside."""
    return frozenset(r.grams), frozenset(c.name for c in r.constraint_lines if c.binding)


def linear(c: Any) -> bool:
    fractional = c.basis in ("per_100g", "per_100kcal", "per_100kj") or "%" in c.unit
    return c.kind in ("nutrient", "ingredient", "group", "serving", "cost") and not fractional


def probes(point: float, lo: float | None, hi: float | None) -> list[tuple[float, bool]]:
    """(value, inside?) pairs: halfway to each end, and 1 % of the width past it."""
    width = (hi if hi is not None else point + 1) - (lo if lo is not None else point - 1)
    out = []
    if hi is not None and hi > point:
        out += [((point + hi) / 2, True), (hi + 0.01 * width, False)]
    if lo is not None and lo < point:
        out += [((point + lo) / 2, True), (lo - 0.01 * width, False)]
    return out


def mean_preset(name: str | None = None) -> sf.Brief:
    """A preset on mean compositions: ranges are of LPs, and a chance-constrained answer
    (ons_powder's 95 % of lots) has none (its cuts' linearisation would mislead)."""
    return sf.load_brief(name).on_mean_values()


@pytest.fixture(scope="module", params=["ons_powder", "milk_beverage_powder", "ons_max_leucine"])
def case(request: pytest.FixtureRequest, foods: sf.FoodTable) -> tuple[sf.Brief, sf.Result]:
    brief = mean_preset(request.param)
    return brief, sf.solve(foods, brief, solver="highs")


def confirm_shadow_price_ranges(foods: sf.FoodTable, brief: sf.Brief, base: sf.Result, solver: str) -> int:
    """Re-solve with each binding bound moved halfway to each end of its range and just past
    it: inside, a linear bound moves the objective by exactly shadow price × change, and a
    bound in coefficients keeps the same constraints binding; outside, neither. The count."""
    assert base.objective_value is not None
    rel = 1e-7 if solver == "highs" else 1e-6  # CBC reports ~7 significant digits
    checked = 0
    for c in base.constraint_lines:
        if not c.binding or c.shadow_price_range is None:
            continue
        equality = c.min == c.max
        side = c.active or "min"
        bound = c.min if side == "min" else c.max
        assert bound is not None
        lo, hi = c.shadow_price_range
        for t, inside in probes(bound, lo, hi):
            if (c.kind == "ingredient" or c.name.startswith("cahmb")) and t < 0:
                continue
            s = moved(brief, foods, c.name, side, t)
            if equality and c.name != "serving mass":
                s = moved(s, foods, c.name, "max" if side == "min" else "min", t)
            r = sf.solve(foods, s, solver=solver, sensitivity=False)
            if linear(c):
                expected = base.objective_value + c.shadow_price * (t - bound)  # type: ignore[operator]
                holds = r.status == "optimal" and r.objective_value == pytest.approx(
                    expected, rel=rel, abs=1e-9
                )
            else:
                holds = r.status == "optimal" and signature(r) == signature(base)
            assert holds == inside, (
                f"{c.label}: moved to {t} ({'inside' if inside else 'outside'} {lo}..{hi})"
            )
            checked += 1
    return checked


def test_shadow_prices_hold_exactly_inside_their_range(
    foods: sf.FoodTable, case: tuple[sf.Brief, sf.Result]
) -> None:
    """ons_max_leucine is a two-stage answer whose first stage (max leucine, capped by the
    brief's own leucine bound) sits on a whole face of optimal blends: its ranges are where
    the first optimum keeps following its shadow price, not a vertex's (stage_ranges)."""
    brief, base = case
    assert confirm_shadow_price_ranges(foods, brief, base, "highs") >= 8


def test_ranges_of_amounts_of_ingredients_stop_at_0(case: tuple[sf.Brief, sf.Result]) -> None:
    """An ingredient or group bound (g or % of the serving) cannot go below 0: no range of
    one reaches a negative amount (a few 1e-9 below 0 once showed as "-1.678e-09–0.6")."""
    _, base = case
    amounts = [c for c in base.constraint_lines if c.binding and c.kind in ("ingredient", "group")]
    assert amounts
    for c in amounts:
        assert c.shadow_price_range is not None
        lo = c.shadow_price_range[0]
        assert lo is None or lo >= 0, (c.name, lo)


def test_blend_stays_optimal_inside_its_price_range(
    foods: sf.FoodTable, case: tuple[sf.Brief, sf.Result]
) -> None:
    brief, base = case
    assert confirm_price_ranges(foods, brief, base, base.blend_lines) >= 6


def confirm_price_ranges(foods: sf.FoodTable, brief: sf.Brief, base: sf.Result, lines: list[Any]) -> int:
    """Re-solve with each used food's price halfway to each end of its range and just past
    it: inside, the blend (a cost objective) or its ingredients and binding bounds (grams
    move with the price when the budget binds) stay; outside, they do not. The count."""
    grams = np.array([line.grams for line in base.ingredient_lines])
    checked = 0
    for line in lines:
        assert line.price_range is not None and line.price_per_kg is not None
        lo, hi = line.price_range
        for price, inside in probes(line.price_per_kg, lo, hi):
            if price < 0:
                continue
            r = sf.solve(foods.with_prices({line.id: price}), brief, solver="highs", sensitivity=False)
            if brief.objective_kind == "min_cost":
                now = np.array([x.grams for x in r.ingredient_lines])
                same = bool(np.abs(now - grams).max() < 1e-6)
            else:  # the budget binds: grams move with the price, the basis does not
                same = signature(r) == signature(base)
            assert same == inside, f"{line.id} at {price} ({'inside' if inside else 'outside'} {lo}..{hi})"
            checked += 1
    return checked


def test_unused_ingredient_enters_below_its_entry_price(
    foods: sf.FoodTable, case: tuple[sf.Brief, sf.Result]
) -> None:
    brief, base = case
    entering = [u for u in base.unused if u.entry_price is not None and u.entry_price > 0]
    assert len(entering) >= 10
    for u in entering[::3]:
        assert u.entry_price is not None and u.price_per_kg is not None and u.entry_price <= u.price_per_kg
        below = sf.solve(
            foods.with_prices({u.id: u.entry_price * 0.999}), brief, solver="highs", sensitivity=False
        )
        above = sf.solve(
            foods.with_prices({u.id: u.entry_price * 1.001}), brief, solver="highs", sensitivity=False
        )
        assert u.id in below.grams, f"{u.id} should enter below {u.entry_price}"
        assert u.id not in above.grams, f"{u.id} should stay out above {u.entry_price}"


def test_excluded_ingredients_have_no_entry_price(case: tuple[sf.Brief, sf.Result]) -> None:
    _, base = case
    excluded = {u.id: u for u in base.unused if u.note and u.note.startswith("excluded")}
    assert {"resistant_dextrin", "polydextrose"} <= set(excluded)  # blank calcium, brief says exclude
    assert all(u.entry_price is None for u in excluded.values())


def test_cbc_results_carry_ranges_that_cbc_confirms(foods: sf.FoodTable) -> None:
    """A CBC answer's ranges are read off a HiGHS basis; CBC re-solves check them (as
    above), and an unused ingredient enters just below its entry price, not just above."""
    brief = mean_preset()
    base = sf.solve(foods, brief, solver="cbc")
    checked = confirm_shadow_price_ranges(foods, brief, base, "cbc")
    entering = [u for u in base.unused if u.entry_price is not None and u.entry_price > 0]
    for u in entering[::4]:
        assert u.entry_price is not None
        below = sf.solve(
            foods.with_prices({u.id: u.entry_price * 0.999}), brief, solver="cbc", sensitivity=False
        )
        above = sf.solve(
            foods.with_prices({u.id: u.entry_price * 1.001}), brief, solver="cbc", sensitivity=False
        )
        assert u.id in below.grams and u.id not in above.grams, u.id
        checked += 1
    assert checked >= 10


def test_json_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", "-c", "milk_beverage_powder", "--json"]) == 0  # an LP brief: it has ranges
    data = json.loads(capsys.readouterr().out)
    binding = [c for c in data["constraints"] if c["binding"]]
    assert binding and all(len(c["shadow_price_range"]) == 2 for c in binding)
    assert all(c["shadow_price_range"] is None for c in data["constraints"] if not c["binding"])
    assert all(len(line["price_range"]) == 2 for line in data["blend"])
    assert data["unused"] and {"id", "name", "price_per_kg", "entry_price", "reduced_cost"} <= set(
        data["unused"][0]
    )
    used = {line["id"] for line in data["blend"]}
    assert used.isdisjoint(u["id"] for u in data["unused"])
    assert len(used) + len(data["unused"]) == len(data["ingredients"])


def test_practical_briefs_take_their_ranges_from_the_lp_with_the_choice_fixed(foods: sf.FoodTable) -> None:
    """A MIP has no duals of its own: what is shown is the LP's over the chosen ingredients
    (issue 9 item 6), labelled so; the count itself, not a bound of that LP, has none."""
    brief = mean_preset().with_changes(max_ingredients=17)  # the least-cost blend uses 17
    r = sf.solve(foods, brief, solver="highs")
    assert r.status == "optimal"
    assert {c.name: c for c in r.constraint_lines}["ingredients used"].shadow_price is None
    assert any(c.binding and c.shadow_price is not None for c in r.constraint_lines)
    assert all(line.price_range is not None for line in r.blend_lines)
    assert any("with the chosen ingredients fixed" in note for note in r.notes)


@pytest.mark.parametrize("preset", ["ons_powder", "ons_max_leucine"])  # the milk preset binds none
def test_ranges_of_bounds_in_coefficients_match_a_search(foods: sf.FoodTable, preset: str) -> None:
    """Ratio and per-100 g bounds get their range from the basis in closed form; bisecting
    on the same basis (moving the bound and re-checking optimality) finds the same edges.

    The basis is the one that holds the reported blend (solved_at_basis): the LP's for a
    least-cost brief; for a two-stage answer (max leucine, then least cost) the tie-break
    LP's. Its first stage sits on a whole face of optimal blends (leucine at the brief's own
    cap), so the first stage's basis is some vertex of that face, not the blend (the test
    once asked it to be, and could not pass); these bounds have price 0 there, and stage
    1's duals then prove its optimum whatever their coefficients."""
    compiled, x, solved = solved_at_basis(foods, mean_preset(preset))
    basis = solved.probe()
    compared = 0
    for k, b in enumerate(compiled.bounds):
        side = b.active_side(b.value(x))
        if b.den is None or side is None or b.min == b.max:
            continue
        (row,) = [r for r, (owner, s) in enumerate(compiled.row_of) if owner == k and s == side]
        bound = b.min if side == "min" else b.max
        assert bound is not None
        closed = basis.moved_row(solved.lp, row, b.den, b.den0, bound)
        assert closed is not None
        assert_matches_search(compiled, solved, k, side, closed)
        compared += 1
    assert compared >= 1


def test_a_price_range_reaching_below_zero_is_open_at_the_bottom(
    foods: sf.FoodTable, capsys: pytest.CaptureFixture[str]
) -> None:
    """The max-leucine blend's l_leucine stays at any lower price (its basis alone allows
    down to a negative price, which no supplier charges): the range has no lower end, in
    the Result and its JSON (null, as every open end) and on the terminal ("≤ …"). A
    re-solve with l_leucine almost free confirms the same blend."""
    brief = sf.load_brief("ons_max_leucine")
    base = sf.solve(foods, brief, solver="highs")
    assert all(b.price_range is not None for b in base.blend_lines)
    assert all(b.price_range[0] is None or b.price_range[0] > 0 for b in base.blend_lines)  # type: ignore[index]
    line = next(b for b in base.blend_lines if b.id == "l_leucine")
    assert line.price_range is not None and line.price_range[0] is None and line.price_range[1] is not None
    cheap = sf.solve(foods.with_prices({"l_leucine": 0.01}), brief, solver="highs", sensitivity=False)
    assert cheap.grams.keys() == base.grams.keys()
    assert all(cheap.grams[k] == pytest.approx(g, abs=1e-6) for k, g in base.grams.items())
    assert main(["solve", "-c", "ons_max_leucine", "--solver", "highs", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    low = {b["id"]: b["price_range"][0] for b in data["blend"]}
    assert low["l_leucine"] is None and all(v is None or v > 0 for v in low.values())
    assert main(["solve", "-c", "ons_max_leucine", "--solver", "highs"]) == 0
    row = next(r for r in capsys.readouterr().out.splitlines() if " l_leucine " in r)  # the blend's
    assert row.split()[-2:] == ["≤", f"{line.price_range[1]:.4g}"]  # no lower end, no negative price
