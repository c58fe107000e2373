"""The production sheet: whole scale steps, a premix of micro-ingredients, order of
addition, and the rounded formula re-checked against the brief."""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

import sarcoform as sf
from conftest import food_table, run_main
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.solving.production import DEFAULT_ORDER, REACH, production_plan


def _is_multiple(kg: float, step_g: float) -> bool:
    steps = kg * 1000 / step_g
    return abs(steps - round(steps)) < 1e-6


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_default_brief_weighs_out_in_whole_steps(foods: sf.FoodTable, brief: sf.Brief, solver: str) -> None:
    result = sf.solve(foods, brief, solver=solver)
    brief = brief.with_changes(production={"premix_below_percent": 0.5})  # the flavour goes in a premix
    plan = production_plan(result, foods, brief, batch_kg=500, solver=solver)
    assert plan.verification is not None and plan.verification.ok, plan.verification
    # Mass balance: the weighings add up to the batch (no moisture change in this brief),
    # which stays within 1 % of the size asked (fixed inclusions need whole steps).
    assert sum(w.kg for w in plan.lines) == pytest.approx(plan.raw_kg, abs=1e-6)
    assert plan.raw_kg == plan.batch_kg == pytest.approx(500, rel=0.01)
    assert plan.servings == pytest.approx(plan.batch_kg * 1000 / brief.serving.serving_g)  # type: ignore[operator]
    share = {b.id: b.percent for b in result.blend_lines}
    premix_ids = {w.id for w in plan.premix} - {plan.premix_carrier}
    assert premix_ids == {i for i, p in share.items() if p < 0.5}
    assert premix_ids, "the default blend has ingredients below 0.5 % (the flavour)"
    for w in plan.lines:
        if w.id != "premix" and w.id != plan.premix_carrier:
            assert _is_multiple(w.kg, plan.scale_resolution_g), w
            # within REACH steps of its exact share of the batch asked, give or take the batch's 1 %
            asked = w.kg_exact * 500 / plan.raw_kg
            assert abs(w.kg - asked) <= 0.01 * asked + REACH * plan.scale_resolution_g / 1000 + 1e-9
    for w in plan.premix:
        assert _is_multiple(w.kg, plan.premix_scale_resolution_g), w
    # Order of addition follows the groups.
    ranks = [DEFAULT_ORDER.index(w.group) for w in plan.lines]
    assert ranks == sorted(ranks)
    assert [w.step for w in plan.lines] == list(range(1, len(plan.lines) + 1))
    # The premix's own composition: every nutrient per 100 g of premix, weighted by hand.
    assert plan.premix_composition
    for column, per_100g in plan.premix_composition.items():
        values = foods.numbers[column]
        by_hand = sum(values[foods.position(w.id)] * w.kg for w in plan.premix) / plan.premix_kg  # type: ignore[index]
        assert per_100g == pytest.approx(by_hand, rel=1e-9), column


def test_rounding_keeps_a_bound_that_nearest_rounding_breaks() -> None:
    """Protein ≥ 20 g in a fixed 50 g serving binds at xA = (20 − 17.5)/0.43 g of WPC80
    (5.8140 g). On a 100 g scale and a 20 kg batch (400 servings, 0.25 g per step), the
    nearest whole step (23 steps = 5.75 g) gives 19.97 g protein: a broken bound. The
    production sheet must weigh 24 steps instead."""
    foods = food_table("id,name,price_per_kg,protein_g\na,WPC80,11,78\nb,skim milk powder,3,35\n")
    brief = parse_brief_toml(
        textwrap.dedent(
            """
            name = "round"
            [serving]
            serving_g = 50
            [production]
            scale_resolution_g = 100
            [[nutrient]]
            name = "protein"
            min = 20
            """
        ),
        "round.toml",
    )
    x_a = 2.5 / 0.43
    step = 100 / 400
    nearest = round(x_a / step) * step
    assert 0.78 * nearest + 0.35 * (50 - nearest) < 20 - 1e-6  # nearest rounding breaks it
    result = sf.solve(foods, brief)
    plan = production_plan(result, foods, brief, batch_kg=20)
    assert plan.verification is not None and plan.verification.ok
    a = next(w for w in plan.lines if w.id == "a")
    assert a.kg == pytest.approx(math.ceil(x_a / step) * step * 400 / 1000)


def test_a_result_without_a_blend_has_no_sheet(foods: sf.FoodTable, brief: sf.Brief) -> None:
    bad = brief.with_changes(cost={"max": 0.01})
    result = sf.solve(foods, bad)
    assert result.status == "infeasible"
    with pytest.raises(sf.InputError, match="infeasible"):
        production_plan(result, foods, bad)


