"""Round trips (issue 3 item 4): workbook ↔ FoodTable + Brief and CSV + TOML ↔ workbook
without loss on generated tables and briefs; a results workbook re-solved gives the same blend."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sarcoform as sf
from sarcoform.io.brief_toml import read_brief_toml, write_brief_toml
from sarcoform.io.convert import convert
from sarcoform.io.foods_csv import read_foods_csv, write_foods_csv
from sarcoform.io.workbook import read_workbook
from sarcoform.io.workbook_write import write_workbook
from sarcoform.report.workbook import write_result_workbook

# Any text a person might paste: unicode, control characters, formulas, Excel escapes.
ODD = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    st.sampled_from(
        ['=HYPERLINK("http://x","y")', "+1", "-x", "@SUM(A1)", "#N/A", "_x000D_", "a\rb", "01001"]
    ),
)
# A CSV file holding NUL is refused as binary (io/files.read_text): none in CSV tests.
ODD_CSV = ODD.filter(lambda s: "\x00" not in s)
NAME = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(lambda s: s.strip("_"))
AMOUNT = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
BOUND = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
POSITIVE = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Reading a food table rejects impossible rows (model/plausibility.py): protein and CaHMB at
# most 30 g each per 100 g, and leucine within the 0.1 g tolerance above any protein.
PLAUSIBLE = {
    "protein_g": st.floats(min_value=0, max_value=30, allow_nan=False),
    "cahmb_g": st.floats(min_value=0, max_value=30, allow_nan=False),
    "leucine_g": st.floats(min_value=0, max_value=0.1, allow_nan=False),
}
NUTRIENTS = ["protein_g", "leucine_g", "calcium_mg", "energy_kcal", "vitamin_d_ug", "cahmb_g", "energy_kj"]


@st.composite
def food_tables(draw: Any, text: Any = ODD) -> sf.FoodTable:
    ids = draw(st.lists(text.map(str.strip).filter(bool), min_size=1, max_size=6, unique=True))
    numeric = draw(st.lists(st.sampled_from([*NUTRIENTS, "price_per_kg"]), unique=True, max_size=5))
    texts = draw(st.lists(st.sampled_from(["group", "source", "note", "brand"]), unique=True, max_size=3))
    header = ["id", "name", *numeric, *texts]
    rows = []
    for food_id in ids:
        row: list[Any] = [food_id, draw(text.map(str.strip).filter(bool))]
        row += [draw(st.none() | PLAUSIBLE.get(c, AMOUNT)) for c in numeric]
        row += [draw(st.none() | text) for _ in texts]
        rows.append(row)
    return sf.FoodTable.from_records(header, rows, origin="generated")


def bounded(draw: Any) -> dict[str, Any]:
    lo, hi = draw(st.none() | BOUND), draw(st.none() | BOUND)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    out = {"min": lo, "max": hi, "source": draw(st.none() | ODD), "note": draw(st.none() | ODD)}
    return {k: v for k, v in out.items() if v is not None}


@st.composite
def briefs(draw: Any) -> sf.Brief:
    data: dict[str, Any] = {
        "name": draw(ODD),
        "objective": draw(
            st.just("min_cost") | st.builds(lambda k, n: f"{k}:{n}", st.sampled_from(["max", "min"]), NAME)
        ),
        "currency": draw(ODD),
        "blank_values": draw(st.sampled_from(["error", "zero", "exclude"])),
    }
    for key in ("title", "source", "note", "batch_size_kg"):
        value = draw(st.none() | (POSITIVE if key == "batch_size_kg" else ODD))
        if value is not None:
            data[key] = value
    serving: dict[str, Any] = {}
    mass = draw(st.sampled_from(["fixed", "range", "free"]))
    if mass == "fixed":
        serving["serving_g"] = draw(POSITIVE)
    elif mass == "range":
        a, b = sorted([draw(POSITIVE), draw(POSITIVE)])
        serving.update(min_g=a, max_g=b)
    for key in ("servings_per_day", "servings_per_meal", "body_weight_kg"):
        if draw(st.booleans()):
            serving[key] = draw(POSITIVE)
    if draw(st.booleans()):
        serving["source"] = draw(ODD)
    data["serving"] = serving
    data["background"] = {
        "per_meal": draw(st.dictionaries(NAME, AMOUNT, max_size=2)),
        "per_day": draw(st.dictionaries(NAME, AMOUNT, max_size=2)),
        **({"note": draw(ODD)} if draw(st.booleans()) else {}),
    }
    data["derived"] = draw(
        st.dictionaries(
            NAME, st.fixed_dictionaries({"expr": ODD}, optional={"source": ODD, "note": ODD}), max_size=2
        )
    )
    if draw(st.booleans()):
        data["amino_acid_pattern"] = {
            "name": draw(ODD),
            "protein": draw(NAME),
            "min_mg_per_g": draw(st.dictionaries(NAME, AMOUNT, min_size=1, max_size=3)),
            **({"source": draw(ODD)} if draw(st.booleans()) else {}),
        }
    data["nutrient"] = [
        {"name": draw(NAME), "basis": draw(st.sampled_from(sf.model.brief.BASES)), **bounded(draw)}
        | ({"unit": draw(st.sampled_from(["g", "mg"]))} if draw(st.booleans()) else {})
        | ({"label": draw(ODD)} if draw(st.booleans()) else {})
        for _ in range(draw(st.integers(0, 3)))
    ]
    data["ratio"] = [
        {
            "name": draw(ODD),
            "numerator": draw(NAME),
            "denominator": draw(NAME),
            "basis": draw(st.sampled_from(["serving", "meal", "day"])),
            "unit": draw(st.sampled_from(["ratio", "%", "mg/g"])),
            **bounded(draw),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    ids = ODD.map(str.strip).filter(bool)
    data["ingredient"] = [
        {"id": draw(ids), "unit": draw(st.sampled_from(["g", "%"])), **bounded(draw)}
        for _ in range(draw(st.integers(0, 2)))
    ]
    data["group"] = [
        {"name": draw(ODD), **bounded(draw)}
        | (
            {"members": tuple(draw(st.lists(ids, min_size=1, max_size=3)))}
            if draw(st.booleans())
            else {"group": draw(ODD)}
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    if draw(st.booleans()):
        data["cost"] = {"basis": draw(st.sampled_from(["serving", "day", "kg"])), **bounded(draw)}
    return sf.Brief.model_validate(data)


def same(a: sf.FoodTable, b: sf.FoodTable) -> bool:
    return a.columns == b.columns and a.records() == b.records()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(foods=food_tables(), brief=briefs())
def test_workbook_reads_back_what_was_written(tmp_path: Path, foods: sf.FoodTable, brief: sf.Brief) -> None:
    path = tmp_path / "book.xlsx"
    write_workbook(foods, brief, path)
    back_foods, back_brief = read_workbook(path)
    assert same(back_foods, foods)
    assert back_brief.model_dump() == brief.model_dump()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(foods=food_tables(ODD_CSV), brief=briefs())
def test_convert_csv_and_toml_to_a_workbook_and_back(
    tmp_path: Path, foods: sf.FoodTable, brief: sf.Brief
) -> None:
    csv, toml, book, back = tmp_path / "f.csv", tmp_path / "b.toml", tmp_path / "book.xlsx", tmp_path / "back"
    write_foods_csv(foods, csv)
    write_brief_toml(brief, toml)
    start_foods, start_brief = read_foods_csv(csv), read_brief_toml(toml)
    assert convert([csv, toml], [book]) == [book]
    assert convert([book], [back]) == [back / "foods.csv", back / "brief.toml"]
    assert same(read_foods_csv(back / "foods.csv"), start_foods)
    assert read_brief_toml(back / "brief.toml").model_dump() == start_brief.model_dump()


def test_template_holds_the_embedded_defaults(tmp_path: Path) -> None:
    from sarcoform.cli import main

    path = tmp_path / "template.xlsx"
    assert main(["template", str(path)]) == 0
    foods, brief = read_workbook(path)
    assert same(foods, sf.load_foods())
    default = sf.load_brief()
    assert brief.model_dump() == default.with_changes(batch_size_kg=brief.batch_size_kg).model_dump()
    assert brief.batch_size_kg == 1000


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("preset", ["ons_powder", "ons_max_leucine"])
def test_results_workbook_solves_again_to_the_same_blend(tmp_path: Path, solver: str, preset: str) -> None:
    foods, brief = sf.load_foods(), sf.load_brief(preset)
    first = sf.solve(foods, brief, solver=solver)
    assert first.status == "optimal"
    path = tmp_path / "result.xlsx"
    write_result_workbook(first, path, foods=foods, brief=brief)
    again_foods, again_brief = read_workbook(path)
    assert same(again_foods, foods)
    assert again_brief.model_dump() == brief.model_dump()
    second = sf.solve(again_foods, again_brief, solver=solver)
    assert second.grams.keys() == first.grams.keys()
    for food_id, grams in first.grams.items():
        assert abs(second.grams[food_id] - grams) <= 1e-6
