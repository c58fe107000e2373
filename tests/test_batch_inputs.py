"""Batch inputs: products and price scenarios from CSV, TOML and workbook sheets, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sarcoform as sf
from conftest import run_cli
from sarcoform.batch.files import (
    parse_limits,
    read_availability,
    read_products,
    read_scenarios,
)
from sarcoform.batch.inputs import PriceScenarios, Product
from sarcoform.batch.template import write_batch_template
from sarcoform.errors import InputError

PRODUCTS_CSV = """name,brief,serving_g,servings_per_day,objective,cost_max,ingredients,volume_kg,note
vanilla,ons_powder,45,,,,l_leucine<=2; cocoa_powder=0,100,first
leucine,ons_max_leucine,,3,,0.31,,50,
milk,milk_beverage_powder,,,max:protein,,wpc80=1..4,,
"""

PRODUCTS_TOML = """
[[product]]
name = "vanilla"
brief = "ons_powder"
serving_g = 45
ingredients = "l_leucine<=2; cocoa_powder=0"
volume_kg = 100
note = "first"

[[product]]
name = "leucine"
brief = "ons_max_leucine"
servings_per_day = 3
cost_max = 0.31
volume_kg = 50

[[product]]
name = "milk"
brief = "milk_beverage_powder"
objective = "max:protein"

[[product.ingredient]]
id = "wpc80"
min = 1
max = 4

[scenario.base]

[scenario.whey_up]
wpi = 17.4
wpc80 = 13.2