def test_cli_production(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_main(capsys, "production", "--batch-kg", "500")
    assert done.returncode == 0, done.stderr
    assert re.search(r"Production sheet: batch of (49\d|50\d)(\.\d+)? kg", done.stdout), done.stdout
    assert "rounded formula verified" in done.stdout


def test_results_workbook_has_the_sheet(foods: sf.FoodTable, brief: sf.Brief, tmp_path: Path) -> None:
    import openpyxl

    from sarcoform.report.workbook import write_result_workbook

    out = tmp_path / "result.xlsx"
    write_result_workbook(sf.solve(foods, brief, solver="highs"), out, foods=foods, brief=brief)
    ws = openpyxl.load_workbook(out)["Production"]
    header = [c.value for c in ws[5]]
    assert header[:5] == ["Step", "Ingredient", "ID", "Group", "kg to weigh"]
    weighed = []
    for row in ws.iter_rows(min_row=6, values_only=True):
        if row[0] is None:
            break
        weighed.append(row[4])
    assert sum(weighed) == pytest.approx(1000, rel=0.01)  # batch_size_kg unset: the default 1000 kg
    assert np.all(np.array(weighed) > 0)


def test_brief_sets_carrier_order_and_scale(foods: sf.FoodTable, brief: sf.Brief) -> None:
    result = sf.solve(foods, brief, solver="highs")
    carrier = next(b.id for b in result.blend_lines if b.percent > 5 and b.group != "lipid")
    order = ("lipid", "premix", "dairy", "protein", "amino_acid", "active", "carbohydrate")
    changed = brief.with_changes(
        production={
            "scale_resolution_g": 50,
            "premix_carrier": carrier,
            "premix_below_percent": 2.0,
            "order": order,
        }
    )
    plan = production_plan(result, foods, changed, batch_kg=250, solver="highs")
    assert plan.verification is not None and plan.verification.ok, plan.verification
    assert plan.premix_carrier == carrier
    # Everything below 2 % of the batch is in the premix, weighed on the premix scale.
    assert {w.id for w in plan.premix} - {carrier} == {b.id for b in result.blend_lines if b.percent < 2.0}
    ranks = [order.index(w.group) if w.group in order else len(order) for w in plan.lines]
    assert ranks == sorted(ranks)
    for w in plan.lines:
        if w.id not in ("premix", carrier):
            assert _is_multiple(w.kg, 50), w


def test_unknown_carrier_or_group_is_refused_where_it_is_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A misspelt premix carrier or group of addition is bad input (exit 2, one line naming
    the file and the line), not a silent fallback to the default carrier or order."""
    base = (Path(__file__).parents[1] / "constraints" / "ons_powder.toml").read_text()
    lines = base.count("\n") + 2
    for key, value, said in (
        ("premix_carrier", '"sucrse"', "premix_carrier: unknown ingredient id 'sucrse'"),
        ("order", '["protein", "nonsense"]', "order: 'nonsense' is no ingredient group"),
    ):
        brief = tmp_path / f"{key}.toml"
        brief.write_text(f"{base}\n[production]\n{key} = {value}\n")
        for command in ("check", "production"):
            done = run_main(capsys, command, "-c", str(brief))
            assert done.returncode == 2, (command, key, done.stdout, done.stderr)
            error = [e for e in done.stderr.splitlines() if said in e]
            assert len(error) == 1 and f"{brief.name}" in error[0], done.stderr
            assert f"line {lines}" in error[0], error[0]  # the [production] table
    with pytest.raises(sf.InputError, match="did you mean sucrose"):
        foods = sf.load_foods()
        plain = sf.load_brief()
        sf.production_plan(
            sf.solve(foods, plain, solver="highs"),
            foods,
            plain.with_changes(production={"premix_carrier": "sucrse"}),
        )


def test_batches_too_small_for_the_scale(capsys: pytest.CaptureFixture[str]) -> None:
    """A batch below one step of the batch scale (10 g) cannot be weighed: bad input, one
    line. A 1 kg batch can, but its premix rounds to nothing and bounds break: the sheet
    says which (exit 1), with no division by the empty premix."""
    done = run_main(capsys, "production", "--batch-kg", "0.005")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "smaller than one step of the batch scale (10 g" in done.stderr
    done = run_main(capsys, "production", "--batch-kg", "1")
    assert done.returncode == 1, done.stderr
    assert "the rounded formula breaks bounds" in done.stdout and "internal error" not in done.stderr
