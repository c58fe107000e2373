"""Issue 9 items 2, 3 and 10: nothing dropped silently; groups by tag; hostile or broken
input is exit 2 with a located message, never a traceback or exit 3."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest

import sarcoform as sf
from conftest import food_table, run_cli
from sarcoform.cli import main
from sarcoform.io.brief_toml import parse_brief_toml

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny_foods.csv"
SIMPLE = 'name = "simple"\n[serving]\nserving_g = 50\n[[nutrient]]\nname = "protein"\nmin = 10\n'


def _exit_2(args: list[str], capsys: pytest.CaptureFixture[str], *fragments: str) -> str:
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    return err


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- item 10: hostile or broken input ---------------------------------------------------


@pytest.mark.parametrize("name", ["foods.csv", "brief.toml"])
def test_a_file_that_is_only_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf")
    _exit_2(["check", str(path)], capsys, f"{path}: is empty", "byte-order mark")


def test_a_400_digit_literal_in_a_derived_expression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = _write(tmp_path / "b.toml", SIMPLE + f'[derived]\nx_g = "{"9" * 400} * protein_g"\n')
    _exit_2(["check", str(TINY), str(brief)], capsys, "b.toml line 7", "derived column 'x_g'", "out of range")


def test_a_derived_expression_of_5000_terms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    terms = " + ".join(["protein_g"] * 5000)
    brief = _write(tmp_path / "b.toml", SIMPLE + f'[derived]\nx_g = "{terms}"\n')
    _exit_2(["check", str(TINY), str(brief)], capsys, "b.toml line 7", "expression too long")


DEEP = "[" * 5000 + "]" * 5000


def test_toml_nested_thousands_deep_in_a_brief(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    brief = _write(tmp_path / "b.toml", f'name = "x"\nnote = {DEEP}\n')
    _exit_2(["solve", "-f", str(TINY), "-c", str(brief)], capsys, "b.toml", "nested too deeply")


def test_toml_nested_thousands_deep_in_products_and_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    products = _write(tmp_path / "products.toml", f'[[product]]\nname = "a"\nbrief = {DEEP}\n')
    _exit_2(["batch", str(products)], capsys, "products.toml", "nested too deeply")
    good = _write(tmp_path / "good.toml", '[[product]]\nname = "a"\nbrief = "ons_powder"\n')
    scenarios = _write(tmp_path / "scenarios.toml", f"[scenario]\nx = {DEEP}\n")
    _exit_2(["batch", str(good), "-s", str(scenarios)], capsys, "scenarios.toml", "nested too deeply")


def test_json_nested_thousands_deep_given_to_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = _write(tmp_path / "deep.json", DEEP)
    _exit_2(["diff", str(deep), str(deep)], capsys, "deep.json", "nested too deeply")


def test_output_that_is_an_existing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "result.json"
    folder.mkdir()
    brief = _write(tmp_path / "b.toml", SIMPLE)
    err = _exit_2(["solve", "-f", str(TINY), "-c", str(brief), "-o", str(folder)], capsys, "it is a folder")
    assert "Status" not in err and folder.is_dir() and not any(folder.iterdir())


def test_output_in_an_unwritable_location(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    brief = _write(tmp_path / "b.toml", SIMPLE)
    # /proc refuses new files even to root (a chmod-0 folder does not stop root).
    _exit_2(
        ["solve", "-f", str(TINY), "-c", str(brief), "-o", "/proc/sarcoform-result.json"],
        capsys,
        "cannot write",
    )
    products = _write(tmp_path / "products.toml", '[[product]]\nname = "a"\nbrief = "ons_powder"\n')
    _exit_2(["batch", str(products), "-o", "/proc/sarcoform-batch.csv"], capsys, "cannot write")
    _exit_2(["frontier", "-o", "/proc/sarcoform-frontier"], capsys, "cannot write")


def test_stale_temporaries_of_a_killed_write_are_removed(tmp_path: Path) -> None:
    from sarcoform.io.files import write_text

    target = tmp_path / "result.json"
    stale = [tmp_path / ".result.json.k1ll3d.tmp", tmp_path / ".result.json.x9.tmp"]
    for path in stale:
        path.write_text("half a file")
    other = _write(tmp_path / ".other.json.abc.tmp", "someone else's")
    write_text(target, "{}")
    assert target.read_text() == "{}"
    assert not any(p.exists() for p in stale) and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.abc.tmp", "result.json"]


def _workbook(tmp_path: Path, rows: list[list[object]], errors: dict[str, str] | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Foods"
    for row in rows:
        ws.append(row)
    for ref, value in (errors or {}).items():
        ws[ref] = value
        ws[ref].data_type = "e"  # an Excel error cell, as Excel saves it
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_excel_error_cells_are_errors_not_blanks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[list[object]] = [
        ["id", "name", "price_per_kg", "protein_g"],
        ["a", "A", 1, 10],
        ["b", "B", 2, 80],
    ]
    book = _workbook(tmp_path, rows, {"D2": "#N/A", "D3": "#DIV/0!"})
    err = _exit_2(["check", str(book)], capsys)
    assert "[Foods] row 2, column protein_g: Excel error value #N/A" in err
    assert "[Foods] row 3, column protein_g: Excel error value #DIV/0!" in err
    with pytest.raises(sf.InputError):
        sf.load_foods(book)


def test_true_in_a_numeric_cell_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[list[object]] = [
        ["id", "name", "price_per_kg", "protein_g"],
        ["a", "A", True, 10],
        ["b", "B", 2, 80],
    ]
    book = _workbook(tmp_path, rows)
    _exit_2(["check", str(book)], capsys, "[Foods] row 2, column price_per_kg: not a number: TRUE")


def test_a_number_written_as_a_toml_string_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = _write(tmp_path / "b.toml", SIMPLE.replace("min = 10", 'min = "50"'))
    _exit_2(["check", str(TINY), str(brief)], capsys, "b.toml line 4", "min")
    with pytest.raises(sf.InputError):
        parse_brief_toml(SIMPLE.replace("serving_g = 50", "serving_g = true"), "t.toml")


def test_values_that_overflow_the_solver_are_rejected_with_the_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foods = _write(tmp_path / "f.csv", "id,name,price_per_kg,protein_g\na,A,1,1e200\nb,B,2,80\n")
    _exit_2(["check", str(foods)], capsys, "f.csv row 2, column protein_g", "out of range", "±1e+19")
    brief = _write(tmp_path / "b.toml", SIMPLE.replace("min = 10", "max = 1e200"))
    _exit_2(["check", str(TINY), str(brief)], capsys, "b.toml line 4", "±1e+19")


def test_a_ratio_whose_denominator_is_zero_for_every_food(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    foods = _write(tmp_path / "f.csv", "id,name,price_per_kg,protein_g,fibre_g\na,A,1,10,0\nb,B,2,80,0\n")
    brief = _write(
        tmp_path / "b.toml",
        'name = "r"\n[serving]\nserving_g = 50\n[[ratio]]\nname = "protein per fibre"\n'
        'numerator = "protein_g"\ndenominator = "fibre_g"\nmin = 2\n',
    )
    _exit_2(
        ["solve", "-f", str(foods), "-c", str(brief)], capsys, "b.toml line 4", "denominator fibre_g is 0"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="needs a FIFO")
def test_a_fifo_or_device_is_refused_before_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "foods.csv"
    os.mkfifo(fifo)  # reading it would block forever: the run must not
    run = run_cli("check", str(fifo))
    assert run.returncode == 2 and "not a regular file" in run.stderr
    run = run_cli("solve", "-f", str(fifo))
    assert run.returncode == 2 and "not a regular file" in run.stderr
    dev = tmp_path / "brief.toml"
    dev.symlink_to("/dev/zero")  # endless: a read would never finish
    run = run_cli("check", str(TINY), str(dev))
    assert run.returncode == 2 and "not a regular file" in run.stderr


def test_contradictory_duplicate_bounds_read_the_same_on_cbc_and_highs(tmp_path: Path) -> None:
    brief = parse_brief_toml(
        'name = "dup"\n[serving]\nserving_g = 50\n[[ingredient]]\nid = "whey"\nmin = 10\n'
        '[[ingredient]]\nid = "whey"\nmax = 5\n',
        "dup.toml",
    )
    foods = sf.load_foods(TINY)
    results = [sf.solve(foods, brief, solver=s) for s in ("cbc", "highs")]
    for result in results:
        assert result.status == "infeasible" and result.diagnosis is not None
    assert results[0].diagnosis.conflict == results[1].diagnosis.conflict  # type: ignore[union-attr]
    assert results[0].diagnosis.explanation == ["whey ≥ 10 g", "whey ≤ 5 g"]  # type: ignore[union-attr]


def test_csv_headers_with_unit_hints_read_as_in_workbooks(tmp_path: Path) -> None:
    """The template's Foods sheet saved as CSV (as a spreadsheet does) reads back."""
    import python_calamine

    from sarcoform.io.workbook_write import write_template

    book = tmp_path / "template.xlsx"
    write_template(None, None, book)
    rows = python_calamine.CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Foods").to_python()
    assert any("(" in str(cell) for cell in rows[0])  # the template does carry unit hints
    text = io.StringIO()
    csv.writer(text).writerows([["" if c is None else c for c in row] for row in rows])
    saved = _write(tmp_path / "foods.csv", text.getvalue())
    from_csv, from_book = sf.load_foods(saved), sf.load_foods(book)
    assert from_csv.columns == from_book.columns and from_csv.ids == from_book.ids
    assert "protein_g" in from_csv.numbers


