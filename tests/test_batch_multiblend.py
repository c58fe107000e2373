"""Multi-blend: scarce raw materials shared by several products in one joint LP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import run_main, template_book
from sarcoform.model.brief import Brief
from sarcoform.model.foods import FoodTable

# A hand-solved case. Per 100 g serving: protein ≥ 40 g (P1) or ≥ 45 g with no "hi" (P2), from
# hi (100 % protein, 20/kg), lo (50 %, 6/kg) and a filler (0 %, 1/kg). Alone, each product uses
# only lo and filler: P1 80 g lo + 20 g f = 0.50 a serving, P2 90 g lo + 10 g f = 0.55.
# At 100 kg each (1,000 servings) they need 80 + 90 = 170 kg lo. With 150 kg, P2 cannot give way
# (it cannot use hi), so P1 gets 60 kg: 60 g lo + 10 g hi + 30 g f = 0.59 a serving.
# Total 590 + 550 = 1,140 against 1,050 alone. One more kg of lo replaces 0.5 kg hi and 0.5 kg
# filler in P1: 20·0.5 + 1·0.5 − 6 = 4.5 saved — the value of one more kg of lo.
TOY = FoodTable.from_records(
    ["id", "name", "price_per_kg", "protein_g"],
    [["hi", "High protein", 20, 100], ["lo", "Low protein", 6, 50], ["f", "Filler", 1, 0]],
    origin="toy",
)


def brief(name: str, protein: float, **extra: object) -> Brief:
    return Brief.model_validate(
        {
            "name": name,
            "serving": {"serving_g": 100},
            "nutrient": [{"name": "protein", "min": protein}],
            **extra,
        }
    )


P1 = sf.Product("P1", brief("p1", 40), volume_kg=100)
P2 = sf.Product("P2", brief("p2", 45, ingredient=[{"id": "hi", "max": 0}]), volume_kg=100)


def test_hand_solved_allocation() -> None:
    plan = sf.solve_multiblend(TOY, [P1, P2], {"lo": 150})
    assert plan.status == "optimal"
    assert plan.total_cost == pytest.approx(1140, rel=1e-9)
    assert plan.standalone_total_cost == pytest.approx(1050, rel=1e-9)
    assert plan.gave_way == ["P1"]
    p1, p2 = plan.products
    assert p1.grams == pytest.approx({"lo": 60, "hi": 10, "f": 30}, rel=1e-9)
    assert p1.extra_cost == pytest.approx(90, rel=1e-9) and p2.extra_cost == pytest.approx(0, abs=1e-9)
    assert p1.verified and p2.verified
    (lo,) = plan.ingredients
    assert lo.scarce and lo.used_kg == pytest.approx(150) and lo.standalone_kg == pytest.approx(170)
    assert lo.value_per_kg == pytest.approx(4.5, rel=1e-9)


def test_plenty_means_each_product_as_if_alone(foods: sf.FoodTable) -> None:
    products = [
        sf.Product("ons", "ons_powder", volume_kg=1000),
        sf.Product("milk", "milk_beverage_powder", volume_kg=500),
    ]
    plan = sf.solve_multiblend(foods, products, {"smp": 1e9})
    assert plan.gave_way == [] and plan.ingredients[0].value_per_kg == 0 and not plan.ingredients[0].scarce
    for p, name in zip(plan.products, ("ons_powder", "milk_beverage_powder"), strict=True):
        # an independent solve per product, on mean values as the joint plan (it says so)
        alone = sf.solve(foods, sf.load_brief(name).on_mean_values(), solver="cbc")
        assert p.cost_per_serving == pytest.approx(alone.cost_per_serving, rel=1e-6)


def test_value_of_one_more_kg_matches_a_finite_difference(foods: sf.FoodTable) -> None:
    products = [
        sf.Product("ons", "ons_powder", volume_kg=2000),
        sf.Product("milk", "milk_beverage_powder", volume_kg=3000),
    ]
    limits = {"buttermilk_powder": 600.0, "smp": 1200.0}  # each product alone would use more of both
    plan = sf.solve_multiblend(foods, products, limits)
    assert plan.status == "optimal" and plan.gave_way
    base = plan.total_cost
    assert base is not None and plan.standalone_total_cost is not None and base > plan.standalone_total_cost
    for use in plan.ingredients:
        assert use.used_kg is not None and use.used_kg <= limits[use.id] * (1 + 1e-9)
        more = sf.solve_multiblend(foods, products, {**limits, use.id: limits[use.id] + 1.0})
        assert more.total_cost is not None
        # LP value functions are piecewise linear: one kg stays within the dual's range here.
        assert base - more.total_cost == pytest.approx(use.value_per_kg, rel=1e-5)
        assert use.scarce == (use.value_per_kg > 0)


def test_not_enough_raw_material_says_which() -> None:
    plan = sf.solve_multiblend(TOY, [P1, P2], {"lo": 50})  # P2 alone needs 90 kg lo
    assert plan.status == "infeasible"
    assert "lo: at least 90 kg needed, 50 kg available" in plan.reason


def test_inputs_are_checked(foods: sf.FoodTable) -> None:
    with pytest.raises(sf.InputError, match="volume"):
        sf.solve_multiblend(foods, [sf.Product("x", "ons_powder")], {"smp": 10})
    with pytest.raises(sf.InputError, match="fixed serving_g"):
        free = Brief.model_validate({"name": "free", "nutrient": [{"name": "protein", "min": 1}]})
        sf.solve_multiblend(foods, [sf.Product("x", free, volume_kg=1)], {"smp": 10})
    with pytest.raises(sf.InputError, match="unknown ingredient id 'nope'"):
        sf.solve_multiblend(foods, [sf.Product("x", "ons_powder", volume_kg=1)], {"nope": 10})


def test_cli_multiblend_from_the_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(capsys, "multiblend", str(template_book(tmp_path)), "-o", str(tmp_path / "plan.json"))
    assert run.returncode == 0, run.stderr
    assert "gave way" in run.stdout and "value of +1 kg" in run.stdout
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["status"] == "optimal" and plan["gave_way"]
    assert any(i["scarce"] and i["value_per_kg"] > 0 for i in plan["ingredients"])


@pytest.mark.parametrize(("status", "code"), [("error", 3), ("time_limit", 1), ("unbounded", 1)])
def test_a_solver_failure_keeps_its_status(monkeypatch: pytest.MonkeyPatch, status: str, code: int) -> None:
    """Failure handling: the solver is replaced to fail; the plan says how, not "infeasible"."""
    from sarcoform.batch import multiblend
    from sarcoform.solving.lp import LPSolution

    def failing(lp: object, time_limit: float | None = None) -> LPSolution:
        return LPSolution(status=status, solver="highs", seconds=0.0, message="solver says no")

    monkeypatch.setattr(multiblend, "solve_highs", failing)
    plan = sf.solve_multiblend(TOY, [P1, P2], {"lo": 150})
    assert plan.status == status and plan.exit_code == code
    assert "solver says no" in plan.reason


def test_products_in_different_currencies_are_refused() -> None:
    euro = sf.Product("P3", brief("p3", 40, currency="EUR"), volume_kg=100)
    with pytest.raises(sf.InputError, match="currenc") as err:
        sf.solve_multiblend(TOY, [P1, euro], {"lo": 150})
    assert "P3" in str(err.value) and "EUR" in str(err.value)
