"""A results workbook people can send: formats by unit, open ranges, named Diagnosis
columns, charts beside their tables on one page, print setup, and "per day" labelled.

Values and number formats are read back with openpyxl; the layout is checked in the PDF
LibreOffice exports (page count, and the chart on the page of its table).
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import sarcoform as sf
from sarcoform.report.workbook import write_result_workbook

RESULT_SHEETS = ("Summary", "Blend", "Nutrients", "Constraints", "Sensitivity", "Unused")


@pytest.fixture(scope="module")
def solved(foods: sf.FoodTable, brief: sf.Brief) -> sf.Result:
    return sf.solve(foods, brief, solver="highs")


@pytest.fixture(scope="module")
def book(
    tmp_path_factory: pytest.TempPathFactory, solved: sf.Result, foods: sf.FoodTable, brief: sf.Brief
) -> Path:
    path = tmp_path_factory.mktemp("send") / "result.xlsx"
    write_result_workbook(solved, path, foods=foods, brief=brief)
    return path


def table(ws: Any) -> tuple[list[str], list[list[Any]]]:
    """Plain column keys (the header without its unit hint) and the cells of the data rows."""
    rows = list(ws.iter_rows())
    keys = [str(c.value).split(" (")[0] for c in rows[0]]
    return keys, [list(r) for r in rows[1:]]


def column(ws: Any, key: str) -> list[Any]:
    keys, rows = table(ws)
    return [r[keys.index(key)] for r in rows]


def test_number_formats_by_unit(book: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(book)
    blend = wb["Blend"]
    assert {c.number_format for c in column(blend, "cost")} == {"0.0000"}  # money: 4 decimals
    assert {c.number_format for c in column(blend, "price_per_kg")} == {"0.0000"}
    assert {c.number_format for c in column(blend, "grams")} == {"0.000"}  # grams: 3 decimals
    assert {c.number_format for c in column(blend, "percent")} == {"0.0"}  # %: 1 decimal
    nutrients = wb["Nutrients"]
    for unit, per_serving in zip(column(nutrients, "unit"), column(nutrients, "per_serving"), strict=True):
        if unit.value == "g" and per_serving.value is not None:
            assert per_serving.number_format in ("0.000", "0")
    # No 15-digit floats: every non-integer number on a results sheet has a format.
    for name in RESULT_SHEETS:
        for row in wb[name].iter_rows():
            for cell in row:
                if isinstance(cell.value, float) and not cell.value.is_integer():
                    assert cell.number_format != "General", (name, cell.coordinate, cell.value)


def test_open_ranges_are_written_open_never_as_negative_prices(book: Path, solved: sf.Result) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(book)
    blend = wb["Blend"]
    lows = {
        c.value: low.value
        for c, low in zip(column(blend, "id"), column(blend, "price_range_min"), strict=True)
    }
    for line in solved.blend_lines:
        assert line.price_range is not None
        low = line.price_range[0]
        if low is None or low <= 0:  # any lower price keeps this blend
            assert lows[line.id] == "open"
        else:
            assert lows[line.id] == pytest.approx(low)
    assert "open" in lows.values()  # the default brief has such an ingredient (cahmb, spi, …)
    unused = wb["Unused"]
    entry = {
        c.value: e.value for c, e in zip(column(unused, "id"), column(unused, "entry_price"), strict=True)
    }
    negative = [u.id for u in solved.unused if u.entry_price is not None and u.entry_price < 0]
    assert negative  # e.g. maltodextrin: would enter only below a price of 0
    assert all(entry[i] == "never at a price ≥ 0" for i in negative)
    for name, key in (("Blend", "price_range_min"), ("Blend", "price_range_max"), ("Unused", "entry_price")):
        numbers = [c.value for c in column(wb[name], key) if isinstance(c.value, (int, float))]
        assert all(v >= 0 for v in numbers), (name, key)


def test_per_day_says_product_only_or_with_background(book: Path, solved: sf.Result, brief: sf.Brief) -> None:
    """Nutrients' vitamin D a day is the product's (2 servings × 5 µg = 10); the per-day bound
    counts the brief's background intake too (3 µg, [background] in ons_powder.toml): 13."""
    from openpyxl import load_workbook

    wb = load_workbook(book)
    nutrients = wb["Nutrients"]
    keys, _ = table(nutrients)
    header = nutrients.cell(row=1, column=keys.index("per_day") + 1).value
    assert "product only" in header
    product = {
        c.value: d.value
        for c, d in zip(column(nutrients, "nutrient"), column(nutrients, "per_day"), strict=True)
    }
    constraints = wb["Constraints"]
    rows = zip(
        column(constraints, "name"),
        column(constraints, "value"),
        column(constraints, "background"),
        column(constraints, "counts"),
        strict=True,
    )
    found = {name.value: (value.value, bg.value, counts.value) for name, value, bg, counts in rows}
    value, background, counts = found["vitamin_d_ug per day"]
    assert counts == "product + background"
    assert background == pytest.approx(brief.background.per_day["vitamin_d_ug"])
    assert value == pytest.approx(product["vitamin_d_ug"] + background)
    assert found["calcium_mg per serving"][2] is None  # per serving: not a per-day figure
    assert found["cahmb_g per day"][2] == "product only"  # no background CaHMB in the diet


