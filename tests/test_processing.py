"""Processing: moisture lost or gained, per-nutrient process retention, mass balance."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.io.brief_toml import parse_brief_toml
from sarcoform.solving.production import production_plan

FOODS = (
    "id,name,group,price_per_kg,protein_g,vitamin_c_mg\n"
    "a,WPC80,protein,11,80,0\n"
    "b,maltodextrin,carbohydrate,1,0,0\n"
    "c,ascorbic acid,vitamin,30,0,100000\n"
)
BRIEF = """
    name = "processed"
    [serving]
    serving_g = 50
    [processing]
    moisture_change_percent = -5
    retention = { vitamin_c = 0.8 }
    [[nutrient]]
    name = "protein"
    min = 20
    [[nutrient]]
    name = "protein"
    basis = "per_100g"
    max = 40.5
    [[nutrient]]
    name = "vitamin_c"
    min = 100
    """


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_mass_balance_and_retention_by_hand(solver: str) -> None:
    """50 g of finished powder from 50 / 0.95 g of raw materials (5 % moisture lost).
    Protein is not lost: 0.8·xa = 20 → xa = 25 g, i.e. 40 g per 100 g of finished product
    (≤ 40.5). Vitamin C keeps 80 %: 1000 mg/g · 0.8 · xc = 100 → xc = 0.125 g."""
    brief = parse_brief_toml(textwrap.dedent(BRIEF), "processed.toml")
    result = sf.solve(food_table(FOODS), brief, solver=solver)
    assert result.status == "optimal"
    raw = 50 / 0.95
    assert result.grams["a"] == pytest.approx(25, rel=1e-7)
    assert result.grams["c"] == pytest.approx(0.125, rel=1e-6)
    assert result.grams["b"] == pytest.approx(raw - 25.125, rel=1e-6)
    assert result.serving_g == pytest.approx(50, rel=1e-7)
    assert result.processing is not None
    assert result.processing.raw_g_per_serving == pytest.approx(raw, rel=1e-7)
    rows = {n.nutrient: n for n in result.nutrient_lines}
    assert rows["vitamin_c_mg"].per_serving == pytest.approx(100, rel=1e-6)
    assert rows["protein_g"].per_100g == pytest.approx(40, rel=1e-6)
    assert result.verification is not None and result.verification.ok
    # 100 kg of finished product needs 100 / 0.95 = 105.263 kg of raw materials; on a 10 g
    # scale that is 105.26 kg, which gives 105.26 × 0.95 = 99.997 kg (2 × 49,998.5 servings).
    plan = production_plan(result, food_table(FOODS), brief, batch_kg=100, solver=solver)
    assert plan.raw_kg == pytest.approx(105.26, abs=1e-9)
    assert plan.batch_kg == pytest.approx(105.26 * 0.95, abs=1e-9)
    assert plan.servings == pytest.approx(105.26 * 0.95 * 1000 / 50)
    assert sum(w.kg for w in plan.lines) == pytest.approx(plan.raw_kg, abs=1e-9)
    assert any("batch 99.9970 kg (asked 100 kg)" in n for n in plan.notes)
    assert plan.verification is not None and plan.verification.ok


def test_moisture_gain_and_unknown_retention_names() -> None:
    text = textwrap.dedent(BRIEF).replace("-5", "3")
    result = sf.solve(food_table(FOODS), parse_brief_toml(text, "wet.toml"))
    assert result.processing is not None
    assert result.processing.raw_g_per_serving == pytest.approx(50 / 1.03, rel=1e-7)
    bad = textwrap.dedent(BRIEF).replace("vitamin_c = 0.8", "vitamin_x = 0.8")
    with pytest.raises(sf.InputError, match=r"\[processing\] retention: unknown nutrient 'vitamin_x'"):
        sf.solve(food_table(FOODS), parse_brief_toml(bad, "bad.toml"))


def test_realism_settings_survive_toml_and_workbook(tmp_path: Path) -> None:
    from sarcoform.io.brief_toml import brief_to_toml

    text = textwrap.dedent(BRIEF) + textwrap.dedent(
        """
        [shelf_life]
        months = 18
        retention = { vitamin_c = 0.55, protein = 1.0 }
        [production]
        scale_resolution_g = 20
        premix_carrier = "b"
        order = ["carbohydrate", "premix", "protein"]
        [variability]
        lots = 500
        seed = 3
        worst_case = false
        """
    )
    text = text.replace(
        '[[nutrient]]\nname = "protein"\nmin = 20',
        '[[nutrient]]\nname = "protein"\nmin = 20\nprobability = 0.9',
    )
    brief = parse_brief_toml("probability = 0.95\n" + text, "all.toml")
    assert brief.nutrients[0].probability == 0.9 and brief.probability == 0.95
    assert parse_brief_toml(brief_to_toml(brief), "again.toml") == brief
    book = tmp_path / "brief.xlsx"
    sf.write_workbook(food_table(FOODS), brief, book)
    _, again = sf.read_workbook(book)
    assert again == brief


@pytest.mark.parametrize("section", ["processing", "shelf_life"])
def test_retention_naming_a_column_twice_is_bad_input(section: str) -> None:
    """`vitamin_c` (the nutrient) and `vitamin_c_mg` (its column) name the same column: two
    figures for one nutrient, of which one would be used silently. Refused where it is
    written."""
    text = textwrap.dedent(BRIEF)
    twice = "retention = { vitamin_c = 0.8, vitamin_c_mg = 0.9 }"
    if section == "processing":
        text = text.replace("retention = { vitamin_c = 0.8 }", twice)
    else:
        text += f"[shelf_life]\nmonths = 12\n{twice}\n"
    with pytest.raises(
        sf.InputError, match=rf"\[{section}\] retention: 'vitamin_c' and 'vitamin_c_mg' both name the column"
    ):
        sf.solve(food_table(FOODS), parse_brief_toml(text, "twice.toml"))
