"""Real data at scale (issue 3 item 7): the 5,156-food USDA SR28 extract, as CSV and as a
generated workbook, blank = unknown, and a max-leucine brief over it; checked against
scipy's linprog on a matrix read straight from the CSV file."""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

import sarcoform as sf
from sarcoform.io.workbook_write import write_workbook

SR28 = Path(__file__).resolve().parents[1] / "foods" / "sr28.csv.gz"  # shipped in the repository
# Only columns SR28 has: energy_kcal, protein_g, fat_g, leucine_g, calcium_mg, … (no prices).
BRIEF = {
    "name": "sr28_max_leucine",
    "objective": "max:leucine",
    "blank_values": "exclude",
    "serving": {"serving_g": 100, "servings_per_day": 2},
    "nutrient": [
        {"name": "energy_kcal", "max": 350},
        {"name": "fat", "max": 10},
        {"name": "calcium", "min": 150},
        {"name": "protein", "basis": "per_100kcal", "min": 8},
    ],
    "group": [{"name": "dairy", "group": "Dairy and Egg Products", "max": 60}],
}
USED = ["leucine_g", "energy_kcal", "fat_g", "calcium_mg", "protein_g"]


@pytest.fixture(scope="module")
def sr28() -> Path:
    assert SR28.is_file(), "foods/sr28.csv.gz ships with the repository"
    return SR28


def test_sr28_is_selectable_by_name(sr28: Path) -> None:
    by_name, by_path = sf.load_foods("sr28"), sf.load_foods(sr28)
    assert len(by_name.ids) == 5156  # the extract's row count (USDA SR28 foods with leucine)
    assert by_name.ids == by_path.ids


@pytest.fixture(scope="module")
def raw(sr28: Path) -> dict[str, list[str]]:
    """The CSV read with the csv module only: column → cells as text."""
    with gzip.open(sr28, "rt", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {name: [row[k] for row in rows[1:]] for k, name in enumerate(rows[0])}


@pytest.fixture(scope="module")
def workbook(sr28: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sr28") / "sr28.xlsx"
    write_workbook(sf.load_foods(sr28), sf.Brief.model_validate(BRIEF), path)
    return path


def test_sr28_reads_with_blank_as_unknown(sr28: Path, workbook: Path, raw: dict[str, list[str]]) -> None:
    from_csv = sf.load_foods(sr28)
    from_book, brief = sf.read_workbook(workbook)
    assert len(from_csv) == len(from_book) == 5156
    assert from_book.records() == from_csv.records()
    assert from_book.ids[0] == "01001"  # ids stay text, leading zeros kept
    assert brief.objective == "max:leucine"
    blanks = 0
    for column in ("vitamin_d_ug", "calcium_mg", "leucine_g"):
        empty = np.array([cell.strip() == "" for cell in raw[column]])
        assert np.array_equal(np.isnan(from_csv.numbers[column]), empty)
        assert np.array_equal(np.isnan(from_book.numbers[column]), empty)
        blanks += int(empty.sum())
    assert blanks > 0  # the extract really has unknowns


def test_blank_needed_by_a_bound_is_an_error_naming_each_cell(
    workbook: Path, raw: dict[str, list[str]]
) -> None:
    foods, brief = sf.read_workbook(workbook)
    strict = brief.with_changes(blank_values="error", nutrients=[{"name": "vitamin_d", "min": 1}])
    with pytest.raises(sf.InputError) as err:
        sf.solve(foods, strict)
    missing = [k for k, cell in enumerate(raw["vitamin_d_ug"]) if not cell.strip()]
    assert len(err.value.problems) == len(missing)
    first = err.value.problems[0]
    assert (first.sheet, first.row, first.column) == ("Foods", missing[0] + 2, "vitamin_d_ug")


def test_max_leucine_over_sr28_matches_linprog(sr28: Path, workbook: Path, raw: dict[str, list[str]]) -> None:
    # Independent optimum: the same brief as a matrix straight from the CSV text.
    values = {c: np.array([float(v) if v.strip() else math.nan for v in raw[c]]) for c in USED}
    usable = ~np.any([np.isnan(v) for v in values.values()], axis=0)  # blank_values = exclude
    a = {c: np.nan_to_num(v) / 100 for c, v in values.items()}
    dairy = np.array([g == "Dairy and Egg Products" for g in raw["food_group"]], dtype=float)
    a_ub = np.vstack(
        [a["energy_kcal"], a["fat_g"], -a["calcium_mg"], 8 * a["energy_kcal"] / 100 - a["protein_g"], dairy]
    )
    b_ub = np.array([350, 10, -150, 0, 60])
    n = len(usable)
    reference = linprog(
        -a["leucine_g"],
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.ones((1, n)),
        b_eq=[100],
        bounds=[(0, None if ok else 0) for ok in usable],
        method="highs",
    )
    assert reference.status == 0
    best = -reference.fun

    for source in (sr28, workbook):
        foods = sf.load_foods(source)
        brief = sf.read_workbook(workbook)[1]
        result = sf.solve(foods, brief, solver="highs")
        assert result.status == "optimal" and result.verification is not None and result.verification.ok
        assert result.objective_value == pytest.approx(best, rel=1e-7)
        assert sum(result.grams.values()) == pytest.approx(100, abs=1e-6)
    cbc = sf.solve(sf.load_foods(sr28), sf.read_workbook(workbook)[1], solver="cbc")
    assert cbc.objective_value == pytest.approx(best, rel=1e-6)
