"""The results workbook (issue 3 items 3 and 5): what people read, checked against the
Result and recomputed from the workbook's own Foods sheet; read by LibreOffice too."""

from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from pydantic import Field
from tests.conftest import libreoffice_convert

import sarcoform as sf
from sarcoform.io.workbook import read_workbook
from sarcoform.io.xlsx import Sheet, column_letter, read_sheet, sheet_names
from sarcoform.model.result import Line
from sarcoform.report.workbook import Units, line_table, write_result_workbook

RESULT_SHEETS = ["Report", "Summary", "Blend", "Nutrients", "Constraints", "Sensitivity"]
INPUT_SHEETS = ["Foods", "Settings", "NutrientBounds", "Ratios", "Ingredients", "Groups", "Background"]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[sf.Result, Path, sf.Brief]:
    foods = sf.load_foods()
    brief = sf.load_brief().with_changes(batch_size_kg=250.0)
    result = sf.solve(foods, brief, solver="highs")
    assert result.status == "optimal"
    path = tmp_path_factory.mktemp("results") / "result.xlsx"
    write_result_workbook(result, path, foods=foods, brief=brief)
    return result, path, brief


def table(path: Path, name: str) -> list[dict[str, Any]]:
    sheet = read_sheet(path, name)
    assert isinstance(sheet, Sheet)
    return [dict(zip([str(h) for h in sheet.header], row, strict=False)) for row in sheet.rows]


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def test_sheets_and_summary(solved: tuple[sf.Result, Path, sf.Brief]) -> None:
    result, path, _ = solved
    names = sheet_names(path)
    assert names[:6] == RESULT_SHEETS  # the one-page Report first
    assert set(INPUT_SHEETS) <= set(names) and names[-1] == "Read me"
    summary = {row["item"]: row for row in table(path, "Summary")}
    assert summary["status"]["value"] == "optimal"
    assert summary["cost_per_serving"]["value"] == result.cost_per_serving
    assert summary["cost_per_kg"]["value"] == result.cost_per_kg
    assert close(summary["cost_per_batch"]["value"], result.cost_per_kg * 250)  # type: ignore[operator]
    assert summary["batch_size_kg"]["value"] == 250
    assert summary["solver"]["value"] == "highs"
    assert summary["verified"]["value"] is True
    wb = openpyxl.load_workbook(path)
    for name in RESULT_SHEETS[1:] + INPUT_SHEETS:  # data sheets (Report is a printed page)
        assert wb[name].freeze_panes is not None, name
        assert len(wb[name].tables) == 1, name


def test_blend_and_nutrients_match_an_independent_recomputation(
    solved: tuple[sf.Result, Path, sf.Brief],
) -> None:
    result, path, _ = solved
    blend = table(path, "Blend")
    assert [row["id"] for row in blend] == [b.id for b in result.blend_lines]
    grams = {row["id"]: row["grams"] for row in blend}
    assert grams == result.grams
    serving = sum(grams.values())
    for row in blend:
        assert close(row["kg_per_batch"], row["grams"] / serving * 250)
        assert close(
            row["cost_share"], 100 * row["grams"] * row["price_per_kg"] / 1000 / result.cost_per_serving
        )
    assert close(sum(row["kg_per_batch"] for row in blend), 250)
    assert close(sum(row["cost_share"] for row in blend), 100)

    # Nutrients from the workbook's own Foods sheet: Σ value per 100 g × grams / 100.
    foods, _ = read_workbook(path)
    x = np.array([grams.get(i, 0.0) for i in foods.ids])
    nutrients = {row["nutrient"]: row for row in table(path, "Nutrients")}
    for column in ("protein_g", "leucine_g", "energy_kcal", "calcium_mg"):
        per_serving = float(np.nan_to_num(foods.numbers[column]) @ x / 100)
        row = nutrients[column]
        assert close(row["per_serving"], per_serving, 1e-9)
        assert close(row["per_day"], per_serving * 2, 1e-9)
        assert close(row["per_100g"], per_serving / serving * 100, 1e-9)
        energy = float(np.nan_to_num(foods.numbers["energy_kcal"]) @ x / 100)
        assert close(row["per_100kcal"], per_serving / energy * 100, 1e-9)


def test_constraints_mark_binding_and_show_shadow_prices(
    solved: tuple[sf.Result, Path, sf.Brief],
) -> None:
    result, path, _ = solved
    rows = table(path, "Constraints")
    assert len(rows) == len(result.constraint_lines)
    ws = openpyxl.load_workbook(path)["Constraints"]
    for k, (row, line) in enumerate(zip(rows, result.constraint_lines, strict=True), start=2):
        assert row["name"] == line.name and row["binding"] is line.binding
        assert close(row["value"], line.value) and close(row["shadow_price"], line.shadow_price)
        if line.min:
            assert close(row["percent_of_min"], 100 * line.value / line.min)  # type: ignore[operator]
        highlighted = ws.cell(row=k, column=1).fill.fgColor.rgb.endswith("FFF2CC")
        assert highlighted is line.binding
    assert any(line.binding for line in result.constraint_lines)
    sensitivity = table(path, "Sensitivity")
    assert [row["reduced_cost"] for row in sensitivity] == [i.reduced_cost for i in result.ingredient_lines]


