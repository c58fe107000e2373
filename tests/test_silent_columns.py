"""Nothing silent in companion columns and brief types: a `_sd`/`_min`/`_max`/`_retention`
column nothing reads is bad input, a `_retention` column a brief does not use is a warning
of `sarcoform check`, and a brief's numbers and yes/no values are never coerced from text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sarcoform as sf
from sarcoform.check import check_inputs
from sarcoform.cli import main
from sarcoform.io.brief_toml import parse_brief_toml

HEADER = "id,name,price_per_kg,protein_g,vitamin_d_ug"
ROW = "whey,Whey,10,80,0.5"


def _foods(tmp_path: Path, extra_column: str, cell: str = "1") -> Path:
    path = tmp_path / "foods.csv"
    path.write_text(f"{HEADER},{extra_column}\n{ROW},{cell}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("column", "fragments"),
    [
        ("vitamin_zz_ug_sd", ["no column 'vitamin_zz_ug'", "did you mean 'vitamin_d_ug_sd'?"]),
        ("vitamin_zz_ug_retention", ["no column 'vitamin_zz_ug'", "did you mean 'vitamin_d_ug_retention'?"]),
        ("protien_g_min", ["no column 'protien_g'", "did you mean 'protein_g_min'?"]),
        ("price_per_kg_sd", ["'price_per_kg' is not a nutrient column"]),
    ],
)
def test_a_companion_column_nothing_reads_is_exit_2_at_the_header(
    tmp_path: Path, column: str, fragments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    foods = _foods(tmp_path, column)
    assert main(["check", "-f", str(foods)]) == 2
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert f"foods.csv row 1, column {column}: nothing reads this column" in first
    for fragment in fragments:
        assert fragment in first, first
    assert "Traceback" not in err


def test_companions_of_present_columns_and_other_extra_columns_still_load() -> None:
    table = sf.FoodTable.from_records(
        ["id", "name", "protein_g", "protein_g_sd", "protein_g_min", "protein_g_max", "moisture_max"],
        [["a", "A", 80, 2, 76, 84, 5]],
        origin="t",
    )
    assert {"protein_g_sd", "protein_g_min", "protein_g_max", "moisture_max"} <= set(table.numbers)


def test_shipped_tables_load_without_a_new_problem() -> None:
    assert len(sf.load_foods()) > 0  # the embedded table (with its protein_g_sd … columns)
    assert len(sf.load_foods("sr28")) == 5156  # the USDA SR28 extract's row count


def _retention_warnings(tmp_path: Path, brief_text: str) -> list[str]:
    foods = _foods(tmp_path, "vitamin_d_ug_retention", "0.8")
    brief = tmp_path / "brief.toml"
    brief.write_text(textwrap.dedent(brief_text), encoding="utf-8")
    warnings: list[sf.Problem] = []
    assert check_inputs([foods, brief], warnings=warnings) == []
    return [str(w) for w in warnings if w.column == "vitamin_d_ug_retention"]


NUTRIENT = """
    [[nutrient]]
    name = "vitamin_d"
    {side} = 5
