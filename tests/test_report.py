"""The one-page specification sheet: the PDF (`sarcoform report`) and the Report sheet of
results workbooks, rendered and read back with poppler (pdfinfo, pdftotext) and LibreOffice."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import libreoffice_convert, run_cli, run_main, with_leucine_floor

import sarcoform as sf
from sarcoform.report.spec_pdf import render_pdf
from sarcoform.report.spec_sheet import binding_sentence, spec_sheet


def _poppler() -> None:
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdfinfo, pdftotext) not installed: apt-get install poppler-utils")


def _pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert match, out
    return int(match.group(1))


def _has(text: str, phrase: str) -> bool:
    """`phrase` in the extracted text, spaces aside (pdftotext drops narrow ones: '0g')."""
    return re.sub(r"\s", "", phrase) in re.sub(r"\s", "", text)


def _text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return re.sub(r"[ \t]+", " ", text.stdout)


@pytest.fixture(scope="module")
def solved(foods: sf.FoodTable, brief: sf.Brief) -> sf.Result:
    return sf.solve(foods, brief, solver="cbc")


@pytest.fixture(scope="module")
def shipped(foods: sf.FoodTable) -> sf.Result:
    """The default brief as `sarcoform report` solves it (95 % of lots, shelf life)."""
    return sf.solve(foods, sf.load_brief(), solver="cbc")


def _key_figures(result: sf.Result, batch_kg: float = 1000.0) -> list[str]:
    """What a reader must find on the sheet, formatted from the result here: cost per serving,
    per kg and per day, each ingredient's grams, % and kg per batch, and a binding bound."""
    figures = [f"{result.cost_per_serving:.4f}", f"{result.cost_per_day:.4f}", f"{result.cost_per_kg:.2f}"]
    for b in result.blend_lines:
        figures += [b.id, f"{b.grams:.3f}"]
        if b.percent >= 0.1:
            figures += [f"{b.percent:.2f}", f"{b.grams / result.serving_g * batch_kg:,.2f}"]  # type: ignore[operator]
    return figures


def test_report_cli_writes_one_a4_page_with_the_key_figures(
    tmp_path: Path, shipped: sf.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    solved = shipped
    _poppler()
    out = tmp_path / "spec.pdf"
    done = run_main(capsys, "report", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _pages(out) == 1
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info), info
    text = _text(out)
    for figure in _key_figures(solved):
        assert figure in text, figure
    assert "Sarcopenia ONS powder" in text and "leucine ≥ 2.5 g per meal" in text
    assert "SOURCES" in text and "PROT-AGE" in text
    assert "Verified: all" in text
    # The declaration, claims and allergens are the label API's (GB 28050 by default).
    lab = sf.label(solved, "cn")
    assert "NUTRITION DECLARATION · GB 28050-2011" in text
    for row in lab.rows:
        assert _has(text, f"{row.text('per_100g')} {row.text('per_serving')}"), row.nutrient
    assert "Claims it qualifies for" in text and "high protein:" in text
    assert _has(text, lab.allergen_statement)


def test_report_from_a_result_json_and_the_shadow_prices_in_words(
    tmp_path: Path,
    foods: sf.FoodTable,
    brief: sf.Brief,
    solved: sf.Result,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _poppler()
    json_path = tmp_path / "result.json"
    json_path.write_text(json.dumps(solved.to_dict()))
    out = tmp_path / "from_json.pdf"
    done = run_main(capsys, "report", str(json_path), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _pages(out) == 1
    text = _text(out)
    (leucine,) = [c for c in solved.constraint_lines if c.name == "leucine_g per meal"]
    assert leucine.binding and leucine.active == "min" and leucine.min is not None
    floor = leucine.min
    sentence = binding_sentence(leucine, solved)
    assert sentence.startswith(f"leucine ≥ {floor:g} g per meal: raising the minimum by 1 g adds USD ")
    # The words are right: raising the floor by 0.05 g (inside the range the rate holds)
    # costs about 0.05 × the shadow price more, by an independent re-solve.
    dearer = sf.solve(foods, with_leucine_floor(brief, floor + 0.05), solver="highs")
    assert dearer.cost_per_serving is not None and solved.cost_per_serving is not None
    assert (dearer.cost_per_serving - solved.cost_per_serving) / 0.05 == pytest.approx(
        leucine.shadow_price, rel=1e-4
    )
    assert f"leucine ≥ {floor:g} g per meal:" in text and "raising the minimum by 1 g adds" in text


def test_infeasible_brief_gets_a_one_page_sheet_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _poppler()
    brief = tmp_path / "impossible.toml"
    brief.write_text(
        'name = "impossible"\nblank_values = "exclude"\n[serving]\nserving_g = 50\n'
        '[[nutrient]]\nname = "protein"\nmin = 45\n[[nutrient]]\nname = "energy_kcal"\nmax = 150\n'
    )
    out = tmp_path / "impossible.pdf"
    done = run_main(capsys, "report", "-c", str(brief), "-o", str(out))
    assert done.returncode == 1, done.stderr
    assert _pages(out) == 1
    text = _text(out)
    assert "INFEASIBLE" in text and "No blend meets the brief" in text and "protein ≥ 45 g" in text


def test_a_long_formula_still_fits_one_page(tmp_path: Path, solved: sf.Result) -> None:
    """40 ingredients and 30 binding constraints: smaller type, then shortened lists that say so."""
    _poppler()
    blend = [b.model_copy(update={"name": f"{b.name} {k}"}) for k in range(6) for b in solved.blend_lines]
    binding = [c for c in solved.constraint_lines if c.binding] * 5
    long = solved.model_copy(update={"blend_lines": blend[:40], "constraint_lines": binding})
    out = tmp_path / "long.pdf"
    out.write_bytes(render_pdf(spec_sheet(long)))
    assert _pages(out) == 1
    text = _text(out)
    assert "more ingredients" in text or blend[39].name in text


def test_report_declares_under_the_standard_asked_for(
    tmp_path: Path, solved: sf.Result, capsys: pytest.CaptureFixture[str]
) -> None:
    _poppler()
    json_path = tmp_path / "result.json"
    json_path.write_text(json.dumps(solved.to_dict()))
    out = tmp_path / "eu.pdf"
    done = run_main(capsys, "report", str(json_path), "--standard", "eu", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = _text(out)
    lab = sf.label(solved, "eu")
    assert "NUTRITION DECLARATION · REGULATION" in text and "% RI" in text
    assert _has(text, f"Salt {lab.row('salt').text('per_100g')}")
    for row in lab.rows:  # declared or unknown, each as the label says
        assert _has(text, f"{row.name} {row.text('per_100g')} {row.text('per_serving')}"), row.nutrient


def test_report_refuses_another_output_type() -> None:
    done = run_cli("report", "-o", "spec.docx")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --output spec.docx: write the specification sheet as a .pdf file"
    ]


def test_results_workbook_opens_on_a_report_sheet_set_up_for_one_page(
    tmp_path: Path, foods: sf.FoodTable, brief: sf.Brief, solved: sf.Result
) -> None:
    from openpyxl import load_workbook

    from sarcoform.report.workbook import write_result_workbook

    book = tmp_path / "result.xlsx"
    write_result_workbook(solved, book, foods=foods, brief=brief)
    wb = load_workbook(book)
    assert wb.sheetnames[0] == "Report" and wb.active.title == "Report"
    ws = wb["Report"]
    assert int(ws.page_setup.paperSize) == 9  # A4 in the OOXML paper-size list
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 1
    assert ws.print_area and ws.print_area.startswith("'Report'!$A$1:$F$")
    grams: dict[str, Any] = {}  # the Formula's ids (the Production section further down names them too)
    for c in ws["B"]:
        if isinstance(c.value, str):
            grams.setdefault(c.value, ws.cell(row=c.row, column=3))
    for b in solved.blend_lines:  # numbers stored as numbers, in the format of their unit
        cell = grams[b.id]
        assert cell.value == pytest.approx(b.grams) and cell.number_format == "0.000"
    costs = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(1, ws.max_row + 1)}
    assert costs["per serving"].value == pytest.approx(solved.cost_per_serving)
    assert costs["per serving"].number_format == "0.0000"
    assert costs["per 1000 kg batch"].number_format == "#,##0.00"
    lab = sf.label(solved, "cn", foods=foods)
    declared = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2) for r in range(1, ws.max_row + 1)}
    for row in lab.rows:
        cell = declared[row.name]
        assert cell.value == row.per_100g and cell.number_format == f'General" {row.unit}"'


