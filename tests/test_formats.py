"""CSV and TOML read back what was written (the workbook round trip has its own tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sarcoform as sf
from sarcoform.io.brief_toml import brief_to_toml, parse_brief_toml
from sarcoform.io.foods_csv import read_foods_csv, write_foods_csv


@pytest.mark.parametrize("preset", sf.presets())
def test_presets_survive_a_toml_round_trip(preset: str) -> None:
    brief = sf.load_brief(preset)
    again = parse_brief_toml(brief_to_toml(brief), "again.toml")
    assert again == brief


def test_embedded_foods_survive_a_csv_round_trip(foods: sf.FoodTable, tmp_path: Path) -> None:
    out = tmp_path / "foods.csv"
    write_foods_csv(foods, out)
    again = read_foods_csv(out)
    assert again.ids == foods.ids and again.names == foods.names and again.columns == foods.columns
    np.testing.assert_array_equal(again.price_per_kg, foods.price_per_kg)
    for column, values in foods.numbers.items():
        np.testing.assert_array_equal(again.numbers[column], values)  # NaN (blank) stays NaN
    assert again.texts == foods.texts


def test_formula_like_text_is_escaped_in_csv_and_read_back(tmp_path: Path) -> None:
    text = '=HYPERLINK("http://x","y")'
    src = tmp_path / "in.csv"
    src.write_text(f'id,name,price_per_kg\nbad,"{text.replace(chr(34), chr(34) * 2)}",1\n', encoding="utf-8")
    foods = sf.load_foods(src)
    assert foods.names == (text,)
    out = tmp_path / "out.csv"
    write_foods_csv(foods, out)
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8")  # a spreadsheet shows text, runs nothing
    assert read_foods_csv(out).names == (text,)


def test_every_embedded_number_has_a_source(foods: sf.FoodTable) -> None:
    """Provenance: each ingredient row names where its composition and price come from."""
    for i, food_id in enumerate(foods.ids):
        assert len(foods.text("source", i)) > 10, food_id
        assert len(foods.text("price_source", i)) > 10, food_id


@pytest.mark.parametrize("preset", sf.presets())
def test_every_preset_entry_has_a_source(preset: str) -> None:
    brief = sf.load_brief(preset)
    entries = [*brief.nutrients, *brief.ratios, *brief.ingredients, *brief.groups, brief.serving]
    entries += [e for e in (brief.cost, brief.amino_acid_pattern, brief.background) if e is not None]
    entries += list(brief.derived.values())
    for entry in entries:
        assert entry.source, f"{preset}: {entry!r} has no source"


def test_pandas_in_and_out(foods: sf.FoodTable) -> None:
    """The API takes and gives pandas: a table survives to_frame → from_frame, blanks included."""
    again = sf.FoodTable.from_frame(foods.to_frame(), origin="frame")
    assert again.ids == foods.ids and again.columns == foods.columns
    np.testing.assert_array_equal(again.price_per_kg, foods.price_per_kg)
    for column, values in foods.numbers.items():
        np.testing.assert_array_equal(again.numbers[column], values)
    assert "protein_g" in again.nutrient_columns and "price_per_kg" not in again.nutrient_columns
    frame = foods.to_frame()
    frame.loc[0, "protein_g"] = -1.0
    with pytest.raises(sf.InputError, match="frame row 2, column protein_g: must be ≥ 0"):
        sf.FoodTable.from_frame(frame, origin="frame")
