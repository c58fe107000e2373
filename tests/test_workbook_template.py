"""The template (issue 3 item 1), `check` on a workbook (item 2) and the workbook commands."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import sarcoform as sf
from sarcoform.cli import main
from sarcoform.io.workbook import LIST_SHEETS, SETTINGS_KEYS
from sarcoform.io.workbook_write import write_workbook
from sarcoform.model.brief import BASES


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    assert main(["template", str(path)]) == 0
    return path


def validations(ws: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, tuple[str, str | None, str | None]]:
    """First cell of each validated range → (type, operator, formula1)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for cells in str(dv.sqref).split():
            out[cells.split(":")[0]] = (dv.type, dv.operator, dv.formula1)
    return out


def test_template_sheets_headers_tables_and_frozen_rows(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    inputs = ["Foods", "Settings", *(s.name for s in LIST_SHEETS)]
    assert wb.sheetnames == ["Read me", *inputs]
    for name in inputs:
        assert wb[name].freeze_panes in ("A2", "C2"), name
        assert list(wb[name].tables) == [name]
    header = [c.value for c in wb["Foods"][1]]
    for hint in (
        "protein_g (g/100 g)",
        "price_per_kg (USD/kg)",
        "vitamin_d_ug (µg/100 g)",
        "high_quality_protein (0/1)",
    ):
        assert hint in header
    assert [c.value for c in wb["Settings"]["A"]][1:] == [s.key for s in SETTINGS_KEYS]


def test_template_drop_downs_and_numeric_checks(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    bounds = validations(wb["NutrientBounds"])
    assert bounds["B2"][0] == "list" and bounds["B2"][2] == '"' + ",".join(BASES) + '"'
    assert bounds["C2"][0] == "decimal" and bounds["D2"][0] == "decimal"  # min, max
    assert validations(wb["Ingredients"])["A2"] == ("list", None, "food_ids")
    assert wb.defined_names["food_ids"].attr_text.startswith("Foods!$A$2:$A$")
    settings = validations(wb["Settings"])
    row = {s.key: k for k, s in enumerate(SETTINGS_KEYS, start=2)}
    assert (
        settings[f"B{row['objective']}"][0] == "list" and "max:leucine" in settings[f"B{row['objective']}"][2]
    )
    assert settings[f"B{row['serving_g']}"] == ("decimal", "greaterThan", "0")
    assert settings[f"B{row['blank_values']}"] == ("list", None, '"error,zero,exclude"')
    foods = validations(wb["Foods"])
    header = [str(c.value).split(" (")[0] for c in wb["Foods"][1]]
    protein = openpyxl.utils.get_column_letter(header.index("protein_g") + 1)
    assert foods[f"{protein}2"] == ("decimal", "greaterThanOrEqual", "0")
    assert validations(wb["AminoAcids"])["B2"] == ("decimal", "greaterThanOrEqual", "0")


def test_read_me_explains_every_column_setting_and_basis(template: Path) -> None:
    ws = openpyxl.load_workbook(template)["Read me"]
    topics = {c.value for c in ws["A"]}
    explained = {(a.value, b.value) for a, b in ws.iter_rows(min_col=1, max_col=2) if b.value}
    keys = {c.key for s in LIST_SHEETS for c in s.columns} | {s.key for s in SETTINGS_KEYS} | set(BASES)
    keys |= set(sf.load_foods().columns) - {"source", "price_source"}
    assert keys <= topics
    assert all(text for topic, text in explained)
    assert any("unit hint" in str(text) for _, text in explained)


def test_check_reports_every_problem_in_every_sheet_at_once(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = openpyxl.load_workbook(template)
    foods = wb["Foods"]
    foods["D3"] = "abc"  # price_per_kg: not a number
    foods["E5"] = -3  # energy_kcal: negative
    foods["A7"] = "wpi"  # duplicate id
    foods["F9"] = "=E9*4.184"  # energy_kj: a formula nobody calculated
    wb["NutrientBounds"]["B3"] = "mael"  # basis
    wb["NutrientBounds"]["A4"] = "leucin"  # unknown nutrient (found by compiling)
    row = {s.key: k for k, s in enumerate(SETTINGS_KEYS, start=2)}
    wb["Settings"][f"B{row['serving_g']}"] = "fifty"
    wb["Ingredients"]["A3"] = "l_leucin"  # unknown id (cross-sheet)
    wb["Background"]["B2"] = -1  # per_meal < 0
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    where = sorted(line.split(":")[0].removeprefix(f"{bad} ") for line in err[:-1])
    assert where == sorted(
        [
            "[Foods] row 3, column price_per_kg",
            "[Foods] row 5, column energy_kcal",
            "[Foods] row 7, column id",
            "[Foods] row 9, column energy_kj",
            "[NutrientBounds] row 3, column basis",
            "[NutrientBounds] row 4, column name",
            f"[Settings] row {row['serving_g']}, column value",
            "[Ingredients] row 3, column id",
            "[Background] row 2, column per_meal",
        ]
    )
    assert err[-1] == "9 problems found"
    assert main(["check", str(template)]) == 0


def test_solve_a_workbook_to_json_and_to_a_results_workbook(
    template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["solve", str(template), "--json", "--solver", "highs"]) == 0
    data = json.loads(capsys.readouterr().out)
    expected = sf.solve(sf.load_foods(), sf.load_brief(), solver="highs")
    assert data["status"] == "optimal" and data["cost_per_serving"] == pytest.approx(
        expected.cost_per_serving, rel=1e-9
    )
    out = tmp_path / "result.xlsx"
    assert main(["solve", str(template), "-o", str(out)]) == 0
    assert "written:" in capsys.readouterr().out and out.is_file()
    assert openpyxl.load_workbook(out).sheetnames[:6] == [
        "Report",  # the one-page specification sheet opens the book
        "Summary",
        "Blend",
        "Nutrients",
        "Constraints",
        "Sensitivity",
    ]


def test_template_command_guards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"someone's filled-in workbook")
    assert main(["template", str(path)]) == 2
    assert "exists" in capsys.readouterr().err and path.read_bytes() == b"someone's filled-in workbook"
    assert main(["template", str(path), "--force", "-c", "ons_max_leucine"]) == 0
    assert sf.load_brief(path).objective == "max:leucine"
    assert main(["template", str(tmp_path / "t.csv")]) == 2
    assert main(["template", "--batch", "-f", "foods.csv", str(tmp_path / "batch.xlsx")]) == 2
    assert "--batch takes no --foods" in capsys.readouterr().err


def test_convert_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "b.xlsx"
    write_workbook(sf.load_foods(), sf.load_brief(), book)
    assert main(["convert", str(book), str(book), "-o", str(tmp_path / "x.xlsx")]) == 2
    assert main(["convert", "ons_powder", "-o", str(tmp_path / "folder")]) == 2
    assert main(["convert", str(book), "-o", str(tmp_path / "x.json")]) == 2
    assert capsys.readouterr().err.count("error:") == 3
    assert main(["convert", str(book), "-o", str(tmp_path / "f.csv"), "-o", str(tmp_path / "b.toml")]) == 0
    assert main(["convert", str(tmp_path / "f.csv"), "ons_max_leucine", "-o", str(tmp_path / "c.xlsx")]) == 0
    foods, brief = sf.read_workbook(tmp_path / "c.xlsx")
    assert brief.name == "ons_max_leucine" and foods.records() == sf.load_foods().records()


def test_every_field_of_the_brief_has_a_place_in_the_workbook() -> None:
    """A field added to Brief (or its tables) must not vanish in a workbook."""
    placed = {s.path[0] for s in SETTINGS_KEYS} | {s.section for s in LIST_SHEETS}
    aliases = {f.alias or name for name, f in sf.Brief.model_fields.items()}
    assert aliases <= placed
    for table in ("serving", "cost", "amino_acid_pattern", "background"):
        model = sf.Brief.model_fields[table].annotation
        model = next(a for a in getattr(model, "__args__", (model,)) if a is not type(None))
        keys = {s.path[1] for s in SETTINGS_KEYS if s.path[0] == table and len(s.path) == 2}
        lists = {"min_mg_per_g", "per_meal", "per_day"}  # the AminoAcids and Background rows
        assert set(model.model_fields) <= keys | lists, table


def test_bounds_sheet_may_be_called_nutrients_in_an_input_workbook(template: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(template)
    wb["NutrientBounds"].title = "Nutrients"
    path = tmp_path / "short.xlsx"
    wb.save(path)
    assert sf.load_brief(path).model_dump() == sf.load_brief(template).model_dump()