@pytest.mark.libreoffice
def test_libreoffice_prints_the_report_sheet_on_one_page(
    tmp_path: Path, foods: sf.FoodTable, brief: sf.Brief, solved: sf.Result
) -> None:
    _poppler()
    from openpyxl import load_workbook

    from sarcoform.report.workbook import write_result_workbook

    book = tmp_path / "result.xlsx"
    write_result_workbook(solved, book, foods=foods, brief=brief)
    # The Report sheet alone (LibreOffice prints every sheet of a book into one PDF).
    wb = load_workbook(book)
    for name in wb.sheetnames[1:]:
        del wb[name]
    only = tmp_path / "report.xlsx"
    wb.save(only)
    libreoffice_convert(only, "pdf", tmp_path)
    pdf = tmp_path / "report.pdf"
    assert _pages(pdf) == 1
    text = _text(pdf)
    for figure in _key_figures(solved):
        assert figure in text, figure
    assert "leucine ≥ 2.5 g per meal" in text


def test_the_sheet_carries_the_production_weigh_up(
    tmp_path: Path, foods: sf.FoodTable, shipped: sf.Result
) -> None:
    """Issue 12 item 5: the weigh-up in order of addition, the premix and the re-check, on
    the PDF and on the results workbook's Report sheet, as `sarcoform production` gives them."""
    from openpyxl import load_workbook

    from sarcoform.report.workbook import write_result_workbook

    _poppler()
    brief = sf.load_brief()
    plan = sf.production_plan(shipped, foods, brief, solver="cbc")
    assert plan.verification is not None and plan.verification.ok and plan.premix
    weighed = sum(w.kg for w in plan.lines)
    assert abs(weighed - plan.batch_kg) <= 0.01 * plan.batch_kg  # the batch within 1 %
    out = tmp_path / "spec.pdf"
    done = run_cli("report", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _pages(out) == 1
    text = _text(out)
    assert (
        "PRODUCTION" in text and f"Rounded formula verified: all {plan.verification.checked} bounds" in text
    )
    assert f"carrier {plan.premix_carrier}" in text
    for w in [*plan.lines, *plan.premix]:
        assert w.id in text, w.id
    book = tmp_path / "result.xlsx"
    write_result_workbook(shipped, book, foods=foods, brief=brief)
    ws = load_workbook(book)["Report"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    (start,) = [k for k, row in enumerate(cells) if row[0] == "PRODUCTION"]
    head = next(k for k in range(start, len(cells)) if cells[k][0] == "Step · ingredient")
    rows = cells[head + 1 : head + 1 + len(plan.lines)]
    assert [(r[0], r[1]) for r in rows] == [(f"{w.step}. {w.id}", pytest.approx(w.kg)) for w in plan.lines]