"""


def test_check_warns_of_a_retention_column_without_shelf_life(tmp_path: Path) -> None:
    found = _retention_warnings(tmp_path, 'name = "b"' + NUTRIENT.format(side="min"))
    assert len(found) == 1
    assert "row 1, column vitamin_d_ug_retention" in found[0]
    assert "does not constrain the formula of brief 'b': it has no [shelf_life]" in found[0]


def test_check_warns_when_no_minimum_is_held_at_the_end_of_shelf_life(tmp_path: Path) -> None:
    life = 'name = "b"\n[shelf_life]\nmonths = 12\n'
    found = _retention_warnings(tmp_path, life + NUTRIENT.format(side="max"))
    assert len(found) == 1
    assert "it holds no minimum on vitamin_d_ug at the end of shelf life" in found[0]
    assert _retention_warnings(tmp_path, life + NUTRIENT.format(side="min")) == []  # it is used


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[shelf_life]\nmonths = 18\nretention = { vitamin_d_ug = "0.8" }\n',
            "shelf_life.retention.vitamin_d_ug: must be a number, got '0.8'",
        ),
        (
            '[processing]\nretention = { vitamin_d_ug = "0.8" }\n',
            "processing.retention.vitamin_d_ug: must be a number, got '0.8'",
        ),
        ('[variability]\nworst_case = "yes"\n', "variability.worst_case: must be true or false, got 'yes'"),
        ("[variability]\nworst_case = 1\n", "variability.worst_case: must be true or false, got 1"),
        ('[variability]\ntolerance = "1e-6"\n', "variability.tolerance: must be a number, got '1e-6'"),
        (
            '[processing]\nmoisture_change_percent = "-2"\n',
            "processing.moisture_change_percent: must be a number, got '-2'",
        ),
        ('[variability]\nlots = "100"\n', "variability.lots: must be a whole number, got '100'"),
        ('[variability]\nseed = "3"\n', "variability.seed: must be a whole number, got '3'"),
        (
            '[production]\npremix_below_percent = "0.2"\n',
            "production.premix_below_percent: must be a number, got '0.2'",
        ),
    ],
)
def test_text_for_a_number_or_yes_no_in_a_brief_is_rejected(
    tmp_path: Path, toml: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Located like `months = "18"`: at the table's line (TOML gives no line per key)."""
    brief = tmp_path / "x.toml"
    brief.write_text('name = "x"\n' + toml, encoding="utf-8")
    assert main(["check", "-c", str(brief)]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.endswith(f"x.toml line 2: {message}"), first


def test_the_strict_fields_still_take_their_own_types() -> None:
    brief = parse_brief_toml(
        'name = "x"\n[shelf_life]\nmonths = 18\nretention = { vitamin_d_ug = 1, vitamin_c_mg = 0.55 }\n'
        "[variability]\nworst_case = true\ntolerance = 1e-6\n[processing]\nmoisture_change_percent = -2\n",
        "x.toml",
    )
    assert brief.shelf_life is not None and brief.shelf_life.retention == {
        "vitamin_d_ug": 1.0,
        "vitamin_c_mg": 0.55,
    }
    assert brief.variability is not None and brief.variability.worst_case is True
    assert brief.processing is not None and brief.processing.moisture_change_percent == -2.0


def _book(tmp_path: Path, brief_text: str) -> Path:
    """A workbook of the one-row table and the brief, as `sarcoform template` writes it."""
    from sarcoform.io.workbook_write import write_workbook

    book = tmp_path / "book.xlsx"
    foods = sf.FoodTable.from_records(HEADER.split(","), [ROW.split(",")], origin="t")
    write_workbook(foods, parse_brief_toml(brief_text, "b.toml"), book)
    return book


def _set_cell(book: Path, sheet_name: str, key: str | None, value: object) -> int:
    """Set the value of Settings row `key` (or, key None, a new last Foods column named
    `value[0]` holding `value[1]`); the row changed."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    sheet = wb[sheet_name]
    if key is None:
        assert isinstance(value, tuple)
        column = sheet.max_column + 1
        sheet.cell(1, column, value[0])
        sheet.cell(2, column, value[1])
        row = 1
    else:
        row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == key)
        sheet.cell(row, 2, value)  # key | value | about
    wb.save(book)
    return row


def _first_error(book: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["check", str(book)]) == 2
    return capsys.readouterr().err.splitlines()[0]


def test_in_a_workbook_the_line_names_the_foods_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = _book(tmp_path, 'name = "b"\n')
    _set_cell(book, "Foods", None, ("vitamin_zz_ug_max", 1.0))
    first = _first_error(book, capsys)
    assert first.endswith(
        "book.xlsx [Foods] row 1, column vitamin_zz_ug_max: nothing reads this column:"
        " the table has no column 'vitamin_zz_ug'; did you mean 'vitamin_d_ug_max'?"
    ), first


def test_whole_number_settings_survive_a_workbook_and_a_fraction_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workbook cell holds 3 as 3.0; the strict whole-number fields must still read it."""
    book = _book(tmp_path, 'name = "b"\nmax_ingredients = 3\n[variability]\nlots = 500\nseed = 4\n')
    back = sf.load_brief(book)
    assert back.max_ingredients == 3
    assert back.variability is not None and (back.variability.lots, back.variability.seed) == (500, 4)
    row = _set_cell(book, "Settings", "max_ingredients", 2.5)
    first = _first_error(book, capsys)
    assert f"book.xlsx [Settings] row {row}, column value: must be a whole number, got 2.5" in first, first


def test_worst_case_survives_a_workbook_and_a_yes_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was dropped on the way (no Settings row): a workbook read back as worst_case false."""
    book = _book(tmp_path, 'name = "b"\n[variability]\nworst_case = true\n')
    back = sf.load_brief(book)
    assert back.variability is not None and back.variability.worst_case is True
    _set_cell(book, "Settings", "variability_worst_case", False)  # an Excel FALSE cell
    back = sf.load_brief(book)
    assert back.variability is not None and back.variability.worst_case is False
    row = _set_cell(book, "Settings", "variability_worst_case", "yes")
    first = _first_error(book, capsys)
    assert f"book.xlsx [Settings] row {row}, column value: must be true or false, got 'yes'" in first, first
