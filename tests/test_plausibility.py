"""Plausibility checks on food tables (issue 10 item 5): impossible figures are input
errors located at row and column; suspicious figures are warnings shown before the answer.

Expected figures are hand calculations from the rows below: the GB 29922 factors
(17/37/17/8 kJ per g) and 100 g per 100 g as the most any ingredient can hold."""

from __future__ import annotations

from pathlib import Path

import pytest

import sarcoform as sf
from conftest import food_table
from sarcoform.cli import main
from sarcoform.model.plausibility import (
    PROXIMATE_TOLERANCE_G,
    checked,
    energy_factors,
    plausibility_errors,
    plausibility_warnings,
)

HEADER = (
    "id,name,group,price_per_kg,energy_kcal,protein_g,fat_g,carbohydrate_g,fibre_g,"
    "leucine_g,lysine_g,free_leucine_g"
)
# 80 g protein, 1 g fat, 2 g carbohydrate: 17*80 + 37 + 17*2 = 1431 kJ = 342 kcal
GOOD = "wpi,Whey isolate,protein,10,342,80,1,2,0,8.8,7.2,0"


def _table(*rows: str) -> sf.FoodTable:
    return food_table("\n".join([HEADER, *rows]))


def _where(problems: list[sf.Problem]) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in problems]


def test_a_plausible_row_passes() -> None:
    table = _table(GOOD)
    assert plausibility_errors(table) == []
    assert plausibility_warnings(table) == []
    assert checked(table) is table


def test_820_g_protein_is_an_error_at_its_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "foods.csv"
    path.write_text(f"{HEADER}\n{GOOD.replace(',80,', ',820,')}\n", encoding="utf-8")
    with pytest.raises(sf.InputError) as caught:
        sf.load_foods(path)
    assert _where(caught.value.problems) == [(2, "protein_g")]
    assert "823" in caught.value.problems[0].message  # 820 + 1 + 2
    code = main(["solve", "-f", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "row 2, column protein_g" in err.splitlines()[0]
    assert "Traceback" not in err


def test_proximate_sum_tolerance() -> None:
    # protein + fat + carbohydrate + fibre; the tolerance is stated in the module
    within = 100 + PROXIMATE_TOLERANCE_G - 0.5
    over = 100 + PROXIMATE_TOLERANCE_G + 0.5
    ok = _table(f"a,A,carbohydrate,1,390,0,0,{within - 10},10,0,0,0")
    bad = _table(f"a,A,carbohydrate,1,390,0,0,{over - 10},10,0,0,0")
    assert plausibility_errors(ok) == []
    assert _where(plausibility_errors(bad)) == [(2, "carbohydrate_g")]


def test_an_amino_acid_above_protein_is_an_error() -> None:
    table = _table(GOOD, "x,X,protein,1,342,80,1,2,0,8.8,80.5,0")
    assert _where(plausibility_errors(table)) == [(3, "lysine_g")]


def test_intact_leucine_above_protein_is_an_error_free_leucine_is_not() -> None:
    # free L-leucine: 99 g leucine, all free, no protein: plausible
    free = "l_leucine,L-leucine,amino_acid,25,396,0,0,0,0,99,0,99"
    # 85 g leucine of which 2 free: 83 g intact leucine in 80 g protein: impossible
    intact = "y,Y,protein,1,342,80,1,2,0,85,7.2,2"
    assert plausibility_errors(_table(free)) == []
    problems = plausibility_errors(_table(free, intact))
    assert _where(problems) == [(3, "leucine_g")]
    assert "intact leucine" in problems[0].message and "83" in problems[0].message


def test_energy_more_than_15_percent_off_the_factors_warns() -> None:
    # 342 kcal computed; 400 is 14.5 % off (no warning), 410 is 16.6 % off (warning)
    quiet = _table(GOOD.replace(",342,", ",400,"))
    loud = _table(GOOD.replace(",342,", ",410,"))
    assert plausibility_warnings(quiet) == []
    warned = plausibility_warnings(loud)
    assert _where(warned) == [(2, "energy_kcal")] and "warning" in warned[0].message


def test_energy_warning_uses_the_briefs_factors() -> None:
    # with protein at 23 kJ/g (a made-up brief): 23*80 + 37 + 34 = 1911 kJ = 457 kcal
    factors = energy_factors({"protein_kj": "23 * protein_g", "other": "2 * fat_g + 1"})
    assert factors["protein_g"] == 23 and factors["fat_g"] == 37
    table = _table(GOOD.replace(",342,", ",457,"))
    assert plausibility_warnings(table) != []
    assert plausibility_warnings(table, factors) == []


def test_a_value_far_outside_its_class_warns() -> None:
    # a "protein" ingredient with 12 g protein per 100 g; energy kept consistent
    odd = "p,P,protein,1,56,12,0,2,0,1,1,0"
    warned = plausibility_warnings(_table(odd))
    assert _where(warned) == [(2, "protein_g")]
    # the same row in a class without that range: no warning
    assert plausibility_warnings(_table(odd.replace(",protein,", ",flavour,"))) == []


def test_the_embedded_table_is_plausible() -> None:
    foods = sf.load_foods()
    assert plausibility_errors(foods) == []
    assert plausibility_warnings(foods) == []


def test_solve_shows_warnings_first_and_check_lists_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foods = sf.load_foods()
    frame = foods.to_frame()
    frame.loc[frame["id"] == "wpc80", "energy_kcal"] = 600.0  # computed ~394
    path = tmp_path / "foods.csv"
    frame.to_csv(path, index=False)
    code = main(["solve", "-f", str(path)])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines()[0].startswith(f"{path} row 3, column energy_kcal: warning:")
    assert "Status: optimal" in out
    assert main(["check", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "row 3, column energy_kcal: warning" in out and "ok: no problems found" in out


def test_workbook_foods_sheet_is_checked_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl

    book = tmp_path / "book.xlsx"
    assert main(["template", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    sheet = next(ws for ws in wb.worksheets if ws.title.lower() == "foods")
    header_row, column = next(
        (cell.row, cell.column)
        for row in sheet.iter_rows()
        for cell in row
        if str(cell.value).startswith("protein_g")
    )
    row = next(c.row for c in sheet[openpyxl.utils.get_column_letter(1)] if c.value == "wpi")
    sheet.cell(row=row, column=column, value=820)
    wb.save(book)
    capsys.readouterr()
    assert main(["solve", str(book)]) == 2
    err = capsys.readouterr().err
    assert f"[{sheet.title}] row {row}, column protein_g" in err.splitlines()[0]
    assert main(["check", str(book)]) == 2
    err = capsys.readouterr().err
    assert f"row {row}, column protein_g" in err and header_row < row
