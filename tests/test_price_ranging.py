"""Price ranges and entry prices when prices also sit in a binding cost bound (issue 9,
item 12): read in closed form off the bases (solving/price_ranging.py), checked against a
hand-solved brief and against re-solves with the price moved."""

from __future__ import annotations

import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.brief_toml import parse_brief_toml

# Most protein in 30 g for at most 0.12 per serving from A (80 % protein, 10/kg),
# B (20 %, 2/kg), D (50 %, 8/kg). Mass and budget bind: a + b = 30, 10a + 2b = 120 →
# a = 7.5, b = 22.5, protein 10.5 g. Duals: 0.8 = λ + 10μ, 0.2 = λ + 2μ → μ = 0.075 per g
# per (price/kg), λ = 0.05. D stays out while λ + p_D·μ ≥ 0.5: it enters below p_D = 6.
# A's price p: a = 60/(p − 2) ≤ 30 needs p ≥ 4; μ = 0.6/(p − 2) keeps D out
# (0.2 + 6μ ≥ 0.5) for p ≤ 14: A's range is 4..14. B's price p: a = (120 − 30p)/(10 − p)
# ≥ 0 needs p ≤ 4, D stays out for p ≤ 6, no lower end: B's range is ..4.
FOODS = """id,name,price_per_kg,protein_g
a,Protein A,10,80
b,Protein B,2,20
d,Protein D,8,50
"""
BRIEF = """name = "budget"
objective = "max:protein"
[serving]
serving_g = 30
[cost]
basis = "serving"
max = 0.12
"""


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_hand_solved_price_ranges_under_a_binding_budget(solver: str) -> None:
    r = sf.solve(food_table(FOODS), parse_brief_toml(BRIEF, "budget.toml"), solver=solver)
    assert r.status == "optimal" and r.objective_value == pytest.approx(10.5, rel=1e-6)
    ranges = {line.id: line.price_range for line in r.blend_lines}
    assert ranges["a"] == pytest.approx((4.0, 14.0), rel=1e-6)
    assert ranges["b"] is not None and ranges["b"][0] is None
    assert ranges["b"][1] == pytest.approx(4.0, rel=1e-6)
    (unused,) = r.unused
    assert unused.id == "d" and unused.entry_price == pytest.approx(6.0, rel=1e-9)


def budget_bound_leucine() -> sf.Brief:
    """The max-leucine preset without its leucine caps: the most leucine the budget buys,
    so the cost bound binds in stage 1 and every price moves the answer's duals."""
    brief = sf.load_brief("ons_max_leucine")
    kept = tuple(e for e in brief.nutrients if not (e.name == "leucine" and e.max is not None))
    return brief.model_copy(update={"nutrients": kept})


def enters(foods: sf.FoodTable, brief: sf.Brief, food_id: str, price: float) -> bool:
    r = sf.solve(foods.with_prices({food_id: price}), brief, solver="highs", sensitivity=False)
    assert r.status == "optimal"
    return food_id in r.grams


def test_closed_form_entry_prices_match_re_solves(foods: sf.FoodTable) -> None:
    """Each unused food's entry price (one division per food, from both stages' duals) is
    where re-solving with its price moved first uses it: bisected on re-solves for two foods,
    and bracketed to ±0.1 % for more."""
    brief = budget_bound_leucine()
    base = sf.solve(foods, brief, solver="highs")
    assert base.ok
    cost = {c.name: c for c in base.constraint_lines}["cost per serving"]
    assert cost.binding and cost.shadow_price  # the budget prices leucine
    entering = [u for u in base.unused if u.entry_price is not None and u.entry_price > 0]
    assert len(entering) >= 8
    for u in entering[:2]:  # independent: bisect on re-solves between 0 and today's price
        assert u.price_per_kg is not None and u.entry_price is not None
        lo, hi = 0.0, u.price_per_kg
        assert enters(foods, brief, u.id, lo) and not enters(foods, brief, u.id, hi)
        while hi - lo > 2e-4 * u.price_per_kg:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if enters(foods, brief, u.id, mid) else (lo, mid)
        assert u.entry_price == pytest.approx((lo + hi) / 2, rel=2e-4), u.id
    for u in entering[2::3]:
        assert u.entry_price is not None
        assert enters(foods, brief, u.id, u.entry_price * 0.999), u.id
        assert not enters(foods, brief, u.id, u.entry_price * 1.001), u.id


def test_price_ranges_of_used_foods_match_re_solves(foods: sf.FoodTable) -> None:
    """Inside a used food's range the answer keeps its ingredients and binding bounds
    (grams move: the budget binds); just past either end it does not."""
    from test_sensitivity import confirm_price_ranges

    brief = budget_bound_leucine()
    base = sf.solve(foods, brief, solver="highs")
    assert confirm_price_ranges(foods, brief, base, base.blend_lines[:6]) >= 8
