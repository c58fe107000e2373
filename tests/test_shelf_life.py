"""Shelf life: minimums hold at its end, maximums at manufacture, in one LP; overages,
both values per nutrient, and the end-of-shelf-life re-check."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.brief_toml import parse_brief_toml

FOODS = (
    "id,name,price_per_kg,vitamin_d_ug,vitamin_d_ug_retention\n"
    "cws,Vitamin D3 100 CWS,80,2500,0.85\n"
    "oil,Vitamin D3 in oil,40,5000,\n"
)


def _brief(extra: str = "") -> sf.Brief:
    text = textwrap.dedent(
        """
        name = "life"
        [shelf_life]
        months = 18
        retention = { vitamin_d = 0.7 }
        source = "test"
        [[nutrient]]
        name = "vitamin_d"
        min = 5
        max = 7
        """
    )
    return parse_brief_toml(text + extra, "life.toml")


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_both_time_points_in_one_lp(solver: str) -> None:
    """By hand. Per gram: cws 25 µg (85 % left: 21.25), oil 50 µg (70 %, the brief's
    figure: 35); cost 0.08 and 0.04 per g. Oil is the cheaper per µg left, but oil alone
    needs 5/35 g, which is 7.14 µg at manufacture > 7. So both bounds bind:
    25a + 50b = 7 and 21.25a + 35b = 5 → a = 5/187.5, b = (7 − 25a)/50."""
    result = sf.solve(food_table(FOODS), _brief(), solver=solver)
    assert result.status == "optimal"
    a = 5 / 187.5
    b = (7 - 25 * a) / 50
    assert result.grams["cws"] == pytest.approx(a, rel=1e-6)
    assert result.grams["oil"] == pytest.approx(b, rel=1e-6)
    at = {c.name: c.at for c in result.constraint_lines}
    assert at == {
        "vitamin_d_ug per serving": "manufacture",
        "vitamin_d_ug per serving (end of shelf life)": "end_of_shelf_life",
    }
    assert all(c.binding for c in result.constraint_lines)
    row = next(n for n in result.nutrient_lines if n.nutrient == "vitamin_d_ug")
    assert row.per_serving == pytest.approx(7, rel=1e-6)
    assert row.per_serving_end == pytest.approx(5, rel=1e-6)
    assert result.shelf_life is not None and result.shelf_life.months == 18
    (overage,) = result.shelf_life.overages
    assert overage.overage_percent == pytest.approx(40, rel=1e-5)  # 7 / 5 − 1
    assert result.verification is not None and result.verification.ok


def test_no_blend_when_the_overage_cannot_fit_under_the_maximum() -> None:
    """Only the oil (70 % left): 5 µg at the end needs 7.14 µg at manufacture > 7."""
    foods = food_table("id,name,price_per_kg,vitamin_d_ug\noil,Vitamin D3 in oil,40,5000\n")
    assert sf.solve(foods, _brief()).status == "infeasible"
    without = _brief().model_copy(update={"shelf_life": None})
    assert sf.solve(foods, without).status == "optimal"


def test_recheck_catches_a_blend_that_fails_at_the_end() -> None:
    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.engine import verify
    from sarcoform.solving.recheck import recheck

    compiled = compile_brief(food_table(FOODS), _brief())
    x = np.array([0.0, 6.5 / 50])  # 6.5 µg at manufacture, 4.55 µg at the end
    checked = recheck(compiled, x, verify(compiled, x))
    assert not checked.ok
    assert any("end of shelf life" in f and "4.55" in f for f in checked.failures)


def test_retention_out_of_range_names_the_cell() -> None:
    foods = food_table(FOODS.replace("0.85", "1.3"))
    with pytest.raises(sf.InputError) as err:
        sf.solve(foods, _brief())
    problem = err.value.problems[0]
    assert (problem.row, problem.column) == (2, "vitamin_d_ug_retention")
    with pytest.raises(sf.InputError, match="unknown nutrient 'vitamin_x'"):
        sf.solve(
            food_table(FOODS),
            _brief().with_changes(shelf_life={"months": 12, "retention": {"vitamin_x": 0.9}}),
        )
    with pytest.raises(sf.InputError, match=r"\(0, 1\]"):
        parse_brief_toml('name = "x"\n[shelf_life]\nmonths = 12\nretention = { vitamin_d = 0 }\n', "x.toml")


def test_json_carries_both_values() -> None:
    data = sf.solve(food_table(FOODS), _brief()).to_dict()
    assert {c["at"] for c in data["constraints"]} == {"manufacture", "end_of_shelf_life"}
    row = next(n for n in data["nutrients"] if n["nutrient"] == "vitamin_d_ug")
    assert row["per_serving"] > row["per_serving_end"] > 0
    assert data["shelf_life"]["overages"][0]["nutrient"] == "vitamin_d_ug"


@pytest.mark.parametrize("standard", ["cn", "eu", "us"])
def test_the_label_declares_what_is_left_at_the_end_of_shelf_life(standard: str) -> None:
    """Declared values hold at the end of shelf life: the blend by hand above makes 7 µg
    vitamin D a serving and keeps 5 (cws 85 % by its own column, oil 70 % by the brief)."""
    foods = food_table(FOODS)
    result = sf.solve(foods, _brief(), solver="highs")
    lab = sf.label(result, standard, foods=foods)
    (row,) = [r for r in lab.rows if r.nutrient == "vitamin_d"]
    assert row.exact.per_serving == pytest.approx(5, rel=1e-6)
    assert row.exact.per_100g == pytest.approx(5 / result.serving_g * 100, rel=1e-6)  # type: ignore[operator]
    assert lab.shelf_life_months == 18
    assert any("end of the 18-month shelf life" in n for n in lab.notes)
    fresh = sf.label(result.model_copy(update={"shelf_life": None}), standard, foods=foods)
    (made,) = [r for r in fresh.rows if r.nutrient == "vitamin_d"]
    assert made.exact.per_serving == pytest.approx(7, rel=1e-6) and fresh.shelf_life_months is None
