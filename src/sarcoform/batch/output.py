"""Batch results on disk: a workbook for people (items, pivot, summary, chart), CSV or
Parquet for programs; and the multi-blend plan as a workbook or JSON.

Every sheet is a plain table with one header row, so programs can read the workbook
too. Text from the inputs (product, scenario and ingredient names, reasons) is always
stored as text, never as a formula; CSV text cells get the OWASP quote prefix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..io.files import atomic_output, write_csv, write_text
from ..io.workbook_write import save, write_rows
from ..io.xlsx import column_letter
from ..report.workbook_format import column_format, print_setup

if TYPE_CHECKING:
    import pandas as pd

    from .multiblend import MultiBlendResult
    from .result import BatchResult

BATCH_SUFFIXES = (".xlsx", ".csv", ".parquet")
CHART_SCENARIOS = 12  # more scenarios than this: chart the per-product summary instead


def check_batch_output(path: Path | str) -> None:
    if Path(path).suffix.lower() not in BATCH_SUFFIXES:
        raise UsageError(f"--output {path}: use a .xlsx, .csv or .parquet file name")


def write_batch_output(result: BatchResult, path: Path | str) -> None:
    """The results as .xlsx (people), .csv or .parquet (programs), written atomically."""
    check_batch_output(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        write_batch_workbook(result, path)
    elif suffix == ".csv":
        write_frame_csv(result.table, path)
    else:
        _write_parquet(result.table, path)


def write_frame_csv(frame: pd.DataFrame, path: Path | str) -> None:
    write_csv([str(c) for c in frame.columns], frame.itertuples(index=False), path)


def _write_parquet(frame: pd.DataFrame, path: Path | str) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise UsageError("Parquet output needs pyarrow: pip install 'sarcoform[parquet]'") from None
    with atomic_output(path, "wb") as f:
        frame.to_parquet(f, index=False)


# -- the workbook -----------------------------------------------------------------------------


def write_batch_workbook(result: BatchResult, path: Path | str) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    book = Workbook(write_only=True)  # a big batch has many rows: stream them
    summary = result.summary()
    pivot = result.pivot()
    status = result.pivot("status")

    ws = book.create_sheet("Summary")
    _put_frame(ws, summary)
    chart = BarChart()
    chart.type = "col"
    currency = summary["currency"].iloc[0] if len(summary) else ""
    chart.y_axis.title = f"cost per serving ({currency})"
    n = len(summary)
    if len(result.scenarios) > CHART_SCENARIOS or n == 0:
        chart.title = "Cost per serving over the scenarios: min, median, max"
        data = Reference(ws, min_col=5, max_col=7, min_row=1, max_row=n + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.width, chart.height = 24, 12
        ws.add_chart(chart, "J2")

    ws = book.create_sheet("Cost per serving")
    print_setup(ws, rows=len(result.products) + 1)
    header = ["product", *result.scenarios]
    rows = []
    for product in result.products:
        row: list[Any] = [product]
        for scenario in result.scenarios:
            value = pivot.at[product, scenario]
            if isinstance(value, float) and math.isfinite(value):
                row.append(value)
            else:  # no answer: say why in the cell, a person reads this sheet
                row.append(str(status.at[product, scenario] or "missing"))
        rows.append(row)
    formats = dict.fromkeys(range(2, len(header) + 1), "0.0000")
    write_rows(ws, header, rows, freeze="B2", formats=formats)
    if len(result.scenarios) <= CHART_SCENARIOS and n:
        chart.title = "Cost per serving by product and scenario"
        data = Reference(ws, min_col=2, max_col=len(header), min_row=1, max_row=n + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.width, chart.height = 24, 12
        ws.add_chart(chart, f"{column_letter(len(header) + 2)}2")

    _put_frame(book.create_sheet("Items"), result.table, freeze="C2")

    counts = ", ".join(f"{k}: {v}" for k, v in sorted(result.counts.items()))
    about = [
        ("what", "batch results: every product under every price scenario"),
        ("products", len(result.products)),
        ("scenarios", len(result.scenarios)),
        ("items", len(result)),
        ("by status", counts),
        ("solver", result.plan.solver),
        ("foods", result.plan.foods.origin),
        (
            "Items columns",
            "grams.<id> = g of that ingredient per serving; per_serving.<column> = amount per"
            " serving in the column's unit; reason = why an item has no answer",
        ),
        ("Cost per serving", "products × scenarios; a cell without a number gives the item's status"),
    ]
    ws = book.create_sheet("About")
    print_setup(ws, rows=len(about) + 1)
    write_rows(ws, ["key", "value"], about)
    save(book, path)


def _put_frame(ws: Any, frame: pd.DataFrame, freeze: str = "A2") -> None:
    print_setup(ws, rows=len(frame) + 1)
    floats = [k for k, dtype in enumerate(frame.dtypes, start=1) if dtype.kind == "f"]
    formats = {k: column_format(str(frame.columns[k - 1])) for k in floats}  # no 15-digit floats
    write_rows(
        ws, [str(c) for c in frame.columns], frame.itertuples(index=False), freeze=freeze, formats=formats
    )


# -- multi-blend -----------------------------------------------------------------------------


def write_multiblend_output(result: MultiBlendResult, path: Path | str) -> None:
    """The joint plan as .json, or .xlsx (Products, Ingredients, Blends sheets)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        write_text(path, json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    if suffix != ".xlsx":
        raise UsageError(f"--output {path}: use a .json or .xlsx file name")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, frame in (
        ("Products", result.products_table),
        ("Ingredients", result.ingredients_table),
        ("Blends", result.blends.rename_axis("id").reset_index()),
    ):
        _put_frame(book.create_sheet(title), frame, freeze="B2")
    about = [
        ("status", result.status),
        ("total_cost", result.total_cost),
        ("standalone_total_cost", result.standalone_total_cost),
        ("currency", result.currency),
        ("gave way", ", ".join(result.gave_way)),
        ("reason", result.reason),
        *(("note", n) for n in result.notes),
    ]
    ws = book.create_sheet("About")
    print_setup(ws, rows=len(about) + 1)
    write_rows(ws, ["key", "value"], about)
    save(book, path)
