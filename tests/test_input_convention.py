"""One input convention for every command: BOOK.xlsx, or -f/-c, and a workbook's own Foods sheet.

The workbook here carries the embedded foods at twice their prices. Scaling every price by
k leaves the least-cost blend unchanged and multiplies its cost by k, so a run that used the
workbook's foods costs exactly twice the embedded run; one that silently fell back to the
embedded foods costs the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sarcoform as sf
from sarcoform.batch.files import resolve_products
from sarcoform.cli import main
from sarcoform.errors import UsageError
from sarcoform.io.inputs import resolve_inputs


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, foods: sf.FoodTable, brief: sf.Brief) -> Path:
    from sarcoform.io.workbook_write import write_template

    frame = foods.to_frame()
    frame["price_per_kg"] = frame["price_per_kg"] * 2
    path = tmp_path_factory.mktemp("convention") / "dear.xlsx"
    write_template(sf.FoodTable.from_frame(frame, origin="dear"), brief, path)  # the frontier takes it
    return path


@pytest.fixture(scope="module")
def embedded_cost(foods: sf.FoodTable, brief: sf.Brief) -> float:
    cost = sf.solve(foods, brief, solver="highs", sensitivity=False).cost_per_serving
    assert cost is not None
    return cost


def test_every_form_uses_the_workbooks_own_foods(book: Path, embedded_cost: float) -> None:
    for form in (
        {"book": book},
        {"constraints": book},
        {"foods": book},
        {"foods": book, "constraints": book},
    ):
        inputs = resolve_inputs(**form)  # type: ignore[arg-type]
        assert inputs.foods_from == f"{book} [Foods]", form
        result = sf.solve(inputs.foods, inputs.brief, solver="highs", sensitivity=False)
        assert result.cost_per_serving == pytest.approx(2 * embedded_cost, rel=1e-7), form


def test_an_explicit_foods_option_replaces_the_books_and_says_so(book: Path, embedded_cost: float) -> None:
    from sarcoform.io.embedded import default_foods_path

    csv = default_foods_path()
    inputs = resolve_inputs(book, csv)
    assert any("not the Foods sheet of" in note for note in inputs.notes)
    result = sf.solve(inputs.foods, inputs.brief, solver="highs", sensitivity=False)
    assert result.cost_per_serving == pytest.approx(embedded_cost, rel=1e-7)


def test_a_book_argument_must_be_a_workbook(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="give a workbook"):
        resolve_inputs(tmp_path / "brief.toml")


def test_one_product_from_a_plain_input_workbook(book: Path) -> None:
    products, _ = resolve_products(book)
    assert len(products.products) == 1 and products.foods is not None
    assert products.foods.price_per_kg is not None
    assert products.foods.price_per_kg[0] == pytest.approx(2 * sf.load_foods().price_per_kg[0])  # type: ignore[index]


@pytest.mark.parametrize("form", [["BOOK"], ["-c", "BOOK"]])
def test_frontier_accepts_both_forms_and_uses_the_books_foods(
    book: Path, form: list[str], embedded_cost: float, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [str(book) if a == "BOOK" else a for a in form]
    out = tmp_path / "curve"
    # The brief's own leucine floor (2.5 g per meal) as the only level: the brief's optimum.
    code = main(["frontier", *args, "--from", "2.5", "--to", "2.5", "--points", "2", "-o", str(out)])
    assert code == 0, capsys.readouterr()
    import csv

    with (tmp_path / "curve.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1
    assert float(rows[0]["cost_per_serving"]) == pytest.approx(2 * embedded_cost, rel=1e-6)


@pytest.mark.parametrize("command", ["solve", "check", "batch"])
def test_solve_check_and_batch_take_c_book(
    command: str, book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, "-c", str(book)])
    assert code == 0, capsys.readouterr()


def test_check_takes_a_preset_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-c", "ons_max_leucine"]) == 0
    assert main(["check", "-c", "no_such_preset"]) == 2
    assert "unknown preset" in capsys.readouterr().err


def test_check_takes_an_embedded_food_table_by_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`-f sr28` is the SR28 extract for check as for solve (it was read as a preset name).
    A brief on nutrients SR28 has checks clean over it; one on a column SR28 lacks (a
    fatty acid the embedded table has) fails naming that column."""
    brief = tmp_path / "b.toml"
    brief.write_text(  # SR28 has no prices: the most protein in 100 g
        'name = "b"\nobjective = "max:protein"\nblank_values = "exclude"\n[serving]\nserving_g = 100\n'
    )
    assert main(["check", "-f", "sr28", "-c", str(brief)]) == 0
    out = capsys.readouterr()
    assert "ok: no problems found" in out.out and "unknown preset" not in out.err
    brief.write_text(brief.read_text() + '[[nutrient]]\nname = "linoleic_acid"\nmin = 1\n')
    assert main(["check", "-f", "sr28", "-c", str(brief)]) == 2
    err = capsys.readouterr().err
    assert "linoleic_acid" in err and "unknown preset" not in err