[availability]
smp = 2000
"""

LONG_CSV = "scenario,id,price_per_kg\nbase,,\nwhey_up,wpi,17.4\nwhey_up,wpc80,13.2\n"
WIDE_CSV = "id,base,whey_up\nwpi,,17.4\nwpc80,,13.2\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_products_csv_and_toml_read_the_same(tmp_path: Path) -> None:
    csv_products = read_products(write(tmp_path / "products.csv", PRODUCTS_CSV)).products
    toml = read_products(write(tmp_path / "products.toml", PRODUCTS_TOML))
    assert csv_products == toml.products  # the location of each row is not part of equality
    vanilla, leucine, milk = toml.products
    assert vanilla.serving_g == 45 and vanilla.volume_kg == 100
    assert {(e.id, e.min, e.max) for e in vanilla.ingredients} == {
        ("l_leucine", None, 2.0),
        ("cocoa_powder", 0, 0),
    }
    assert leucine.servings_per_day == 3 and leucine.cost_max == 0.31
    assert [(e.id, e.min, e.max) for e in milk.ingredients] == [("wpc80", 1, 4)]
    assert toml.scenarios is not None and toml.scenarios.prices == {
        "base": {},
        "whey_up": {"wpi": 17.4, "wpc80": 13.2},
    }
    assert toml.availability is not None and dict(toml.availability.kg) == {"smp": 2000.0}


def test_overrides_reach_the_brief(tmp_path: Path) -> None:
    vanilla, leucine, milk = read_products(write(tmp_path / "p.toml", PRODUCTS_TOML)).products
    brief = vanilla.customise(sf.load_brief("ons_powder"))
    assert brief.name == "vanilla" and brief.serving.serving_g == 45
    limits = {e.id: (e.min, e.max) for e in brief.ingredients}
    assert limits["l_leucine"] == (None, 2.0) and limits["cocoa_powder"] == (0, 0)
    base = sf.load_brief("ons_powder")
    assert sum(e.id == "l_leucine" for e in brief.ingredients) == 1  # replaced, not added twice
    assert len(brief.nutrients) == len(base.nutrients)  # the rest of the brief is untouched
    brief = leucine.customise(sf.load_brief("ons_max_leucine"))
    assert brief.serving.servings_per_day == 3 and brief.serving.serving_g == 60  # the preset's
    assert brief.cost is not None and (brief.cost.basis, brief.cost.max) == ("serving", 0.31)
    assert milk.customise(sf.load_brief("milk_beverage_powder")).objective == "max:protein"


def test_scenarios_long_wide_toml_and_api_forms_agree(tmp_path: Path) -> None:
    import pandas as pd

    long = read_scenarios(write(tmp_path / "long.csv", LONG_CSV))
    wide = read_scenarios(write(tmp_path / "wide.csv", WIDE_CSV))
    toml = read_scenarios(write(tmp_path / "s.toml", PRODUCTS_TOML))
    assert long.prices == wide.prices == toml.prices == {"base": {}, "whey_up": {"wpi": 17.4, "wpc80": 13.2}}
    foods = sf.load_foods()
    frame = pd.DataFrame(
        {"scenario": ["whey_up", "whey_up"], "id": ["wpi", "wpc80"], "price_per_kg": [17.4, 13.2]}
    )
    from sarcoform.batch.entry import as_scenarios

    assert as_scenarios(frame).prices == {"whey_up": {"wpi": 17.4, "wpc80": 13.2}}
    assert as_scenarios({"whey_up": {"wpi": 17.4, "wpc80": 13.2}}).prices == as_scenarios(frame).prices
    matrix = long.matrix(foods)
    base = np.asarray(foods.price_per_kg)
    np.testing.assert_array_equal(matrix[0], base)  # an empty scenario keeps every price
    changed = np.flatnonzero(matrix[1] != base)
    assert {foods.ids[i] for i in changed} == {"wpi", "wpc80"}


def test_limits_syntax() -> None:
    assert parse_limits("a<=3; b>=1.5;c=2; d=0..4 ; e ≤ 1") == {
        "a": (None, 3.0),
        "b": (1.5, None),
        "c": (2.0, 2.0),
        "d": (0.0, 4.0),
        "e": (None, 1.0),
    }
    assert parse_limits("a>=1; a<=2") == {"a": (1.0, 2.0)}
    assert isinstance(parse_limits("a < 3"), str)
    assert isinstance(parse_limits("a<=1..2"), str)


def test_template_workbook_reads_back(tmp_path: Path) -> None:
    book = tmp_path / "batch.xlsx"
    write_batch_template(book)
    inputs = read_products(book)
    names = [p.name for p in inputs.products]
    assert len(names) == 4 and len(set(names)) == 4
    assert inputs.scenarios is not None and "base" in inputs.scenarios.prices
    assert inputs.availability is not None and inputs.availability.kg
    assert inputs.foods is None  # no Foods sheet: the embedded table is used
    foods = sf.load_foods()
    inputs.scenarios.matrix(foods)  # every id exists, every price is valid
    inputs.availability.positions(foods)
    for p in inputs.products:
        assert isinstance(p.brief, sf.Brief)
        p.customise(p.brief)


def test_template_text_stays_text(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = tmp_path / "batch.xlsx"
    write_batch_template(book)
    ws = load_workbook(book)["Products"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


# -- bad input: one located problem each, exit 2 ---------------------------------------------


def problems(call: object) -> list[str]:
    with pytest.raises(InputError) as err:
        call()  # type: ignore[operator]
    return [str(p) for p in err.value.problems]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("name,brief,serving_g\nx,ons_powder,abc\n", "row 2, column serving_g", "not a number"),
        ("name,brief,serving_g\nx,ons_powder,-5\n", "row 2, column serving_g", "> 0"),
        ("name,brief\nx,no_such_preset\n", "row 2, column brief", "unknown preset"),
        ("name,brief,colour\nx,ons_powder,red\n", "column colour", "unknown column"),
        ("name,brief\nx,ons_powder\nx,ons_powder\n", "row 3, column name", "appears twice"),
        ("name,brief,ingredients\nx,ons_powder,wpi<3\n", "row 2, column ingredients", "cannot read"),
        ("name,brief,ingredients\nx,ons_powder,wpi=5..1\n", "row 2, column ingredients", "greater than max"),
        ("brief\nons_powder\n", "row 1", "missing required column 'name'"),
        ("name,brief\n,ons_powder\n", "row 2, column name", "blank"),
    ],
)
def test_bad_products_csv(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = write(tmp_path / "products.csv", text)
    found = problems(lambda: read_products(path))
    assert any(str(path) in p and where in p and words in p for p in found), found


def test_bad_products_are_located_when_solving(tmp_path: Path) -> None:
    path = write(
        tmp_path / "products.csv",
        "name,brief,ingredients,objective\nx,ons_powder,wpx<=3,\ny,ons_powder,,max:nothing\n",
    )
    products = read_products(path).products
    found = problems(lambda: sf.solve_batch(sf.load_foods(), list(products)))
    assert any("row 2, column ingredients" in p and "unknown ingredient id 'wpx'" in p for p in found), found
    assert any("row 3, column objective" in p and "nothing" in p for p in found), found


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("scenario,id,price_per_kg\nhi,wpi,-3\n", "row 2, column price_per_kg", "≥ 0"),
        ("scenario,id,price_per_kg\nhi,wpi,cheap\n", "row 2, column price_per_kg", "not a number"),
        ("scenario,id,price_per_kg\nhi,nope,3\n", "row 2, column id", "unknown ingredient id 'nope'"),
        ("scenario,id,price_per_kg\nhi,wpi,\n", "row 2, column price_per_kg", "blank price"),
        ("scenario,id,price_per_kg\nhi,wpi,3\nhi,wpi,4\n", "row 3, column id", "twice"),
        ("id,up\nwpi,x\n", "row 2, column up", "not a number"),
        ("foo,bar\n1,2\n", "row 1", "scenarios need columns"),
    ],
)
def test_bad_scenarios_csv(tmp_path: Path, text: str, where: str, words: str) -> None:
    path = write(tmp_path / "scenarios.csv", text)
    found = problems(lambda: read_scenarios(path).matrix(sf.load_foods()))
    assert any(str(path) in p and where in p and words in p for p in found), found


def test_bad_availability_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "id,available_kg\nwpi,lots\n")
    found = problems(lambda: read_availability(path))
    assert any("row 2, column available_kg" in p and "not a number" in p for p in found), found


def test_bad_toml_is_located(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", '[[product]]\nname = "a"\n\n[[product]]\nname = "b"\nserving = 3\n')
    found = problems(lambda: read_products(path))
    assert any("line 4" in p and "unknown key 'serving'" in p for p in found), found
    path = write(tmp_path / "q.toml", '[[product]]\nname = "a"\nbrief = \n')
    assert any("TOML syntax error" in p for p in problems(lambda: read_products(path)))


def test_bad_sheet_is_located(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Products"
    ws.append(["name", "brief", "cost_max"])
    ws.append(["a", "ons_powder", "lots"])
    scenarios = book.create_sheet("Scenarios")
    scenarios.append(["scenario", "id", "price_per_kg"])
    scenarios.append(["s", "wpi", -1])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    found = problems(lambda: read_products(path))
    assert any("[Products] row 2, column cost_max" in p and "not a number" in p for p in found), found
    found = problems(lambda: read_scenarios(path).matrix(sf.load_foods()))
    assert any("[Scenarios] row 2, column price_per_kg" in p for p in found), found


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "products.csv", "name,brief,serving_g\nx,ons_powder,abc\n")
    run = run_cli("batch", str(path), "-o", "out.csv", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "row 2, column serving_g" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out.csv").exists()


def test_api_product_objects() -> None:
    p = Product("p", "ons_powder", serving_g=0)
    found = problems(lambda: sf.solve_batch(sf.load_foods(), [p]))
    assert any("serving_g must be a finite number > 0" in f for f in found), found
    assert PriceScenarios.base().names == ("base",)


def test_a_workbook_can_carry_its_own_foods_and_brief(tmp_path: Path) -> None:
    """A blank brief in a workbook with brief sheets means that workbook's brief; its Foods sheet
    replaces the embedded table."""
    from openpyxl import load_workbook

    from sarcoform.io.workbook_write import write_template

    book = tmp_path / "line.xlsx"
    brief = sf.load_brief("milk_beverage_powder")
    foods = sf.load_foods().with_prices({"smp": 2.0})
    write_template(foods, brief, book)
    wb = load_workbook(book)
    ws = wb.create_sheet("Products")
    ws.append(["name", "brief", "serving_g"])
    ws.append(["own_brief", None, 28])
    ws.append(["preset", "ons_powder", None])
    wb.save(book)
    inputs = read_products(book)
    assert inputs.foods is not None and inputs.foods.price_per_kg[inputs.foods.ids.index("smp")] == 2.0
    own, preset = inputs.products
    assert isinstance(own.brief, sf.Brief) and own.brief.objective == brief.objective
    assert [e.name for e in own.brief.nutrients] == [e.name for e in brief.nutrients]
    assert isinstance(preset.brief, sf.Brief) and preset.brief.name == "ons_powder"
    out = sf.solve_batch(inputs.foods, list(inputs.products))
    assert out.item("own_brief", "base").serving_g == pytest.approx(28)


# -- cells typed as numbers, prices as numpy numbers, cost caps -------------------------------

TOY_BRIEF = 'name = "toy"\n[serving]\nserving_g = 100\n[[nutrient]]\nname = "protein"\nmin = 40\n'


def test_ids_and_names_typed_as_numbers_read_as_text(tmp_path: Path) -> None:
    """Spreadsheets store 1001 as the number 1001.0: ids, product and scenario names must read "1001"."""
    from openpyxl import Workbook

    (tmp_path / "toy.toml").write_text(TOY_BRIEF, encoding="utf-8")
    book = Workbook()
    foods = book.active
    assert foods is not None
    foods.title = "Foods"
    for row in (["id", "name", "price_per_kg", "protein_g"], [1001, "hi", 20, 100], [1002, "lo", 6, 50]):
        foods.append(row)
    foods.append([1003, 42, 1, 0])  # a name typed as a number
    products = book.create_sheet("Products")
    products.append(["name", "brief", "volume_kg"])
    products.append([7, "toy.toml", 100])
    scenarios = book.create_sheet("Scenarios")
    scenarios.append(["scenario", "id", "price_per_kg"])
    scenarios.append([2024, 1002, 7])
    availability = book.create_sheet("Availability")
    availability.append(["id", "available_kg"])
    availability.append([1002, 150])
    path = tmp_path / "numbers.xlsx"
    book.save(path)

    inputs = read_products(path)
    assert inputs.foods is not None and inputs.foods.ids == ("1001", "1002", "1003")
    assert inputs.foods.names[2] == "42"
    assert [p.name for p in inputs.products] == ["7"]
    assert inputs.scenarios is not None and inputs.scenarios.prices == {"2024": {"1002": 7.0}}
    assert inputs.availability is not None and dict(inputs.availability.kg) == {"1002": 150.0}
    out = sf.solve_batch(inputs.foods, list(inputs.products), inputs.scenarios)
    # 40 g protein in 100 g at least cost: 80 g lo (7/kg) + 20 g filler (1/kg) = 0.58.
    assert out.item("7", "2024").cost_per_serving == pytest.approx(0.58, rel=1e-9)

    wide = Workbook()
    ws = wide.active
    assert ws is not None
    ws.title = "Scenarios"
    ws.append(["id", 2025])
    ws.append([1002, 8])
    wide.save(tmp_path / "wide.xlsx")
    assert read_scenarios(tmp_path / "wide.xlsx").prices == {"2025": {"1002": 8.0}}


def test_prices_may_be_numpy_numbers(foods: sf.FoodTable) -> None:
    wpi = foods.position("wpi")
    assert wpi is not None
    assert foods.with_prices({"wpi": np.int64(17)}).price_per_kg[wpi] == 17.0
    assert foods.with_prices({"wpi": np.float32(17.5)}).price_per_kg[wpi] == 17.5
    matrix = PriceScenarios({"up": {"wpi": np.int64(18)}}).matrix(foods)
    assert matrix[0, wpi] == 18.0
    found = problems(lambda: foods.with_prices({"wpi": True}))  # a bool is not a price
    assert any("price_per_kg for 'wpi'" in p for p in found), found
    found = problems(lambda: PriceScenarios({"up": {"wpi": np.float64("nan")}}).matrix(foods))
    assert any("finite number ≥ 0" in p for p in found), found
    assert Product("p", "ons_powder", serving_g=np.int64(40)).number_problems() == []


def test_cost_max_keeps_the_briefs_min_and_refuses_another_basis() -> None:
    base = sf.Brief.model_validate(
        {"name": "b", "serving": {"serving_g": 50}, "cost": {"basis": "serving", "min": 0.1, "max": 0.5}}
    )
    brief = Product("p", base, cost_max=0.3).customise(base)
    assert brief.cost is not None and (brief.cost.basis, brief.cost.min, brief.cost.max) == (
        "serving",
        0.1,
        0.3,
    )
    per_kg = base.with_changes(cost={"basis": "kg", "max": 4.0})
    found = problems(lambda: Product("p", per_kg, cost_max=0.3).customise(per_kg))
    assert any("product 'p'" in p and "cost_max" in p and "per kg" in p for p in found), found
    found = problems(lambda: Product("p", base, cost_max=0.05).customise(base))  # below the brief's min
    assert any("product 'p'" in p for p in found), found


def test_check_understands_a_batch_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    from sarcoform.cli import main

    good = tmp_path / "good.xlsx"
    write_batch_template(good)
    assert main(["check", str(good)]) == 0, capsys.readouterr().err
    assert "ok" in capsys.readouterr().out

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Products"
    ws.append(["name", "brief", "serving_g", "ingredients", "colour"])
    ws.append(["a", "ons_powder", "abc", None, "red"])
    ws.append(["b", "ons_powder", 40, "nope<=3", None])
    ws = book.create_sheet("Scenarios")
    ws.append(["scenario", "id", "price_per_kg"])
    ws.append(["s", "zzz", 3])
    ws = book.create_sheet("Availability")
    ws.append(["id", "available_kg"])
    ws.append(["smp", "lots"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    for where, words in [
        ("[Products] row 1, column colour", "unknown column"),
        ("[Products] row 2, column serving_g", "not a number"),
        ("[Products] row 3, column ingredients", "unknown ingredient id 'nope'"),
        ("[Scenarios] row 2, column id", "unknown ingredient id 'zzz'"),
        ("[Availability] row 2, column available_kg", "not a number"),
    ]:
        assert any(where in line and words in line for line in err.splitlines()), (where, err)


def test_batch_template_refuses_foods_and_brief(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sarcoform.cli import main

    out = tmp_path / "batch.xlsx"
    assert main(["template", "--batch", "-c", "ons_max_leucine", str(out)]) == 2
    assert "--batch" in capsys.readouterr().err and not out.exists()
    assert main(["template", "--batch", str(out)]) == 0 and out.exists()