def test_native_charts_for_blend_and_bounds(solved: tuple[sf.Result, Path, sf.Brief]) -> None:
    _, path, _ = solved
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    assert len(charts) == 2
    wb = openpyxl.load_workbook(path)

    def letter(sheet: str, key: str) -> str:
        header = [str(c.value).split(" (")[0] for c in wb[sheet][1]]
        return column_letter(header.index(key) + 1)

    # Blend composition: % of the serving per ingredient; bounds: value as % of min and max.
    assert any(f"'Blend'!${letter('Blend', 'percent')}$" in c for c in xml)
    bounds = next(c for c in xml if "'Constraints'!" in c)
    for key in ("percent_of_min", "percent_of_max", "label"):
        assert f"'Constraints'!${letter('Constraints', key)}$" in bounds
    assert "<strRef><f>'Constraints'!$" in bounds  # text categories


def test_every_field_of_a_line_model_becomes_columns() -> None:
    class Future(Line):  # fields another issue might add
        id: str
        price_range: tuple[float | None, float | None] | None = None
        detail: dict[str, float] | None = None
        tags: list[str] = Field(default_factory=list)

    lines = [Future(id="a", price_range=(1.0, None), detail={"x": 2.0}, tags=["p", "q"]), Future(id="b")]
    units = Units(sf.Result.model_validate(_minimal_result()), sf.Brief(name="x"))
    header, rows, keys = line_table(Future, lines, {}, units)
    assert keys == ["id", "price_range_min", "price_range_max", "detail_x", "tags_1", "tags_2"]
    assert header[1] == "price_range_min (USD/kg)"
    assert rows == [["a", 1.0, None, 2.0, "p", "q"], ["b", None, None, None, None, None]]


def _minimal_result() -> dict[str, Any]:
    return {
        "status": "optimal",
        "objective": "min_cost",
        "objective_value": 1.0,
        "objective_unit": "USD per serving",
        "cost_per_serving": 1.0,
        "cost_per_kg": 1.0,
        "cost_per_day": 1.0,
        "currency": "USD",
        "serving_g": 1.0,
        "servings_per_day": 1.0,
        "solver": "cbc",
        "solve_seconds": 0.0,
        "brief_name": "x",
        "foods_origin": "x",
    }


def test_infeasible_brief_workbook_says_why(tmp_path: Path) -> None:
    foods = sf.load_foods()
    brief = sf.load_brief().with_changes(cost=sf.model.brief.CostBound(max=0.05))
    result = sf.solve(foods, brief)
    assert result.status == "infeasible" and result.diagnosis is not None
    path = tmp_path / "infeasible.xlsx"
    write_result_workbook(result, path, foods=foods, brief=brief)
    names = sheet_names(path)
    assert "Blend" not in names and "Diagnosis" in names
    summary = table(path, "Summary")
    assert {"item": "status", "value": "infeasible"}.items() <= summary[1].items()
    why = [row["value"] for row in summary if row["item"] == "why"]
    assert why == [result.diagnosis.reason]
    conflict = [row["constraint"] for row in table(path, "Diagnosis") if row["item"] == "conflict"]
    assert conflict == result.diagnosis.conflict and any("cost" in c for c in conflict)
    again = sf.solve(*read_workbook(path))  # still a valid input
    assert again.status == "infeasible"


@pytest.mark.libreoffice
def test_libreoffice_reads_the_same_numbers(solved: tuple[sf.Result, Path, sf.Brief], tmp_path: Path) -> None:
    result, path, _ = solved
    # One call converts every sheet (filter option 12 = -1) to BOOK-<sheet>.csv, raw values.
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    libreoffice_convert(path, f"csv:Text - txt - csv (StarCalc):{options}", tmp_path)

    def sheet(name: str) -> list[dict[str, str]]:
        with open(tmp_path / f"result-{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header = [h.split(" (")[0] for h in rows[0]]
        return [dict(zip(header, row, strict=False)) for row in rows[1:]]

    def number(text: str) -> float | None:
        return float(text) if text else None

    tol = 1e-12  # LibreOffice writes 15 significant digits
    summary = {row["item"]: row["value"] for row in sheet("Summary")}
    assert summary["status"] == "optimal"
    assert close(number(summary["cost_per_serving"]), result.cost_per_serving, tol)
    assert close(number(summary["objective_value"]), result.objective_value, tol)
    blend = sheet("Blend")
    assert [row["id"] for row in blend] == [b.id for b in result.blend_lines]
    for row, line in zip(blend, result.blend_lines, strict=True):
        assert close(number(row["grams"]), line.grams, tol) and close(number(row["cost"]), line.cost, tol)
    for row, n in zip(sheet("Nutrients"), result.nutrient_lines, strict=True):
        assert row["nutrient"] == n.nutrient and close(number(row["per_serving"]), n.per_serving, tol)
    for row, c in zip(sheet("Constraints"), result.constraint_lines, strict=True):
        assert row["name"] == c.name and close(number(row["value"]), c.value, tol)
        assert close(number(row["shadow_price"]), c.shadow_price, tol)