def test_check_of_a_batch_workbook_reports_every_sheet_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    from conftest import template_book

    book = template_book(tmp_path)
    wb = openpyxl.load_workbook(book)
    wb["Products"]["C2"] = "abc"  # serving_g of the first product
    wb["Scenarios"]["B3"] = "nosuchfood"  # a priced id not in the table
    wb["Availability"]["B2"] = "x"
    foods = wb.create_sheet("Foods")
    for row in csv.reader(io.StringIO(TINY.read_text(encoding="utf-8"))):
        foods.append(row)
    foods["E3"] = "zz"  # energy_kcal of malto
    wb.save(book)
    err = _exit_2(["check", str(book)], capsys)
    assert "[Products] row 2, column serving_g" in err
    assert "[Availability] row 2, column available_kg" in err
    assert "[Foods] row 3, column energy_kcal" in err
    # Found only by checking the scenarios against the (partly bad) Foods sheet.
    assert "[Scenarios] row 3, column id" in err and "'nosuchfood'" in err


# -- item 2: no silent exclusions -------------------------------------------------------

BLANKS = (
    "id,name,price_per_kg,protein_g,calcium_mg\n"
    "whey,Whey,10,80,500\nmilk,Milk powder,4,35,1200\nrice,Rice protein,3,80,\nmalto,Maltodextrin,1,0,0\n"
)
EXCLUDE = (
    'name = "ex"\nblank_values = "exclude"\n[serving]\nserving_g = 50\n'
    '[[nutrient]]\nname = "protein"\nmin = 15\n[[nutrient]]\nname = "calcium"\nmax = 400\n'
)