def test_diagnosis_has_named_columns(tmp_path: Path, foods: sf.FoodTable) -> None:
    from openpyxl import load_workbook

    from sarcoform.io.brief_toml import parse_brief_toml

    brief = parse_brief_toml(
        'name = "b"\n[serving]\nserving_g = 30\n[[nutrient]]\nname = "protein"\nmin = 40\n', "b.toml"
    )
    result = sf.solve(foods, brief, solver="highs")
    assert result.status == "infeasible"
    write_result_workbook(result, tmp_path / "r.xlsx", foods=foods, brief=brief)
    ws = load_workbook(tmp_path / "r.xlsx")["Diagnosis"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert not any(str(h).startswith("detail") for h in header)
    assert header[:3] == ["item", "description", "constraint"] and {"from", "to", "change"} <= set(header)
    way_out = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[0].value == "way out"]
    serving = next(r for r in way_out if r[2] == "serving mass")
    # 40 g protein in a serving of the richest protein source (88 g/100 g, e.g. sodium caseinate)
    # needs 40 / 0.88 = 45.45 g; the brief's other bounds make it 45.29 with a mix: ≥ 40/0.9.
    assert serving[header.index("from")] == 30 and 40 / 0.9 <= serving[header.index("to")] <= 40 / 0.88


def test_print_setup_on_every_results_sheet(book: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(book)
    for ws in wb.worksheets[1:]:  # the first, Report, is an A4 portrait page of its own (test_report)
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        # One page wide; only the wide Foods table (no chart) spreads across pages, id and name repeated.
        # the food table's columns (66 since issues 10 and 12) take one page per 16 columns
        wide = math.ceil(ws.max_column / 16) if ws.title == "Foods" else 1
        assert wide >= (4 if ws.title == "Foods" else 1)
        assert ws.page_setup.fitToWidth == wide, ws.title
        assert "&P" in (ws.oddFooter.center.text or ""), ws.title
    assert wb["Constraints"].print_title_rows == "$1:$1"
    assert wb["Foods"].print_title_cols == "$A:$B"


def test_charts_sit_beside_their_tables(book: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(book)
    for name in ("Blend", "Constraints"):
        ws = wb[name]
        keys, _ = table(ws)
        (chart,) = ws._charts
        assert chart.anchor._from.col >= len(keys) and chart.anchor._from.row <= 2, name


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_export_one_page_per_short_sheet_with_its_chart(book: Path, tmp_path: Path) -> None:
    """The PDF LibreOffice makes: each results sheet on its own page(s), the charts on the
    page of their table (not cut by a page break), and far fewer pages than without print setup."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",  # never another run's profile
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "result.pdf"
    pages = []
    k = 1
    while True:
        text = subprocess.run(
            ["pdftotext", "-f", str(k), "-l", str(k), str(pdf), "-"], capture_output=True, text=True
        )
        if text.returncode != 0:
            break
        pages.append(text.stdout)
        k += 1
    # 78 before print setup on the 29-column table; the Foods sheet (66 columns now) alone takes
    # 5 pages wide × its rows, the results sheets one page each or two.
    assert 10 <= len(pages) <= 50
    blend = [p for p in pages if p.lstrip().startswith("Blend")]
    assert len(blend) == 1 and "Blend composition" in blend[0] and "buttermilk_powder" in blend[0]
    constraints = [p for p in pages if p.lstrip().startswith("Constraints")]
    # the ~80 bounds of the issue-10 brief take two pages (the header row repeats on each)
    assert 1 <= len(constraints) <= 2 and any("Nutrients against their bounds" in p for p in constraints)
    assert all(f"of {len(pages)}" in p for p in pages)


def test_batch_results_workbook_has_no_15_digit_floats(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from conftest import template_book
    from sarcoform.cli import main

    out = tmp_path / "out.xlsx"
    assert main(["batch", str(template_book(tmp_path)), "-o", str(out), "-w", "1"]) == 0
    wb = load_workbook(out)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float) and not cell.value.is_integer():
                    assert cell.number_format != "General", (ws.title, cell.coordinate)
    keys = [c.value for c in next(wb["Items"].iter_rows(max_row=1))]
    row = next(wb["Items"].iter_rows(min_row=2, max_row=2))
    assert row[keys.index("cost_per_serving")].number_format == "0.0000"
    assert row[keys.index("grams.wpc80")].number_format == "0.000"