def test_check_lists_each_exclusion_as_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foods, brief = _write(tmp_path / "f.csv", BLANKS), _write(tmp_path / "b.toml", EXCLUDE)
    assert main(["check", str(foods), str(brief)]) == 0
    out = capsys.readouterr().out
    assert "f.csv row 4, column calcium_mg: warning: 'rice' left out" in out


def test_solve_prints_exclusions_before_the_blend(tmp_path: Path) -> None:
    foods, brief = _write(tmp_path / "f.csv", BLANKS), _write(tmp_path / "b.toml", EXCLUDE)
    run = run_cli("solve", "-f", str(foods), "-c", str(brief))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    at = next(k for k, line in enumerate(lines) if "rice (blank calcium_mg)" in line)
    blend = next(k for k, line in enumerate(lines) if line.startswith("Blend"))
    assert at < blend and at <= 3


def test_a_brief_excluding_most_of_the_table_is_an_error_naming_the_column(
    foods: sf.FoodTable, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The issue's case: a new allergen column filled only for the soy rows."""
    records = foods.records()
    soy = {r["id"] for r in records[:3]}  # whichever three rows: "the soy rows"
    header = [*foods.columns, "soy_protein_mg"]
    rows = [[*r.values(), 1000 if r["id"] in soy else None] for r in records]
    text = io.StringIO()
    csv.writer(text).writerows([header, *[["" if v is None else v for v in row] for row in rows]])
    table = _write(tmp_path / "foods.csv", text.getvalue())
    brief = _write(tmp_path / "b.toml", EXCLUDE + '[[nutrient]]\nname = "soy_protein_mg"\nmax = 5000\n')
    err = _exit_2(["solve", "-f", str(table), "-c", str(brief)], capsys, "column soy_protein_mg")
    left_out = int(err.split("leaves out ")[1].split(" of ")[0])
    assert left_out >= len(foods) - 3 and f"of {len(foods)} ingredients" in err
    assert len(err.splitlines()) <= 3


# -- item 3: groups by tag --------------------------------------------------------------

TAGGED = (
    "id,name,price_per_kg,protein_g,tags\n"
    "whey,Whey,10,80,dairy;whey\nskim,Skim milk powder,4,35,dairy\n"
    "spi,Soy isolate,3,90,plant;soy;allergen:soy\nmalto,Maltodextrin,1,0,carbohydrate\n"
)
DAIRY_ONLY = (
    'name = "dairy"\n[serving]\nserving_g = 50\n[[nutrient]]\nname = "protein"\nmin = 20\n'
    '[[group]]\nname = "plant proteins"\ntag = "plant"\nmax = 0\n'
)


def test_a_group_by_tag_takes_a_newly_added_food() -> None:
    brief = parse_brief_toml(DAIRY_ONLY, "dairy.toml")
    base = sf.solve(food_table(TAGGED), brief, solver="highs")
    assert base.ok and "spi" not in base.grams
    # A user adds a cheap pea protein tagged plant: the group keeps it out, unedited.
    added = food_table(TAGGED + "pea,Pea isolate,0.5,85,Plant; pea\n")
    result = sf.solve(added, brief, solver="cbc")
    assert result.ok and "pea" not in result.grams and "spi" not in result.grams
    # Without the group the pea protein is the cheapest protein and enters.
    free = sf.solve(added, brief.model_copy(update={"groups": ()}), solver="cbc")
    assert free.grams.get("pea", 0) > 0


def test_a_tag_group_is_verified_from_the_tags_cells() -> None:
    import numpy as np

    from sarcoform.solving.compile import compile_brief
    from sarcoform.solving.engine import verify

    foods = food_table(TAGGED)
    compiled = compile_brief(foods, parse_brief_toml(DAIRY_ONLY, "dairy.toml"))
    x = np.array([0.0, 0.0, 25.0, 25.0])  # half soy: against "plant proteins ≤ 0 g"
    check = verify(compiled, x)
    assert not check.ok and any(f.startswith("group plant proteins") for f in check.failures)


def test_an_unknown_tag_is_an_error_listing_the_tags(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    foods = _write(tmp_path / "f.csv", TAGGED)
    brief = _write(tmp_path / "b.toml", DAIRY_ONLY.replace('tag = "plant"', 'tag = "vegan"'))
    _exit_2(
        ["check", str(foods), str(brief)], capsys, "b.toml line 7", "no food has tag 'vegan'", "allergen:soy"
    )


def test_a_group_takes_exactly_one_of_members_group_tag() -> None:
    with pytest.raises(sf.InputError, match="exactly one of"):
        parse_brief_toml(DAIRY_ONLY.replace('tag = "plant"', 'tag = "plant"\ngroup = "protein"'), "t.toml")


def test_a_tag_group_round_trips_through_toml_and_a_workbook(tmp_path: Path) -> None:
    from sarcoform.io.brief_toml import brief_to_toml

    brief = parse_brief_toml(DAIRY_ONLY, "dairy.toml")
    assert parse_brief_toml(brief_to_toml(brief), "again.toml").groups == brief.groups
    book = tmp_path / "book.xlsx"
    sf.write_workbook(food_table(TAGGED), brief, book)
    foods, again = sf.read_workbook(book)
    assert again.groups == brief.groups and foods.texts["tags"][2] == "plant;soy;allergen:soy"


def test_a_bad_cell_is_an_error_not_also_an_exclusion_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    from sarcoform.io.workbook_write import write_template

    book = tmp_path / "book.xlsx"
    write_template(None, None, book)  # the default brief leaves out blanks (blank_values = "exclude")
    wb = openpyxl.load_workbook(book)
    header = [c.value for c in wb["Foods"][1]]
    column = next(k for k, h in enumerate(header, start=1) if str(h).startswith("energy_kcal"))
    wb["Foods"].cell(row=2, column=column).value = 1e200
    wb.save(book)
    err = _exit_2(["check", str(book)], capsys, "[Foods] row 2, column energy_kcal: out of range")
    out = capsys.readouterr().out
    assert not any(
        "warning" in line and "row 2," in line and "left out" in line for line in (err + out).splitlines()
    )
